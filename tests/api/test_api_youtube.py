"""YouTube flow against the fake Data API: paging, stop at the window start, quota, bad key."""

from __future__ import annotations

import datetime as dt

import pytest

from gsm_platform.sources.api import ApiCredentialError
from tests.api.fakes import END, START, wib

CH1 = "UCaaaaaaaaaaaaaaaaaaaaa1"
CH2 = "UCbbbbbbbbbbbbbbbbbbbbb2"


def channel_videos(prefix: str) -> list:
    # newest first: 2 after the window, 5 inside (one deleted), 3 before it
    return [
        (f"{prefix}n2", wib(4, 10)),
        (f"{prefix}n1", wib(3, 0)),
        (f"{prefix}w5", wib(2, 23, 59)),
        (f"{prefix}w4", wib(2, 12)),
        (f"{prefix}w3", wib(2, 1)),
        (f"{prefix}w2", wib(1, 9)),
        (f"{prefix}w1", wib(1, 0)),
        (f"{prefix}o1", wib(28, 23, month=2)),
        (f"{prefix}o2", wib(27, 8, month=2)),
        (f"{prefix}o3", wib(20, 8, month=2)),
    ]


def test_pages_to_the_end_of_the_window_and_stops_at_start(fake_api, run_pull, envelopes_of):
    yt = fake_api("youtube")
    acc = yt.add(CH1, channel_videos("a"), subscribers=301000, gone=("aw4",))
    res = run_pull(yt, [acc])
    r = res.report
    assert r.ok and r.accounts_done == [CH1] and not r.accounts_failed
    posts = envelopes_of(r, "posts")
    ids = [v["id"] for env in posts for v in env["response"]["items"]]
    assert sorted(ids) == ["aw1", "aw2", "aw3", "aw5"]  # aw4 deleted, n*/o* outside the window
    assert [s.object_id for s in r.skipped] == ["aw4"]
    # playlist pages of 3: [n2 n1 w5] [w4 w3 w2] [w1 o1 o2] -> stops there (o3 never requested)
    pages = yt.server.hits("/playlistItems")
    assert [p.query.get("pageToken") for p in pages] == [None, "3", "6"]
    for env in posts:
        assert env["request"]["endpoint"] == "/youtube/v3/videos"
        assert env["request"]["params"]["part"] == "snippet,statistics,contentDetails"
        assert "key" not in env["request"]["params"]
        assert env["response"]["kind"] == "youtube#videoListResponse"
        assert env["fetched_at"] == "2025-03-05T09:00:00+07:00"
    (profile,) = envelopes_of(r, "profile")
    assert profile["request"] == {
        "endpoint": "/youtube/v3/channels",
        "params": {"part": "statistics,contentDetails", "id": CH1},
    }
    assert profile["response"]["items"][0]["statistics"]["subscriberCount"] == "301000"
    # 1 channels + 3 playlistItems + 3 videos calls (one per playlist page with ids in the window)
    assert r.pages == 7 and r.envelopes == 4  # 3 posts + 1 profile
    marker = res.out / "youtube" / CH1 / f"posts-{START}_{END}.done"
    assert marker.is_file()
    assert any(m == "youtube: 1/1 accounts, 7 pages" for m in res.messages)


