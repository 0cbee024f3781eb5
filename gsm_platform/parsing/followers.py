"""Follower counts: the accounts a profile body lists (or business_discovery in an instagram
posts page), matched to the envelope's account by id, else by username, never by position,
and a follower snapshot for each listed account in the registry; the rest quarantined."""

from __future__ import annotations

from types import ModuleType

import duckdb

from gsm_platform.parsing.bodies import quarantine_whole
from gsm_platform.parsing.sql import PROFILE, QUARANTINE_COLUMNS, one_line, registry_accounts, username_is, whole


def list_accounts(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
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
               WHEN username_key IS NOT NULL AND {username_is(parser, "username_key")} IS NOT NULL
                 THEN {username_is(parser, "username_key")}
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
    quarantine_whole(conn, platform, "unlisted")
    conn.execute(
        "DELETE FROM listed WHERE (source_file, source_line) IN (SELECT source_file, source_line FROM unlisted)"
    )


def parse_followers(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
    """A follower snapshot for each listed account that is in the registry (the envelope's, or
    another the same body lists), never one account's count for another."""
    field = parser.FOLLOWERS_FIELD
    reg = registry_accounts(platform)
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE follower_items AS
        SELECT l.*, {whole("l.item.followers")} AS followers,
               CASE WHEN l.kind = 'profile' THEN 'profile' ELSE 'business_discovery' END AS origin,
               CASE WHEN l.is_envelope_account THEN CASE WHEN l.registered THEN l.account_id END
                    WHEN l.item.id IS NOT NULL THEN (SELECT r.account_id FROM {reg} r WHERE r.account_id = l.item.id)
                    ELSE (SELECT min(r.account_id) FROM {reg} r
                          WHERE {username_is(parser, "l.username_key", "r.handle_key", "r.account_id")})
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
                                              source_file, source_line, source_position, handle)
        SELECT '{platform}', resolved, fetched_at, fetch_date, followers, origin, source_file, source_line, pos,
               nullif(ltrim(trim(item.username), '@'), '')  -- the handle the body names (the outlook's renames)
        FROM follower_items WHERE reason IS NULL
        """
    )
    conn.execute(f"INSERT INTO profile_outcomes SELECT fetch_date, '{platform}', reason FROM follower_items")
