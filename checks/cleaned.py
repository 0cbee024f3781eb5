"""Checks on the cleaned layer: reconciliation, quarantine, follower counts.

These tables are partitioned by fetch day, not by edition: a check runs on the fetch days of
its Dagster run (the partition range), or on an edition's fetch days (`gsm quality
--edition`), or on everything.
"""

from __future__ import annotations

import duckdb

from checks.outcome import CheckOutcome, FetchDays, fetch_day_filter, records, resolve_fetch_days

# A follower count that moves more than this share within FOLLOWER_JUMP_DAYS is worth a look:
# bought followers, a wrong account id, or a parser reading the wrong field.
FOLLOWER_JUMP_SHARE = 0.5
FOLLOWER_JUMP_DAYS = 7


def reconciliation(conn: duckdb.DuckDBPyConnection, where: str = "true") -> list[dict]:
    """Per platform: post records read = clean + duplicates + quarantined (clean.reconciliation)."""
    cur = conn.execute(
        f"""SELECT coalesce(platform, '(unreadable)') AS platform, sum(raw_records)::BIGINT AS raw_records,
                   sum(clean)::BIGINT AS clean, sum(duplicates)::BIGINT AS duplicates,
                   sum(quarantined)::BIGINT AS quarantined
            FROM clean.reconciliation WHERE {where} GROUP BY 1 ORDER BY 1"""
    )
    return records(cur, limit=None)


def reconciliation_balanced(conn: duckdb.DuckDBPyConnection, edition: str | None = None, *,
                            fetch_days: FetchDays = None) -> CheckOutcome:
    """Per fetch day and platform: post records read = clean + duplicates + quarantined, and the
    clean and quarantined counts are the rows actually in clean.post_snapshots and
    clean.quarantine. The second half is what makes the first trustworthy: a record the
    reconciliation counts but no table holds was dropped silently."""
    scope = fetch_day_filter(resolve_fetch_days(conn, edition, fetch_days))
    cur = conn.execute(
        f"""
        WITH r AS (SELECT fetch_date, platform, sum(raw_records) AS raw_records, sum(clean) AS clean,
                          sum(duplicates) AS duplicates, sum(quarantined) AS quarantined
                   FROM clean.reconciliation WHERE {scope} GROUP BY ALL),
             p AS (SELECT fetch_date, platform, count(*) AS n FROM clean.post_snapshots WHERE {scope} GROUP BY ALL),
             q AS (SELECT fetch_date, platform, count(*) AS n FROM clean.quarantine
                   WHERE record_kind IN ('post', 'envelope') AND {scope} GROUP BY ALL),
             rp AS (SELECT coalesce(r.fetch_date, p.fetch_date) AS fetch_date, coalesce(r.platform, p.platform) AS platform,
                           r.raw_records, r.clean, r.duplicates, r.quarantined, p.n AS clean_rows
                    FROM r FULL JOIN p ON r.fetch_date IS NOT DISTINCT FROM p.fetch_date
                                       AND r.platform IS NOT DISTINCT FROM p.platform)
        SELECT coalesce(rp.fetch_date, q.fetch_date) AS fetch_date, coalesce(rp.platform, q.platform) AS platform,
               coalesce(rp.raw_records, 0)::BIGINT AS raw_records, coalesce(rp.clean, 0)::BIGINT AS clean,
               coalesce(rp.duplicates, 0)::BIGINT AS duplicates, coalesce(rp.quarantined, 0)::BIGINT AS quarantined,
               coalesce(rp.clean_rows, 0)::BIGINT AS clean_rows, coalesce(q.n, 0)::BIGINT AS quarantine_rows
        FROM rp FULL JOIN q ON rp.fetch_date IS NOT DISTINCT FROM q.fetch_date
                            AND rp.platform IS NOT DISTINCT FROM q.platform
        ORDER BY 1 NULLS FIRST, 2 NULLS FIRST
        """
    )
    rows = records(cur, limit=None)
    bad = []
    for r in rows:
        problems = []
        if r["raw_records"] != r["clean"] + r["duplicates"] + r["quarantined"]:
            problems.append(f"read {r['raw_records']} != {r['clean']} clean + {r['duplicates']} duplicates "
                            f"+ {r['quarantined']} quarantined")
        if r["clean"] != r["clean_rows"]:
            problems.append(f"reconciliation says {r['clean']} clean, clean.post_snapshots holds {r['clean_rows']}")
        if r["quarantined"] != r["quarantine_rows"]:
            problems.append(f"reconciliation says {r['quarantined']} quarantined, clean.quarantine holds {r['quarantine_rows']}")
        if problems:
            bad.append({"fetch_date": r["fetch_date"], "platform": r["platform"], "problem": "; ".join(problems)})
    per_platform = reconciliation(conn, scope)
    totals = {k: sum(p[k] for p in per_platform) for k in ("raw_records", "clean", "duplicates", "quarantined")}
    meta = {"by_platform": per_platform, **totals}
    if bad:
        first = bad[0]
        return CheckOutcome(
            False,
            f"reconciliation does not balance on {len(bad)} fetch day/platform pair(s); first {first['fetch_date']} "
            f"{first['platform'] or '(unreadable)'}: {first['problem']}. Re-run the cleaned partition; if it persists, "
            "the parser loses records",
            {**meta, "unbalanced": bad[:50]},
        )
    return CheckOutcome(
        True,
        f"{totals['raw_records']} post records read = {totals['clean']} clean + {totals['duplicates']} duplicates + "
        f"{totals['quarantined']} quarantined, on every fetch day and platform",
        meta,
    )


