"""TikTok Research API flow against the fake: 30-day windows, cursor/search_id paging, 429."""

from __future__ import annotations

import datetime as dt

import pytest

from gsm_platform.sources.api import ApiCredentialError
from gsm_platform.sources.api.base import Window
from gsm_platform.sources.api.tiktok import query_windows
from tests.api.fakes import wib


def videos() -> list:
    return [
        (7340000000000000009, wib(3, 8)),
        (7340000000000000005, wib(2, 21)),
        (7340000000000000004, wib(2, 7)),
        (7340000000000000003, wib(1, 2)),
        (7340000000000000001, wib(20, 2, month=2)),
    ]


def test_query_windows_cover_the_utc_dates_in_30_day_pieces():
    assert query_windows(Window(dt.date(2025, 3, 1), dt.date(2025, 3, 3))) == [
        (dt.date(2025, 2, 28), dt.date(2025, 3, 2))
    ]
    pieces = query_windows(Window(dt.date(2024, 10, 1), dt.date(2025, 10, 1)))
    assert pieces[0][0] == dt.date(2024, 9, 30) and pieces[-1][1] == dt.date(2025, 9, 30)
    assert all((b - a).days <= 29 for a, b in pieces)
    assert all(pieces[i][1] + dt.timedelta(days=1) == pieces[i + 1][0] for i in range(len(pieces) - 1))


def test_pages_with_cursor_and_search_id(fake_api, run_pull, envelopes_of):
    tt = fake_api("tiktok")
    acc = tt.add("contohkementerian", videos(), followers=410000)
    r = run_pull(tt, [acc]).report
    assert r.ok and r.accounts_done == ["contohkementerian"]
    calls = tt.server.hits("/video/query/")
    assert [(c.body.get("cursor"), c.body.get("search_id")) for c in calls] == [
        (None, None),
        (2, "search-contohkementerian"),
    ]
    first = calls[0].body
    assert first["query"] == {
        "and": [{"operation": "EQ", "field_name": "username", "field_values": ["contohkementerian"]}]
    }
    assert (first["start_date"], first["end_date"], first["max_count"]) == ("20250228", "20250302", 100)
    assert (
        calls[0].query["fields"]
        == "id,create_time,username,view_count,like_count,comment_count,share_count,video_duration"
    )
    posts = envelopes_of(r, "posts")
    # UTC dates 02-28..03-02: the 03-03 08:00 WIB video (03-03 01:00Z) and the February one are outside
    assert [v["id"] for env in posts for v in env["response"]["data"]["videos"]] == [
        7340000000000000005,
        7340000000000000004,
        7340000000000000003,
    ]
    assert posts[0]["request"]["endpoint"] == "/v2/research/video/query/"
    assert posts[0]["request"]["body"]["start_date"] == "20250228"
    (profile,) = envelopes_of(r, "profile")
    assert profile["response"]["data"]["follower_count"] == 410000
    assert profile["response"]["error"]["code"] == "ok"


def test_a_year_is_queried_in_windows_of_at_most_30_days(fake_api, run_pull):
    tt = fake_api("tiktok")
    acc = tt.add("contohkementerian", videos())
    r = run_pull(
        tt,
        [acc],
        start=dt.date(2024, 10, 1),
        end=dt.date(2025, 10, 1),
        fetched_at=dt.datetime(2025, 10, 2, 9, tzinfo=dt.timezone(dt.timedelta(hours=7))),
    ).report
    assert r.ok
    spans = [(dt.datetime.strptime(a, "%Y%m%d"), dt.datetime.strptime(b, "%Y%m%d")) for a, b in tt.queries]
    assert len(spans) >= 13 and all((b - a).days <= 29 for a, b in spans)


def test_rate_limit_exceeded_429_is_retried(fake_api, run_pull, envelopes_of):
    tt = fake_api("tiktok")
    acc = tt.add("contohkementerian", videos())
    tt.server.fail(
        "/video/query/",
        status=429,
        times=2,
        body=tt.body({}, "rate_limit_exceeded", "The API rate limit was exceeded. Please try again later."),
    )
    res = run_pull(tt, [acc])
    assert res.report.ok and res.sleeps == [30.0, 60.0]  # rate backoff doubles (no Retry-After given)
    assert len([v for env in envelopes_of(res.report, "posts") for v in env["response"]["data"]["videos"]]) == 3


def test_retry_after_header_is_honoured(fake_api, run_pull):
    tt = fake_api("tiktok")
    acc = tt.add("contohkementerian", videos())
    tt.server.fail(
        "/user/info/", status=429, headers={"Retry-After": "7"}, body=tt.body({}, "rate_limit_exceeded", "slow down")
    )
    res = run_pull(tt, [acc])
    assert res.report.ok and res.sleeps == [7.0]


def test_expired_search_id_on_resume_restarts_the_window(fake_api, run_pull, envelopes_of, tmp_path):
    tt = fake_api("tiktok")
    acc = tt.add("contohkementerian", videos())
    resume = tmp_path / "out" / "tiktok" / "contohkementerian" / "posts-2025-03-01_2025-03-03.resume"
    resume.parent.mkdir(parents=True)
    resume.write_text('{"state": {"piece": 0, "cursor": 2, "search_id": "stale"}}')
    res = run_pull(tt, [acc])
    assert res.report.ok and not resume.exists()
    assert any("could not resume" in m for m in res.messages)
    assert len([v for env in envelopes_of(res.report, "posts") for v in env["response"]["data"]["videos"]]) == 3


def test_invalid_token_names_the_variable(fake_api, run_pull):
    tt = fake_api("tiktok")
    acc = tt.add("contohkementerian", videos())
    with pytest.raises(ApiCredentialError, match="GSM_TIKTOK_TOKEN") as info:
        run_pull(tt, [acc], env=dict(tt.env, GSM_TIKTOK_TOKEN="clt.expired-1234"))
    assert "clt.expired-1234" not in str(info.value)


def test_unknown_user_is_skipped(fake_api, run_pull):
    tt = fake_api("tiktok")
    good = tt.add("contohkementerian", videos())
    from gsm_platform.registry import Account

    r = run_pull(tt, [good, Account(platform="tiktok", account_id="hilang")]).report
    assert r.accounts_done == ["contohkementerian"] and r.accounts_unavailable == ["hilang"]
