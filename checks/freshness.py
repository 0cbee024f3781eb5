"""Source freshness: the `freshness` that dbt_project/models/staging/_sources.yml declares on the
cleaned snapshots (warn after 2 days without a newer fetched_at), run by `dbt source freshness`
from a Dagster asset check on the cleaned assets, so that the declaration is acted on and
shown where people look (the UI's checks, beside the ledgers).

It warns, never blocks: an edition that ended months ago is complete with old data (the demo's
newest fetch is in 2025), so staleness is a question for a person ("are the daily pulls still
landing?"), not a reason to stop a run. The rule lives in the YAML alone; this module reads dbt's
verdict from target/sources.json. fetched_at is a naive WIB time and dbt reads a naive time as
UTC, so loaded_at_field shifts it back by the WIB offset (var('wib_offset_hours')).

Cost: one dbt invocation per run that cleans (partial parsing holds: same target folder as
`dbt build`); measured ~2 s of dbt's own time plus its start-up on 2 shared cores.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource

from checks.outcome import CheckOutcome
from gsm_platform.paths import warehouse_path
from gsm_platform.resources import dbt_target_dir
from gsm_platform.warehouse import WAREHOUSE_POOL
from gsm_platform.warehouse.gate import gate

SOURCE_FRESHNESS = "source_freshness"
# dbt source (schema.table) -> the Dagster asset that writes it (meta.dagster.asset_key)
FRESHNESS_SOURCES = {
    "source.gsm_award.clean.post_snapshots": ("clean", "post_snapshots"),
    "source.gsm_award.clean.follower_snapshots": ("clean", "follower_snapshots"),
}
DESCRIPTION = (
    "dbt source freshness (declared in _sources.yml): warns when the newest fetched_at of the table is "
    "older than the declared bound (2 days): the daily pulls may have stopped landing."
)


def freshness_outcomes(sources_json: dict[str, Any]) -> dict[str, CheckOutcome]:
    """dbt's sources.json -> an outcome per source of FRESHNESS_SOURCES. A source dbt did not
    report (its freshness undeclared, or dbt failed on it) fails, saying so: silence is no pass."""
    results = {r["unique_id"]: r for r in sources_json.get("results", [])}
    outcomes = {}
    for unique_id in FRESHNESS_SOURCES:
        result = results.get(unique_id)
        if result is None:
            outcomes[unique_id] = CheckOutcome(False, f"dbt source freshness did not report {unique_id}", {})
            continue
        status = result.get("status")
        age = result.get("max_loaded_at_time_ago_in_s")
        criteria = result.get("criteria") or {}
        metadata = {
            "dbt_status": status,
            "max_loaded_at_utc": result.get("max_loaded_at"),
            "checked_at_utc": result.get("snapshotted_at"),
            "age_hours": round(age / 3600, 1) if isinstance(age, (int, float)) else None,
            "warn_after": json.dumps(criteria.get("warn_after")),
            "error_after": json.dumps(criteria.get("error_after")),
        }
        if status == "pass":
            words = f"fresh: newest fetched_at {metadata['age_hours']} h ago"
        elif status in ("warn", "error"):
            words = f"stale ({status}): newest fetched_at {metadata['age_hours']} h ago, bound {metadata['warn_after']}"
        else:
            words = f"dbt could not measure freshness ({status}): {result.get('message') or 'no message'}"
        outcomes[unique_id] = CheckOutcome(status == "pass", words, metadata)
    return outcomes


def run_source_freshness(dbt: DbtCliResource) -> dict[str, Any]:
    """`dbt source freshness` behind the warehouse's gate (dbt-duckdb opens the file for
    writing, so it waits for the readers already in, like `dbt build`); its sources.json."""
    target = dbt_target_dir()
    with gate(warehouse_path(), exclusive=True):
        invocation = dbt.cli(["source", "freshness"], target_path=target, raise_on_error=False)
        invocation.wait()
    path = Path(invocation.target_path) / "sources.json"
    return json.loads(path.read_text()) if path.exists() else {}


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(SOURCE_FRESHNESS, asset=dg.AssetKey(list(key)), description=DESCRIPTION, blocking=False)
        for key in FRESHNESS_SOURCES.values()
    ],
    name="source_freshness_checks",
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def source_freshness_checks(
    context: dg.AssetCheckExecutionContext, dbt: DbtCliResource
) -> Iterator[dg.AssetCheckResult]:
    outcomes = freshness_outcomes(run_source_freshness(dbt))
    for unique_id, key in FRESHNESS_SOURCES.items():
        asset_key = dg.AssetKey(list(key))
        if dg.AssetCheckKey(asset_key, SOURCE_FRESHNESS) not in context.selected_asset_check_keys:
            continue
        outcome = outcomes[unique_id]
        yield dg.AssetCheckResult(
            asset_key=asset_key,
            check_name=SOURCE_FRESHNESS,
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.WARN,
            description=outcome.description,
            metadata={k: v for k, v in outcome.metadata.items() if v is not None},
        )
