"""The records of one platform's envelopes, in DuckDB SQL: whole bodies that carry no data
(bodies.py), the accounts a profile body lists, matched by id, never by position, with their
follower counts (followers.py), and the posts of each page, each checked against the account
it names as its author (posts.py).

One parse path per platform: the body is typed once (the platform module's RESPONSE_TYPE) and
its module maps it to two lists, `posts` and `accounts`; a single object (a page node, one
user, one channel) is the one-item case of the same list. Everything after that is shared.
"""

from __future__ import annotations

import json
from types import ModuleType

import duckdb

from gsm_platform import phases
from gsm_platform.parsing.bodies import quarantine_bodies
from gsm_platform.parsing.followers import list_accounts, parse_followers
from gsm_platform.parsing.posts import parse_posts
from gsm_platform.parsing.sql import POST, PROFILE, one_line, registry_accounts


def parse_platform(conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType) -> None:
    envelope_type = json.dumps({"response": one_line(parser.RESPONSE_TYPE)})
    page_profile = parser.PAGE_PROFILE or "NULL"
    with phases.phase(f"clean/parse/{platform}/json"):
        _parse_json(conn, platform, parser, envelope_type, page_profile)
    with phases.phase(f"clean/parse/{platform}/bodies_accounts"):
        quarantine_bodies(conn, platform, parser)
        list_accounts(conn, platform, parser)
        conn.execute(
            f"INSERT INTO envelopes_parsed SELECT source_file, source_line, fetch_date, '{platform}' FROM parsed"
        )
        conn.execute(
            f"""INSERT INTO records_read
                SELECT fetch_date, '{platform}', '{POST}', sum(len(posts)) FROM parsed WHERE kind = 'posts' GROUP BY ALL
                UNION ALL
                SELECT fetch_date, '{platform}', '{PROFILE}', sum(len(accounts)) FROM parsed WHERE accounts IS NOT NULL
                GROUP BY ALL"""
        )
    with phases.phase(f"clean/parse/{platform}/followers"):
        parse_followers(conn, platform, parser)
    with phases.phase(f"clean/parse/{platform}/posts"):
        parse_posts(conn, platform, parser)


def _parse_json(
    conn: duckdb.DuckDBPyConnection, platform: str, parser: ModuleType, envelope_type: str, page_profile: str
):
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
              LEFT JOIN {registry_accounts(platform)} reg ON reg.account_id = e.account_id
              WHERE s.reason IS NULL AND e.platform = '{platform}')
        """
    )
