"""The GSM Outlook on a generated edition (the demo generator, real parsing, the real dbt project):
its activity counts equal a count made here from the envelopes themselves, its churn has events of
every kind, the collaboration effect has its interval, its top posts are real posts of the
edition, and `gsm outlook` prints the JSON contract and writes the HTML page.

The registry is a cut of the default one chosen for the outlook (leader accounts, a renamed
account, a created and a retired ministry), plus, written here, a merger and an account that
starts and one that stops posting inside the window. Two editions: "2025" and "2025h1" (its first
half), so that --compare has an earlier edition with data.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from gsm_platform.registry import DEFAULT_REGISTRY, load_registry
from tests.dbt_support import build_from_source

pytestmark = pytest.mark.e2e

WIB = dt.timezone(dt.timedelta(hours=7))
KEEP = ("kemendagri", "kemenkes", "kemenkum", "kemenko-kumham-imipas", "kemenko-marves", "pemprov-jabar", "bps", "ui")
EDITIONS = """
editions:
  - id: "2025h1"
    name: "GSM Outlook test, first half"
    start: 2024-10-01
    end: 2025-04-01
    clusters: [kementerian, lembaga, pemprov, ptn]
    platforms: [facebook, instagram, x, youtube, tiktok]
    methodology: v1
  - id: "2025"
    name: "GSM Award 2025"
    start: 2024-10-01
    end: 2025-10-01
    clusters: [kementerian, lembaga, pemprov, ptn]
    platforms: [facebook, instagram, x, youtube, tiktok]
    methodology: v1
