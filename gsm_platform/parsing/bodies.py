"""Whole envelopes whose body carries no data (no "response", an API error body, a posts body
without its list): quarantined whole, with the reason, and taken out of the slice's `parsed`."""

from __future__ import annotations

from types import ModuleType

import duckdb

from gsm_platform.parsing.sql import ENVELOPE, QUARANTINE_COLUMNS, one_line


def quarantine_whole(conn: duckdb.DuckDBPyConnection, platform: str, table: str) -> None:
    """Quarantine the envelopes of `table` (source_file, source_line, kind, account_id, fetch_date,
    reason) whole, and take them out of `parsed`."""
    conn.execute(
        f"""
        INSERT INTO clean.quarantine ({QUARANTINE_COLUMNS})
        SELECT b.source_file, b.source_line, NULL, '{platform}', b.kind, b.account_id, b.fetch_date, b.reason, e.text,
               '{ENVELOPE}', NULL
        FROM {table} b JOIN raw.envelopes e USING (source_file, source_line)
        """
    )
    conn.execute(
        f"DELETE FROM parsed WHERE (source_file, source_line) IN (SELECT source_file, source_line FROM {table})"
    )


def quarantine_bodies(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
    """Whole bodies that carry no data: none (no "response", or null), an API error body, a posts
    body without its list."""
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE bad_bodies AS
        SELECT source_file, source_line, kind, account_id, fetch_date,
          CASE WHEN r IS NULL THEN 'envelope has no "response" body'
               WHEN ({one_line(parser.ERROR)}) IS NOT NULL
                 THEN 'API error body landed instead of data (' || ({one_line(parser.ERROR)}) || ')'
               WHEN kind = 'posts' AND posts IS NULL
                 THEN 'posts body has no list of posts where {platform} puts them'
          END AS reason
        FROM parsed
        """
    )
    conn.execute("DELETE FROM bad_bodies WHERE reason IS NULL")
    quarantine_whole(conn, platform, "bad_bodies")
