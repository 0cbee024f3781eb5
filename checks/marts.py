"""Checks on the dbt award-metric marts (marts/<model> -> relation main.<model>), per edition.

The marts' columns are read from the warehouse, not assumed: an edition column (`edition_id`
or `edition`), `category`, `cluster`, `platform`, `rank` and the score columns (`score`,
`*_score`) are used where a mart has them, so one check serves every mart.
"""

from __future__ import annotations

import duckdb

from checks.outcome import (
    EXAMPLES,
    MART_SCHEMA,
    SCORE_TOLERANCE,
    CheckOutcome,
    columns,
    edition_exists,
    records,
    require_relation,
)
from gsm_platform.vocabulary import CATEGORIES
from gsm_platform.warehouse.rows import one_row, one_value

# The dbt models the award checks: one mart per award metric, then the rankings.
METRIC_MARTS = CATEGORIES  # one mart per award category, named for it (dbt_project/models/marts/)
RANKINGS_MART = "rankings"
EDITION_COLUMNS = ("edition_id", "edition")
RANK_GROUP_COLUMNS = ("category", "cluster", "platform")
KEY_COLUMNS = ("category", "cluster", "platform", "institution_id", "account_id")

# Possible bought engagement: a post whose er is more than ER_OUTLIER_FACTOR times its account's
# median er, for accounts with at least ER_HISTORY_POSTS other posts that have an er.
ER_OUTLIER_FACTOR = 10
ER_HISTORY_POSTS = 20


def _mart(conn: duckdb.DuckDBPyConnection, model: str) -> tuple[str, list[str], str | None]:
    rel = require_relation(conn, MART_SCHEMA, model)
    cols = columns(conn, MART_SCHEMA, model)
    edition_col = next((c for c in EDITION_COLUMNS if c in cols), None)
    return rel, cols, edition_col


def _edition_where(edition: str | None, edition_col: str | None) -> tuple[str, list]:
    if edition is None or edition_col is None:
        return "true", []
    return f"{edition_col} = ?", [edition]


def scores_in_range(conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, model: str) -> CheckOutcome:
    """Every score is a percentile or a weighted mean of percentiles, so it lies in [0, 100];
    `score` is never NULL or NaN (an institution without an eligible account scores 0). A
    score outside that range means a weight or percentile is wrong, and every rank after it."""
    rel, cols, edition_col = _mart(conn, model)
    score_cols = [c for c in cols if c == "score" or c.endswith("_score")]
    if not score_cols:
        return CheckOutcome(
            False,
            f"{rel} has no score column (score or *_score): the [0, 100] range cannot be checked",
            {"columns": ", ".join(cols)},
        )
    where, params = _edition_where(edition, edition_col)
    bad_conditions = []
    for c in score_cols:
        x = f"CAST({c} AS DOUBLE)"
        cond = f"{x} < {-SCORE_TOLERANCE} OR {x} > {100 + SCORE_TOLERANCE} OR isnan({x})"
        if c == "score":
            cond += f" OR {c} IS NULL"
        bad_conditions.append(f"({cond})")
    bad = " OR ".join(bad_conditions)
    keys = [c for c in (edition_col, *KEY_COLUMNS) if c and c in cols]
    n_rows, n_bad = one_row(
        conn, f"SELECT count(*), count(*) FILTER (WHERE {bad}) FROM {rel} WHERE {where}", params, what=f"{rel} scores"
    )
    meta = {"rows": n_rows, "score_columns": ", ".join(score_cols), "out_of_range": n_bad}
    if n_bad:
        examples = records(
            conn.execute(
                f"SELECT {', '.join(keys + score_cols)} FROM {rel} WHERE ({where}) AND ({bad}) "
                f"ORDER BY ALL LIMIT {EXAMPLES}",
                params,
            )
        )
        first = examples[0]
        return CheckOutcome(
            False,
            f"{n_bad} of {n_rows} row(s) of {rel} have a score outside [0, 100] (or NULL/NaN); first: "
            + ", ".join(f"{k}={first[k]}" for k in first),
            {**meta, "examples": examples},
        )
    return CheckOutcome(True, f"all {n_rows} row(s) of {rel} score within [0, 100]", meta)


