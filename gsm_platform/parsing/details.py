"""What the outlook needs of a post beside its metrics, kept once per post and cleaning slice in
clean.post_details (never once per snapshot): its permalink, the accounts it mentions or tags, its
collaborators (Instagram collaborative posts) and the identity of its attached media (the same
media on two accounts). Each platform module names the fields in DETAIL_FIELDS, with the
platforms' own field names; the text itself is not kept, only the handles it @mentions.

Why one row per post: the details hardly change from snapshot to snapshot, and a post has ~3.9
snapshots at award scale. The row is the post's latest snapshot in the slice (an award-scale
edition is one slice, so one row per post; a month cleaned again by `gsm update` may add a
second row for a post seen in two slices: readers take the latest by fetched_at).
"""

from __future__ import annotations

import duckdb

# an @mention in a text: the handle characters of Instagram, X and TikTok (letters, digits, '_',
# '.'); a dot that ends the sentence is not part of it
MENTION = r"@([A-Za-z0-9_.]+)"


def create_details(conn: duckdb.DuckDBPyConnection) -> None:
    """The slice's temp table every platform appends its posts' details to."""
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE detail_candidates (
          platform VARCHAR, account_id VARCHAR, post_id VARCHAR, fetched_at TIMESTAMP, fetch_date DATE,
          permalink VARCHAR, post_text VARCHAR, tags VARCHAR[], collaborators VARCHAR[], media_ref VARCHAR,
          source_file VARCHAR, source_line INTEGER, source_position INTEGER)
        """
    )


def collect_details(conn: duckdb.DuckDBPyConnection, platform: str) -> None:
    """The details of the platform's clean post records (platform_posts rows without a reason),
    one per post: its latest snapshot in the slice (ties: the first in the landed files)."""
    conn.execute(
        f"""
        INSERT INTO detail_candidates
        SELECT '{platform}', account_id, post_id, fetched_at, fetch_date, permalink, post_text, tags,
               collaborators, media_ref, source_file, source_line, source_position
        FROM platform_posts WHERE reason IS NULL
        QUALIFY row_number() OVER (PARTITION BY account_id, post_id
                                   ORDER BY fetched_at DESC, source_file, source_line, source_position) = 1
        """
    )


def keep_details(conn: duckdb.DuckDBPyConnection) -> None:
    """clean.post_details of the slice: mentions = the @handles of the text and the tagged or
    mentioned accounts (usernames and ids), lower case, without '@', distinct, sorted; the
    collaborators likewise."""
    conn.execute(
        f"""
        INSERT INTO clean.post_details
        SELECT platform, account_id, post_id, fetched_at, fetch_date, permalink,
               list_sort(list_distinct(list_filter(list_transform(
                   list_concat(regexp_extract_all(coalesce(post_text, ''), '{MENTION}', 1), coalesce(tags, [])),
                   lambda h: lower(rtrim(ltrim(trim(h), '@'), '.'))), lambda h: h <> ''))) AS mentions,
               list_sort(list_distinct(list_filter(list_transform(coalesce(collaborators, []),
                   lambda h: lower(ltrim(trim(h), '@'))), lambda h: h <> ''))) AS collaborators,
               media_ref, source_file, source_line, source_position
        FROM detail_candidates
        ORDER BY platform, account_id, post_id
        """
    )
