"""Every check can fail: each check function is fed bad data on a small DuckDB and fails, and
passes on the good data beside it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zlib

import duckdb
import pytest

from checks import award, cleaned, marts, raw, registry
from checks.outcome import RelationMissing, edition_fetch_days
from gsm_platform import warehouse
from gsm_platform.methodology import METHODOLOGY_FILE, load_methodology
from gsm_platform.rankings import ranking_rows, to_json
from gsm_platform.registry import load_editions, load_registry
from gsm_platform.registry_tables import write_registry_tables
from gsm_platform.vocabulary import CATEGORIES
from tests.support import FIXTURES_SAMPLES, SAMPLE_ACCOUNTS, build_clean, sample_editions, sample_registry

FB = SAMPLE_ACCOUNTS["facebook"]

TWO_CLUSTERS = """
institutions:
  - id: contoh
    name: Contoh Kementerian
    cluster: kementerian
    accounts:
      - {platform: facebook, account_id: "100064500000001"}
      - {platform: x, account_id: "1234567890"}
    leaders:
      - name: Menteri Contoh
        accounts: [{platform: x, account_id: "555"}]
  - id: lain
    name: Kementerian Lain
    cluster: kementerian
    accounts:
      - {platform: facebook, account_id: "200"}
    leaders:
      - name: Menteri Lain
        accounts: [{platform: x, account_id: "555"}]
  - id: badan
    name: Badan Contoh
    cluster: lembaga
    accounts:
      - {platform: facebook, account_id: "300"}
"""
TWO_CLUSTER_EDITIONS = """
editions:
  - {id: "2025", start: 2024-10-01, end: 2025-10-01, clusters: [kementerian, lembaga], platforms: [facebook, x]}
  - {id: "2024", start: 2023-10-01, end: 2024-10-01, clusters: [kementerian], platforms: [facebook, x]}
"""


def _warehouse(tmp_path, registry_text: str = TWO_CLUSTERS, editions_text: str = TWO_CLUSTER_EDITIONS):
    reg, eds = tmp_path / "registry.yaml", tmp_path / "editions.yaml"
    reg.write_text(registry_text)
    eds.write_text(editions_text)
    conn = warehouse.connect(tmp_path / "home" / "warehouse.duckdb")
    write_registry_tables(
        conn,
        load_registry(reg),
        load_editions(eds),
        load_methodology(),
        {"registry": reg, "editions": eds, "methodology": METHODOLOGY_FILE},
    )
    return conn


@pytest.fixture
def wh(tmp_path):
    conn = _warehouse(tmp_path)
    yield conn
    conn.close()


@pytest.fixture
def samples(tmp_path):
    """The platforms' sample envelopes, landed and cleaned: a warehouse where everything passes."""
    shutil.copytree(FIXTURES_SAMPLES, tmp_path / "input")
    conn, _ = build_clean(
        tmp_path / "home",
        tmp_path / "input",
        sample_registry(tmp_path / "r.yaml"),
        sample_editions(tmp_path / "e.yaml"),
    )
    yield conn
    conn.close()


def add_post(
    conn,
    post_id,
    published,
    fetched="2025-06-01 10:00:00",
    platform="facebook",
    account=FB,
    interactions=10,
    views=None,
    line=1,
    position=None,
):
    conn.execute(
        """INSERT INTO clean.post_snapshots VALUES (?, ?, ?, ?, ?, CAST(? AS TIMESTAMP)::DATE, 'image', ?, 0, 0,
                   NULL, ?, false, ?, 'landing/files/t.jsonl', ?, ?)""",
        [
            platform,
            account,
            post_id,
            published,
            fetched,
            fetched,
            interactions,
            interactions,
            views,
            line,
            position if position is not None else zlib.crc32(post_id.encode()) % 1_000_000,
        ],
    )


def add_followers(conn, followers, fetched, platform="facebook", account=FB, line=1):
    conn.execute(
        "INSERT INTO clean.follower_snapshots (platform, account_id, fetched_at, fetch_date, followers, origin, "
        "source_file, source_line, source_position)"
        " VALUES (?, ?, ?, CAST(? AS TIMESTAMP)::DATE, ?, 'profile', 'f', ?, 0)",
        [platform, account, fetched, fetched, followers, line],
    )


# ----------------------------------------------------------------------------- registry


