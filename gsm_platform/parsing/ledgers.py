"""The three ledgers of a cleaning slice, per fetch day and platform, in clean.reconciliation:

  envelopes      read = parsed + quarantined whole
  post records   read = clean + duplicates + quarantined   (read: the length of each page's list)
  profile records read = follower snapshots + quarantined  (read: the accounts each body lists)

`create_ledgers` makes the slice's temp tables every platform appends to; `reconcile` sums
them once every platform is parsed.
"""

from __future__ import annotations

import duckdb

from gsm_platform.parsing.sql import ENVELOPE, POST_RECORD, PROFILE_RECORD


def create_ledgers(conn: duckdb.DuckDBPyConnection) -> None:
    """The slice's temp tables every platform appends to."""
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE post_candidates (
          source_file VARCHAR, source_line INTEGER, source_position INTEGER, platform VARCHAR,
          account_id VARCHAR, fetched_at TIMESTAMP, fetch_date DATE, post_id VARCHAR,
          published_at TIMESTAMP, media_kind VARCHAR, likes BIGINT, comments BIGINT, shares BIGINT,
          quotes BIGINT, views BIGINT, hidden BOOLEAN);
        CREATE OR REPLACE TEMP TABLE envelopes_parsed (
          source_file VARCHAR, source_line INTEGER, fetch_date DATE, platform VARCHAR);
        CREATE OR REPLACE TEMP TABLE records_read (fetch_date DATE, platform VARCHAR, record_kind VARCHAR, n BIGINT);
        CREATE OR REPLACE TEMP TABLE profile_outcomes (fetch_date DATE, platform VARCHAR, reason VARCHAR);
        """
    )


def reconcile(conn: duckdb.DuckDBPyConnection) -> None:
    """The three ledgers of the slice, per fetch day and platform (see the module docstring). A
    whole envelope that was quarantined counts as one record of its kind, read and quarantined."""
    in_slice = (
        "EXISTS (SELECT 1 FROM envelope_status s WHERE s.source_file = q.source_file AND s.source_line = q.source_line)"
    )
    conn.execute(
        f"""
        INSERT INTO clean.reconciliation
          (fetch_date, platform, record_kind, raw_records, clean, duplicates, quarantined)
        SELECT fetch_date, platform, record_kind, sum(read), sum(clean), sum(duplicates), sum(quarantined)
        FROM (
          SELECT fetch_date, platform, record_kind, n AS read, 0 AS clean, 0 AS duplicates, 0 AS quarantined
          FROM records_read
          UNION ALL
          SELECT fetch_date, platform, 'post', 0, count(*) FILTER (WHERE copy_number = 1),
                 count(*) FILTER (WHERE copy_number > 1), 0
          FROM post_ranked GROUP BY ALL
          UNION ALL
          SELECT fetch_date, platform, 'profile', 0, count(*), 0, 0 FROM profile_outcomes WHERE reason IS NULL
          GROUP BY ALL
          UNION ALL
          SELECT fetch_date, platform, 'post', count(*) FILTER (WHERE record_kind = '{ENVELOPE}'), 0, 0, count(*)
          FROM clean.quarantine q WHERE {POST_RECORD} AND {in_slice} GROUP BY ALL
          UNION ALL
          SELECT fetch_date, platform, 'profile', count(*) FILTER (WHERE record_kind = '{ENVELOPE}'), 0, 0, count(*)
          FROM clean.quarantine q WHERE {PROFILE_RECORD} AND {in_slice} GROUP BY ALL
          UNION ALL
          SELECT fetch_date, platform, '{ENVELOPE}', count(*), 0, 0, 0 FROM envelope_status GROUP BY ALL
          UNION ALL
          SELECT fetch_date, platform, '{ENVELOPE}', 0, count(*), 0, 0 FROM envelopes_parsed GROUP BY ALL
          UNION ALL
          SELECT fetch_date, platform, '{ENVELOPE}', 0, 0, 0, count(*)
          FROM clean.quarantine q WHERE record_kind = '{ENVELOPE}' AND {in_slice} GROUP BY ALL
        )
        GROUP BY ALL
        """
    )