def test_quota_exceeded_stops_cleanly_keeps_landed_data_and_resumes(fake_api, run_pull, envelopes_of):
    yt = fake_api("youtube")
    a1 = yt.add(CH1, channel_videos("a"))
    quota = yt.error(403, "quotaExceeded", "The request cannot be completed because you have exceeded your quota.")
    # the 2nd playlistItems page of the channel exhausts the quota
    yt.server.fail("/playlistItems", status=403, body=quota, after=1, times=-1)
    res = run_pull(yt, [a1], concurrency=1)
    r = res.report
    assert r.stopped_reason and r.stopped_reason.startswith("quota exceeded")
    assert "resume after 2025-03-05T00:00:00-08:00" in r.stopped_reason  # next midnight Pacific after 09:00 WIB
    assert r.resume_after == dt.datetime.fromisoformat("2025-03-05T00:00:00-08:00")
    assert r.accounts_pending == [CH1] and not r.accounts_failed and not r.accounts_done
    landed = [v["id"] for env in envelopes_of(r, "posts") for v in env["response"]["items"]]
    assert landed == ["aw5"]  # what landed before the quota stays
    acc_dir = res.out / "youtube" / CH1
    assert (acc_dir / f"posts-{START}_{END}.resume").is_file()
    assert not (acc_dir / f"posts-{START}_{END}.done").exists()
    assert "quota exceeded" in r.summary()

    # next day: quota back; the re-run resumes at the page after what landed
    yt.server.clear_faults()
    before = len(yt.server.requests)
    res2 = run_pull(yt, [a1], fetched_at=dt.datetime(2025, 3, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=7))))
    assert res2.report.ok and res2.report.accounts_done == [CH1]
    tokens = [q.query.get("pageToken") for q in yt.server.requests[before:] if q.path.endswith("/playlistItems")]
    assert tokens == ["3", "6"]
    landed2 = sorted(v["id"] for env in envelopes_of(res2.report, "posts") for v in env["response"]["items"])
    assert landed2 == ["aw1", "aw2", "aw3", "aw4"]
    assert (acc_dir / f"posts-{START}_{END}.done").is_file() and not (acc_dir / f"posts-{START}_{END}.resume").exists()


def test_quota_stop_leaves_other_accounts_pending_not_failed(fake_api, run_pull):
    yt = fake_api("youtube")
    accounts = [yt.add(f"UC{'c' * 21}{n}", channel_videos(f"c{n}")) for n in range(3)]
    quota = yt.error(403, "quotaExceeded", "quota")
    yt.server.fail("/videos", status=403, body=quota, times=-1)
    r = run_pull(yt, accounts, concurrency=1).report
    assert r.stopped_reason.startswith("quota exceeded")
    assert sorted(r.accounts_pending) == sorted(a.account_id for a in accounts)
    assert not r.accounts_failed


@pytest.mark.parametrize("status,reason", [(400, "keyInvalid"), (403, "keyExpired"), (400, "API_KEY_INVALID")])
def test_bad_key_raises_credential_error_naming_the_variable(fake_api, run_pull, status, reason):
    yt = fake_api("youtube")
    acc = yt.add(CH1, channel_videos("a"))
    body = {
        "error": {
            "code": status,
            "message": "API key not valid. Please pass a valid API key.",
            "errors": [{"reason": reason}] if reason != "API_KEY_INVALID" else [{"reason": "badRequest"}],
            "status": "INVALID_ARGUMENT",
            "details": [{"reason": reason}] if reason == "API_KEY_INVALID" else [],
        }
    }
    yt.server.fail("/channels", status=status, body=body, times=-1)
    with pytest.raises(ApiCredentialError) as info:
        run_pull(yt, [acc])
    msg = str(info.value)
    assert msg.startswith("youtube:") and "GSM_YOUTUBE_KEY" in msg and yt.KEY not in msg
    assert info.value.report is not None and info.value.report.accounts_failed


def test_wrong_key_against_the_fake_is_rejected(fake_api, run_pull):
    yt = fake_api("youtube")
    acc = yt.add(CH1, channel_videos("a"))
    env = dict(yt.env, GSM_YOUTUBE_KEY="AIzaWRONG-key-000")
    with pytest.raises(ApiCredentialError, match="GSM_YOUTUBE_KEY") as info:
        run_pull(yt, [acc], env=env)
    assert "AIzaWRONG-key-000" not in str(info.value)


def test_unknown_channel_is_skipped_and_reported(fake_api, run_pull):
    yt = fake_api("youtube")
    ok = yt.add(CH1, channel_videos("a"))
    from gsm_platform.registry import Account

    gone = Account(platform="youtube", account_id=CH2)
    r = run_pull(yt, [ok, gone]).report
    assert r.accounts_done == [CH1] and r.accounts_unavailable == [CH2]
    assert any(s.object_id == CH2 and "channel not found" in s.reason for s in r.skipped)
