"""`gsm quality`: the data-quality report of the last materialization, read from the warehouse.

The report runs the same plain check functions the Dagster asset checks run (checks/), on
the warehouse as it is now, so the command line and the UI never disagree. A check whose
table was never materialized here (e.g. the marts before the award job ran) is left out.
"""

from __future__ import annotations

from typing import Any

import duckdb

from gsm_platform.registry import RegistryError

QUARANTINE_SHOWN_IN_TABLE = 50


def _scope(conn: duckdb.DuckDBPyConnection, edition: str | None) -> str:
    from checks.outcome import edition_fetch_days, fetch_day_filter

    return fetch_day_filter(edition_fetch_days(conn, edition) if edition else None)


def quality_report(conn: duckdb.DuckDBPyConnection, edition: str | None) -> dict[str, Any]:
    """{"edition", "reconciliation": {raw_records, clean, duplicates, quarantined},
    "quarantine": [{source_file, line, platform, reason}], "checks": [{asset, check, passed,
    severity, description}]}. With an edition: its fetch days (start .. end + settle_days, and
    the envelopes whose fetch time is unreadable) and its partition of the marts; without:
    everything."""
    from checks.catalog import QUALITY_CHECKS
    from checks.outcome import MART_SCHEMA, RelationMissing, known_editions, relation_exists

    if edition is not None and edition not in known_editions(conn):
        raise RegistryError(f"edition {edition!r} is not in the warehouse's registry (known: {', '.join(known_editions(conn))})")
    where = _scope(conn, edition)
    totals = conn.execute(
        f"""SELECT coalesce(sum(raw_records), 0), coalesce(sum(clean), 0), coalesce(sum(duplicates), 0),
                   coalesce(sum(quarantined), 0)
            FROM clean.reconciliation WHERE {where}"""
    ).fetchone()
    quarantine = [
        {"source_file": r[0], "line": int(r[1]), "platform": r[2], "reason": r[3]}
        for r in conn.execute(
            f"""SELECT source_file, source_line, platform, reason FROM clean.quarantine WHERE {where}
                ORDER BY source_file, source_line, source_position NULLS FIRST"""
        ).fetchall()
    ]
    checks = []
    for check in QUALITY_CHECKS:
        if check.asset[0] == "marts" and not relation_exists(conn, MART_SCHEMA, check.asset[-1]):
            continue  # the award job has not built this mart here yet
        try:
            outcome = check.run(conn, edition)
        except (RelationMissing, duckdb.CatalogException):
            continue  # its asset was never materialized in this warehouse
        checks.append({"asset": check.asset_path, "check": check.name, "passed": bool(outcome.passed),
                       "severity": check.severity, "description": outcome.description})
    return {
        "edition": edition,
        "reconciliation": {"raw_records": int(totals[0]), "clean": int(totals[1]), "duplicates": int(totals[2]),
                           "quarantined": int(totals[3])},
        "quarantine": quarantine,
        "checks": checks,
    }


def format_quality_table(report: dict[str, Any]) -> str:
    """The report for a person: reconciliation, then the checks (failures first), then the
    quarantined records with where to find them."""
    r = report["reconciliation"]
    balanced = r["raw_records"] == r["clean"] + r["duplicates"] + r["quarantined"]
    scope = f"edition {report['edition']}" if report["edition"] else "all editions"
    out = [
        f"Data quality ({scope})",
        "",
        f"post records: {r['raw_records']} read = {r['clean']} clean + {r['duplicates']} duplicates + "
        f"{r['quarantined']} quarantined ({'balanced' if balanced else 'NOT BALANCED'})",
        "",
    ]
    checks = sorted(report["checks"], key=lambda c: (c["passed"], c["severity"] != "ERROR", c["asset"], c["check"]))
    failed_errors = sum(1 for c in checks if not c["passed"] and c["severity"] == "ERROR")
    failed_warnings = sum(1 for c in checks if not c["passed"] and c["severity"] != "ERROR")
    out.append(f"checks: {len(checks)} run, {failed_errors} error(s), {failed_warnings} warning(s)")
    if checks:
        width_asset = max(len("asset"), *(len(c["asset"]) for c in checks))
        width_check = max(len("check"), *(len(c["check"]) for c in checks))
        out.append(f"  {'result':<6}  {'severity':<8}  {'asset':<{width_asset}}  {'check':<{width_check}}  description")
        for c in checks:
            result = "ok" if c["passed"] else ("FAIL" if c["severity"] == "ERROR" else "warn")
            out.append(f"  {result:<6}  {c['severity']:<8}  {c['asset']:<{width_asset}}  {c['check']:<{width_check}}  "
                       f"{c['description']}")
    quarantine = report["quarantine"]
    out += ["", f"quarantine: {len(quarantine)} record(s)"]
    for q in quarantine[:QUARANTINE_SHOWN_IN_TABLE]:
        out.append(f"  {q['source_file']}:{q['line']}  {q['platform'] or '-'}  {q['reason']}")
    if len(quarantine) > QUARANTINE_SHOWN_IN_TABLE:
        out.append(f"  ... and {len(quarantine) - QUARANTINE_SHOWN_IN_TABLE} more (--format json lists them all)")
    return "\n".join(out)
