"""Source freshness: the `freshness` that dbt_project/models/staging/_sources.yml declares on the
cleaned snapshots (warn after 2 days without a newer fetched_at), acted on by a Dagster asset
check on the cleaned assets, so that the declaration is shown where people look (the UI's
checks, beside the ledgers).

It warns, never blocks: an edition that ended months ago is complete with old data (the demo's
newest fetch is in 2025), so staleness is a question for a person ("are the daily pulls still
landing?"), not a reason to stop a run. fetched_at is a naive WIB time and dbt reads a naive time
as UTC, so the declared loaded_at_field shifts it back by the WIB offset (var('wib_offset_hours')).

Why not `dbt source freshness` any more: it cost a dbt subprocess per clean run (5.8 s of the
award-scale bench's one more day of 25.4 s, docs/scale.md), and all dbt does for a source with
a `loaded_at_field` is one query, `select max(<loaded_at_field>), current_timestamp from
<source>` (its `collect_freshness` macro), then an age in seconds compared with `error_after`,
then `warn_after` (dbt-adapters' `_create_freshness_response`, dbt-core's
`FreshnessThreshold.status`; an empty table is "infinitely old"). This module does exactly
that in-process, on the run's DuckDB connection: milliseconds. The rule still lives in the YAML
alone (read from it here, the `{{ var(...) }}` in loaded_at_field filled from the vocabulary's
dbt vars), so `dbt source freshness` run by hand gives the same verdict
(tests/test_freshness.py compares the two on a real edition).
"""

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dagster as dg
import duckdb
import yaml

from checks.outcome import CheckOutcome
from gsm_platform import phases
from gsm_platform.paths import DBT_PROJECT_DIR
from gsm_platform.resources import Warehouse
from gsm_platform.vocabulary import dbt_vars
from gsm_platform.warehouse import WAREHOUSE_POOL

SOURCE_FRESHNESS = "source_freshness"
SOURCES_YML = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"
# dbt source (schema.table) -> the Dagster asset that writes it (meta.dagster.asset_key)
FRESHNESS_SOURCES = {
    "source.gsm_award.clean.post_snapshots": ("clean", "post_snapshots"),
    "source.gsm_award.clean.follower_snapshots": ("clean", "follower_snapshots"),
}
DESCRIPTION = (
    "Source freshness as declared in dbt's _sources.yml (the same query and rule as `dbt source freshness`): "
    "warns when the newest fetched_at of the table is older than the declared bound (2 days): the daily pulls "
    "may have stopped landing."
)
# dbt's TimePeriod values
PERIOD_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_VAR = re.compile(r"\{\{\s*var\(\s*['\"](\w+)['\"]\s*\)\s*\}\}")
# dbt reads a missing max as "infinitely long ago"
_NEVER = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Declared:
    """A source's freshness as _sources.yml declares it."""

    unique_id: str
    relation: str  # schema.table
    loaded_at_sql: str  # loaded_at_field with its vars filled in
    warn_after: dict[str, Any]
    error_after: dict[str, Any]
    filter: str | None = None


def _render(text: str, variables: dict[str, Any]) -> str:
    """loaded_at_field with `{{ var('name') }}` filled in; any other Jinja is refused, loudly:
    this reader is no template engine, and guessing would measure something else than dbt does."""
    rendered = _VAR.sub(lambda m: str(variables[m.group(1)]), text)
    if "{{" in rendered or "{%" in rendered:
        raise ValueError(f"{SOURCES_YML}: loaded_at_field {text!r}: only {{{{ var('...') }}}} is understood here")
    return rendered


def declared_freshness() -> dict[str, Declared]:
    """The freshness declarations of the FRESHNESS_SOURCES, read from dbt's sources file. A
    source whose declaration is missing is left out (its check then fails, saying so)."""
    doc = yaml.safe_load(SOURCES_YML.read_text())
    variables = dbt_vars()
    found = {}
    for source in doc.get("sources", []):
        for table in source.get("tables", []):
            unique_id = f"source.gsm_award.{source['name']}.{table['name']}"
            config = {**table, **(table.get("config") or {})}
            freshness, loaded_at = config.get("freshness"), config.get("loaded_at_field")
            if unique_id not in FRESHNESS_SOURCES or not freshness or not loaded_at:
                continue
            found[unique_id] = Declared(
                unique_id,
                f"{source.get('schema', source['name'])}.{table['name']}",
                _render(loaded_at, variables),
                freshness.get("warn_after") or {},
                freshness.get("error_after") or {},
                freshness.get("filter"),
            )
    return found


