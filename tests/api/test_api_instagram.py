"""Instagram Business Discovery flow against the fake Graph API."""

from __future__ import annotations

import pytest

from gsm_platform.registry import Account
from gsm_platform.sources.api import ApiCredentialError
from tests.api.fakes import wib

IG = "17841400000000001"


def media() -> list:
    return [
        ("m8", wib(4, 8)),
        ("m7", wib(3, 1)),
        ("m6", wib(2, 20)),
        ("m5", wib(2, 10)),
        ("m4", wib(1, 3)),
        ("m3", wib(28, 10, month=2)),
        ("m2", wib(27, 10, month=2)),
        ("m1", wib(26, 10, month=2)),
    ]


def test_business_discovery_pages_with_after_and_stops_before_start(fake_api, run_pull, envelopes_of):
    ig = fake_api("instagram")
    acc = ig.add(IG, "contohkementerian", media(), followers=2301100)
    r = run_pull(ig, [acc]).report
    assert r.ok and r.accounts_done == [IG]
    calls = [
        c.query["fields"]
        for c in ig.server.hits("/v21.0/")
        if "media{" in c.query["fields"] or "media." in c.query["fields"]
    ]
    inner = "{id,timestamp,media_type,media_product_type,like_count,comments_count,caption,username}"
    assert calls == [
        f"business_discovery.username(contohkementerian){{followers_count,media{inner}}}",
        f"business_discovery.username(contohkementerian){{followers_count,media.after(c2){inner}}}",
        f"business_discovery.username(contohkementerian){{followers_count,media.after(c4){inner}}}",
    ]  # [m8 m7] out of window (not landed), [m6 m5] landed, [m4 m3] landed and older than start: stop
    posts = envelopes_of(r, "posts")
    assert [m["id"] for env in posts for m in env["response"]["business_discovery"]["media"]["data"]] == [
        "m6",
        "m5",
        "m4",
        "m3",
    ]
    for env in posts:
        assert env["account_id"] == IG  # the registry id, not the caller's
        assert env["request"]["endpoint"] == f"/v21.0/{ig.CALLER}"
        assert set(env["request"]["params"]) == {"fields"}
        assert env["response"]["business_discovery"]["followers_count"] == 2301100
    (profile,) = envelopes_of(r, "profile")
    assert profile["response"]["business_discovery"]["followers_count"] == 2301100


def test_missing_handle_fails_that_account_only(fake_api, run_pull):
    ig = fake_api("instagram")
    good = ig.add(IG, "contohkementerian", media())
    nohandle = Account(platform="instagram", account_id="17841400000000002")
    r = run_pull(ig, [good, nohandle]).report
    assert r.accounts_done == [IG]
    assert "no handle" in r.accounts_failed["17841400000000002"]


def test_unknown_username_is_skipped(fake_api, run_pull):
    ig = fake_api("instagram")
    good = ig.add(IG, "contohkementerian", media())
    other = Account(platform="instagram", account_id="17841400000000003", handle="tidakada")
    r = run_pull(ig, [good, other]).report
    assert r.accounts_unavailable == ["17841400000000003"]
    assert "not found" in r.skipped[0].reason


def test_handle_now_owned_by_another_account_fails_clearly(fake_api, run_pull):
    ig = fake_api("instagram")
    ig.add("17841400000000777", "contohkementerian", media())
    stale = Account(platform="instagram", account_id=IG, handle="contohkementerian")
    r = run_pull(ig, [stale]).report
    assert "17841400000000777" in r.accounts_failed[IG] and "fix the registry" in r.accounts_failed[IG]


def test_wrong_business_account_id_names_its_variable(fake_api, run_pull):
    ig = fake_api("instagram")
    acc = ig.add(IG, "contohkementerian", media())
    with pytest.raises(ApiCredentialError, match="GSM_INSTAGRAM_USER_ID"):
        run_pull(ig, [acc], env=dict(ig.env, GSM_INSTAGRAM_USER_ID="999"))


def test_expired_token_names_the_token_variable(fake_api, run_pull):
    ig = fake_api("instagram")
    acc = ig.add(IG, "contohkementerian", media())
    with pytest.raises(ApiCredentialError, match="GSM_INSTAGRAM_TOKEN") as info:
        run_pull(ig, [acc], env=dict(ig.env, GSM_INSTAGRAM_TOKEN="IGQVexpired-0000"))
    assert "IGQVexpired-0000" not in str(info.value)
