"""What `gsm generate --scale quick --outlook-demo` (make demo) adds for the GSM Outlook: an earlier
edition with data of its own, so that `gsm outlook --compare` has something to compare, and a merger
inside the latest window, so that the churn has a registry event of every kind. Neither may change
the latest edition: its files are byte-identical with and without, and no file of the earlier
edition can become part of a latest post's measures (no shared post id, no shared fetch month, no
earlier follower snapshot of an account the latest edition first pulls after its window)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from pathlib import Path

import pytest

from gsm_platform.registry import load_editions, load_registry
from gsm_platform.sources.demo.registry import DEMO_MERGER, EARLIER_EDITION

# not a Dagster run, but ~20 s of generation (two quick data sets of the whole shipped registry):
# kept out of the fast unit tests with the end-to-end ones
pytestmark = pytest.mark.e2e
RECORDS = 3_000


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Path]:
    from gsm_platform.sources.demo import generate

    base = tmp_path_factory.mktemp("outlook_demo")
    generate(base / "plain", "quick", records=RECORDS)
    generate(base / "outlook", "quick", records=RECORDS, outlook_demo=True)
    return base / "plain", base / "outlook"


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


def _envelopes(root: Path):
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.name.endswith(".json"):
            yield path, json.loads(path.read_text(encoding="utf-8"))
            continue
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield path, json.loads(line)


def _post_ids(envelope: dict) -> set[str]:
    r, p = envelope["response"], envelope["platform"]
    if p == "instagram" and "business_discovery" in r:
        items = r["business_discovery"]["media"]["data"]
    elif p == "youtube":
        items = r["items"]
    elif p == "tiktok":
        items = r["data"]["videos"]
    else:
        items = r.get("data", [])
    return {f"{p}:{item['id']}" for item in items}


def test_the_latest_edition_is_byte_identical_with_the_outlook_demo(demo):
    plain, outlook = demo
    assert _hashes(plain / "input") == _hashes(outlook / "input")
    assert (plain / "registry.yaml").read_bytes() == (outlook / "registry.yaml").read_bytes()[
        : (plain / "registry.yaml").stat().st_size
    ]  # the demo registry is the shipped one plus the merger at its end


def test_the_earlier_edition_has_data_apart_from_the_latest(demo):
    _, outlook = demo
    editions = load_editions(outlook / "editions.yaml")
    latest, earlier = editions.latest(), editions.get(EARLIER_EDITION["id"])
    assert latest.id == "2025" and earlier.end <= latest.start
    assert earlier.clusters == latest.clusters and set(earlier.platforms) == set(latest.platforms) - {"tiktok"}

    earlier_ids: set[str] = set()
    earlier_accounts: set[tuple[str, str]] = set()
    earlier_months: set[str] = set()
    for path, env in _envelopes(outlook / "earlier" / "input"):
        earlier_months.add(path.parent.name)
        earlier_accounts.add((env["platform"], str(env["account_id"])))
        if env["kind"] == "posts":
            earlier_ids |= _post_ids(env)
    latest_ids: set[str] = set()
    latest_months: set[str] = set()
    profiled_before_window: set[tuple[str, str]] = set()
    for path, env in _envelopes(outlook / "input"):
        latest_months.add(path.parent.name)
        if env["kind"] == "posts":
            latest_ids |= _post_ids(env)
        fetched = dt.datetime.fromisoformat(env["fetched_at"].replace("Z", "+00:00"))
        if env["kind"] == "profile" and fetched.date() < latest.start:
            profiled_before_window.add((env["platform"], str(env["account_id"])))
    assert len(earlier_ids) > 500, "the earlier edition has posts"
    assert not earlier_ids & latest_ids, "no post id of both editions"
    assert max(earlier_months) < min(latest_months), "no fetch month holds both editions' pulls"
    # an account's post takes its audience from its latest follower snapshot at or before it: every
    # account with earlier data has a latest-edition snapshot before the window, which comes after
    assert earlier_accounts <= profiled_before_window


def test_the_demo_registry_has_a_registry_event_of_every_kind_in_the_latest_window(demo):
    _, outlook = demo
    registry = load_registry(outlook / "registry.yaml")
    latest = load_editions(outlook / "editions.yaml").latest()
    kinds = set()
    for inst in registry.institutions:
        if inst.cluster not in latest.clusters:
            continue
        for ev in inst.lifecycle + tuple(e for a in inst.accounts for e in a.lifecycle):
            if latest.start <= ev.date < latest.end:
                kinds.add("renamed" if ev.event == "rebranded" else ev.event)
    assert kinds >= {"created", "merged", "renamed", "retired"}
    (merged,) = [i for i in registry.institutions if i.id == DEMO_MERGER["id"]]
    assert not merged.accounts, "the demo's merger has no account: it ranks nowhere"
    assert merged.lifecycle[0].into == DEMO_MERGER["into"]


def test_the_outlook_demo_goes_with_the_quick_shipped_registry_only(tmp_path):
    from gsm_platform.sources.demo import generate

    with pytest.raises(ValueError, match="outlook's demo"):
        generate(tmp_path / "cut", "quick", records=100, max_institutions=5, outlook_demo=True)
