"""Source freshness (checks/freshness.py): dbt's rule read from _sources.yml and applied in SQL,
the same verdict as `dbt source freshness` itself on a real edition, and the check run by the
clean job of a real materialization."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess

import dagster as dg
import duckdb
import pytest

from checks.freshness import FRESHNESS_SOURCES, SOURCE_FRESHNESS, declared_freshness, freshness_outcomes, status
from tests.dbt_support import DBT, DBT_PROJECT

POSTS, FOLLOWERS = FRESHNESS_SOURCES
NOW = dt.datetime(2025, 11, 4, 4, 12, 50, tzinfo=dt.UTC)


def _warehouse(newest_post_wib: str | None, newest_follower_wib: str | None) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA clean")
    for table, newest in (("post_snapshots", newest_post_wib), ("follower_snapshots", newest_follower_wib)):
        conn.execute(f"CREATE TABLE clean.{table} (fetched_at TIMESTAMP)")
        if newest:
            conn.execute(f"INSERT INTO clean.{table} VALUES (TIMESTAMP '2020-01-01'), (TIMESTAMP '{newest}')")
    return conn


def test_the_rule_is_read_from_the_sources_file():
    declared = declared_freshness()
    assert set(declared) == set(FRESHNESS_SOURCES)
    for d in declared.values():
        assert d.warn_after == {"count": 2, "period": "day"}
        assert d.loaded_at_sql == "fetched_at - to_hours(7)"  # the WIB offset, from the vocabulary's vars


def test_fresh_passes_and_stale_warns_with_the_wib_offset_applied():
    # newest post 1 h old in UTC: 10:12:50 WIB is 03:12:50 UTC; newest follower count 3 days old
    conn = _warehouse("2025-11-04 10:12:50", "2025-11-01 11:12:50")
    outcomes = freshness_outcomes(conn, NOW)
    assert outcomes[POSTS].passed and "1.0 h ago" in outcomes[POSTS].description
    assert outcomes[POSTS].metadata["max_loaded_at_utc"] == "2025-11-04T03:12:50+00:00"
    assert not outcomes[FOLLOWERS].passed and outcomes[FOLLOWERS].metadata["age_hours"] == 72.0
    assert "stale (warn)" in outcomes[FOLLOWERS].description


def test_dbt_bounds_are_strict_and_error_comes_first():
    d = declared_freshness()[POSTS]
    two_days = 2 * 86400
    assert status(d, two_days) == "pass" and status(d, two_days + 1) == "warn"  # dbt: age > bound
    stricter = type(d)(**{**d.__dict__, "error_after": {"count": 12, "period": "hour"}})
    assert status(stricter, 13 * 3600) == "error"
    assert status(type(d)(**{**d.__dict__, "warn_after": {"count": None, "period": "day"}}), 1e9) == "pass"


def test_an_empty_table_or_a_missing_table_is_no_pass():
    """dbt reads an empty table as infinitely old; a query that fails is no pass either."""
    outcomes = freshness_outcomes(_warehouse(None, "2025-11-04 10:00:00"), NOW)
    assert not outcomes[POSTS].passed and "holds no row" in outcomes[POSTS].description
    assert outcomes[FOLLOWERS].passed
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA clean")
    outcomes = freshness_outcomes(conn, NOW)
    assert not any(o.passed for o in outcomes.values())
    assert all("could not measure" in o.description for o in outcomes.values())


def test_a_missing_declaration_fails(tmp_path, monkeypatch):
    import checks.freshness as freshness

    text = freshness.SOURCES_YML.read_text().replace("freshness:", "no_freshness:")
    (tmp_path / "_sources.yml").write_text(text)
    monkeypatch.setattr(freshness, "SOURCES_YML", tmp_path / "_sources.yml")
    outcomes = freshness.freshness_outcomes(_warehouse("2025-11-04 10:00:00", "2025-11-04 10:00:00"), NOW)
    assert not any(o.passed for o in outcomes.values())
    assert all("no freshness" in o.description for o in outcomes.values())


def test_the_same_verdict_as_dbt_source_freshness(small_edition, tmp_path):
    """dbt itself, run by hand on a copy of a real warehouse, and this module agree on each
    source's newest loaded_at and status (the age differs only by the seconds between the two)."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(small_edition.home / "warehouse.duckdb", warehouse)
    env = {**os.environ, "GSM_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target = tmp_path / "target"
    subprocess.run(
        [str(DBT), "source", "freshness", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)]
        + ["--target-path", str(target), "--log-path", str(tmp_path / "logs"), "--vars", '{"edition_id": "2025"}'],
        cwd=DBT_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    results = {r["unique_id"]: r for r in json.loads((target / "sources.json").read_text())["results"]}
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        ours = freshness_outcomes(conn)
    for unique_id in FRESHNESS_SOURCES:
        theirs = results[unique_id]
        assert ours[unique_id].metadata["status"] == theirs["status"], unique_id
        assert dt.datetime.fromisoformat(ours[unique_id].metadata["max_loaded_at_utc"]) == dt.datetime.fromisoformat(
            theirs["max_loaded_at"]
        )
        assert ours[unique_id].metadata["age_hours"] == pytest.approx(
            theirs["max_loaded_at_time_ago_in_s"] / 3600, abs=0.2
        )


def test_the_clean_job_runs_the_freshness_check(small_edition):
    """The check ran in the materialization's clean run, on both cleaned tables, as a warning;
    fetched_at read as WIB (shifted to UTC by the WIB offset)."""
    with dg.DagsterInstance.from_config(str(small_edition.home / "dagster")) as instance:
        clean_run = next(r for r in instance.get_runs() if r.job_name == "clean")
        evaluations = [
            e.asset_check_evaluation_data
            for e in (r.get_dagster_event() for r in instance.all_logs(clean_run.run_id) if r.is_dagster_event)
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
        ]
    freshness = {e.asset_key.to_user_string(): e for e in evaluations if e.check_name == SOURCE_FRESHNESS}
    assert set(freshness) == {"clean/post_snapshots", "clean/follower_snapshots"}
    for evaluation in freshness.values():
        state = evaluation.metadata["status"].value
        assert state in ("pass", "warn"), evaluation.description
        assert evaluation.passed == (state == "pass")
        assert evaluation.severity == dg.AssetCheckSeverity.WARN
        assert evaluation.metadata["max_loaded_at_utc"].value.endswith("+00:00")