def test_an_account_two_institutions_claim_fails(wh):
    assert registry.accounts_claimed_once(wh).passed  # leader account 555 shared by two leaders: not scored, fine
    wh.execute("INSERT INTO registry.accounts VALUES ('badan', 'facebook', '100064500000001', NULL, 'institution')")
    outcome = registry.accounts_claimed_once(wh)
    assert not outcome.passed
    assert "claimed by several institutions" in outcome.description and "badan, contoh" in outcome.description


def test_an_account_listed_twice_by_one_institution_fails(tmp_path):
    # the YAML loader accepts this (same institution); every post of the account would count twice
    twice = TWO_CLUSTERS.replace(
        '      - {platform: x, account_id: "1234567890"}',
        '      - {platform: x, account_id: "1234567890"}\n      - {platform: x, account_id: "1234567890"}',
    )
    conn = _warehouse(tmp_path, twice)
    outcome = registry.accounts_claimed_once(conn)
    assert not outcome.passed and "listed more than once by the same institution" in outcome.description
    assert outcome.metadata["offending_accounts"][0]["account_id"] == "1234567890"


# ----------------------------------------------------------------------------- raw


def test_a_missing_or_changed_landed_file_fails(samples):
    home = raw.warehouse_home(samples)
    assert raw.landed_files_intact(samples).passed
    path = samples.execute("SELECT path FROM clean.landed_files ORDER BY path LIMIT 1").fetchone()[0]
    target = home / path
    target.chmod(0o644)
    target.write_text(target.read_text() + " ")
    outcome = raw.landed_files_intact(samples)
    assert not outcome.passed and "size changed" in outcome.metadata["problems"][0]["problem"]
    target.unlink()
    assert raw.landed_files_intact(samples).metadata["problems"][0]["problem"] == "missing"


def test_an_envelope_indexed_twice_or_from_nowhere_fails(samples):
    assert raw.envelopes_indexed_once(samples, platform="x").passed
    samples.execute("INSERT INTO raw.envelopes SELECT * FROM raw.envelopes WHERE platform = 'x' LIMIT 1")
    outcome = raw.envelopes_indexed_once(samples, platform="x")
    assert not outcome.passed and outcome.metadata["indexed_twice"] == 1
    assert raw.envelopes_indexed_once(samples, platform="facebook").passed
    samples.execute(
        "INSERT INTO raw.envelopes SELECT 'landing/files/gone.jsonl', source_line, platform, kind, account_id, "
        "fetched_at, fetch_date, text FROM raw.envelopes WHERE platform = 'facebook' LIMIT 1"
    )
    outcome = raw.envelopes_indexed_once(samples, platform="facebook")
    assert not outcome.passed and "not in clean.landed_files" in outcome.description


# ----------------------------------------------------------------------------- cleaned


def test_reconciliation_that_does_not_balance_fails(samples):
    assert cleaned.reconciliation_balanced(samples).passed
    samples.execute("UPDATE clean.reconciliation SET raw_records = raw_records + 1 WHERE platform = 'x'")
    outcome = cleaned.reconciliation_balanced(samples)
    assert not outcome.passed and outcome.metadata["unbalanced"][0]["platform"] == "x"
    assert "read 3 != 2 clean + 0 duplicates + 0 quarantined" in outcome.description


def test_a_record_the_reconciliation_counts_but_no_table_holds_fails(samples):
    samples.execute("DELETE FROM clean.post_snapshots WHERE post_id = 'dQw4w9WgXcQ'")  # silently dropped
    outcome = cleaned.reconciliation_balanced(samples)
    assert not outcome.passed
    assert "reconciliation says 2 clean, clean.post_snapshots holds 1" in outcome.metadata["unbalanced"][0]["problem"]


def test_reconciliation_reads_only_its_fetch_days(samples):
    samples.execute("UPDATE clean.reconciliation SET raw_records = raw_records + 1")
    day = samples.execute("SELECT min(fetch_date) FROM clean.reconciliation").fetchone()[0]
    before = (day - dt.timedelta(days=10), day - dt.timedelta(days=9))
    assert cleaned.reconciliation_balanced(samples, fetch_days=before).passed
    assert not cleaned.reconciliation_balanced(samples, fetch_days=(day, day + dt.timedelta(days=1))).passed
    assert not cleaned.reconciliation_balanced(samples, "2025").passed  # the edition's fetch days hold that day


