"""`gsm quality`: the data-quality report of the last materialization, read from the warehouse.

The report runs the same plain check functions the Dagster asset checks run (checks/), on
the warehouse as it is now, so the command line and the UI never disagree. A check whose
table was never materialized here (e.g. the marts before the award job ran) is left out.
"""

from __future__ import annotations

from typing import Any

import duckdb

from gsm_platform import accounting
from gsm_platform.registry import RegistryError

QUARANTINE_SHOWN_IN_TABLE = 50


def quality_report(conn: duckdb.DuckDBPyConnection, edition: str | None) -> dict[str, Any]:
    """{"edition", "scope", "counts": {envelopes, post_records, profile_records} (gsm_platform.accounting),
    "quarantine": [{source_file, line, position, post_id, platform, kind, reason, account_id,
    fetch_date}], "checks": [{asset, check, passed, severity, description}]}. With an edition: its
    fetch days (start .. end + settle_days, and the envelopes whose fetch time is unreadable)
    and its partition of the marts; without: the whole landing. A quarantine entry's `kind` is
    what was quarantined: a post (position = its index in the page), a profile record (one
    account's follower count; position = the account's index in the body) or a whole envelope
    (position null)."""
    from checks.catalog import QUALITY_CHECKS
    from checks.outcome import MART_SCHEMA, RelationMissing, known_editions, relation_exists

    if edition is not None and edition not in known_editions(conn):
        raise RegistryError(
            f"edition {edition!r} is not in the warehouse's registry (known: {', '.join(known_editions(conn))})"
        )
    scope = accounting.edition_scope(conn, edition) if edition else accounting.WHOLE_LANDING
    where = scope.where()
    cur = conn.execute(
        f"""SELECT source_file, source_line AS line, source_position AS position, post_id, platform,
                   record_kind AS kind, reason, account_id, strftime(fetch_date, '%Y-%m-%d') AS fetch_date
            FROM clean.quarantine WHERE {where}
            ORDER BY source_file, source_line, source_position NULLS FIRST, reason"""
    )
    names = [d[0] for d in cur.description]
    quarantine = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    checks = []
    for check in QUALITY_CHECKS:
        if check.asset[0] == "marts" and not relation_exists(conn, MART_SCHEMA, check.asset[-1]):
            continue  # the award job has not built this mart here yet
        try:
            outcome = check.run(conn, edition)
        except (RelationMissing, duckdb.CatalogException):
            continue  # its asset was never materialized in this warehouse
        checks.append(
            {
                "asset": check.asset_path,
                "check": check.name,
                "passed": bool(outcome.passed),
                "severity": check.severity,
                "description": outcome.description,
            }
        )
    return {
        "edition": edition,
        "scope": scope.label,
        "counts": accounting.counts(conn, scope).as_dict(),
        "quarantine": quarantine,
        "checks": checks,
    }


def format_quality_table(report: dict[str, Any]) -> str:
    """The report for a person: the counts with their scope, then the checks (failures first),
    then the quarantined records with where to find them."""
    c = report["counts"]
    e, p, f = c["envelopes"], c["post_records"], c["profile_records"]

    def state(ledger: dict) -> str:
        return "balanced" if ledger["balanced"] else "NOT BALANCED"

    scope = f"edition {report['edition']}" if report["edition"] else "the whole landing"
    out = [
        f"Data quality ({scope})",
        "",
        f"scope: {report['scope']}",
        f"  envelopes: {e['indexed']:,} indexed = {e['parsed']:,} parsed + {e['quarantined']:,} quarantined whole "
        f"({state(e)})",
        f"  post records: {p['read']:,} read = {p['clean']:,} clean + {p['duplicates']:,} duplicates + "
        f"{p['quarantined']:,} quarantined ({state(p)})",
        f"  profile records (follower counts): {f['read']:,} read = {f['snapshots']:,} snapshots + "
        f"{f['quarantined']:,} quarantined ({state(f)})",
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
            out.append(
                f"  {result:<6}  {c['severity']:<8}  {c['asset']:<{width_asset}}  {c['check']:<{width_check}}  "
                f"{c['description']}"
            )
    quarantine = report["quarantine"]
    out += [
        "",
        f"quarantine: {len(quarantine)} record(s) ({p['quarantined']:,} post records, "
        f"{f['quarantined']:,} profile records; {e['quarantined']:,} of them whole envelopes)",
    ]
    for q in quarantine[:QUARANTINE_SHOWN_IN_TABLE]:
        where = f"{q['source_file']}:{q['line']}" + (f" #{q['position']}" if q["position"] is not None else "")
        post = f" {q['post_id']}" if q["post_id"] else ""
        out.append(f"  {where}  {q['platform'] or '-'} {q['kind']}{post}: {q['reason']}")
    if len(quarantine) > QUARANTINE_SHOWN_IN_TABLE:
        out.append(f"  ... and {len(quarantine) - QUARANTINE_SHOWN_IN_TABLE} more (--format json lists them all)")
    return "\n".join(out)
