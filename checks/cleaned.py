"""Checks on the cleaned layer: reconciliation, quarantine, follower counts.

These tables are partitioned by fetch day, not by edition: a check runs on the fetch days of
its Dagster run (the partition range), or on an edition's fetch days (`gsm quality
--edition`), or on everything.
"""

from __future__ import annotations

import duckdb

from checks.outcome import CheckOutcome, FetchDays, fetch_day_filter, records, resolve_fetch_days, resolve_scope
from gsm_platform import accounting
from gsm_platform.parsing.sql import POST_RECORD, PROFILE_RECORD
from gsm_platform.warehouse.rows import one_row

# A follower count that moves more than this share within FOLLOWER_JUMP_DAYS is worth a look:
# bought followers, a wrong account id, or a parser reading the wrong field.
FOLLOWER_JUMP_SHARE = 0.5
FOLLOWER_JUMP_DAYS = 7


def reconciliation(conn: duckdb.DuckDBPyConnection, where: str = "true", record_kind: str = "post") -> list[dict]:
    """Per platform: records read = clean + duplicates + quarantined (clean.reconciliation)."""
    cur = conn.execute(
        f"""SELECT coalesce(platform, '(unreadable)') AS platform, sum(raw_records)::BIGINT AS raw_records,
                   sum(clean)::BIGINT AS clean, sum(duplicates)::BIGINT AS duplicates,
                   sum(quarantined)::BIGINT AS quarantined
            FROM clean.reconciliation WHERE record_kind = ? AND {where} GROUP BY 1 ORDER BY 1""",
        [record_kind],
    )
    return records(cur, limit=None)


# per ledger: what the cleaning's own count is compared with, row for row, per fetch day and platform
_LEDGERS = {
    "post": ("clean.post_snapshots", POST_RECORD, "post records", "clean"),
    "profile": ("clean.follower_snapshots", PROFILE_RECORD, "profile records", "snapshots"),
}


def _ledger_rows(conn: duckdb.DuckDBPyConnection, scope: str, kind: str) -> list[dict]:
    """Per fetch day and platform: the reconciliation's counts of one ledger beside the rows the
    tables hold."""
    table, quarantined, _, _ = _LEDGERS[kind]
    cur = conn.execute(
        f"""
        WITH r AS (SELECT fetch_date, platform, sum(raw_records) AS raw_records, sum(clean) AS clean,
                          sum(duplicates) AS duplicates, sum(quarantined) AS quarantined
                   FROM clean.reconciliation WHERE record_kind = '{kind}' AND {scope} GROUP BY ALL),
             p AS (SELECT fetch_date, platform, count(*) AS n FROM {table} WHERE {scope} GROUP BY ALL),
             q AS (SELECT fetch_date, platform, count(*) AS n FROM clean.quarantine WHERE {quarantined} AND {scope}
                   GROUP BY ALL),
             k AS (SELECT fetch_date, platform FROM r UNION SELECT fetch_date, platform FROM p
                   UNION SELECT fetch_date, platform FROM q)
        SELECT k.fetch_date, k.platform,
               coalesce(r.raw_records, 0)::BIGINT AS raw_records, coalesce(r.clean, 0)::BIGINT AS clean,
               coalesce(r.duplicates, 0)::BIGINT AS duplicates, coalesce(r.quarantined, 0)::BIGINT AS quarantined,
               coalesce(p.n, 0)::BIGINT AS clean_rows, coalesce(q.n, 0)::BIGINT AS quarantine_rows
        FROM k
        LEFT JOIN r ON r.fetch_date IS NOT DISTINCT FROM k.fetch_date AND r.platform IS NOT DISTINCT FROM k.platform
        LEFT JOIN p ON p.fetch_date IS NOT DISTINCT FROM k.fetch_date AND p.platform IS NOT DISTINCT FROM k.platform
        LEFT JOIN q ON q.fetch_date IS NOT DISTINCT FROM k.fetch_date AND q.platform IS NOT DISTINCT FROM k.platform
        ORDER BY 1 NULLS FIRST, 2 NULLS FIRST
        """
    )
    return records(cur, limit=None)