def ranks_contiguous(conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, model: str) -> CheckOutcome:
    """Ranks are 1..n without gap or duplicate inside each (edition, category, cluster) (and
    platform, for a per-platform mart): ties are broken by rule, so two institutions never
    share a rank and no rank is skipped. A mart without a `rank` column passes with a note."""
    rel, cols, edition_col = _mart(conn, model)
    if "rank" not in cols:
        return CheckOutcome(True, f"{rel} has no rank column: nothing to check", {"columns": ", ".join(cols)})
    group = [c for c in (edition_col, *RANK_GROUP_COLUMNS) if c and c in cols]
    where, params = _edition_where(edition, edition_col)
    group_sql = ", ".join(group) if group else "'all' AS scope"
    cur = conn.execute(
        f"""SELECT {group_sql}, count(*) AS rows, count(rank) AS ranked, count(DISTINCT rank) AS distinct_ranks,
                   min(rank) AS lowest, max(rank) AS highest
            FROM {rel} WHERE {where} GROUP BY ALL
            HAVING NOT (count(rank) = count(*) AND min(rank) = 1 AND max(rank) = count(*)
                        AND count(DISTINCT rank) = count(*))
            ORDER BY ALL""",
        params,
    )
    bad = records(cur, limit=None)
    n_groups = one_value(
        conn,
        f"SELECT count(*) FROM (SELECT DISTINCT {group_sql} FROM {rel} WHERE {where})",
        params,
        what=f"{rel} groups",
    )
    if not bad:
        return CheckOutcome(
            True, f"ranks are 1..n without gap or duplicate in all {n_groups} group(s) of {rel}", {"groups": n_groups}
        )
    for b in bad:
        kinds = []
        if b["distinct_ranks"] < b["ranked"]:
            kinds.append("duplicate rank")
        if b["ranked"] < b["rows"]:
            kinds.append("missing rank")
        if b["lowest"] != 1 or b["highest"] != b["rows"]:
            kinds.append(f"ranks {b['lowest']}..{b['highest']} for {b['rows']} rows")
        b["problem"] = ", ".join(kinds) or "gap"
    first = bad[0]
    where_first = ", ".join(f"{c}={first[c]}" for c in group) if group else rel
    return CheckOutcome(
        False,
        f"{len(bad)} of {n_groups} group(s) of {rel} have a rank gap or a duplicate rank; "
        f"first {where_first}: {first['problem']}",
        {"groups": n_groups, "bad_groups": bad[:50]},
    )


def every_cluster_ranked(
    conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, model: str = RANKINGS_MART
) -> CheckOutcome:
    """Every cluster an edition awards has at least one ranked institution in every category.
    An empty cluster means its institutions' accounts or posts never reached the marts (a
    registry, window or platform mistake), and the jury would get no nominees for it."""
    rel, cols, edition_col = _mart(conn, model)
    if edition_col is None or "cluster" not in cols:
        return CheckOutcome(
            False,
            f"{rel} has no edition or cluster column: cluster coverage cannot be checked",
            {"columns": ", ".join(cols)},
        )
    if edition is not None:
        if not edition_exists(conn, edition):
            return CheckOutcome(False, f"edition {edition} is not in registry.editions")
        editions = [edition]
    else:
        editions = [r[0] for r in conn.execute(f"SELECT DISTINCT {edition_col} FROM {rel} ORDER BY 1").fetchall()]
        if not editions:
            return CheckOutcome(False, f"{rel} has no rows: no edition is ranked")
    categories: list[str | None] = list(CATEGORIES) if "category" in cols else [None]
    category_match = "AND r.category = c.category" if "category" in cols else ""
    cur = conn.execute(
        f"""SELECT ec.edition_id, ec.cluster, c.category
            FROM registry.edition_clusters ec CROSS JOIN (SELECT unnest(?::VARCHAR[]) AS category) c
            WHERE list_contains(?::VARCHAR[], ec.edition_id)
              AND NOT EXISTS (SELECT 1 FROM {rel} r WHERE r.{edition_col} = ec.edition_id AND r.cluster = ec.cluster
                              {category_match})
            ORDER BY 1, 2, 3""",
        [categories, editions],
    )
    missing = records(cur, limit=None)
    expected = one_value(
        conn,
        "SELECT count(*) FROM registry.edition_clusters WHERE list_contains(?::VARCHAR[], edition_id)",
        [editions],
        what="the clusters of the editions",
    ) * len(categories)
    meta = {"editions": ", ".join(editions), "expected_cluster_categories": expected, "missing": len(missing)}
    if missing:
        clusters = sorted({(m["edition_id"], m["cluster"]) for m in missing})
        return CheckOutcome(
            False,
            f"{len(clusters)} edition cluster(s) have no ranked institution in some category: "
            + "; ".join(f"{e} {c}" for e, c in clusters[:10])
            + ". Check the registry (institutions of that cluster, their accounts) and the landed data",
            {**meta, "missing_examples": missing[:50]},
        )
    return CheckOutcome(
        True, f"every cluster of edition(s) {', '.join(editions)} has ranked institutions in every category", meta
    )


def _editions_with_posts(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            """SELECT e.edition_id FROM registry.editions e
           WHERE EXISTS (SELECT 1 FROM clean.post_snapshots p
                         WHERE p.published_at >= e.start_date AND p.published_at < e.end_date)
           ORDER BY e.start_date, e.edition_id"""
        ).fetchall()
    ]