"""


def outlook_registry() -> dict:
    data = load_registry(DEFAULT_REGISTRY).model_dump(mode="json", exclude_defaults=True)
    institutions = [i for i in data["institutions"] if i["id"] in KEEP]
    by_id = {i["id"]: i for i in institutions}
    by_id["bps"].setdefault("lifecycle", []).append(
        {"date": "2025-02-03", "event": "merged", "into": "kemendagri", "note": "synthetic, for the test"}
    )
    accounts = by_id["ui"]["accounts"]
    accounts[0].setdefault("lifecycle", []).append({"date": "2025-03-01", "event": "created"})
    accounts[1].setdefault("lifecycle", []).append({"date": "2025-05-15", "event": "retired"})
    return {"institutions": institutions}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from gsm_platform.sources.demo import generate

    base = tmp_path_factory.mktemp("outlook_generated")
    registry, editions = base / "registry.yaml", base / "editions.yaml"
    registry.write_text(json.dumps(outlook_registry(), indent=1))
    editions.write_text(EDITIONS)
    source = base / "source"
    generate(source, "quick", 20250101, records=16_000, registry_path=registry, editions_path=editions)
    wh = build_from_source(base / "home", source / "input", registry, editions, ["2025", "2025h1"])
    return wh, source, load_registry(registry)


def _envelopes(input_dir: Path):
    for path in sorted(input_dir.rglob("*")):
        if path.is_dir():
            continue
        if path.name.endswith(".json"):
            yield json.loads(path.read_text(encoding="utf-8"))
            continue
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield json.loads(line)


def _posts_of(envelope: dict) -> list[tuple[str, dt.datetime]]:
    """(post id, publication time) of a posts envelope, read as each platform documents it."""
    r, p = envelope["response"], envelope["platform"]

    def graph(t: str) -> dt.datetime:
        return dt.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S%z")

    if p == "facebook":
        return [(x["id"], graph(x["created_time"])) for x in r["data"]]
    if p == "instagram":
        media = r["data"] if "data" in r else r["business_discovery"]["media"]["data"]  # Business Discovery
        return [(x["id"], graph(x["timestamp"])) for x in media]
    if p == "x":
        return [(x["id"], dt.datetime.fromisoformat(x["created_at"].replace("Z", "+00:00"))) for x in r.get("data", [])]
    if p == "youtube":
        return [
            (x["id"], dt.datetime.fromisoformat(x["snippet"]["publishedAt"].replace("Z", "+00:00"))) for x in r["items"]
        ]
    return [(str(x["id"]), dt.datetime.fromtimestamp(x["create_time"], dt.UTC)) for x in r["data"]["videos"]]


def independent_counts(input_dir: Path, registry, start: dt.date, end: dt.date) -> Counter:
    """Distinct posts published in [start, end) WIB per (cluster, platform) of the institution
    accounts, counted from the envelopes (not from any table)."""
    owner = {(a.platform, a.account_id): i.cluster for i in registry.institutions for a in i.accounts}
    lo = dt.datetime.combine(start, dt.time(), WIB)
    hi = dt.datetime.combine(end, dt.time(), WIB)
    seen: set[tuple[str, str, str]] = set()
    counts: Counter = Counter()
    for env in _envelopes(input_dir):
        key = (env["platform"], str(env["account_id"]))
        if env["kind"] != "posts" or key not in owner:
            continue
        for post_id, published in _posts_of(env):
            if lo <= published < hi and (*key, post_id) not in seen:
                seen.add((*key, post_id))
                counts[(owner[key], env["platform"])] += 1
    return counts


def test_activity_counts_equal_a_count_from_the_envelopes(generated):
    wh, source, registry = generated
    for edition, end in (("2025", dt.date(2025, 10, 1)), ("2025h1", dt.date(2025, 4, 1))):
        expected = independent_counts(source / "input", registry, dt.date(2024, 10, 1), end)
        activity = wh.marts("outlook_activity", edition)
        got = {(r.cluster, r.platform): int(r.posts) for r in activity.itertuples() if r.posts}
        assert got == dict(expected), edition
        assert sum(got.values()) > 500
        # and the rankings count the same posts (most_active's posts_in_window)
        ranked = wh.query(
            "SELECT sum(posts_in_window) FROM main.rankings WHERE edition_id = ? AND category = 'most_active'",
            [edition],
        ).iloc[0, 0]
        assert int(ranked) == sum(got.values())


def test_churn_has_events_of_every_kind(generated):
    wh, _source, _registry = generated
    churn = wh.marts("outlook_churn", "2025")
    kinds = set(zip(churn.event, churn.source, strict=True))
    for kind in (
        ("created", "registry"),
        ("merged", "registry"),
        ("renamed", "registry"),
        ("started_posting", "observed"),
        ("went_silent", "observed"),
        ("handle_changed", "observed"),
    ):
        assert kind in kinds, (kind, sorted(kinds))
    merged = churn[churn.event == "merged"].iloc[0]
    assert merged.institution_id == "bps" and str(merged.event_date)[:10] == "2025-02-03"
    ui = churn[(churn.institution_id == "ui") & (churn.source == "observed")]
    assert {"started_posting", "went_silent"} <= set(ui.event)
    renamed = churn[(churn.event == "handle_changed") & (churn.institution_id == "kemenkum")]
    assert len(renamed) == 1 and renamed.iloc[0].platform == "instagram"


def test_collaboration_posts_are_more_liked_and_the_interval_says_so(generated):
    wh, _source, _registry = generated
    collab = wh.marts("outlook_collaboration", "2025")
    found = collab[collab.collab_posts > 0]
    assert len(found) >= 2 and found.collab_posts.max() > 100, collab
    for r in found.itertuples():
        assert r.interval_low <= r.median_er_difference <= r.interval_high
        assert r.collab_posts + r.other_posts == int(
            wh.query(
                """SELECT count(*) FROM main.outlook_posts WHERE edition_id = '2025' AND cluster = ? AND platform = ?
                   AND has_leader_account AND er IS NOT NULL""",
                [r.cluster, r.platform],
            ).iloc[0, 0]
        )
    # the generator makes them 1.8 times as liked: the effect is seen, and where the posts are many
    # the interval leaves zero out
    assert (found.median_er_difference > 0).sum() >= 2
    many = found[found.collab_posts > 100]
    assert (many.interval_low > 0).all() and (many.median_er_difference > 0).all()


def test_top_posts_are_real_posts_of_the_edition(generated):
    wh, _source, _registry = generated
    top = wh.marts("outlook_top_posts", "2025")
    assert len(top) > 0 and top.permalink.notna().all()
    real = wh.query(
        """SELECT t.post_id FROM main.outlook_top_posts t JOIN main.int_posts_scored s
             ON s.edition_id = t.edition_id AND s.platform = t.platform AND s.account_id = t.account_id
            AND s.post_id = t.post_id AND s.institution_id = t.institution_id
           WHERE t.edition_id = '2025'"""
    )
    assert len(real) == len(top)
    nominees = wh.query(
        "SELECT DISTINCT category, institution_id FROM main.rankings WHERE edition_id='2025' AND nominee"
    )
    assert set(zip(top.category, top.institution_id, strict=True)) <= set(
        zip(nominees.category, nominees.institution_id, strict=True)
    )


def test_gsm_outlook_json_and_html(generated, monkeypatch, capsys):
    from gsm_platform.cli import main

    wh, _source, _registry = generated
    home = wh.path.parent
    monkeypatch.setenv("GSM_HOME", str(home))
    monkeypatch.setenv("GSM_WAREHOUSE", str(wh.path))
    assert main(["outlook", "--edition", "2025", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["edition", "activity", "churn", "collaboration", "top_posts"]
    assert data["edition"] == "2025"
    assert {"cluster", "platform", "accounts_active", "posts"} <= set(data["activity"][0])
    assert {"event", "institution_id", "platform", "account_id", "event_date", "source"} <= set(data["churn"][0])
    assert {"collab_posts", "other_posts", "interval_low", "interval_high"} <= set(data["collaboration"][0])
    assert {"category", "cluster", "institution_id", "platform", "account_id", "post_id"} <= set(data["top_posts"][0])
    assert sum(r["posts"] for r in data["activity"]) == int(wh.marts("outlook_activity", "2025").posts.sum())

    assert main(["outlook", "--edition", "2025", "--compare", "2025h1", "--format", "json"]) == 0
    both = json.loads(capsys.readouterr().out)
    assert both["compare"]["edition"] == "2025h1" and both["change"]
    row = both["change"][0]
    assert row["posts_change"] == row["posts"] - row["posts_compare"] and row["posts"] >= row["posts_compare"]

    assert main(["outlook", "--edition", "2025", "--compare", "2025h1"]) == 0
    page_path = home / "reports" / "2025" / "outlook.html"
    assert f"wrote {page_path}" in capsys.readouterr().out
    page = page_path.read_text(encoding="utf-8")
    assert page.count("<svg") >= 6 and "<script" not in page and "<img" not in page
    assert "The collaboration effect" in page and "2025h1" in page
    # the same warehouse gives the same bytes
    assert main(["outlook", "--edition", "2025", "--compare", "2025h1"]) == 0
    assert page_path.read_text(encoding="utf-8") == page
    assert main(["outlook", "--edition", "2025", "--compare", "1999"]) == 2
    assert "1999" in capsys.readouterr().err


def test_the_outlook_checks_pass_and_catch_a_tampered_outlook(generated, tmp_path):
    """The checks read other tables than the ones they check: each passes on the built warehouse
    and fails when the checked table loses or gains what the other side holds."""
    import shutil

    import duckdb

    from checks import cleaned, outlook

    wh, _source, _registry = generated
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(wh.path, copy)
    with duckdb.connect(str(copy)) as conn:
        for check in (
            outlook.activity_matches_rankings,
            outlook.top_posts_are_edition_posts,
            outlook.churn_lists_registry_events,
        ):
            assert check(conn, "2025").passed, check.__name__
        assert cleaned.post_details_complete(conn).passed
        conn.execute("UPDATE main.outlook_activity SET posts = posts + 1 WHERE edition_id = '2025' AND platform = 'x'")
        assert not outlook.activity_matches_rankings(conn, "2025").passed
        conn.execute("UPDATE main.outlook_top_posts SET post_id = post_id || 'x' WHERE post_rank = 1")
        bad = outlook.top_posts_are_edition_posts(conn, "2025")
        assert not bad.passed and "no clean snapshot" in bad.description
        conn.execute("DELETE FROM main.outlook_churn WHERE source = 'registry' AND event = 'merged'")
        assert not outlook.churn_lists_registry_events(conn, "2025").passed
        conn.execute("DELETE FROM clean.post_details WHERE rowid IN (SELECT rowid FROM clean.post_details LIMIT 3)")
        lost = cleaned.post_details_complete(conn)
        assert not lost.passed and lost.metadata["posts_without_details"] == 3