def _ledger_balanced(
    conn: duckdb.DuckDBPyConnection, edition: str | None, fetch_days: FetchDays, kind: str
) -> CheckOutcome:
    """read = kept + duplicates + quarantined per fetch day and platform, and the kept and
    quarantined counts are the rows the tables hold. The second half is what makes the first
    trustworthy: a record the reconciliation counts but no table holds was dropped silently."""
    _, _, words, kept = _LEDGERS[kind]
    scope = resolve_scope(conn, edition, fetch_days)
    bad = []
    for r in _ledger_rows(conn, scope.where(), kind):
        problems = []
        if r["raw_records"] != r["clean"] + r["duplicates"] + r["quarantined"]:
            problems.append(
                f"read {r['raw_records']} != {r['clean']} {kept} + {r['duplicates']} duplicates "
                f"+ {r['quarantined']} quarantined"
            )
        if r["clean"] != r["clean_rows"]:
            table = _LEDGERS[kind][0]
            problems.append(f"reconciliation says {r['clean']} {kept}, {table} holds {r['clean_rows']}")
        if r["quarantined"] != r["quarantine_rows"]:
            problems.append(
                f"reconciliation says {r['quarantined']} quarantined, clean.quarantine holds {r['quarantine_rows']}"
            )
        if problems:
            bad.append({"fetch_date": r["fetch_date"], "platform": r["platform"], "problem": "; ".join(problems)})
    ledger = getattr(accounting.counts(conn, scope), "posts" if kind == "post" else "profiles")
    meta = {
        "scope": scope.label,
        "by_platform": reconciliation(conn, scope.where(), kind),
        "raw_records": ledger.read,
        "clean": ledger.kept,
        "duplicates": ledger.duplicates,
        "quarantined": ledger.quarantined,
    }
    if bad:
        first = bad[0]
        return CheckOutcome(
            False,
            f"{words} do not balance on {len(bad)} fetch day/platform pair(s) of {scope.label}; "
            f"first {first['fetch_date']} "
            f"{first['platform'] or '(unreadable)'}: {first['problem']}. Re-run the cleaned partition; if it persists, "
            "the parser loses records",
            {**meta, "unbalanced": bad[:50]},
        )
    dups = f" + {ledger.duplicates} duplicates" if kind == "post" else ""
    return CheckOutcome(
        True,
        f"{words}: {ledger.read} read = {ledger.kept} {kept}{dups} + {ledger.quarantined} quarantined, on every "
        f"fetch day and platform of {scope.label}",
        meta,
    )


def reconciliation_balanced(
    conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, fetch_days: FetchDays = None
) -> CheckOutcome:
    """Post records: read (the length of each page's list) = clean + duplicates + quarantined."""
    return _ledger_balanced(conn, edition, fetch_days, "post")


def profile_reconciliation_balanced(
    conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, fetch_days: FetchDays = None
) -> CheckOutcome:
    """Profile records (follower counts): read (the accounts each body lists) = snapshots + quarantined."""
    return _ledger_balanced(conn, edition, fetch_days, "profile")


