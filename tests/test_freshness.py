"""Source freshness (checks/freshness.py): dbt's verdict read right, and the check run by the
clean job of a real materialization."""

from __future__ import annotations

import dagster as dg

from checks.freshness import FRESHNESS_SOURCES, SOURCE_FRESHNESS, freshness_outcomes

POSTS, FOLLOWERS = FRESHNESS_SOURCES


def _result(unique_id: str, status: str, age_s: float) -> dict:
    return {
        "unique_id": unique_id,
        "status": status,
        "max_loaded_at": "2025-11-03T04:12:50+00:00",
        "snapshotted_at": "2025-11-04T04:12:50+00:00",
        "max_loaded_at_time_ago_in_s": age_s,
        "criteria": {"warn_after": {"count": 2, "period": "day"}, "error_after": {"count": None, "period": None}},
    }


def test_fresh_passes_and_stale_warns():
    outcomes = freshness_outcomes({"results": [_result(POSTS, "pass", 3600), _result(FOLLOWERS, "warn", 3 * 86400)]})
    assert outcomes[POSTS].passed and "1.0 h ago" in outcomes[POSTS].description
    assert not outcomes[FOLLOWERS].passed and outcomes[FOLLOWERS].metadata["age_hours"] == 72.0
    assert "stale (warn)" in outcomes[FOLLOWERS].description


def test_a_source_dbt_did_not_report_fails():
    """No result (dbt failed, or the freshness declaration was removed) is no pass."""
    outcomes = freshness_outcomes({"results": [_result(POSTS, "runtime error", 0)]})
    assert not outcomes[POSTS].passed and "could not measure" in outcomes[POSTS].description
    assert not outcomes[FOLLOWERS].passed and "did not report" in outcomes[FOLLOWERS].description
    assert not any(o.passed for o in freshness_outcomes({}).values())


def test_the_clean_job_runs_dbt_source_freshness(small_edition):
    """The check ran in the materialization's clean run, on both cleaned tables, with dbt's
    status, as a warning; dbt read fetched_at as WIB (shifted to UTC by the WIB offset)."""
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
        status = evaluation.metadata["dbt_status"].value
        assert status in ("pass", "warn"), evaluation.description
        assert evaluation.passed == (status == "pass")
        assert evaluation.severity == dg.AssetCheckSeverity.WARN
        assert evaluation.metadata["max_loaded_at_utc"].value.endswith("+00:00")
