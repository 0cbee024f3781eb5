"""Facebook Graph flow against the fake: paging.next (which carries the token), Graph rate-limit
codes, expired token (190), deleted page (100/33)."""

from __future__ import annotations

import json

import pytest

from gsm_platform.sources.api import ApiCredentialError
from tests.api.fakes import graph_error, wib

PAGE = "100064500000001"


def posts() -> list:
    return [
        ("9", wib(3, 0, 1)),
        ("5", wib(2, 22)),
        ("4", wib(2, 9)),
        ("3", wib(1, 15)),
        ("2", wib(1, 0)),
        ("1", wib(28, 20, month=2)),
    ]


def test_pages_via_paging_next_without_landing_the_token(fake_api, run_pull, envelopes_of):
    fb = fake_api("facebook")
    acc = fb.add(PAGE, posts(), followers=1523400)
    res = run_pull(fb, [acc])
    r = res.report
    assert r.ok and r.accounts_done == [PAGE]
    found = envelopes_of(r, "posts")
    assert [p["id"] for env in found for p in env["response"]["data"]] == [f"{PAGE}_{n}" for n in "5432"]
    calls = fb.server.hits("/posts")
    assert [c.query.get("after") for c in calls] == [None, "2"]
    q = calls[0].query
    assert q["fields"] == (
        "id,created_time,message,from,attachments{media_type},reactions.summary(total_count),"
        "comments.summary(total_count),shares"
    )
    assert q["since"] == "1740762000" and q["until"] == str(1740934800 - 1) and q["limit"] == "100"
    assert all(c.query["access_token"] == fb.TOKEN for c in fb.server.requests)
    env = found[0]
    assert env["request"]["endpoint"] == f"/v21.0/{PAGE}/posts" and "access_token" not in env["request"]["params"]
    # the body is landed as received except the token inside paging.next
    nxt = env["response"]["paging"]["next"]
    assert "access_token=REDACTED" in nxt and fb.TOKEN not in nxt
    for path in r.files:
        assert fb.TOKEN not in path.read_text()
    (profile,) = envelopes_of(r, "profile")
    assert profile["request"] == {
        "endpoint": f"/v21.0/{PAGE}",
        "params": {"fields": "id,name,followers_count,fan_count"},
    }
    assert profile["response"]["followers_count"] == 1523400


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_graph_rate_limit_codes_wait_and_retry(fake_api, run_pull, envelopes_of, code):
    fb = fake_api("facebook")
    acc = fb.add(PAGE, posts())
    usage = {
        PAGE: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 10,
                "total_time": 10,
                "estimated_time_to_regain_access": 2,
            }
        ]
    }
    fb.server.fail(
        "/posts",
        status=400 if code != 4 else 403,
        body=graph_error(code, "Calls to this api have exceeded the rate limit."),
        headers={"X-Business-Use-Case-Usage": json.dumps(usage)} if code == 32 else {},
        times=1,
    )
    res = run_pull(fb, [acc])
    assert res.report.ok
    assert len(res.sleeps) == 1
    assert res.sleeps[0] == (120.0 if code == 32 else 30.0)  # BUC header says 2 minutes; else rate backoff
    assert len([p for env in envelopes_of(res.report, "posts") for p in env["response"]["data"]]) == 4


def test_expired_token_190_raises_and_never_shows_the_token(fake_api, run_pull):
    fb = fake_api("facebook")
    acc = fb.add(PAGE, posts())
    wrong = "EAAGexpiredToken-777"
    messages: list[str] = []
    with pytest.raises(ApiCredentialError) as info:
        run_pull(fb, [acc], env=dict(fb.env, GSM_FACEBOOK_TOKEN=wrong), progress=messages.append)
    text = str(info.value)
    assert text.startswith("facebook:") and "GSM_FACEBOOK_TOKEN" in text and "190" in text
    assert wrong not in text and all(wrong not in m for m in messages)
    assert info.value.report.accounts_failed


def test_deleted_page_100_33_is_skipped_and_reported(fake_api, run_pull, envelopes_of):
    fb = fake_api("facebook")
    good = fb.add(PAGE, posts())
    gone = fb.add("100064500000002", posts(), deleted=True)
    r = run_pull(fb, [good, gone]).report
    assert r.accounts_done == [PAGE] and r.accounts_unavailable == [gone.account_id] and not r.accounts_failed
    (skip,) = r.skipped
    assert skip.object_id == gone.account_id and "does not exist" in skip.reason and "100/33" in skip.reason
    assert "skipped 100064500000002" in r.summary()
    assert len(envelopes_of(r, account=PAGE)) == 3


def test_post_deleted_mid_paging_skips_the_account_keeps_what_landed(fake_api, run_pull, envelopes_of):
    fb = fake_api("facebook")
    acc = fb.add(PAGE, posts())
    fb.server.fail("/posts", status=400, body=graph_error(100, "Object does not exist", 33), after=1, times=1)
    r = run_pull(fb, [acc]).report
    assert r.accounts_unavailable == [PAGE]
    assert len(envelopes_of(r, "posts")) == 1  # the first page landed and stays