def envelopes_accounted_for(
    conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, fetch_days: FetchDays = None
) -> CheckOutcome:
    """Every envelope the landing indexed (counted from raw.envelopes, not from the cleaning) was
    parsed or quarantined whole, per fetch day and platform. An envelope the cleaning never
    reached (a fetch month never cleaned, a platform skipped) fails it, whatever the record
    ledgers say: they only count what was parsed."""
    scope = resolve_scope(conn, edition, fetch_days)
    where = scope.where()
    cur = conn.execute(
        f"""
        WITH i AS (SELECT fetch_date, platform, count(*) AS n FROM raw.envelopes WHERE {where} GROUP BY ALL),
             r AS (SELECT fetch_date, platform, sum(clean) AS parsed, sum(quarantined) AS quarantined
                   FROM clean.reconciliation WHERE record_kind = 'envelope' AND {where} GROUP BY ALL),
             q AS (SELECT fetch_date, platform, count(*) AS n FROM clean.quarantine
                   WHERE record_kind = 'envelope' AND {where} GROUP BY ALL),
             k AS (SELECT fetch_date, platform FROM i UNION SELECT fetch_date, platform FROM r
                   UNION SELECT fetch_date, platform FROM q)
        SELECT k.fetch_date, k.platform, coalesce(i.n, 0)::BIGINT AS indexed, coalesce(r.parsed, 0)::BIGINT AS parsed,
               coalesce(q.n, 0)::BIGINT AS quarantined, coalesce(r.quarantined, 0)::BIGINT AS quarantined_counted
        FROM k
        LEFT JOIN i ON i.fetch_date IS NOT DISTINCT FROM k.fetch_date AND i.platform IS NOT DISTINCT FROM k.platform
        LEFT JOIN r ON r.fetch_date IS NOT DISTINCT FROM k.fetch_date AND r.platform IS NOT DISTINCT FROM k.platform
        LEFT JOIN q ON q.fetch_date IS NOT DISTINCT FROM k.fetch_date AND q.platform IS NOT DISTINCT FROM k.platform
        ORDER BY 1 NULLS FIRST, 2 NULLS FIRST
        """
    )
    rows = records(cur, limit=None)
    bad = [
        r
        for r in rows
        if r["indexed"] != r["parsed"] + r["quarantined"] or r["quarantined"] != r["quarantined_counted"]
    ]
    by_month: dict[tuple, dict] = {}
    for r in rows:
        month = r["fetch_date"][:7] if r["fetch_date"] else "(undated)"
        m = by_month.setdefault((month, r["platform"] or "(unreadable)"), {"indexed": 0, "parsed": 0, "quarantined": 0})
        for k in m:
            m[k] += r[k]
    table = [
        {"fetch_month": m, "platform": p, **v, "balanced": v["indexed"] == v["parsed"] + v["quarantined"]}
        for (m, p), v in sorted(by_month.items())
    ]
    env = accounting.counts(conn, scope).envelopes
    meta = {
        "scope": scope.label,
        "by_month": table,
        "indexed": env.read,
        "parsed": env.kept,
        "quarantined": env.quarantined,
    }
    if bad:
        first = bad[0]
        lost = sum(max(r["indexed"] - r["parsed"] - r["quarantined"], 0) for r in bad)
        return CheckOutcome(
            False,
            f"{lost} envelope(s) indexed but neither parsed nor quarantined, on {len(bad)} fetch day/platform pair(s) "
            f"of {scope.label}; first {first['fetch_date'] or '(undated)'} {first['platform'] or '(unreadable)'}: "
            f"{first['indexed']} indexed, {first['parsed']} parsed, {first['quarantined']} quarantined. Clean the "
            "fetch month(s) (gsm update); if it persists, the cleaning loses envelopes",
            {**meta, "unbalanced": bad[:50]},
        )
    return CheckOutcome(
        True,
        f"{env.read} envelopes indexed = {env.kept} parsed + {env.quarantined} quarantined "
        "whole, "
        f"on every fetch day and platform of {scope.label}",
        meta,
    )


def quarantine_empty(
    conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, fetch_days: FetchDays = None
) -> CheckOutcome:
    """Nothing quarantined. A warning, not an error: quarantined records are accounted for and
    the run goes on, but each one is data the award does not see, so a person should look."""
    scope = resolve_scope(conn, edition, fetch_days)
    where = scope.where()
    c = accounting.counts(conn, scope)
    n = c.quarantine_rows
    kinds = {
        "post_records_quarantined": c.posts.quarantined,
        "profile_records_quarantined": c.profiles.quarantined,
        "envelopes_quarantined_whole": c.envelopes.quarantined,
        "quarantined": n,
        "scope": scope.label,
    }
    if n == 0:
        return CheckOutcome(True, f"nothing quarantined in {scope.label}", kinds)
    # reasons quote the offending values; without them, reasons group into kinds of damage
    by_reason = records(
        conn.execute(
            f"""SELECT coalesce(platform, '(unreadable)') AS platform, record_kind,
                   regexp_replace(reason, '"[^"]*"', '"…"', 'g') AS reason, count(*) AS records
            FROM clean.quarantine WHERE {where} GROUP BY ALL ORDER BY records DESC, 1, 3"""
        )
    )
    examples = records(
        conn.execute(
            f"""SELECT source_file, source_line, source_position, post_id, platform, record_kind, reason
            FROM clean.quarantine WHERE {where} ORDER BY source_file, source_line, source_position NULLS FIRST"""
        )
    )
    top = by_reason[0]
    return CheckOutcome(
        False,
        f"{n} record(s) quarantined in {scope.label}: {c.posts.quarantined} post records, {c.profiles.quarantined} "
        f"profile records (of which {c.envelopes.quarantined} whole envelopes); most common: {top['records']} x "
        f"{top['platform']} {top['record_kind']}: {top['reason']}. See `gsm quality` or clean.quarantine for file, "
        "line, position and reason",
        {**kinds, "by_reason": by_reason, "examples": examples},
    )


