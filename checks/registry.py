"""Checks on the registry layer (registry.* tables written by the `registry` asset)."""

from __future__ import annotations

import duckdb

from checks.outcome import CheckOutcome, records
from gsm_platform.warehouse.rows import one_value


def accounts_claimed_once(conn: duckdb.DuckDBPyConnection, edition: str | None = None) -> CheckOutcome:
    """Each scored account (role `institution`) is listed once, by one institution. An account
    two institutions claim would score for both; one listed twice would count every post twice.
    The YAML loader already refuses the first case; this holds the warehouse to it too (the
    tables can be written by other means) and catches the second, which the loader allows.
    The registry is not per edition: the whole of it is checked."""
    cur = conn.execute(
        """SELECT platform, account_id, count(*) AS listings, count(DISTINCT institution_id) AS institutions,
                  string_agg(DISTINCT institution_id, ', ' ORDER BY institution_id) AS claimed_by
           FROM registry.accounts WHERE role = 'institution'
           GROUP BY platform, account_id HAVING count(*) > 1
           ORDER BY platform, account_id"""
    )
    bad = records(cur, limit=None)
    if not bad:
        n = one_value(
            conn, "SELECT count(*) FROM registry.accounts WHERE role = 'institution'", what="the institution accounts"
        )
        return CheckOutcome(True, f"all {n} institution accounts are listed once, by one institution", {"accounts": n})
    claimed = [b for b in bad if b["institutions"] > 1]
    twice = [b for b in bad if b["institutions"] == 1]
    parts = []
    if claimed:
        parts.append(
            f"{len(claimed)} account(s) claimed by several institutions: "
            + "; ".join(f"{b['platform']} {b['account_id']} ({b['claimed_by']})" for b in claimed[:10])
        )
    if twice:
        parts.append(
            f"{len(twice)} account(s) listed more than once by the same institution: "
            + "; ".join(f"{b['platform']} {b['account_id']} ({b['claimed_by']}, {b['listings']}x)" for b in twice[:10])
        )
    return CheckOutcome(
        False,
        ". ".join(parts) + ". Fix the registry YAML: an account belongs to one institution, once.",
        {"offending_accounts": bad},
    )