def quarantine_empty(conn: duckdb.DuckDBPyConnection, edition: str | None = None, *,
                     fetch_days: FetchDays = None) -> CheckOutcome:
    """Nothing quarantined. A warning, not an error: quarantined records are accounted for and
    the run goes on, but each one is data the award does not see, so a person should look."""
    scope = fetch_day_filter(resolve_fetch_days(conn, edition, fetch_days))
    n = conn.execute(f"SELECT count(*) FROM clean.quarantine WHERE {scope}").fetchone()[0]
    if n == 0:
        return CheckOutcome(True, "nothing quarantined", {"quarantined": 0})
    # reasons quote the offending values; without them, reasons group into kinds of damage
    by_reason = records(conn.execute(
        f"""SELECT coalesce(platform, '(unreadable)') AS platform, record_kind,
                   regexp_replace(reason, '"[^"]*"', '"…"', 'g') AS reason, count(*) AS records
            FROM clean.quarantine WHERE {scope} GROUP BY ALL ORDER BY records DESC, 1, 3"""))
    examples = records(conn.execute(
        f"""SELECT source_file, source_line, source_position, platform, reason FROM clean.quarantine
            WHERE {scope} ORDER BY source_file, source_line, source_position NULLS FIRST"""))
    top = by_reason[0]
    return CheckOutcome(
        False,
        f"{n} record(s) quarantined; most common: {top['records']} x {top['platform']}: {top['reason']}. "
        "See `gsm quality` or clean.quarantine for file, line and reason",
        {"quarantined": n, "by_reason": by_reason, "examples": examples},
    )


def follower_jumps(conn: duckdb.DuckDBPyConnection, edition: str | None = None, *,
                   fetch_days: FetchDays = None, share: float = FOLLOWER_JUMP_SHARE,
                   days: int = FOLLOWER_JUMP_DAYS) -> CheckOutcome:
    """A follower count more than `share` above the lowest, or below the highest, count of the
    same account in the `days` before it. Against every earlier snapshot of the window, not just
    the previous one, so that a climb in several small steps is seen too. Audience divides
    every er: a wrong count moves an account's engagement without anyone posting."""
    scope = fetch_day_filter(resolve_fetch_days(conn, edition, fetch_days), "CAST(fetched_at AS DATE)")
    sql = f"""
        WITH f AS (SELECT platform, account_id, fetched_at, max(followers) AS followers
                   FROM clean.follower_snapshots GROUP BY ALL),
             w AS (SELECT *, min(followers) OVER win AS low, max(followers) OVER win AS high,
                          arg_min(fetched_at, followers) OVER win AS low_at, arg_max(fetched_at, followers) OVER win AS high_at
                   FROM f WINDOW win AS (PARTITION BY platform, account_id ORDER BY fetched_at
                                         RANGE BETWEEN INTERVAL {int(days)} DAYS PRECEDING AND INTERVAL 1 MICROSECOND PRECEDING))
        SELECT platform, account_id, fetched_at, followers,
               CASE WHEN followers > low * {1 + share} THEN low ELSE high END AS earlier_followers,
               CASE WHEN followers > low * {1 + share} THEN low_at ELSE high_at END AS earlier_fetched_at,
               round(100.0 * (followers - CASE WHEN followers > low * {1 + share} THEN low ELSE high END)
                     / nullif(CASE WHEN followers > low * {1 + share} THEN low ELSE high END, 0), 1) AS change_pct
        FROM w
        WHERE {scope} AND (followers > low * {1 + share} OR followers < high * {1 - share})
        ORDER BY platform, account_id, fetched_at
    """
    jumps = records(conn.execute(sql), limit=None)
    if not jumps:
        return CheckOutcome(True, f"no follower count moves more than {share:.0%} within {days} days", {"jumps": 0})
    accounts = sorted({(j["platform"], j["account_id"]) for j in jumps})
    first = jumps[0]
    return CheckOutcome(
        False,
        f"{len(jumps)} follower count(s) of {len(accounts)} account(s) move more than {share:.0%} within {days} days; "
        f"first {first['platform']} {first['account_id']}: {first['earlier_followers']} -> {first['followers']} "
        f"at {first['fetched_at']}. Check the account id and the profile pulls",
        {"jumps": len(jumps), "accounts": len(accounts), "examples": jumps[:20]},
    )
