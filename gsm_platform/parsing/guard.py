"""The guard at the end of every cleaning slice: the slice keeps every record it read.

Why it exists: DuckDB 2.0.0 (and 1.4/1.5) loses rows inside an explicit transaction. An
order-preserving INSERT ... SELECT from a table scan that inserts nothing, followed in the same
transaction by another such INSERT into the same table of at least 110,592 rows (0.9 x the
122,880-row group, where the insert writes its rows optimistically), reports its rows and
counts them in the table's statistics, but no scan ever sees them; COMMIT keeps them lost.
Cleaning a slice is one transaction with one INSERT into `post_candidates` per platform: an
x-only slice with ~130,000 post records lost them all (facebook and instagram inserted nothing
before), and the reconciliation agreed, being computed from the same empty tables.
tests/test_cleaning_guard.py holds the minimal reproduction; DuckDB 2.0.1 no longer loses them.

So "read" here never comes from the tables the result came from: it is counted from the raw
JSON of the slice's envelopes (the length of each posts list, at the paths each platform module
names in POSTS_PATHS), and compared with the rows the slice actually holds, scanned (a bare
count(*) answers from statistics, which is exactly what the bug leaves right). A mismatch
raises before COMMIT, so the slice's previous cleaned rows stay as they were.
"""

from __future__ import annotations

from types import ModuleType

import duckdb

from gsm_platform.parsing.sql import ENVELOPE, POST, POST_RECORD
from gsm_platform.warehouse.rows import one_row


class CleaningLostRecords(RuntimeError):
    """A cleaning slice holds fewer (or more) records than its envelopes carry."""


def _list_length(paths: tuple[str, ...]) -> str:
    """SQL over `raw.envelopes e`: the posts at the first of the paths that holds any: the
    length of a JSON array, 1 for a single object (the one-item case), else NULL (also for
    text that is not JSON). json_type and json_array_length each take the list of paths, so
    nothing is extracted: json_extract copied every posts list out of the text first, which made
    this count ~1.7x slower (two months of award-scale envelopes, 714k post records: 1.2-1.4 s
    CPU before, 0.8 s now, the same sums; busy machine)."""
    types = f"try(json_type(e.text, {list(paths)!r}))"
    lengths = f"try(json_array_length(e.text, {list(paths)!r}))"
    by_path = (
        f"list_transform(list_zip({types}, {lengths}), lambda t: CASE t[1] WHEN 'ARRAY' THEN t[2] "
        "WHEN 'OBJECT' THEN 1 END)"
    )
    return f"list_filter({by_path}, lambda n: n IS NOT NULL)[1]"


def posts_read(parsers: dict[str, ModuleType]) -> str:
    """SQL over `raw.envelopes e`: the post records an envelope carries, as the reconciliation
    counts them: the posts of its list; 1 for an envelope whose list cannot be found (it is
    quarantined whole: its posts cannot be counted, sql.POST_RECORD); 0 for a profile envelope."""
    by_platform = " ".join(f"WHEN '{name}' THEN {_list_length(p.POSTS_PATHS)}" for name, p in parsers.items())
    return f"CASE WHEN e.kind = 'profile' THEN 0 ELSE coalesce(CASE e.platform {by_platform} END, 1) END"


def check_slice(conn: duckdb.DuckDBPyConnection, window: str, scope: str, parsers: dict[str, ModuleType]) -> None:
    """Raise CleaningLostRecords unless, per fetch day and platform, the post records read from
    the envelopes' JSON = clean rows + duplicates + quarantined rows of the slice, and every
    profile envelope has a follower snapshot or a quarantine row. Runs inside the slice's
    transaction, before COMMIT."""
    rows = conn.execute(
        f"""
        WITH whole AS (SELECT DISTINCT source_file, source_line FROM clean.quarantine
                       WHERE ({scope}) AND record_kind = '{ENVELOPE}'),
        read AS (
          SELECT e.fetch_date, e.platform,
                 sum(CASE WHEN e.kind = 'profile' THEN 0 WHEN w.source_file IS NOT NULL THEN 1
                          ELSE {posts_read(parsers)} END) AS n
          FROM raw.envelopes e LEFT JOIN whole w USING (source_file, source_line)
          WHERE ({scope}) GROUP BY ALL),
        clean AS (SELECT fetch_date, platform, count(post_id) AS n FROM clean.post_snapshots
                  WHERE {window} GROUP BY ALL),
        quarantined AS (SELECT fetch_date, platform, count(source_line) AS n FROM clean.quarantine
                        WHERE ({scope}) AND {POST_RECORD} GROUP BY ALL),
        duplicates AS (SELECT fetch_date, platform, sum(duplicates) AS n FROM clean.reconciliation
                       WHERE ({scope}) AND record_kind = '{POST}' GROUP BY ALL)
        -- GROUP BY matches NULL with NULL (an undated or unreadable envelope), a join would not
        SELECT fetch_date, platform, sum(r), sum(c), sum(d), sum(q)
        FROM (SELECT fetch_date, platform, n AS r, 0 AS c, 0 AS d, 0 AS q FROM read
              UNION ALL SELECT fetch_date, platform, 0, n, 0, 0 FROM clean
              UNION ALL SELECT fetch_date, platform, 0, 0, n, 0 FROM duplicates
              UNION ALL SELECT fetch_date, platform, 0, 0, 0, n FROM quarantined)
        GROUP BY ALL HAVING sum(r) <> sum(c) + sum(d) + sum(q)
        ORDER BY ALL
        """
    ).fetchall()
    problems = [
        f"{platform or '(unreadable)'} fetched {day}: read {read} post records from the envelopes' JSON, "
        f"kept {clean} clean + {dup} duplicates + {quar} quarantined"
        for day, platform, read, clean, dup, quar in rows
    ]
    unmatched = one_row(
        conn,
        f"""SELECT count(*), min(source_file || ' line ' || source_line) FROM raw.envelopes e
            WHERE ({scope}) AND e.kind = 'profile' AND e.platform IN ({", ".join(f"'{p}'" for p in parsers)})
              AND NOT EXISTS (SELECT 1 FROM clean.follower_snapshots f
                              WHERE f.source_file = e.source_file AND f.source_line = e.source_line)
              AND NOT EXISTS (SELECT 1 FROM clean.quarantine q
                              WHERE q.source_file = e.source_file AND q.source_line = e.source_line)""",
        what="the profile envelopes without a snapshot or a quarantine row",
    )
    if unmatched[0]:
        problems.append(
            f"{unmatched[0]} profile envelope(s) with neither a follower snapshot nor a quarantine row "
            f"(first: {unmatched[1]})"
        )
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise CleaningLostRecords(
            f"cleaning lost records, nothing of this slice was committed: {shown}. "
            "This is a bug (in gsm or in DuckDB), not bad data: keep the warehouse as it is and report it"
        )