def test_a_non_empty_quarantine_warns(wh):
    assert cleaned.quarantine_empty(wh).passed
    for line, value in ((1, "12k"), (2, "many")):
        wh.execute(
            """INSERT INTO clean.quarantine VALUES ('landing/files/a.jsonl', ?, 0, 'x', 'posts', '1', DATE '2025-03-02',
                      'count public_metrics.like_count "' || ? || '" is not a non-negative whole number', '{}', 'post',
                      '19')""",
            [line, value],
        )
    outcome = cleaned.quarantine_empty(wh)
    assert not outcome.passed and outcome.metadata["quarantined"] == 2
    # reasons group by kind of damage, without the quoted values
    assert outcome.metadata["by_reason"] == [
        {
            "platform": "x",
            "record_kind": "post",
            "records": 2,
            "reason": 'count public_metrics.like_count "…" is not a non-negative whole number',
        }
    ]


@pytest.mark.parametrize(
    "series, jumps",
    [
        ([(100, "2025-03-01"), (140, "2025-03-04")], 0),  # +40%: fine
        ([(100, "2025-03-01"), (160, "2025-03-04")], 1),  # +60% in 3 days
        ([(100, "2025-03-01"), (130, "2025-03-03"), (160, "2025-03-05")], 1),  # +60% in two steps
        ([(100, "2025-03-01"), (200, "2025-03-10")], 0),  # +100% but over 9 days
        ([(100, "2025-03-01"), (40, "2025-03-02")], 1),  # -60%
    ],
)
def test_a_follower_count_jumping_more_than_half_within_a_week_warns(wh, series, jumps):
    for followers, day in series:
        add_followers(wh, followers, f"{day} 09:00:00")
    outcome = cleaned.follower_jumps(wh)
    assert outcome.passed == (jumps == 0)
    assert outcome.metadata["jumps"] == jumps


# ----------------------------------------------------------------------------- marts


def make_mart(
    conn,
    name,
    rows,
    columns="edition_id VARCHAR, category VARCHAR, cluster VARCHAR, rank INTEGER, institution_id VARCHAR, score DOUBLE",
):
    conn.execute(f"CREATE OR REPLACE TABLE main.{name} ({columns})")
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        conn.executemany(f"INSERT INTO main.{name} VALUES ({marks})", rows)


def ranking_table(conn, rows):
    """main.rankings with the columns gsm_platform/rankings.py reads."""
    make_mart(
        conn,
        "rankings",
        [(e, c, cl, rank, inst, inst.title(), score, nominee, "v1") for e, c, cl, rank, inst, score, nominee in rows],
        "edition_id VARCHAR, category VARCHAR, cluster VARCHAR, rank INTEGER, institution_id VARCHAR, "
        "institution_name VARCHAR, score DOUBLE, nominee BOOLEAN, methodology_version VARCHAR",
    )


def full_rankings(edition="2025", clusters=("kementerian", "lembaga")):
    members = {"kementerian": [("contoh", 80.0), ("lain", 20.0)], "lembaga": [("badan", 100.0)]}
    return [
        (edition, cat, cl, rank, inst, score, True)
        for cat in CATEGORIES
        for cl in clusters
        for rank, (inst, score) in enumerate(members[cl], start=1)
    ]


@pytest.mark.parametrize(
    "score, ok",
    [
        (0.0, True),
        (100.0, True),
        (0.7 * 100 + 0.3 * 100, True),
        (100.5, False),
        (-0.1, False),
        (None, False),
        (float("nan"), False),
    ],
)
def test_a_score_outside_0_100_fails(wh, score, ok):
    make_mart(
        wh,
        "most_active",
        [
            ("2025", "most_active", "kementerian", 1, "contoh", 50.0),
            ("2025", "most_active", "kementerian", 2, "lain", score),
        ],
    )
    outcome = marts.scores_in_range(wh, "2025", model="most_active")
    assert outcome.passed == ok, outcome.description


def test_score_check_reads_its_edition_and_needs_its_mart(wh):
    make_mart(
        wh,
        "best_account",
        [
            ("2024", "best_account", "kementerian", 1, "contoh", 150.0),
            ("2025", "best_account", "kementerian", 1, "contoh", 50.0),
        ],
    )
    assert marts.scores_in_range(wh, "2025", model="best_account").passed
    assert not marts.scores_in_range(wh, "2024", model="best_account").passed
    assert not marts.scores_in_range(wh, None, model="best_account").passed  # no partition: every edition
    make_mart(wh, "most_engaging", [("2025", "x", 1)], "edition_id VARCHAR, institution_id VARCHAR, posts INTEGER")
    assert "no score column" in marts.scores_in_range(wh, "2025", model="most_engaging").description
    with pytest.raises(RelationMissing):
        marts.scores_in_range(wh, "2025", model="best_use_of_video")