def _scope_editions(conn: duckdb.DuckDBPyConnection, edition: str | None) -> list[str]:
    return [edition] if edition is not None else _editions_with_posts(conn)


# Institutions of an edition's clusters with at least one post in its window on its platforms
# (institution accounts only: leaders are tracked, never scored) -- METHODOLOGY "who is ranked".
_POSTED_INSTITUTIONS = """
    SELECT DISTINCT e.edition_id, a.institution_id
    FROM registry.editions e
    JOIN registry.edition_clusters ec ON ec.edition_id = e.edition_id
    JOIN registry.institutions i ON i.cluster = ec.cluster
    JOIN registry.accounts a ON a.institution_id = i.institution_id AND a.role = 'institution'
    JOIN registry.edition_platforms ep ON ep.edition_id = e.edition_id AND ep.platform = a.platform
    WHERE list_contains(?::VARCHAR[], e.edition_id)
      AND EXISTS (SELECT 1 FROM clean.post_snapshots p
                  WHERE p.platform = a.platform AND p.account_id = a.account_id
                    AND p.published_at >= e.start_date AND p.published_at < e.end_date)
"""


def institutions_with_posts_ranked(
    conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, model: str = RANKINGS_MART
) -> CheckOutcome:
    """The ranked institutions are exactly those with a post in the window, each in every
    category: nobody with posts silently left out, nobody without posts ranked. Recomputed from
    the cleaned tables, independently of the dbt models."""
    rel, cols, edition_col = _mart(conn, model)
    if edition_col is None or "institution_id" not in cols:
        return CheckOutcome(False, f"{rel} has no edition or institution_id column", {"columns": ", ".join(cols)})
    editions = (
        [edition]
        if edition is not None
        else [r[0] for r in conn.execute(f"SELECT DISTINCT {edition_col} FROM {rel} ORDER BY 1").fetchall()]
    )
    n_categories = len(CATEGORIES) if "category" in cols else 1
    category_count = "count(DISTINCT category)" if "category" in cols else "1"
    cur = conn.execute(
        f"""WITH posted AS ({_POSTED_INSTITUTIONS}),
                 ranked AS (SELECT {edition_col} AS edition_id, institution_id, {category_count} AS categories
                            FROM {rel} WHERE list_contains(?::VARCHAR[], {edition_col}) GROUP BY ALL)
            SELECT coalesce(p.edition_id, r.edition_id) AS edition_id,
                   coalesce(p.institution_id, r.institution_id) AS institution_id,
                   CASE WHEN r.institution_id IS NULL THEN 'has posts in the window but is not ranked'
                        WHEN p.institution_id IS NULL THEN 'is ranked but has no post in the window'
                        ELSE 'is ranked in ' || r.categories || ' of {n_categories} categories' END AS problem
            FROM posted p FULL JOIN ranked r ON p.edition_id = r.edition_id AND p.institution_id = r.institution_id
            WHERE p.institution_id IS NULL OR r.institution_id IS NULL OR r.categories <> {n_categories}
            ORDER BY 1, 2""",
        [editions, editions],
    )
    bad = records(cur, limit=None)
    if not bad:
        return CheckOutcome(
            True,
            f"the ranked institutions of edition(s) {', '.join(editions) or '-'} are exactly those "
            "with a post in the window, each in every category",
            {"editions": ", ".join(editions)},
        )
    first = bad[0]
    return CheckOutcome(
        False,
        f"{len(bad)} institution(s) ranked inconsistently with their posts; first: {first['institution_id']} "
        f"({first['edition_id']}) {first['problem']}",
        {"editions": ", ".join(editions), "institutions": bad[:50]},
    )


def accounts_have_posts(conn: duckdb.DuckDBPyConnection, edition: str | None = None) -> CheckOutcome:
    """Every institution account of an edition's clusters and platforms has at least one post in
    the edition window. A silent account is often a changed account id, a renamed handle or a
    pull that never ran; it scores 0 on that platform either way. Without an edition: every
    edition that has posts."""
    editions = _scope_editions(conn, edition)
    cur = conn.execute(
        """SELECT e.edition_id, a.institution_id, a.platform, a.account_id, a.handle
           FROM registry.editions e
           JOIN registry.edition_clusters ec ON ec.edition_id = e.edition_id
           JOIN registry.institutions i ON i.cluster = ec.cluster
           JOIN registry.accounts a ON a.institution_id = i.institution_id AND a.role = 'institution'
           JOIN registry.edition_platforms ep ON ep.edition_id = e.edition_id AND ep.platform = a.platform
           WHERE list_contains(?::VARCHAR[], e.edition_id)
             AND NOT EXISTS (SELECT 1 FROM clean.post_snapshots p
                             WHERE p.platform = a.platform AND p.account_id = a.account_id
                               AND p.published_at >= e.start_date AND p.published_at < e.end_date)
           ORDER BY 1, 2, 3, 4""",
        [editions],
    )
    silent = records(cur, limit=None)
    if not silent:
        return CheckOutcome(
            True,
            f"every institution account has a post in the window of edition(s) {', '.join(editions) or '-'}",
            {"editions": ", ".join(editions)},
        )
    first = silent[0]
    return CheckOutcome(
        False,
        f"{len(silent)} institution account(s) have no post in the edition window; first: {first['platform']} "
        f"{first['account_id']} of {first['institution_id']} ({first['edition_id']}). "
        "Check the account id and the pulls",
        {"editions": ", ".join(editions), "accounts_without_posts": len(silent), "examples": silent[:50]},
    )


