"""Parsing landed envelopes into the unified cleaned tables, one parser module per platform.

Everything runs in DuckDB SQL over `raw.envelopes`: each platform module gives the typed
struct of its response body (parsed once with `from_json`) and the expressions that map its
fields to the unified columns. What cannot be used goes to `clean.quarantine` with a reason a
person can act on; post records always reconcile: read = clean + duplicates + quarantined.
"""

from __future__ import annotations

import datetime as dt
import json
from types import ModuleType

import duckdb

from gsm_platform.parsing import facebook, instagram, tiktok, x, youtube

PARSERS: dict[str, ModuleType] = {m.PLATFORM: m for m in (facebook, instagram, x, youtube, tiktok)}
KINDS = ("posts", "profile")
COUNTS = ("likes", "comments", "shares", "quotes", "views")
WIB_OFFSET_US = 7 * 3600 * 1_000_000


HAS_OFFSET = r"(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"
WHOLE_NUMBER = r"^\s*-?[0-9]+\s*$"


def has_offset(ts_text: str) -> str:
    """SQL: does the time text end in a UTC offset (Z, +07:00, +0000)? Without one its instant is unknown."""
    return f"regexp_matches(trim({ts_text}), '{HAS_OFFSET}')"


def wib(ts_text: str) -> str:
    """SQL: an ISO-8601 text with a UTC offset -> naive Asia/Jakarta TIMESTAMP. NULL if it cannot be
    parsed or has no offset (never read in the session's time zone)."""
    return (f"CASE WHEN {has_offset(ts_text)} "
            f"THEN make_timestamp(epoch_us(try_cast({ts_text} AS TIMESTAMPTZ)) + {WIB_OFFSET_US}) END")


def whole(text: str) -> str:
    """SQL: a count text -> BIGINT, NULL unless it is a whole number ('12.5' is not 12 or 13)."""
    return f"CASE WHEN regexp_matches({text}, '{WHOLE_NUMBER}') THEN CAST(trim({text}) AS BIGINT) END"


def _one_line(sql: str) -> str:
    return " ".join(sql.split())


# envelope text cleaned per transaction: bounds the temp tables (and what DuckDB spills of
# them) whatever the size of the window. A 10x edition cleaned in one piece needed more than
# 60 GB of spill; an award-scale edition (~1.5 GB of envelopes) is still one slice. A slice is
# a run of whole fetch days, so exact duplicates (same fetch time) always share one.
SLICE_BYTES = 1536 << 20


def fetch_days(start: dt.date, end: dt.date) -> str:
    """SQL condition: fetch_date in [start, end) (WIB dates); undated rows are outside."""
    return f"(fetch_date >= DATE '{start}' AND fetch_date < DATE '{end}')"