@pytest.mark.parametrize(
    "ranks, problem",
    [
        ((1, 2, 3), None),
        ((1, 3, 4), "ranks 1..4 for 3 rows"),
        ((1, 1, 2), "duplicate rank"),
        ((2, 3, 4), "ranks 2..4"),
        ((1, 2, None), "missing rank"),
    ],
)
def test_a_rank_gap_or_duplicate_fails(wh, ranks, problem):
    rows = [("2025", "most_active", "kementerian", r, f"i{n}", 10.0 * n) for n, r in enumerate(ranks)]
    rows += [("2025", "most_engaging", "kementerian", r, f"i{n}", 1.0) for n, r in enumerate((1, 2, 3))]
    make_mart(wh, "rankings", rows)
    outcome = marts.ranks_contiguous(wh, "2025", model="rankings")
    assert outcome.passed == (problem is None)
    if problem:
        assert len(outcome.metadata["bad_groups"]) == 1  # only the broken (edition, category, cluster)
        assert problem in outcome.metadata["bad_groups"][0]["problem"]
        assert "category=most_active, cluster=kementerian" in outcome.description


def test_an_edition_cluster_without_ranked_institutions_fails(wh):
    ranking_table(wh, full_rankings())
    assert marts.every_cluster_ranked(wh, "2025").passed
    ranking_table(wh, full_rankings(clusters=("kementerian",)))
    outcome = marts.every_cluster_ranked(wh, "2025")
    assert not outcome.passed and "2025 lembaga" in outcome.description
    ranking_table(wh, [r for r in full_rankings() if r[1] != "best_use_of_video"])
    assert not marts.every_cluster_ranked(wh, "2025").passed  # one category missing
    assert not marts.every_cluster_ranked(wh, "2024").passed  # an edition with no rows at all


def test_institutions_ranked_must_be_those_with_posts(wh):
    add_post(wh, "p1", "2025-03-01 10:00:00", account=FB)  # contoh
    add_post(wh, "p2", "2025-03-01 10:00:00", account="200")  # lain
    add_post(wh, "p3", "2025-03-01 10:00:00", account="300")  # badan
    ranking_table(wh, full_rankings())
    assert marts.institutions_with_posts_ranked(wh, "2025").passed
    wh.execute("DELETE FROM clean.post_snapshots WHERE post_id = 'p2'")
    outcome = marts.institutions_with_posts_ranked(wh, "2025")
    assert not outcome.passed and "lain (2025) is ranked but has no post in the window" in outcome.description
    add_post(wh, "p2", "2025-03-01 10:00:00", account="200")
    ranking_table(wh, [r for r in full_rankings() if not (r[4] == "badan" and r[1] == "most_active")])
    assert "ranked in 4 of 5 categories" in marts.institutions_with_posts_ranked(wh, "2025").description


def test_an_account_without_posts_in_the_window_warns(wh):
    for account in (FB, "200", "300"):
        add_post(wh, f"p-{account}", "2025-03-01 10:00:00", account=account)
    add_post(wh, "x1", "2024-09-30 23:59:00", platform="x", account="1234567890")  # before the 2025 window
    outcome = marts.accounts_have_posts(wh, "2025")
    assert not outcome.passed
    assert [(e["platform"], e["account_id"]) for e in outcome.metadata["examples"]] == [("x", "1234567890")]
    add_post(wh, "x2", "2024-10-01 00:00:00", platform="x", account="1234567890")  # the first instant of the window
    assert marts.accounts_have_posts(wh, "2025").passed


@pytest.mark.parametrize("history, outlier, flagged", [(20, 0.5, 1), (20, 0.05, 0), (19, 0.5, 0)])
def test_an_er_far_above_its_accounts_history_warns(wh, history, outlier, flagged):
    add_followers(wh, 10_000, "2024-12-01 09:00:00")
    for n in range(history):  # er 0.01 each; history = the account's other posts
        add_post(wh, f"h{n}", f"2025-01-{n + 1:02d} 10:00:00", interactions=100, position=n)
    add_post(wh, "viral", "2025-02-01 10:00:00", interactions=int(outlier * 10_000), position=999)
    outcome = marts.engagement_outliers(wh, "2025")
    assert outcome.metadata["outliers"] == flagged
    if flagged:
        assert not outcome.passed and outcome.metadata["examples"][0]["post_id"] == "viral"
        assert marts.engagement_outliers(wh, "2024").passed  # the post is not in the 2024 window


