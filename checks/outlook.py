"""Checks on the GSM Outlook's models (main.outlook_*), per edition: its numbers reconcile with
the award's (the same posts, the same window), its jury packet names real posts of the edition,
and the registry's events of the window are all in its churn. Each count is read from another
table than the one it checks (the rankings mart, clean.post_snapshots, registry.lifecycle_events).
"""

from __future__ import annotations

import duckdb

from checks.outcome import MART_SCHEMA, CheckOutcome, records, require_relation
from gsm_platform.warehouse.rows import one_row

OUTLOOK_MODELS = ("outlook_activity", "outlook_churn", "outlook_collaboration", "outlook_top_posts")


def _editions(conn: duckdb.DuckDBPyConnection, relation: str, edition: str | None) -> list[str]:
    if edition is not None:
        return [edition]
    return [r[0] for r in conn.execute(f"SELECT DISTINCT edition_id FROM {relation} ORDER BY 1").fetchall()]


def activity_matches_rankings(conn: duckdb.DuckDBPyConnection, edition: str | None = None) -> CheckOutcome:
    """Posts per cluster in outlook_activity = the posts in the window of the ranked institutions
    of that cluster in the rankings mart (posts_in_window, one category): the outlook counts the
    posts the award counts."""
    activity = require_relation(conn, MART_SCHEMA, "outlook_activity")
    rankings = require_relation(conn, MART_SCHEMA, "rankings")
    where = "edition_id = ?" if edition is not None else "true"
    params = [edition] if edition is not None else []
    cur = conn.execute(
        f"""
        WITH a AS (SELECT edition_id, cluster, sum(posts)::BIGINT AS outlook_posts FROM {activity} WHERE {where}
                   GROUP BY ALL),
             r AS (SELECT edition_id, cluster, sum(posts_in_window)::BIGINT AS ranked_posts FROM {rankings}
                   WHERE {where} AND category = 'most_active' GROUP BY ALL)
        SELECT coalesce(a.edition_id, r.edition_id) AS edition_id, coalesce(a.cluster, r.cluster) AS cluster,
               coalesce(a.outlook_posts, 0) AS outlook_posts, coalesce(r.ranked_posts, 0) AS ranked_posts
        FROM a FULL JOIN r ON a.edition_id = r.edition_id AND a.cluster = r.cluster
        ORDER BY ALL
        """,
        params + params,
    )
    rows = records(cur, limit=None)
    bad = [r for r in rows if r["outlook_posts"] != r["ranked_posts"]]
    meta = {"clusters": len(rows), "posts": sum(r["outlook_posts"] for r in rows)}
    if bad:
        first = bad[0]
        return CheckOutcome(
            False,
            f"{len(bad)} cluster(s) where the outlook counts other posts than the rankings; first: edition "
            f"{first['edition_id']} {first['cluster']}: outlook {first['outlook_posts']}, rankings "
            f"{first['ranked_posts']}",
            {**meta, "examples": bad},
        )
    return CheckOutcome(
        True, f"the outlook's {meta['posts']} posts are the rankings' in all {len(rows)} cluster(s)", meta
    )


def top_posts_are_edition_posts(conn: duckdb.DuckDBPyConnection, edition: str | None = None) -> CheckOutcome:
    """Every post of the jury packet (outlook_top_posts) is a clean post of an account its
    institution owns in the registry, published in the edition's window, and its nominee is a
    nominee of the rankings."""
    top = require_relation(conn, MART_SCHEMA, "outlook_top_posts")
    rankings = require_relation(conn, MART_SCHEMA, "rankings")
    where = "t.edition_id = ?" if edition is not None else "true"
    cur = conn.execute(
        f"""
        SELECT t.edition_id, t.category, t.institution_id, t.platform, t.account_id, t.post_id,
               CASE WHEN NOT EXISTS (SELECT 1 FROM registry.accounts a WHERE a.institution_id = t.institution_id
                                      AND a.platform = t.platform AND a.account_id = t.account_id
                                      AND a.role = 'institution')
                      THEN 'not an account of the institution in the registry'
                    WHEN NOT EXISTS (SELECT 1 FROM clean.post_snapshots s JOIN registry.editions e
                                       ON e.edition_id = t.edition_id
                                     WHERE s.platform = t.platform AND s.account_id = t.account_id
                                       AND s.post_id = t.post_id AND s.published_at >= e.start_date
                                       AND s.published_at < e.end_date)
                      THEN 'no clean snapshot of the post published in the window'
                    WHEN NOT EXISTS (SELECT 1 FROM {rankings} r WHERE r.edition_id = t.edition_id
                                       AND r.category = t.category AND r.institution_id = t.institution_id
                                       AND r.nominee)
                      THEN 'the institution is not a nominee of the category'
               END AS problem
        FROM {top} t WHERE {where}
        """,
        [edition] if edition is not None else [],
    )
    rows = records(cur, limit=None)
    bad = [r for r in rows if r["problem"]]
    meta = {"top_posts": len(rows), "wrong": len(bad)}
    if bad:
        first = bad[0]
        return CheckOutcome(
            False,
            f"{len(bad)} of {len(rows)} post(s) of the jury packet are not posts of their nominee in the window; "
            f"first: {first['platform']} {first['post_id']} ({first['institution_id']}): {first['problem']}",
            {**meta, "examples": bad[:20]},
        )
    return CheckOutcome(
        True, f"all {len(rows)} post(s) of the jury packet are their nominees' posts in the window", meta
    )


def churn_lists_registry_events(conn: duckdb.DuckDBPyConnection, edition: str | None = None) -> CheckOutcome:
    """Every lifecycle event of the registry dated inside the window, of an institution of the
    edition's clusters (and, for an account's event, an account on the edition's platforms), is
    a row of outlook_churn."""
    churn = require_relation(conn, MART_SCHEMA, "outlook_churn")
    missing_total, expected_total = 0, 0
    examples: list[dict] = []
    for ed in _editions(conn, "registry.editions", edition):
        expected, missing = one_row(
            conn,
            f"""
            WITH expected AS (
                SELECT l.institution_id, l.platform, l.account_id, l.event_date, l.event
                FROM registry.lifecycle_events l
                JOIN registry.institutions i USING (institution_id)
                JOIN registry.edition_clusters c ON c.cluster = i.cluster AND c.edition_id = ?
                JOIN registry.editions e ON e.edition_id = c.edition_id
                WHERE l.event_date >= e.start_date AND l.event_date < e.end_date
                  AND (l.platform IS NULL OR l.platform IN (SELECT platform FROM registry.edition_platforms
                                                            WHERE edition_id = ?)))
            SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (
                SELECT 1 FROM {churn} o WHERE o.edition_id = ? AND o.source = 'registry'
                  AND o.institution_id = x.institution_id AND o.registry_event = x.event
                  AND o.event_date = x.event_date AND o.account_id IS NOT DISTINCT FROM x.account_id))
            FROM expected x
            """,
            [ed, ed, ed],
            what=f"the registry lifecycle events of edition {ed}'s window",
        )
        expected_total += expected
        missing_total += missing
        if missing and len(examples) < 20:
            examples.append({"edition_id": ed, "missing": missing, "expected": expected})
    meta = {"registry_events": expected_total, "missing": missing_total}
    if missing_total:
        return CheckOutcome(
            False,
            f"{missing_total} of {expected_total} registry lifecycle event(s) of the window are not in the "
            "outlook's churn",
            {**meta, "examples": examples},
        )
    return CheckOutcome(True, f"all {expected_total} registry lifecycle event(s) of the window are in the churn", meta)