def clean_window(conn: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
    """(Re)build the cleaned rows of envelopes fetched in [start, end) (WIB dates), plus the
    envelopes whose fetch time cannot be read (they belong to no day, so every run
    re-quarantines them), in slices of whole fetch days of about SLICE_BYTES of envelopes.
    Returns reconciliation counts per platform for the window."""
    window = fetch_days(start, end)
    for i, (lo, hi) in enumerate(_slices(conn, window, start, end)):
        _clean_slice(conn, lo, hi, undated=i == 0)
    return reconciliation(conn, f"{window} OR fetch_date IS NULL")


def _slices(conn: duckdb.DuckDBPyConnection, window: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    days = conn.execute(
        f"SELECT fetch_date, sum(strlen(text)) FROM raw.envelopes WHERE {window} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    bounds, size = [start], 0
    for day, day_bytes in days:
        if size and size + day_bytes > SLICE_BYTES:
            bounds.append(day)
            size = 0
        size += day_bytes
    bounds.append(end)
    return list(zip(bounds, bounds[1:]))


def _clean_slice(conn: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, undated: bool) -> None:
    """One transaction: the slice's cleaned rows are replaced whole or not at all."""
    window = fetch_days(start, end)
    scope = f"({window} OR fetch_date IS NULL)" if undated else window
    conn.execute("BEGIN")
    try:
        for table in ("clean.post_snapshots", "clean.follower_snapshots"):
            conn.execute(f"DELETE FROM {table} WHERE {window}")
        for table in ("clean.quarantine", "clean.reconciliation", "clean.cleaned_files"):
            conn.execute(f"DELETE FROM {table} WHERE {scope}")
        # what this slice read, so that a file whose pages hold no post still counts as cleaned
        conn.execute(f"INSERT INTO clean.cleaned_files SELECT DISTINCT source_file, fetch_date FROM raw.envelopes WHERE {scope}")
        _envelope_checks(conn, scope)
        _create_candidates(conn)
        for platform, parser in PARSERS.items():
            _parse_platform(conn, platform, parser)
        _dedupe_posts(conn)
        _reconcile(conn)
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


def reconciliation(conn: duckdb.DuckDBPyConnection, where: str = "true") -> dict[str, dict[str, int]]:
    rows = conn.execute(
        f"""SELECT coalesce(platform, '(unreadable)'), sum(raw_records), sum(clean), sum(duplicates), sum(quarantined)
            FROM clean.reconciliation WHERE {where} GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    return {
        r[0]: {"raw_records": int(r[1]), "clean": int(r[2]), "duplicates": int(r[3]), "quarantined": int(r[4])}
        for r in rows
    }


def _envelope_checks(conn: duckdb.DuckDBPyConnection, scope: str) -> None:
    """Envelope-level damage: not JSON, missing or unknown header fields. The header was parsed
    at landing (a line that is not a JSON object has no platform there), so the text is parsed
    again only for the few envelopes whose header is missing, to say why. An envelope without
    a body is found when the body is parsed (`_quarantine_bodies`)."""
    names = ", ".join(PARSERS)
    platforms = ", ".join(f"'{p}'" for p in PARSERS)
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE envelope_status AS
        SELECT source_file, source_line, platform, kind, account_id, fetched_at, fetch_date,
          CASE
            WHEN platform IS NULL AND NOT json_valid(text) THEN 'line is not valid JSON (truncated or corrupt file)'
            WHEN platform IS NULL AND json_type(text) <> 'OBJECT' THEN 'envelope is not a JSON object'
            WHEN platform IS NULL THEN 'envelope has no "platform" (expected one of {names})'
            WHEN platform NOT IN ({platforms}) THEN 'unknown platform "' || platform || '" (expected one of {names})'
            WHEN kind IS NULL THEN 'envelope has no "kind" (expected posts or profile)'
            WHEN kind NOT IN ('posts', 'profile') THEN 'unknown kind "' || kind || '" (expected posts or profile)'
            WHEN account_id IS NULL THEN 'envelope has no "account_id"'
            WHEN fetched_at IS NULL AND json_extract_string(text, '$.fetched_at') IS NULL THEN 'envelope has no "fetched_at"'
            WHEN fetched_at IS NULL THEN 'fetched_at "' || json_extract_string(text, '$.fetched_at')
                                         || '" is not an ISO-8601 time with an offset'
          END AS reason
        FROM raw.envelopes WHERE {scope}
        """
    )
    conn.execute(
        """
        INSERT INTO clean.quarantine
        SELECT s.source_file, s.source_line, NULL, s.platform, s.kind, s.account_id, s.fetch_date, s.reason,
               e.text, CASE WHEN s.kind = 'profile' THEN 'profile' ELSE 'envelope' END
        FROM envelope_status s JOIN raw.envelopes e USING (source_file, source_line)
        WHERE s.reason IS NOT NULL
        """
    )


def _create_candidates(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE post_candidates (
          source_file VARCHAR, source_line INTEGER, source_position INTEGER, platform VARCHAR,
          account_id VARCHAR, fetched_at TIMESTAMP, fetch_date DATE, post_id VARCHAR,
          published_at TIMESTAMP, media_kind VARCHAR, likes BIGINT, comments BIGINT, shares BIGINT,
          quotes BIGINT, views BIGINT, hidden BOOLEAN)
        """
    )


def _parse_platform(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
    envelope_type = json.dumps({"response": _one_line(parser.RESPONSE_TYPE)})
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE parsed AS
        SELECT *, CASE WHEN kind = 'posts' THEN {parser.POSTS_LIST} END AS posts  -- typed once, read thrice
        FROM (SELECT e.source_file, e.source_line, e.kind, e.account_id, e.fetched_at, e.fetch_date,
                     from_json(e.text, '{envelope_type}').response AS r
              FROM raw.envelopes e JOIN envelope_status s USING (source_file, source_line)
              WHERE s.reason IS NULL AND e.platform = '{platform}')
        """
    )
    _quarantine_bodies(conn, platform, parser)
    _parse_followers(conn, platform, parser)
    _parse_posts(conn, platform, parser)


def _quarantine_bodies(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
    """Whole bodies that carry no data: none (no "response", or null), an API error body, a posts
    body without its list."""
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE bad_bodies AS
        SELECT source_file, source_line, kind, account_id, fetch_date,
          CASE WHEN r IS NULL THEN 'envelope has no "response" body'
               WHEN ({parser.ERROR}) IS NOT NULL
                 THEN 'API error body landed instead of data (' || ({parser.ERROR}) || ')'
               WHEN kind = 'posts' AND posts IS NULL
                 THEN 'posts body has no list of posts where {platform} puts them'
          END AS reason
        FROM parsed
        """
    )
    conn.execute("DELETE FROM bad_bodies WHERE reason IS NULL")
    conn.execute(
        f"""
        INSERT INTO clean.quarantine
        SELECT b.source_file, b.source_line, NULL, '{platform}', b.kind, b.account_id, b.fetch_date, b.reason, e.text,
               CASE WHEN b.kind = 'profile' THEN 'profile' ELSE 'envelope' END
        FROM bad_bodies b JOIN raw.envelopes e USING (source_file, source_line)
        """
    )
    conn.execute("DELETE FROM parsed WHERE (source_file, source_line) IN (SELECT source_file, source_line FROM bad_bodies)")


def _parse_followers(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
    """Follower snapshots: profile bodies, and followers_count inside instagram business_discovery posts."""
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE follower_candidates AS
        SELECT source_file, source_line, kind, account_id, fetched_at, fetch_date,
               ({parser.FOLLOWERS}) AS followers_text,
               {whole(f"({parser.FOLLOWERS})")} AS followers,
               CASE WHEN kind = 'profile' THEN 'profile' ELSE 'business_discovery' END AS origin,
               {parser.FOLLOWERS_HIDDEN} AS followers_hidden,
               EXISTS (SELECT 1 FROM registry.accounts a
                       WHERE a.platform = '{platform}' AND a.account_id = parsed.account_id) AS registered
        FROM parsed WHERE kind = 'profile' OR ({parser.FOLLOWERS}) IS NOT NULL
        """
    )
    conn.execute(
        f"""
        INSERT INTO clean.quarantine
        SELECT f.source_file, f.source_line, NULL, '{platform}', f.kind, f.account_id, f.fetch_date,
          CASE WHEN f.followers_hidden THEN 'the account hides its follower count ({parser.FOLLOWERS_FIELD}): audience unknown'
               WHEN f.followers_text IS NULL THEN 'profile has no follower count ({parser.FOLLOWERS_FIELD})'
               WHEN f.followers IS NULL OR f.followers < 0
                 THEN 'follower count ({parser.FOLLOWERS_FIELD}) "' || f.followers_text || '" is not a non-negative whole number'
               ELSE '{platform} account_id "' || f.account_id || '" is not in the registry' END,
          e.text, 'profile'
        FROM follower_candidates f JOIN raw.envelopes e USING (source_file, source_line)
        WHERE f.origin = 'profile' AND (f.followers IS NULL OR f.followers < 0 OR NOT f.registered)
           OR f.origin = 'business_discovery' AND (f.followers IS NULL OR f.followers < 0)
        """
    )
    conn.execute(
        f"""
        INSERT INTO clean.follower_snapshots
        SELECT '{platform}', account_id, fetched_at, fetch_date, followers, origin, source_file, source_line
        FROM follower_candidates WHERE followers >= 0 AND registered
        """
    )


def _parse_posts(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
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
               {_one_line(parser.POST_FIELDS)},
               EXISTS (SELECT 1 FROM registry.accounts a
                       WHERE a.platform = '{platform}' AND a.account_id = q.account_id) AS registered
        FROM (SELECT *{media_key} FROM (
                SELECT source_file, source_line, account_id, fetched_at, fetch_date,
                       unnest(posts) AS p, generate_subscripts(posts, 1) - 1 AS pos
                FROM parsed WHERE kind = 'posts')) q
        {media_join}
        """
    )
    conn.execute(f"ALTER TABLE platform_posts ADD COLUMN published_at TIMESTAMP")
    conn.execute(f"UPDATE platform_posts SET published_at = {wib('published_text')}")
    fields = parser.FIELDS
    checks = [
        "WHEN post_id IS NULL THEN 'post has no id'",
        f"WHEN published_text IS NULL THEN 'post has no publication time ({fields['published']})'",
        f"WHEN published_at IS NULL AND try_cast(published_text AS TIMESTAMPTZ) IS NOT NULL AND NOT {has_offset('published_text')} "
        f"THEN 'publication time ({fields['published']}) \"' || published_text || '\" has no UTC offset (its instant is unknown)'",
        f"WHEN published_at IS NULL THEN 'publication time ({fields['published']}) \"' || published_text || '\" cannot be parsed'",
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
    conn.execute(f"ALTER TABLE platform_posts ADD COLUMN reason VARCHAR")
    conn.execute(f"UPDATE platform_posts SET reason = CASE {' '.join(checks)} END")
    raw_post = parser.RAW_POST.replace("pos", "p.source_position")
    conn.execute(
        f"""
        INSERT INTO clean.quarantine
        SELECT p.source_file, p.source_line, p.source_position, '{platform}', 'posts', p.account_id, p.fetch_date,
               p.reason, {_one_line(raw_post)}, 'post'
        FROM platform_posts p JOIN raw.envelopes e USING (source_file, source_line)
        WHERE p.reason IS NOT NULL
        """
    )
    conn.execute(
        f"""
        INSERT INTO post_candidates
        SELECT source_file, source_line, source_position, '{platform}', account_id, fetched_at, fetch_date,
               post_id, published_at, media_kind,
               {whole('likes_text')}, {whole('comments_text')}, {whole('shares_text')},
               {whole('quotes_text')}, {whole('views_text')}, hidden
        FROM platform_posts WHERE reason IS NULL
        """
    )


def _dedupe_posts(conn: duckdb.DuckDBPyConnection) -> None:
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


def _reconcile(conn: duckdb.DuckDBPyConnection) -> None:
    """Post records read = clean + duplicates + quarantined, per fetch day and platform. A posts
    envelope that cannot be read at all counts as one record (its posts cannot be counted)."""
    conn.execute(
        """
        INSERT INTO clean.reconciliation
        SELECT fetch_date, platform,
               count(*) AS raw_records,
               count(*) FILTER (WHERE outcome = 'clean'),
               count(*) FILTER (WHERE outcome = 'duplicate'),
               count(*) FILTER (WHERE outcome = 'quarantined')
        FROM (
          SELECT fetch_date, platform, CASE WHEN copy_number = 1 THEN 'clean' ELSE 'duplicate' END AS outcome
          FROM post_ranked
          UNION ALL
          SELECT fetch_date, platform, 'quarantined' FROM clean.quarantine q
          WHERE record_kind IN ('post', 'envelope')
            AND EXISTS (SELECT 1 FROM envelope_status s
                        WHERE s.source_file = q.source_file AND s.source_line = q.source_line)
        )
        GROUP BY ALL
        """
    )
