"""The records of one platform's envelopes, in DuckDB SQL: whole bodies that carry no data,
the accounts a profile body lists (matched by id, never by position), and the posts of each
page (each checked against the account it names as its author).

One parse path per platform: the body is typed once (the platform module's RESPONSE_TYPE) and
its module maps it to two lists, `posts` and `accounts`; a single object (a page node, one
user, one channel) is the one-item case of the same list. Everything after that is shared.
"""

from __future__ import annotations

import json
from types import ModuleType

import duckdb

from gsm_platform.parsing.sql import ENVELOPE, POST, PROFILE, has_offset, one_line, wib, whole

COUNTS = ("likes", "comments", "shares", "quotes", "views")
QUARANTINE_COLUMNS = ("source_file, source_line, source_position, platform, kind, account_id, fetch_date, reason, "
                      "raw, record_kind, post_id")


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


def _registry(platform: str) -> str:
    """SQL: the platform's registry accounts, one row per id, with the handle as a lower-case key."""
    return f"""(SELECT account_id, any_value(lower(ltrim(handle, '@'))) AS handle_key FROM registry.accounts
               WHERE platform = '{platform}' GROUP BY account_id)"""


def _username_is(parser: ModuleType, name: str, handle_key: str = "handle_key", account_id: str = "account_id") -> str:
    """SQL: the lower-cased username `name` is this account: its registry handle, or its id where
    the platform's account id is the username (tiktok). NULL when there is nothing to compare it
    with (no handle in the registry)."""
    if getattr(parser, "ACCOUNT_ID_IS_USERNAME", False):
        return f"({name} = lower({account_id}) OR {name} IS NOT DISTINCT FROM {handle_key})"
    return f"(CASE WHEN {handle_key} IS NOT NULL THEN {name} = {handle_key} END)"