def follower_jumps(
    conn: duckdb.DuckDBPyConnection,
    edition: str | None = None,
    *,
    fetch_days: FetchDays = None,
    share: float = FOLLOWER_JUMP_SHARE,
    days: int = FOLLOWER_JUMP_DAYS,
) -> CheckOutcome:
    """A follower count more than `share` above the lowest, or below the highest, count of the
    same account in the `days` before it. Against every earlier snapshot of the window, not just
    the previous one, so that a climb in several small steps is seen too. Audience divides
    every er: a wrong count moves an account's engagement without anyone posting."""
    scope = fetch_day_filter(resolve_fetch_days(conn, edition, fetch_days), "CAST(fetched_at AS DATE)")
    sql = f"""
        WITH f AS (SELECT platform, account_id, fetched_at, max(followers) AS followers
                   FROM clean.follower_snapshots GROUP BY ALL),
             w AS (SELECT *, min(followers) OVER win AS low, max(followers) OVER win AS high,
                          arg_min(fetched_at, followers) OVER win AS low_at,
                          arg_max(fetched_at, followers) OVER win AS high_at
                   FROM f WINDOW win AS (PARTITION BY platform, account_id ORDER BY fetched_at
                                         RANGE BETWEEN INTERVAL {int(days)} DAYS PRECEDING
                                               AND INTERVAL 1 MICROSECOND PRECEDING))
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


def post_details_complete(
    conn: duckdb.DuckDBPyConnection, edition: str | None = None, fetch_days: FetchDays = None
) -> CheckOutcome:
    """Every clean post of the fetch days has its details row (clean.post_details: permalink,
    mentions, media; gsm_platform/parsing/details.py), and every details row of those days comes
    from a clean post snapshot, read from the two tables apart. A post without details would
    silently drop out of the outlook's collaboration posts and the jury's links."""
    scope = resolve_scope(conn, edition, fetch_days)
    where = scope.where()
    missing, orphans, posts = one_row(
        conn,
        f"""
        WITH posts AS (SELECT DISTINCT platform, account_id, post_id FROM clean.post_snapshots WHERE {where}),
             details AS (SELECT DISTINCT platform, account_id, post_id FROM clean.post_details)
        SELECT (SELECT count(*) FROM posts ANTI JOIN details USING (platform, account_id, post_id)),
               (SELECT count(*) FROM clean.post_details d WHERE {scope.where("d.fetch_date")}
                  AND NOT EXISTS (SELECT 1 FROM clean.post_snapshots s
                                  WHERE s.source_file = d.source_file AND s.source_line = d.source_line
                                    AND s.source_position = d.source_position AND s.post_id = d.post_id)),
               (SELECT count(*) FROM posts)
        """,
        what=f"the clean posts and their details ({scope.label})",
    )
    meta = {"posts": posts, "posts_without_details": missing, "details_without_snapshot": orphans}
    if missing or orphans:
        examples = records(
            conn.execute(
                f"""SELECT platform, account_id, post_id FROM
                      (SELECT DISTINCT platform, account_id, post_id FROM clean.post_snapshots WHERE {where})
                    ANTI JOIN clean.post_details USING (platform, account_id, post_id) ORDER BY ALL"""
            )
        )
        return CheckOutcome(
            False,
            f"{missing} of {posts} clean post(s) have no row in clean.post_details and {orphans} details row(s) "
            f"come from no clean snapshot ({scope.label}): clean those fetch months again",
            {**meta, "examples": examples},
        )
    return CheckOutcome(True, f"all {posts} clean post(s) have their details ({scope.label})", meta)
