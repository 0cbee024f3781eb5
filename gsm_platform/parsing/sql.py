"""SQL snippets every parser shares: times, counts, the record kinds and columns of the
quarantine, the registry's accounts of a platform and the test that a username is one of them."""

from __future__ import annotations

from types import ModuleType

from gsm_platform.vocabulary import WIB_OFFSET_US

HAS_OFFSET = r"(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)$"
WHOLE_NUMBER = r"^\s*-?[0-9]+\s*$"

# What a clean.quarantine row is (its record_kind): one post of a page, one account's follower
# count (a listed account of a profile body, or business_discovery's count in a posts page), or
# a whole envelope nothing could be read from. A whole envelope counts as one record of its kind
# (a profile envelope as a profile record, any other as a post record: its posts cannot be
# counted), so that each kind of record reconciles on its own.
POST, PROFILE, ENVELOPE = "post", "profile", "envelope"
QUARANTINE_COLUMNS = (
    "source_file, source_line, source_position, platform, kind, account_id, fetch_date, reason, "
    "raw, record_kind, post_id"
)
POST_RECORD = "(record_kind = 'post' OR record_kind = 'envelope' AND kind IS DISTINCT FROM 'profile')"
PROFILE_RECORD = "(record_kind = 'profile' OR record_kind = 'envelope' AND kind = 'profile')"


def has_offset(ts_text: str) -> str:
    """SQL: does the time text end in a UTC offset (Z, +07:00, +0000)? Without one its instant is unknown."""
    return f"regexp_matches(trim({ts_text}), '{HAS_OFFSET}')"


def wib(ts_text: str) -> str:
    """SQL: an ISO-8601 text with a UTC offset -> naive Asia/Jakarta TIMESTAMP. NULL if it cannot be
    parsed or has no offset (never read in the session's time zone)."""
    return (
        f"CASE WHEN {has_offset(ts_text)} "
        f"THEN make_timestamp(epoch_us(try_cast({ts_text} AS TIMESTAMPTZ)) + {WIB_OFFSET_US}) END"
    )


def whole(text: str) -> str:
    """SQL: a count text -> BIGINT, NULL unless it is a whole number ('12.5' is not 12 or 13)."""
    return f"CASE WHEN regexp_matches({text}, '{WHOLE_NUMBER}') THEN CAST(trim({text}) AS BIGINT) END"


def one_line(sql: str) -> str:
    return " ".join(sql.split())


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


# A listed account: what a profile body says about one account. `id` and `username` name it
# (either may be absent); a body that names no account at all (TikTok's user info) is about the
# account it was requested for.
PROFILE_ITEM = "STRUCT(id VARCHAR, username VARCHAR, followers VARCHAR, hidden BOOLEAN)"


def profile_item(id_: str, username: str, followers: str, hidden: str = "false") -> str:
    """SQL: one listed account (PROFILE_ITEM) from the expressions of its fields."""
    return (
        f"{{'id': ({id_})::VARCHAR, 'username': ({username})::VARCHAR, "
        f"'followers': ({followers})::VARCHAR, 'hidden': ({hidden})::BOOLEAN}}"
    )


def graph_batch(node_type: str, followers: str) -> str:
    """SQL: the nodes of a Graph `?ids=a,b` batch answer ({"<id>": {node}, ...}) as a list of
    PROFILE_ITEM. Only such bodies (rare: the api source never asks for one) are typed a second
    time, as a map; every other profile body is read from the envelope's one typed parse."""
    envelope = '{"response": "MAP(VARCHAR, ' + one_line(node_type) + ')"}'
    item = profile_item("n.id", "n.username", followers.replace("NODE.", "n."))
    return f"list_transform(map_values(from_json(text, {sql_text(envelope)}).response), lambda n: {item})"


def registry_accounts(platform: str) -> str:
    """SQL: the platform's registry accounts, one row per id, with the handle as a lower-case key."""
    return f"""(SELECT account_id, any_value(lower(ltrim(handle, '@'))) AS handle_key FROM registry.accounts
               WHERE platform = '{platform}' GROUP BY account_id)"""


def username_is(parser: ModuleType, name: str, handle_key: str = "handle_key", account_id: str = "account_id") -> str:
    """SQL: the lower-cased username `name` is this account: its registry handle, or its id where
    the platform's account id is the username (tiktok). NULL when there is nothing to compare it
    with (no handle in the registry)."""
    if getattr(parser, "ACCOUNT_ID_IS_USERNAME", False):
        return f"({name} = lower({account_id}) OR {name} IS NOT DISTINCT FROM {handle_key})"
    return f"(CASE WHEN {handle_key} IS NOT NULL THEN {name} = {handle_key} END)"
