"""The Dagster asset checks: thin wrappers that open the warehouse read-only, run a check
function of the catalog and report its outcome. All logic is in the check functions.

A check reads the edition from its run's partition key when its asset is edition
partitioned (no key: every edition), and the fetch-day window from its run's partition range
when its asset is partitioned by fetch day (none: every day). Checks run in the warehouse
pool: DuckDB refuses a reader while another process writes the file.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

import dagster as dg

from checks.catalog import EDITION, FETCH_DAYS, QUALITY_CHECKS, QualityCheck
from checks.freshness import source_freshness_checks
from checks.outcome import CheckOutcome, markdown_table
from gsm_platform import phases
from gsm_platform.accounting import scope_of_days
from gsm_platform.parsing.cleaning import month_ranges
from gsm_platform.resources import Warehouse
from gsm_platform.warehouse import WAREHOUSE_POOL


def _fetch_days(context: dg.AssetCheckExecutionContext) -> list[tuple[dt.date, dt.date]] | None:
    """The day ranges of the run's fetch months (dynamic partition keys "YYYY-MM-01", in the
    order Dagster stores them, not necessarily by date); None when the run has no partition."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    try:
        months = [dt.date.fromisoformat(k) for k in context.partition_keys]
    except ValueError:  # not a fetch-month run: check every day
        return None
    return month_ranges(months)


def scope_of(check: QualityCheck, context: dg.AssetCheckExecutionContext) -> tuple[str | None, dict[str, Any], str]:
    """(edition, keyword arguments, words for the metadata) of a check in this run."""
    if check.scope == EDITION:
        edition = context.partition_key if context.has_partition_key else None
        return edition, {}, f"edition {edition}" if edition else "every edition"
    if check.scope == FETCH_DAYS:
        days = _fetch_days(context)
        return None, {"fetch_days": days}, scope_of_days(days).label
    return None, {}, "the whole table"


def _metadata_value(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return dg.MetadataValue.md(markdown_table(value))
    if isinstance(value, (dict, list)):
        return dg.MetadataValue.json(value)
    return value


def to_result(check: QualityCheck, outcome: CheckOutcome, scope_words: str) -> dg.AssetCheckResult:
    metadata = {k: _metadata_value(v) for k, v in outcome.metadata.items() if v is not None}
    metadata["scope"] = scope_words
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(list(check.asset)),
        check_name=check.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity(check.severity),
        description=outcome.description,
        metadata=metadata,
    )


def evaluate(check: QualityCheck, context: dg.AssetCheckExecutionContext, conn) -> dg.AssetCheckResult:
    edition, kwargs, words = scope_of(check, context)
    with phases.phase(f"checks/{check.asset_path}/{check.name}"):
        return to_result(check, check.run(conn, edition, **kwargs), words)


def _single(check: QualityCheck) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(check.asset)),
        name=check.name,
        description=check.description,
        blocking=check.blocking,
        pool=WAREHOUSE_POOL,
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> dg.AssetCheckResult:
        with warehouse.connect(read_only=True) as conn:
            return evaluate(check, context, conn)

    return _check


def _group(name: str, checks: list[QualityCheck]) -> dg.AssetChecksDefinition:
    """Checks of one kind on several assets (one per platform) run in one op."""
    specs = [
        dg.AssetCheckSpec(c.name, asset=dg.AssetKey(list(c.asset)), description=c.description, blocking=c.blocking)
        for c in checks
    ]

    @dg.multi_asset_check(specs=specs, name=f"{name}_checks", can_subset=True, pool=WAREHOUSE_POOL)
    def _checks(context: dg.AssetCheckExecutionContext, warehouse: Warehouse) -> Iterator[dg.AssetCheckResult]:
        selected = context.selected_asset_check_keys
        with warehouse.connect(read_only=True) as conn:
            for c in checks:
                if dg.AssetCheckKey(dg.AssetKey(list(c.asset)), c.name) in selected:
                    yield evaluate(c, context, conn)

    return _checks


def build_checks() -> list[dg.AssetChecksDefinition]:
    singles = [_single(c) for c in QUALITY_CHECKS if c.group is None]
    groups: dict[str, list[QualityCheck]] = {}
    for c in QUALITY_CHECKS:
        if c.group is not None:
            groups.setdefault(c.group, []).append(c)
    # source freshness is not a check function of the catalog: its rule is dbt's, in _sources.yml (checks/freshness.py)
    return singles + [_group(name, cs) for name, cs in groups.items()] + [source_freshness_checks]


ALL_CHECKS: list[dg.AssetChecksDefinition] = build_checks()

__all__ = ["ALL_CHECKS", "build_checks", "evaluate", "scope_of", "to_result"]
