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

import dagster as dg
import duckdb

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


def account_numbers(conn: duckdb.DuckDBPyConnection, scope: Scope) -> dict[tuple[str, str], tuple]:
    """Per registered account, what the warehouse holds of it in the scope's fetch days: envelopes
    landed, post snapshots and distinct posts kept, follower snapshots (and the last count),
    quarantined records, first and last fetch time. Each count is read from its own table."""
    where = scope.where()
    rows = conn.execute(
        f"""WITH acc AS (SELECT DISTINCT platform, account_id FROM registry.accounts),
            env AS (SELECT platform, account_id, count(*) n, min(fetched_at) f0, max(fetched_at) f1
                    FROM raw.envelopes WHERE {where} GROUP BY ALL),
            po AS (SELECT platform, account_id, count(*) n, count(DISTINCT post_id) d
                   FROM clean.post_snapshots WHERE {where} GROUP BY ALL),
            fo AS (SELECT platform, account_id, count(*) n, arg_max(followers, fetched_at) last
                   FROM clean.follower_snapshots WHERE {where} GROUP BY ALL),
            qu AS (SELECT platform, account_id, count(*) n FROM clean.quarantine
                   WHERE {where} AND record_kind <> 'envelope' GROUP BY ALL)
            SELECT acc.platform, acc.account_id, coalesce(env.n, 0), coalesce(po.n, 0), coalesce(po.d, 0),
                   coalesce(fo.n, 0), fo.last, coalesce(qu.n, 0), env.f0, env.f1
            FROM acc LEFT JOIN env USING (platform, account_id) LEFT JOIN po USING (platform, account_id)
                 LEFT JOIN fo USING (platform, account_id) LEFT JOIN qu USING (platform, account_id)
            WHERE env.n IS NOT NULL OR qu.n IS NOT NULL"""
    ).fetchall()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def changed_since_last_run(
    conn: duckdb.DuckDBPyConnection, scope: Scope, numbers: dict[tuple[str, str], tuple]
) -> list[tuple[str, str]]:
    """The accounts whose numbers for this scope differ from what the last run of the same scope
    recorded (or that it did not record). Reads only: `record_numbers` records them once their
    observations are logged, so a run killed in between observes them again on its rerun."""
    before = {
        (r[0], r[1]): tuple(r[2:])
        for r in conn.execute(
            f"SELECT platform, account_id, {', '.join(COLUMNS)} FROM clean.account_pulls WHERE scope = ?",
            [scope.label],
        ).fetchall()
    }
    return sorted(k for k, v in numbers.items() if before.get(k) != v)


def record_numbers(conn: duckdb.DuckDBPyConnection, scope: Scope, numbers: dict[tuple[str, str], tuple]) -> None:
    """This run's numbers for the next run to compare with, replacing the scope's in one
    transaction (a crash keeps the old ones whole, and the rerun observes again)."""
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute("DELETE FROM clean.account_pulls WHERE scope = ?", [scope.label])
        if numbers:
            conn.executemany(
                f"INSERT INTO clean.account_pulls (platform, account_id, scope, {', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' * (len(COLUMNS) + 3))})",
                [(p, a, scope.label, *v) for (p, a), v in numbers.items()],
            )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def observations(
    numbers: dict[tuple[str, str], tuple], changed: list[tuple[str, str]], defined: set[dg.AssetKey], scope: Scope
) -> list[dg.AssetObservation]:
    """One observation per changed account that the loaded definitions show as an asset."""
    out = []
    for platform, account_id in changed:
        key = account_key(platform, account_id)
        if key not in defined:
            continue
        env, snaps, posts, fsnaps, flast, quar, f0, f1 = numbers[(platform, account_id)]
        out.append(
            dg.AssetObservation(
                asset_key=key,
                description=f"cleaned fetch months: {scope.label}",
                metadata={
                    "fetch_months": scope.label,
                    "envelopes_landed": env,
                    "post_snapshots": snaps,
                    "posts": posts,
                    "follower_snapshots": fsnaps,
                    "followers_last": flast if flast is not None else "(no follower snapshot)",
                    "quarantined_records": quar,
                    "first_fetch": str(f0) if f0 else "(none)",
                    "last_fetch": str(f1) if f1 else "(none)",
                },
            )
        )
    return out