def engagement_outliers(
    conn: duckdb.DuckDBPyConnection,
    edition: str | None = None,
    *,
    factor: float = ER_OUTLIER_FACTOR,
    history: int = ER_HISTORY_POSTS,
) -> CheckOutcome:
    """Posts whose er is more than `factor` times the median er of their own account, where the
    account has at least `history` other posts with an er: possible bought engagement, or a count read
    from the wrong field. Compared with the account's own history, not the cluster's, so a
    large account is not flagged for being large. er follows METHODOLOGY (latest snapshot;
    audience = follower snapshot at or before publication, else the first after; tiktok
    divides by views; hidden counts have no er); it is recomputed here from the cleaned tables
    so the warning does not depend on the models it warns about."""
    if edition is not None:
        window = conn.execute(
            "SELECT start_date, end_date FROM registry.editions WHERE edition_id = ?", [edition]
        ).fetchone()
        if window is None:
            return CheckOutcome(False, f"edition {edition} is not in registry.editions")
        in_scope = f"published_at >= DATE '{window[0]}' AND published_at < DATE '{window[1]}'"
    else:
        in_scope = "true"
    sql = f"""
        WITH latest AS (
               SELECT platform, account_id, post_id, published_at, interactions, views,
                      source_file, source_line, source_position
               FROM clean.post_snapshots
               QUALIFY row_number() OVER (PARTITION BY platform, account_id, post_id
                                          ORDER BY fetched_at DESC, interactions DESC NULLS LAST, views DESC NULLS LAST,
                                                   source_file, source_line, source_position) = 1),
             fol AS (SELECT platform, account_id, fetched_at, max(followers) AS followers
                     FROM clean.follower_snapshots GROUP BY ALL),
             before AS (SELECT l.*, f.followers AS followers_before
                        FROM latest l ASOF LEFT JOIN fol f
                          ON l.platform = f.platform AND l.account_id = f.account_id
                             AND l.published_at >= f.fetched_at),
             audience AS (SELECT b.*, coalesce(b.followers_before, g.followers) AS audience
                          FROM before b ASOF LEFT JOIN fol g
                            ON b.platform = g.platform AND b.account_id = g.account_id
                               AND b.published_at <= g.fetched_at),
             er AS (SELECT *, CASE WHEN platform = 'tiktok' THEN interactions / nullif(views, 0)
                                   ELSE interactions / nullif(audience, 0) END AS er
                    FROM audience WHERE interactions IS NOT NULL),
             history AS (SELECT platform, account_id, median(er) AS median_er, count(*) AS posts_with_er
                         FROM er WHERE er IS NOT NULL GROUP BY ALL HAVING count(*) - 1 >= {int(history)})
        SELECT e.platform, e.account_id, e.post_id, e.published_at, round(e.er, 6) AS er,
               round(h.median_er, 6) AS account_median_er, round(e.er / h.median_er, 1) AS times_median,
               h.posts_with_er, e.source_file, e.source_line, e.source_position
        FROM er e JOIN history h USING (platform, account_id)
        WHERE h.median_er > 0 AND e.er > {float(factor)} * h.median_er AND {in_scope}
        ORDER BY times_median DESC, e.platform, e.account_id, e.post_id
    """
    outliers = records(conn.execute(sql), limit=None)
    scope = f"edition {edition}" if edition else "all posts"
    if not outliers:
        return CheckOutcome(
            True, f"no post ({scope}) has an er above {factor:g}x its account's median", {"outliers": 0}
        )
    first = outliers[0]
    return CheckOutcome(
        False,
        f"{len(outliers)} post(s) ({scope}) have an er above {factor:g}x their account's median (possible bought "
        f"engagement); highest: {first['platform']} post {first['post_id']} of {first['account_id']} at "
        f"{first['times_median']}x (er {first['er']} vs median {first['account_median_er']})",
        {"outliers": len(outliers), "examples": outliers[:EXAMPLES]},
    )