def test_tiktok_er_divides_by_views(wh):
    for n in range(20):
        add_post(
            wh,
            f"t{n}",
            f"2025-01-{n + 1:02d} 10:00:00",
            platform="tiktok",
            account="tt",
            interactions=10,
            views=1000,
            position=n,
        )
    add_post(
        wh, "tv", "2025-02-01 10:00:00", platform="tiktok", account="tt", interactions=900, views=1000, position=99
    )
    outcome = marts.engagement_outliers(wh, None)  # no follower snapshot at all: tiktok needs none
    assert not outcome.passed and outcome.metadata["examples"][0]["times_median"] == 90.0


# ----------------------------------------------------------------------------- the final rankings asset


def test_a_wrong_nominee_flag_fails(wh):
    rows = full_rankings()
    ranking_table(wh, rows)
    assert award.nominees_consistent(wh, "2025").passed
    ranking_table(wh, [(*r[:6], r[5] > 0 and r[3] <= 5 and r[4] != "lain") for r in rows])
    outcome = award.nominees_consistent(wh, "2025")
    assert not outcome.passed and "not a nominee but rank <= 5 and score > 0" in outcome.description
    zero = [(*r[:5], 0.0 if r[4] == "lain" else r[5], True) for r in rows]
    ranking_table(wh, zero)
    assert "nominee but rank > 5 or score = 0" in award.nominees_consistent(wh, "2025").description
    wh.execute("UPDATE main.rankings SET methodology_version = 'v0', nominee = (score > 0)")
    assert "methodology version differs" in award.nominees_consistent(wh, "2025").description


def test_an_export_that_differs_from_the_warehouse_fails(wh):
    ranking_table(wh, full_rankings())
    home = raw.warehouse_home(wh)
    out = home / "exports" / "2025" / "rankings.json"
    assert "export missing" in award.export_matches_warehouse(wh, "2025").description
    out.parent.mkdir(parents=True)
    out.write_text(to_json(ranking_rows(wh, "2025")) + "\n")
    assert award.export_matches_warehouse(wh, "2025").passed
    edited = json.loads(out.read_text())
    edited[0]["score"] += 1
    out.write_text(json.dumps(edited))
    assert "1 row(s) differ" in award.export_matches_warehouse(wh, "2025").description


def test_an_edition_reads_its_fetch_days_through_the_settle_days(wh):
    # 2025: 2024-10-01 .. 2025-10-01, settle 7 days -> fetch days through 2025-10-08
    assert edition_fetch_days(wh, "2025") == (dt.date(2024, 10, 1), dt.date(2025, 10, 9))


def test_checks_only_read(samples, tmp_path):
    """The Dagster checks open the warehouse read-only; the functions must not write."""
    path = samples.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    samples.close()
    with duckdb.connect(path, read_only=True) as ro:
        for fn in (
            cleaned.reconciliation_balanced,
            cleaned.quarantine_empty,
            cleaned.follower_jumps,
            registry.accounts_claimed_once,
            marts.accounts_have_posts,
            marts.engagement_outliers,
        ):
            fn(ro, "2025")
        raw.landed_files_intact(ro)
        raw.envelopes_indexed_once(ro, platform="x")


def test_a_landed_file_without_all_its_envelopes_fails(samples):
    """Issue 14: files recorded as landed but never indexed were skipped on every later run."""
    assert raw.landed_files_indexed(samples).passed
    path = samples.execute("SELECT path FROM clean.landed_files ORDER BY path LIMIT 1").fetchone()[0]
    samples.execute("DELETE FROM raw.envelopes WHERE source_file = ?", [path])
    outcome = raw.landed_files_indexed(samples)
    assert not outcome.passed and outcome.metadata["problems"][0] == {
        "path": path,
        "envelopes_landed": 1,
        "rows_indexed": 0,
    }
    # a file landed before the count was recorded is counted from its landed copy
    samples.execute("UPDATE clean.landed_files SET envelopes = NULL")
    assert raw.landed_files_indexed(samples).metadata["problems"][0]["envelopes_landed"] == 1