def parse_platform(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
    envelope_type = json.dumps({"response": one_line(parser.RESPONSE_TYPE)})
    page_profile = parser.PAGE_PROFILE or "NULL"
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE parsed AS
        SELECT * EXCLUDE (text),
               CASE WHEN kind = 'posts' THEN {one_line(parser.POSTS_LIST)} END AS posts,  -- typed once, read thrice
               CASE WHEN kind = 'profile' THEN {one_line(parser.PROFILES)}
                    ELSE {one_line(page_profile)} END AS accounts,
               CASE WHEN kind = 'posts' THEN {parser.PAGE_AUTHOR} END AS page_author
        FROM (SELECT e.source_file, e.source_line, e.kind, e.account_id, e.fetched_at, e.fetch_date, e.text,
                     reg.handle_key, reg.account_id IS NOT NULL AS registered,
                     from_json(e.text, '{envelope_type}').response AS r
              FROM raw.envelopes e JOIN envelope_status s USING (source_file, source_line)
              LEFT JOIN {_registry(platform)} reg ON reg.account_id = e.account_id
              WHERE s.reason IS NULL AND e.platform = '{platform}')
        """
    )
    _quarantine_bodies(conn, platform, parser)
    _list_accounts(conn, platform, parser)
    conn.execute(f"INSERT INTO envelopes_parsed SELECT source_file, source_line, fetch_date, '{platform}' FROM parsed")
    conn.execute(
        f"""INSERT INTO records_read
            SELECT fetch_date, '{platform}', '{POST}', sum(len(posts)) FROM parsed WHERE kind = 'posts' GROUP BY ALL
            UNION ALL
            SELECT fetch_date, '{platform}', '{PROFILE}', sum(len(accounts)) FROM parsed WHERE accounts IS NOT NULL
            GROUP BY ALL"""
    )
    _parse_followers(conn, platform, parser)
    _parse_posts(conn, platform, parser)


def _quarantine_whole(conn: duckdb.DuckDBPyConnection, platform: str, table: str) -> None:
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
    conn.execute(f"DELETE FROM parsed WHERE (source_file, source_line) IN "
                 f"(SELECT source_file, source_line FROM {table})")


def _quarantine_bodies(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
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
    _quarantine_whole(conn, platform, "bad_bodies")


def _list_accounts(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
    """One row per account a body lists (profile bodies; business_discovery in instagram posts
    pages), with whether it is the envelope's account: by id when the body gives one, else by
    username against the registry handle, else (a body that names nobody) when it is the only
    one. A profile body that does not list the envelope's account is quarantined whole: its
    counts belong to other accounts than the one it was landed for."""
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE listed AS
        SELECT *,
          CASE WHEN item.id IS NOT NULL THEN item.id = account_id
               WHEN username_key IS NOT NULL AND {_username_is(parser, 'username_key')} IS NOT NULL
                 THEN {_username_is(parser, 'username_key')}
               ELSE listed_count = 1 END AS is_envelope_account
        FROM (SELECT source_file, source_line, kind, account_id, fetched_at, fetch_date, handle_key, registered,
                     item, pos::INTEGER AS pos, listed_count, lower(ltrim(item.username, '@')) AS username_key
              FROM (SELECT *, unnest(accounts) AS item, generate_subscripts(accounts, 1) - 1 AS pos,
                           len(accounts) AS listed_count
                    FROM parsed WHERE accounts IS NOT NULL))
        """
    )
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE unlisted AS
        SELECT p.source_file, p.source_line, p.kind, p.account_id, p.fetch_date,
               'profile body does not list {platform} account "' || p.account_id || '" (it lists '
               || coalesce((SELECT string_agg(coalesce(l.item.id, '@' || l.item.username, '(no id)'), ', '
                                              ORDER BY l.pos)
                            FROM listed l WHERE l.source_file = p.source_file AND l.source_line = p.source_line),
                           'no account') || ')' AS reason
        FROM parsed p
        WHERE p.kind = 'profile'
          AND NOT EXISTS (SELECT 1 FROM listed l WHERE l.source_file = p.source_file AND l.source_line = p.source_line
                          AND l.is_envelope_account)
        """
    )
    _quarantine_whole(conn, platform, "unlisted")
    conn.execute("DELETE FROM listed WHERE (source_file, source_line) IN "
                 "(SELECT source_file, source_line FROM unlisted)")


def _parse_followers(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
    """A follower snapshot for each listed account that is in the registry (the envelope's, or
    another the same body lists), never one account's count for another."""
    field = parser.FOLLOWERS_FIELD
    reg = _registry(platform)
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE follower_items AS
        SELECT l.*, {whole("l.item.followers")} AS followers,
               CASE WHEN l.kind = 'profile' THEN 'profile' ELSE 'business_discovery' END AS origin,
               CASE WHEN l.is_envelope_account THEN CASE WHEN l.registered THEN l.account_id END
                    WHEN l.item.id IS NOT NULL THEN (SELECT r.account_id FROM {reg} r WHERE r.account_id = l.item.id)
                    ELSE (SELECT min(r.account_id) FROM {reg} r
                          WHERE {_username_is(parser, 'l.username_key', 'r.handle_key', 'r.account_id')})
               END AS resolved
        FROM listed l
        """
    )
    listed_as = "coalesce(item.id, '@' || item.username)"
    record_account = f"coalesce(f.resolved, {listed_as.replace('item', 'f.item')})"
    conn.execute(
        f"""
        ALTER TABLE follower_items ADD COLUMN reason VARCHAR;
        UPDATE follower_items SET reason = CASE
          WHEN resolved IS NULL AND NOT is_envelope_account
            THEN '{platform} account "' || {listed_as} || '" listed beside the envelope''s account "'
                 || account_id || '" is not in the registry'
          WHEN item.hidden THEN 'the account hides its follower count ({field}): audience unknown'
          WHEN item.followers IS NULL THEN 'profile has no follower count ({field})'
          WHEN followers IS NULL OR followers < 0
            THEN 'follower count ({field}) "' || item.followers || '" is not a non-negative whole number'
          WHEN resolved IS NULL THEN '{platform} account_id "' || account_id || '" is not in the registry'
        END
        """
    )
    conn.execute(
        f"""
        INSERT INTO clean.quarantine ({QUARANTINE_COLUMNS})
        SELECT f.source_file, f.source_line, f.pos, '{platform}', f.kind,
               CASE WHEN f.is_envelope_account THEN f.account_id ELSE {record_account} END,
               f.fetch_date, f.reason, {one_line(parser.PROFILE_RAW)}, '{PROFILE}', NULL
        FROM follower_items f JOIN raw.envelopes e USING (source_file, source_line)  -- the raw text at f.pos
        WHERE f.reason IS NOT NULL
        """
    )
    conn.execute(
        f"""
        INSERT INTO clean.follower_snapshots (platform, account_id, fetched_at, fetch_date, followers, origin,
                                              source_file, source_line, source_position)
        SELECT '{platform}', resolved, fetched_at, fetch_date, followers, origin, source_file, source_line, pos
        FROM follower_items WHERE reason IS NULL
        """
    )
    conn.execute(f"INSERT INTO profile_outcomes SELECT fetch_date, '{platform}', reason FROM follower_items")


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
               handle_key, registered, {one_line(parser.POST_FIELDS)}
        FROM (SELECT *{media_key} FROM (
                SELECT source_file, source_line, account_id, fetched_at, fetch_date, handle_key, registered,
                       page_author, unnest(posts) AS p, generate_subscripts(posts, 1) - 1 AS pos
                FROM parsed WHERE kind = 'posts')) q
        {media_join}
        """
    )
    conn.execute("ALTER TABLE platform_posts ADD COLUMN published_at TIMESTAMP")
    conn.execute(f"UPDATE platform_posts SET published_at = {wib('published_text')}")
    names = _username_is(parser, "lower(ltrim(author_name, '@'))")
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
               {whole('likes_text')}, {whole('comments_text')}, {whole('shares_text')},
               {whole('quotes_text')}, {whole('views_text')}, hidden
        FROM platform_posts WHERE reason IS NULL
        """
    )


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
