"""X flow against the fake API v2: paging with next_token, rate-limit reset, 401, suspended users."""

from __future__ import annotations

import time

import pytest

from gsm_platform.sources.api import ApiCredentialError
from tests.api.fakes import wib


def tweets(prefix: str) -> list:
    return [
        (f"{prefix}9", wib(3, 0)),
        (f"{prefix}5", wib(2, 23)),
        (f"{prefix}4", wib(2, 8)),
        (f"{prefix}3", wib(1, 12)),
        (f"{prefix}2", wib(1, 0)),
        (f"{prefix}1", wib(28, 23, 59, month=2)),
    ]


def test_pages_with_next_token_and_sends_the_window(fake_api, run_pull, envelopes_of):
    x = fake_api("x")
    acc = x.add("1234567890", tweets("19"), followers=845000)
    r = run_pull(x, [acc]).report
    assert r.ok and r.accounts_done == ["1234567890"]
    posts = envelopes_of(r, "posts")
    assert [t["id"] for env in posts for t in env["response"]["data"]] == ["195", "194", "193", "192"]
    calls = x.server.hits("/tweets")
    assert [c.query.get("pagination_token") for c in calls] == [None, "2"]
    q = calls[0].query
    assert q["start_time"] == "2025-02-28T17:00:00Z" and q["end_time"] == "2025-03-02T17:00:00Z"
    assert q["max_results"] == "100" and q["tweet.fields"] == "author_id,created_at,public_metrics,attachments"
    assert q["expansions"] == "attachments.media_keys" and q["media.fields"] == "type,duration_ms,public_metrics"
    assert all(c.headers["authorization"] == f"Bearer {x.TOKEN}" for c in x.server.requests)
    env = posts[0]
    assert env["request"]["endpoint"] == "/2/users/1234567890/tweets"
    assert env["response"]["includes"]["media"][0]["type"] == "video"
    (profile,) = envelopes_of(r, "profile")
    assert profile["request"] == {"endpoint": "/2/users/1234567890", "params": {"user.fields": "public_metrics"}}
    assert profile["response"]["data"]["public_metrics"]["followers_count"] == 845000


def test_empty_window_lands_no_empty_posts_page(fake_api, run_pull, envelopes_of):
    x = fake_api("x")
    acc = x.add("42", [("1", wib(10, 0))])
    r = run_pull(x, [acc]).report
    assert r.accounts_done == ["42"] and envelopes_of(r, "posts") == [] and len(envelopes_of(r, "profile")) == 1


def test_429_waits_until_x_rate_limit_reset_then_retries(fake_api, run_pull, envelopes_of):
    x = fake_api("x")
    acc = x.add("1234567890", tweets("19"))
    reset = int(time.time()) + 3
    x.server.fail(
        "/tweets",
        status=429,
        body={"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429},
        headers={"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"},
        after=1,
        times=1,
    )
    res = run_pull(x, [acc])
    assert res.report.ok
    assert len(res.sleeps) == 1 and 2.0 <= res.sleeps[0] <= 5.0  # waited until the reset epoch (+1 s)
    ids = [t["id"] for env in envelopes_of(res.report, "posts") for t in env["response"]["data"]]
    assert ids == ["195", "194", "193", "192"]  # nothing lost, nothing doubled


def test_rate_limit_longer_than_the_bound_stops_the_platform(fake_api, run_pull):
    x = fake_api("x")
    acc = x.add("1", tweets("1"))
    x.server.fail(
        "/tweets",
        status=429,
        body={"title": "Too Many Requests"},
        headers={"x-rate-limit-reset": str(int(time.time()) + 3600)},
        times=-1,
    )
    res = run_pull(x, [acc], max_wait_seconds=60)
    assert res.sleeps == []
    assert res.report.stopped_reason.startswith("rate limited by x") and "resume after" in res.report.stopped_reason
    assert res.report.accounts_pending == ["1"]


def test_persistent_429_is_bounded(fake_api, run_pull):
    x = fake_api("x")
    acc = x.add("1", tweets("1"))
    x.server.fail("/tweets", status=429, body={"title": "Too Many Requests"}, headers={"retry-after": "2"}, times=-1)
    res = run_pull(x, [acc], max_retries=3)
    assert res.sleeps == [2.0, 2.0, 2.0]
    assert res.report.stopped_reason and "still limited after 3 waits" in res.report.stopped_reason


def test_401_fails_with_the_variable_to_fix(fake_api, run_pull):
    x = fake_api("x")
    acc = x.add("1", tweets("1"))
    with pytest.raises(ApiCredentialError) as info:
        run_pull(x, [acc], env=dict(x.env, GSM_X_TOKEN="AAAAexpired-token-999"))
    assert str(info.value).startswith("x:") and "GSM_X_TOKEN" in str(info.value)
    assert "AAAAexpired-token-999" not in str(info.value)
    assert info.value.platform == "x" and info.value.variable == "GSM_X_TOKEN"


def test_suspended_user_is_skipped_and_reported_others_complete(fake_api, run_pull, envelopes_of):
    x = fake_api("x")
    good = x.add("1", tweets("1"))
    bad = x.add("2", tweets("2"), suspended=True)
    r = run_pull(x, [good, bad]).report
    assert r.accounts_done == ["1"] and r.accounts_unavailable == ["2"] and not r.accounts_failed
    assert any(s.object_id == "2" and "suspended" in s.reason for s in r.skipped)
    assert envelopes_of(r, account="2") == []