def _exceeded(bound: dict[str, Any], age_s: float) -> bool:
    """dbt's Time.exceeded: strictly older than count periods; an incomplete bound never is."""
    count, period = bound.get("count"), bound.get("period")
    if count is None or period is None:
        return False
    return age_s > count * PERIOD_SECONDS[period]


def status(declared: Declared, age_s: float) -> str:
    """dbt's FreshnessThreshold.status: error_after first, then warn_after, else pass."""
    if _exceeded(declared.error_after, age_s):
        return "error"
    if _exceeded(declared.warn_after, age_s):
        return "warn"
    return "pass"


def measure(conn: duckdb.DuckDBPyConnection, declared: Declared, now: dt.datetime | None = None) -> dict[str, Any]:
    """dbt's collect_freshness query on this connection, and its verdict: max_loaded_at (UTC),
    checked_at (UTC), age in seconds, status."""
    where = f" WHERE {declared.filter}" if declared.filter else ""
    newest = conn.execute(f"SELECT max({declared.loaded_at_sql}) FROM {declared.relation}{where}").fetchone()
    value = newest[0] if newest else None
    max_loaded_at = _NEVER if value is None else value.replace(tzinfo=dt.UTC)  # naive is UTC, as in dbt
    checked_at = now or dt.datetime.now(dt.UTC)
    age = (checked_at - max_loaded_at).total_seconds()
    return {
        "status": status(declared, age),
        "max_loaded_at": max_loaded_at,
        "checked_at": checked_at,
        "age_s": age,
        "empty": value is None,
    }


def freshness_outcomes(conn: duckdb.DuckDBPyConnection, now: dt.datetime | None = None) -> dict[str, CheckOutcome]:
    """An outcome per source of FRESHNESS_SOURCES. A source without a declaration, or whose
    query fails, fails, saying so: silence is no pass."""
    declarations = declared_freshness()
    outcomes = {}
    for unique_id in FRESHNESS_SOURCES:
        declared = declarations.get(unique_id)
        if declared is None:
            outcomes[unique_id] = CheckOutcome(
                False, f"no freshness (with a loaded_at_field) declared for {unique_id} in {SOURCES_YML.name}", {}
            )
            continue
        try:
            found = measure(conn, declared, now)
        except duckdb.Error as error:
            outcomes[unique_id] = CheckOutcome(
                False, f"could not measure freshness of {declared.relation}: {error}", {}
            )
            continue
        hours = round(found["age_s"] / 3600, 1)
        metadata = {
            "status": found["status"],
            "max_loaded_at_utc": None if found["empty"] else found["max_loaded_at"].isoformat(),
            "checked_at_utc": found["checked_at"].isoformat(),
            "age_hours": None if found["empty"] else hours,
            "warn_after": declared.warn_after or None,
            "error_after": declared.error_after or None,
            "loaded_at_field": declared.loaded_at_sql,
        }
        if found["empty"]:
            words = f"stale ({found['status']}): {declared.relation} holds no row"
        elif found["status"] == "pass":
            words = f"fresh: newest fetched_at {hours} h ago"
        else:
            words = f"stale ({found['status']}): newest fetched_at {hours} h ago, bound {declared.warn_after}"
        outcomes[unique_id] = CheckOutcome(found["status"] == "pass", words, metadata)
    return outcomes


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
    context: dg.AssetCheckExecutionContext, warehouse: Warehouse
) -> Iterator[dg.AssetCheckResult]:
    with phases.phase("checks/source_freshness"), warehouse.connect(read_only=True) as conn:
        outcomes = freshness_outcomes(conn)
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
            metadata={
                k: dg.MetadataValue.json(v) if isinstance(v, dict) else v
                for k, v in outcome.metadata.items()
                if v is not None
            },
        )
