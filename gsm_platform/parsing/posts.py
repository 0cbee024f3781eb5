"""Post records: each post of a page typed, checked (id, author, publication time, counts,
registry) and either a candidate snapshot or a quarantine row; then identical snapshots
counted once."""

from __future__ import annotations

from types import ModuleType

import duckdb

from gsm_platform.parsing import details
from gsm_platform.parsing.sql import POST, QUARANTINE_COLUMNS, has_offset, one_line, username_is, whole, wib

COUNTS = ("likes", "comments", "shares", "quotes", "views")


def parse_posts(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
    # only the post travels with the unnest: anything of the body beside it would be repeated
    # once per post (quadratic in the page size). Page-level media (x) are joined by key.
    media_key = media_join = ""
    if parser.PAGE_MEDIA:
        conn.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE page_media AS
            SELECT source_file, source_line, media.media_key, media
            FROM (SELECT source_file, source_line, unnest({parser.PAGE_MEDIA}) AS media,
                         generate_subscripts({parser.PAGE_MEDIA}, 1) AS i
                  FROM parsed WHERE kind = 'posts')
            QUALIFY row_number() OVER (PARTITION BY source_file, source_line, media.media_key ORDER BY i) = 1
            """
        )
        media_key = f", {parser.POST_MEDIA_KEY} AS media_key"
        media_join = "LEFT JOIN page_media USING (source_file, source_line, media_key)"
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE platform_posts AS
        SELECT source_file, source_line, pos::INTEGER AS source_position, account_id, fetched_at, fetch_date,
               handle_key, registered, {one_line(parser.POST_FIELDS)}, {one_line(parser.DETAIL_FIELDS)}
        FROM (SELECT *{media_key} FROM (
                SELECT source_file, source_line, account_id, fetched_at, fetch_date, handle_key, registered,
                       page_author, unnest(posts) AS p, generate_subscripts(posts, 1) - 1 AS pos
                FROM parsed WHERE kind = 'posts')) q
        {media_join}
        """
    )
    conn.execute("ALTER TABLE platform_posts ADD COLUMN published_at TIMESTAMP")
    conn.execute(f"UPDATE platform_posts SET published_at = {wib('published_text')}")
    names = username_is(parser, "lower(ltrim(author_name, '@'))")
    fields = parser.FIELDS
    checks = [
        "WHEN post_id IS NULL THEN 'post has no id'",
        # the author guard: a post that names another account than the envelope's is not its post
        "WHEN author_id IS NOT NULL AND author_id <> account_id THEN 'post author ' || author_field || ' \"' "
        "|| author_id || '\" is not the envelope''s account \"' || account_id || '\"'",
        f"WHEN author_id IS NULL AND author_name IS NOT NULL AND NOT coalesce({names}, true) THEN 'post author ' "
        "|| author_field || ' \"' || author_name || '\" is not the envelope''s account \"' || account_id || '\"'"
        " || coalesce(' (@' || handle_key || ')', '')",
        f"WHEN published_text IS NULL THEN 'post has no publication time ({fields['published']})'",
        "WHEN published_at IS NULL AND try_cast(published_text AS TIMESTAMPTZ) IS NOT NULL "
        f"AND NOT {has_offset('published_text')} "
        f"THEN 'publication time ({fields['published']}) \"' || published_text || '\" has no UTC offset "
        "(its instant is unknown)'",
        f"WHEN published_at IS NULL THEN 'publication time ({fields['published']}) \"' || published_text "
        "|| '\" cannot be parsed'",
    ]
    for count in COUNTS:
        if count not in fields:
            continue
        col = f"{count}_text"
        if count in parser.REQUIRED_COUNTS:
            checks.append(f"WHEN {col} IS NULL THEN 'count {fields[count]} is missing'")
        checks.append(
            f"WHEN {col} IS NOT NULL AND ({whole(col)} IS NULL OR {whole(col)} < 0) "
            f"THEN 'count {fields[count]} \"' || {col} || '\" is not a non-negative whole number'"
        )
    checks.append(
        "WHEN published_at > fetched_at THEN 'publication time ' || strftime(published_at, '%Y-%m-%d %H:%M') "
        "|| ' WIB is after the fetch time ' || strftime(fetched_at, '%Y-%m-%d %H:%M') || ' WIB'"
    )
    checks.append(f"WHEN NOT registered THEN '{platform} account_id \"' || account_id || '\" is not in the registry'")
    conn.execute("ALTER TABLE platform_posts ADD COLUMN reason VARCHAR")
    conn.execute(f"UPDATE platform_posts SET reason = CASE {' '.join(checks)} END")
    conn.execute(
        f"""
        INSERT INTO clean.quarantine ({QUARANTINE_COLUMNS})
        SELECT p.source_file, p.source_line, p.source_position, '{platform}', 'posts', p.account_id, p.fetch_date,
               p.reason, {one_line(parser.RAW_POST)}, '{POST}', p.post_id
        FROM (SELECT *, source_position AS pos FROM platform_posts WHERE reason IS NOT NULL) p
        JOIN raw.envelopes e USING (source_file, source_line)
        """
    )
    conn.execute(
        f"""
        INSERT INTO post_candidates
        SELECT source_file, source_line, source_position, '{platform}', account_id, fetched_at, fetch_date,
               post_id, published_at, media_kind,
               {whole("likes_text")}, {whole("comments_text")}, {whole("shares_text")},
               {whole("quotes_text")}, {whole("views_text")}, hidden
        FROM platform_posts WHERE reason IS NULL
        """
    )
    details.collect_details(conn, platform)


def dedupe_posts(conn: duckdb.DuckDBPyConnection) -> None:
    """Identical snapshots (same post, fetch time and values) count once; the first by
    (file, line, position) is kept so re-runs keep the same row."""
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE post_ranked AS
        SELECT *, row_number() OVER (
            PARTITION BY platform, account_id, post_id, fetched_at, published_at, media_kind,
                         likes, comments, shares, quotes, views, hidden
            ORDER BY source_file, source_line, source_position) AS copy_number
        FROM post_candidates
        """
    )
    conn.execute(
        """
        INSERT INTO clean.post_snapshots
        SELECT platform, account_id, post_id, published_at, fetched_at, fetch_date, media_kind,
               likes, comments, shares, quotes,
               CASE WHEN hidden THEN NULL
                    ELSE coalesce(likes, 0) + coalesce(comments, 0) + coalesce(shares, 0) + coalesce(quotes, 0) END,
               hidden, views, source_file, source_line, source_position
        FROM post_ranked WHERE copy_number = 1
        ORDER BY platform, account_id, post_id, fetched_at, source_file, source_line, source_position
        """
    )
