"""Bodies in the shapes the platforms really send (tests/fixtures/realshapes/, written from the
platforms' reference documentation): batch and multi-item profile answers, lookups holding
several authors, a Page feed with a visitor's post, ids past 2^53 as JSON numbers, every
platform's error bodies and paging fields. Per file and line: which posts are counted for
which account, which follower counts go to which account, and what is quarantined where, with
which post id and reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from checks import cleaned
from gsm_platform import accounting
from tests.support import build_clean

REALSHAPES = Path(__file__).parent / "fixtures" / "realshapes"
FB_K, FB_B, FB_X = "110000000000001", "110000000000002", "119999999999999"
IG_K, IG_B = "17841400000000101", "17841400000000102"
X_K, X_B = "1500000000000000001", "1500000000000000002"
YT_K, YT_B, YT_X = "UCkominfoContoh000000001", "UCbpsContoh0000000000002", "UCzzzzzzzzzzzzzzzzzzzzzz"
TT_K, TT_B = "kominfocontoh", "bpscontoh"
NOT_THE_ACCOUNT = "is not the envelope's account"
NOT_REGISTERED = "is not in the registry"
API_ERROR = "API error body landed instead of data"

# (line, position) -> (post id or None, a substring of the reason)
QUARANTINED: dict[str, dict[tuple[int, int | None], tuple[str | None, str]]] = {
    "facebook.jsonl": {
        (3, None): (None, f'profile body does not list facebook account "{FB_K}" (it lists {FB_B}, {FB_X})'),
        (4, 0): (None, f'facebook account "{FB_X}" listed beside the envelope\'s account "{FB_B}" {NOT_REGISTERED}'),
        (5, 1): (f"{FB_K}_900000000000002", f'post author from.id "10223344556677889" {NOT_THE_ACCOUNT} "{FB_K}"'),
        (6, None): (
            None,
            "API error body landed instead of data (code 10: (#10) This endpoint requires the "
            "'pages_read_engagement' permission or the 'Page Public Content Access' feature. "
            "(subcode 2069030, type OAuthException, fbtrace_id AbCdEfGh123))",
        ),
    },
    "instagram.jsonl": {
        (3, 0): ("17900000000000003", f'post author business_discovery.id "{IG_K}" {NOT_THE_ACCOUNT} "{IG_B}"'),
        (4, 1): ("17900000000000005", f'post author owner.id "{IG_K}" {NOT_THE_ACCOUNT} "{IG_B}"'),
        (5, 1): (
            "17900000000000007",
            f'post author username "bps_contoh" {NOT_THE_ACCOUNT} "{IG_K}" (@kominfo_contoh)',
        ),
        (6, None): (
            None,
            "API error body landed instead of data (code 110: Invalid user id (subcode 2207013, "
            "type OAuthException, fbtrace_id Xy12Zw34))",
        ),
    },
    "x.jsonl": {
        (1, 1): ("1897000000000000002", f'post author author_id "{X_B}" {NOT_THE_ACCOUNT} "{X_K}"'),
        (5, None): (None, f"{API_ERROR} (Not Found Error: Could not find user with id: [{X_B}].)"),
        (6, None): (None, "API error body landed instead of data (Too Many Requests: Too Many Requests)"),
    },
    "youtube.jsonl": {
        (2, None): (None, f'profile body does not list youtube account "{YT_B}" (it lists {YT_K}, {YT_X})'),
        (3, 1): (None, f'youtube account "{YT_X}" listed beside the envelope\'s account "{YT_K}" {NOT_REGISTERED}'),
        (4, 1): ("bpsVid00001", f'post author snippet.channelId "{YT_B}" {NOT_THE_ACCOUNT} "{YT_K}"'),
        (5, None): (
            None,
            f"{API_ERROR} (code 403: The request cannot be completed because you "
            "have exceeded your quota. (reason quotaExceeded, status PERMISSION_DENIED))",
        ),
        (6, None): (None, f'profile body does not list youtube account "{YT_B}" (it lists no account)'),
    },
    "tiktok.jsonl": {
        (1, 1): ("7340000000000000125", f'post author username "BPSContoh" {NOT_THE_ACCOUNT} "{TT_K}"'),
        (3, None): (
            None,
            f"{API_ERROR} (invalid_params: Invalid parameters: the username does "
            "not exist (log_id 20250310024200A1B2C3D4E5F8))",
        ),
        (4, 0): ("7340000000000000999", "count like_count is missing"),
    },
}
# (line, position, account, post id) of every post counted
POSTS: dict[str, list[tuple[int, int, str, str]]] = {
    # (5, 2) names no author (no `from`): nothing to compare, counted
    "facebook.jsonl": [(5, 0, FB_K, f"{FB_K}_900000000000001"), (5, 2, FB_K, f"{FB_K}_900000000000003")],
    "instagram.jsonl": [
        (2, 0, IG_K, "17900000000000001"),
        (2, 1, IG_K, "17900000000000002"),
        (4, 0, IG_B, "17900000000000004"),
        (5, 0, IG_K, "17900000000000006"),
    ],  # the username's case does not matter
    "x.jsonl": [
        (1, 0, X_K, "1897000000000000001"),
        (1, 2, X_K, "1897000000000000003"),
        (2, 0, X_B, "1897000000000000123"),
        (2, 1, X_B, "1897000000000000125"),
        (7, 0, X_K, "1897000000000000004"),
    ],
    "youtube.jsonl": [(4, 0, YT_K, "kmfVid00001"), (4, 2, YT_K, "kmfVid00002")],
    "tiktok.jsonl": [(1, 0, TT_K, "7340000000000000123"), (1, 2, TT_K, "7340000000000000127")],
}
# (line, position, account, followers, origin) of every follower snapshot
FOLLOWERS: dict[str, list[tuple[int, int, str, int, str]]] = {
    "facebook.jsonl": [
        (1, 0, FB_K, 250000, "profile"),
        (2, 0, FB_B, 81000, "profile"),
        (2, 1, FB_K, 250100, "profile"),
        (4, 1, FB_B, 81200, "profile"),
    ],
    # a Business Discovery page names its account: its follower count is that account's, whoever it was landed for
    "instagram.jsonl": [
        (1, 0, IG_K, 120500, "profile"),
        (2, 0, IG_K, 120600, "business_discovery"),
        (3, 0, IG_K, 120700, "business_discovery"),
    ],
    "x.jsonl": [(3, 0, X_B, 61000, "profile"), (3, 1, X_K, 845000, "profile"), (4, 0, X_K, 845100, "profile")],
    "youtube.jsonl": [
        (1, 0, YT_B, 10700000, "profile"),
        (1, 1, YT_K, 2260000, "profile"),
        (3, 0, YT_K, 2261000, "profile"),
    ],
    "tiktok.jsonl": [(2, 0, TT_K, 43000, "profile")],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    base = tmp_path_factory.mktemp("realshapes")
    (base / "input").mkdir()
    for name in QUARANTINED:
        shutil.copy(REALSHAPES / name, base / "input" / name)
    conn, _ = build_clean(base / "home", base / "input", REALSHAPES / "registry.yaml", REALSHAPES / "editions.yaml")
    yield conn
    conn.close()


def test_every_fixture_file_has_its_expectations():
    assert {p.name for p in REALSHAPES.glob("*.jsonl")} == set(QUARANTINED) == set(POSTS) == set(FOLLOWERS)


@pytest.mark.parametrize("name", sorted(QUARANTINED))
def test_what_is_quarantined_where_with_its_post_id_and_reason(warehouse, name):
    rows = warehouse.execute(
        "SELECT source_line, source_position, post_id, reason, record_kind, raw FROM clean.quarantine "
        "WHERE source_file = ? ORDER BY source_line, source_position NULLS FIRST",
        [f"landing/files/{name}"],
    ).fetchall()
    expected = QUARANTINED[name]
    assert {(line, pos) for line, pos, *_ in rows} == set(expected)
    lines = (REALSHAPES / name).read_text(encoding="utf-8").splitlines()
    for line, pos, post_id, reason, record_kind, raw in rows:
        want_id, want_reason = expected[(line, pos)]
        assert post_id == want_id and want_reason in reason, (line, pos, post_id, reason)
        if pos is None:
            assert record_kind == "envelope" and raw == lines[line - 1]
        else:
            assert record_kind == ("post" if want_id else "profile")
            assert isinstance(json.loads(raw), dict)  # the record itself, not its page


@pytest.mark.parametrize("name", sorted(POSTS))
def test_every_post_is_counted_for_its_own_author(warehouse, name):
    got = warehouse.execute(
        "SELECT source_line, source_position, account_id, post_id FROM clean.post_snapshots WHERE source_file = ? "
        "ORDER BY ALL",
        [f"landing/files/{name}"],
    ).fetchall()
    assert got == POSTS[name]


@pytest.mark.parametrize("name", sorted(FOLLOWERS))
def test_every_follower_count_belongs_to_its_own_account(warehouse, name):
    got = warehouse.execute(
        "SELECT source_line, source_position, account_id, followers, origin FROM clean.follower_snapshots "
        "WHERE source_file = ? ORDER BY ALL",
        [f"landing/files/{name}"],
    ).fetchall()
    assert got == FOLLOWERS[name]


def test_ids_past_two_to_the_53_are_read_exactly(warehouse):
    """X and TikTok ids are 64-bit integers: a JSON number past 2^53 keeps every digit (a double
    would turn 1897000000000000123 into 1897000000000000000), as a post id, as the envelope's
    account id and as an author id compared with it; so does a registry id YAML reads as a number."""
    assert float(1897000000000000123) == float(1897000000000000000)  # what a double would have made of it
    assert (
        warehouse.execute(
            "SELECT count(*) FROM clean.post_snapshots WHERE post_id IN "
            "('1897000000000000123', '1897000000000000125', '7340000000000000123')"
        ).fetchone()[0]
        == 3
    )
    assert warehouse.execute("SELECT account_id FROM registry.accounts WHERE platform = 'x' ORDER BY 1").fetchall() == [
        (X_K,),
        (X_B,),
    ]
    # the envelope's account_id was the JSON number 1500000000000000002, its authors numbers too: all counted
    assert (
        warehouse.execute(
            "SELECT count(*) FROM clean.post_snapshots WHERE account_id = ? AND source_line = 2", [X_B]
        ).fetchone()[0]
        == 2
    )


def test_what_paging_fields_say_changes_nothing(warehouse):
    """Graph paging.cursors/next, X meta.next_token/result_count, YouTube nextPageToken/pageInfo and
    TikTok cursor/has_more/search_id are beside the data: never records, never errors."""
    reasons = [r[0] for r in warehouse.execute("SELECT reason FROM clean.quarantine").fetchall()]
    assert not any(
        word in reason
        for reason in reasons
        for word in ("paging", "next_token", "nextPageToken", "pageInfo", "has_more", "search_id", "cursor")
    )


def test_the_three_ledgers_balance_and_the_checks_pass(warehouse):
    c = accounting.counts(warehouse)
    assert (c.envelopes.read, c.envelopes.kept, c.envelopes.quarantined) == (29, 20, 9)
    n_posts = sum(len(v) for v in POSTS.values())
    n_post_quarantine = sum(1 for q in QUARANTINED.values() for (_, pos), (pid, _) in q.items() if pid)
    assert (c.posts.kept, c.posts.duplicates) == (n_posts, 0)
    assert c.posts.read == c.posts.kept + c.posts.quarantined and c.posts.balanced
    # 12 post records quarantined: 8 posts, and 4 whole posts envelopes (one record each: error bodies)
    assert n_post_quarantine == 8 and c.posts.quarantined == 12
    # 7 profile records: 2 listed accounts, and 5 whole profile envelopes (error bodies, bodies not listing theirs)
    n_followers = sum(len(v) for v in FOLLOWERS.values())
    assert (c.profiles.read, c.profiles.kept, c.profiles.quarantined) == (21, n_followers, 7)
    for check in (
        cleaned.envelopes_accounted_for,
        cleaned.reconciliation_balanced,
        cleaned.profile_reconciliation_balanced,
    ):
        assert check(warehouse).passed, check.__name__
