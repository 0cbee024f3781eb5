"""The pull history of each account: what a cleaning run found of it in the fetch months it
cleaned, recorded as an observation of the account's asset (assets/accounts.py), so that the
account's page in the UI lists, run after run, its posts landed, follower snapshots,
quarantined records and last fetch time.

Cost: an observation is a Dagster event, one SQLite write each (Dagster's SQLite event log has no
batched write: `store_event_batch` stores one by one, and DAGSTER_EVENT_BATCH_SIZE only groups
the calls). So a run observes only the accounts whose numbers for its months changed since the
last run that cleaned those months (the previous numbers are kept in clean.account_pulls,
docs/warehouse.md): a
first clean of an edition observes each account with data once; a re-clean that changed nothing
observes none. Measured in docs/lineage.md.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import duckdb
import pandas as pd

from assets.accounts import account_key
from gsm_platform.accounting import Scope

COLUMNS = (
    "envelopes",
    "post_snapshots",
    "posts",
    "follower_snapshots",
    "followers_last",
    "quarantined",
    "first_fetch",
    "last_fetch",
)


def account_numbers(conn: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per registered account with data in the scope's fetch days, what the warehouse holds of
    it there: envelopes landed, post snapshots and distinct posts kept, follower snapshots (and
    the last count), quarantined records, first and last fetch time; each count read from its
    own table, in one set-based query. `changed` says whether these numbers differ from what the
    last run of the same scope recorded (or that it recorded none), compared in the same query:
    the accounts a run observes. Sorted by platform and account id; a few rows per account of
    the registry, whatever the number of records."""
    where = scope.where()
    same = " AND ".join(f"p.{c} IS NOT DISTINCT FROM n.{c}" for c in COLUMNS)
    return conn.execute(
        f"""WITH acc AS (SELECT DISTINCT platform, account_id FROM registry.accounts),
            env AS (SELECT platform, account_id, count(*) n, min(fetched_at) f0, max(fetched_at) f1
                    FROM raw.envelopes WHERE {where} GROUP BY ALL),
            po AS (SELECT platform, account_id, count(*) n, count(DISTINCT post_id) d
                   FROM clean.post_snapshots WHERE {where} GROUP BY ALL),
            fo AS (SELECT platform, account_id, count(*) n, arg_max(followers, fetched_at) last
                   FROM clean.follower_snapshots WHERE {where} GROUP BY ALL),
            qu AS (SELECT platform, account_id, count(*) n FROM clean.quarantine
                   WHERE {where} AND record_kind <> 'envelope' GROUP BY ALL),
            n AS (
                SELECT acc.platform, acc.account_id, coalesce(env.n, 0) AS envelopes,
                       coalesce(po.n, 0) AS post_snapshots, coalesce(po.d, 0) AS posts,
                       coalesce(fo.n, 0) AS follower_snapshots, fo.last AS followers_last,
                       coalesce(qu.n, 0) AS quarantined, env.f0 AS first_fetch, env.f1 AS last_fetch
                FROM acc LEFT JOIN env USING (platform, account_id) LEFT JOIN po USING (platform, account_id)
                     LEFT JOIN fo USING (platform, account_id) LEFT JOIN qu USING (platform, account_id)
                WHERE env.n IS NOT NULL OR qu.n IS NOT NULL)
            SELECT n.*, NOT EXISTS (
                       SELECT 1 FROM clean.account_pulls p
                       WHERE p.scope = $scope AND p.platform = n.platform AND p.account_id = n.account_id AND {same}
                   ) AS changed
            FROM n ORDER BY n.platform, n.account_id""",
        {"scope": scope.label},
    ).fetchdf()


def record_numbers(conn: duckdb.DuckDBPyConnection, scope: Scope, numbers: pd.DataFrame) -> None:
    """This run's numbers for the next run to compare with, replacing the scope's in one
    transaction (a crash keeps the old ones whole, and the rerun observes again): one INSERT ...
    SELECT from the frame (an executemany of ~1,000 rows took 1.0 s on this machine)."""
    columns = ", ".join(COLUMNS)
    conn.register("account_numbers_batch", numbers)
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM clean.account_pulls WHERE scope = ?", [scope.label])
        conn.execute(
            f"INSERT INTO clean.account_pulls (platform, account_id, scope, {columns}) "
            f"SELECT platform, account_id, ?, {columns} FROM account_numbers_batch",
            [scope.label],
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.unregister("account_numbers_batch")
    conn.execute("COMMIT")


def _or(value: Any, missing: str) -> Any:
    """A number or time of the frame as metadata (Python types), or the words for a missing one."""
    if pd.isna(value):
        return missing
    return str(value) if isinstance(value, pd.Timestamp) else int(value)


def observations(numbers: pd.DataFrame, defined: set[dg.AssetKey], scope: Scope) -> list[dg.AssetObservation]:
    """One observation per changed account that the loaded definitions show as an asset."""
    out = []
    rows: list[dict[Any, Any]] = numbers[numbers["changed"]].to_dict("records")
    for row in rows:
        key = account_key(row["platform"], row["account_id"])
        if key not in defined:
            continue
        out.append(
            dg.AssetObservation(
                asset_key=key,
                description=f"cleaned fetch months: {scope.label}",
                metadata={
                    "fetch_months": scope.label,
                    "envelopes_landed": int(row["envelopes"]),
                    "post_snapshots": int(row["post_snapshots"]),
                    "posts": int(row["posts"]),
                    "follower_snapshots": int(row["follower_snapshots"]),
                    "followers_last": _or(row["followers_last"], "(no follower snapshot)"),
                    "quarantined_records": int(row["quarantined"]),
                    "first_fetch": _or(row["first_fetch"], "(none)"),
                    "last_fetch": _or(row["last_fetch"], "(none)"),
                },
            )
        )
    return out
