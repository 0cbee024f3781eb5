"""`gsm quality`'s report: its exact shape, its scope per edition, and the table a person reads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from gsm_platform.audit.quality import format_quality_table, quality_report
from gsm_platform.registry import RegistryError
from tests.support import build_clean, sample_registry

BAD = Path(__file__).parent / "fixtures" / "bad"
TWO_EDITIONS = """editions:
  - {id: "2025", start: 2024-10-01, end: 2025-10-01, clusters: [kementerian],
     platforms: [facebook, instagram, x, youtube, tiktok]}
  - {id: "2024", start: 2023-10-01, end: 2024-10-01, clusters: [kementerian],
     platforms: [facebook, instagram, x, youtube, tiktok]}
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    shutil.copytree(BAD, base / "input")
    (base / "editions.yaml").write_text(TWO_EDITIONS)
    conn, _ = build_clean(
        base / "home", base / "input", sample_registry(base / "registry.yaml"), base / "editions.yaml"
    )
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def report(corpus):
    return quality_report(corpus, "2025")


def test_the_report_has_exactly_its_shape(report):
    assert set(report) == {"edition", "scope", "counts", "quarantine", "checks"}
    assert report["edition"] == "2025"
    assert report["scope"].startswith("edition 2025's fetch days 2024-10-01 .. 2025-10-08")
    assert set(report["counts"]) == {"scope", "envelopes", "post_records", "profile_records"}
    assert set(report["counts"]["envelopes"]) == {"indexed", "parsed", "quarantined", "balanced"}
    assert set(report["counts"]["post_records"]) == {"read", "clean", "duplicates", "quarantined", "balanced"}
    assert set(report["counts"]["profile_records"]) == {"read", "snapshots", "quarantined", "balanced"}
    assert all(
        set(q)
        == {"source_file", "line", "position", "post_id", "platform", "kind", "reason", "account_id", "fetch_date"}
        for q in report["quarantine"]
    )
    assert {q["kind"] for q in report["quarantine"]} == {"post", "profile", "envelope"}
    assert all(set(c) == {"asset", "check", "passed", "severity", "description"} for c in report["checks"])
    json.dumps(report)


def test_the_report_reconciles_and_lists_the_quarantine(corpus, report):
    c = report["counts"]
    r, f, e = c["post_records"], c["profile_records"], c["envelopes"]
    assert r["read"] == r["clean"] + r["duplicates"] + r["quarantined"] and r["duplicates"] == 2 and r["balanced"]
    assert f["read"] == f["snapshots"] + f["quarantined"] and f["balanced"]
    assert e["indexed"] == e["parsed"] + e["quarantined"] and e["balanced"]
    assert len(report["quarantine"]) == corpus.execute("SELECT count(*) FROM clean.quarantine").fetchone()[0]
    assert len(report["quarantine"]) == r["quarantined"] + f["quarantined"]  # a whole envelope is one of either
    assert {
        "source_file": "landing/files/truncated.jsonl",
        "line": 3,
        "position": None,
        "post_id": None,
        "platform": None,
        "kind": "envelope",
        "reason": "line is not valid JSON (truncated or corrupt file)",
        "account_id": None,
        "fetch_date": None,
    } in report["quarantine"]
    # a post of a page: its position in the page and its id
    assert {
        "source_file": "landing/files/negative_count.jsonl",
        "line": 3,
        "position": 0,
        "post_id": "1895000000000001501",
        "platform": "x",
        "kind": "post",
        "reason": 'count public_metrics.retweet_count "-1" is not a non-negative whole number',
        "account_id": "1234567890",
        "fetch_date": "2025-03-02",
    } in report["quarantine"]


def test_the_report_runs_the_checks_the_warehouse_has_tables_for(report):
    checks = {(c["asset"], c["check"]): c for c in report["checks"]}
    assert checks[("clean/post_snapshots", "reconciliation_balanced")]["passed"]
    assert checks[("clean/post_snapshots", "great_expectations_suite")]["passed"]
    warning = checks[("clean/quarantine", "quarantine_empty")]
    assert not warning["passed"] and warning["severity"] == "WARN"
    assert checks[("registry/accounts", "accounts_claimed_once")]["severity"] == "ERROR"
    assert not any(asset.startswith("marts/") or asset == "rankings" for asset, _ in checks)  # no award built yet


def test_an_edition_reads_its_fetch_days_only(corpus, report):
    other = quality_report(corpus, "2024")  # fetch days 2023-10-01 .. 2024-10-08: none of the corpus's
    # only the lines whose fetch time cannot be read belong to every edition
    unreadable = {
        r[0] for r in corpus.execute("SELECT source_file FROM clean.quarantine WHERE fetch_date IS NULL").fetchall()
    }
    assert {
        "landing/files/truncated.jsonl",
        "landing/files/not_json.jsonl",
        "landing/files/missing_field.jsonl",
        "landing/files/bad_fetched_at.jsonl",
    } <= unreadable
    assert {q["source_file"] for q in other["quarantine"]} == unreadable
    assert other["counts"]["post_records"]["clean"] == 0
    everything = quality_report(corpus, None)
    assert everything["edition"] is None and everything["scope"].startswith("the whole landing")
    assert {k: v for k, v in everything["counts"].items() if k != "scope"} == {
        k: v for k, v in report["counts"].items() if k != "scope"
    }
    with pytest.raises(RegistryError, match="not in the warehouse's registry"):
        quality_report(corpus, "1999")


def test_a_failing_check_shows_in_the_report_and_the_table(corpus, tmp_path):
    db = corpus.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    copy = tmp_path / "home" / "warehouse.duckdb"
    copy.parent.mkdir()
    corpus.execute("CHECKPOINT")
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute("UPDATE clean.reconciliation SET clean = clean + 1 WHERE platform = 'x'")
        broken = quality_report(conn, "2025")
    check = next(c for c in broken["checks"] if c["check"] == "reconciliation_balanced")
    assert not check["passed"] and check["severity"] == "ERROR"
    table = format_quality_table(broken)
    assert "NOT BALANCED" in table
    lines = table.splitlines()
    first_check = next(i for i, line in enumerate(lines) if line.strip().startswith("result"))
    assert lines[first_check + 1].split()[:2] == ["FAIL", "ERROR"]  # failures first
    first = broken["quarantine"][0]
    assert (
        f"  {first['source_file']}:{first['line']}  {first['platform'] or '-'} {first['kind']}: {first['reason']}"
    ) in table


def test_the_table_for_a_person(report):
    table = format_quality_table(report)
    r = report["counts"]["post_records"]
    assert table.startswith("Data quality (edition 2025)")
    assert f"scope: {report['scope']}" in table
    assert (
        f"post records: {r['read']} read = {r['clean']} clean + {r['duplicates']} duplicates + "
        f"{r['quarantined']} quarantined (balanced)"
    ) in table
    post = next(q for q in report["quarantine"][:50] if q["post_id"])  # the table lists the first 50
    assert (
        f"  {post['source_file']}:{post['line']} #{post['position']}  {post['platform']} post {post['post_id']}: "
        f"{post['reason']}"
    ) in table
    assert f"quarantine: {len(report['quarantine'])} record(s)" in table
    assert "warn    WARN      clean/quarantine" in table
