"""The corpus of damaged inputs (tests/fixtures/bad/), end to end through landing and cleaning:
no crash, every bad record quarantined where it is with a reason a person can act on, every
good record of the same files kept, and the post records reconcile."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from checks import cleaned, raw, registry, suites
from tests.support import build_clean, sample_editions, sample_registry

BAD = Path(__file__).parent / "fixtures" / "bad"


@dataclass(frozen=True)
class Case:
    # (line, position in the page or None for the whole envelope) -> a substring of the reason
    quarantined: dict[tuple[int, int | None], str]
    posts: list[str] = field(default_factory=list)  # post ids kept, in (line, position) order
    followers: list[int] = field(default_factory=list)  # follower counts kept


FB, IG, X, YT, TT = (
    "100064500000001",
    "17841400000000001",
    "1234567890",
    "UCabcdefghijklmnopqrstuv",
    "contohkementerian",
)
NOT_A_NUMBER = "is not a non-negative whole number"

EXPECTED: dict[str, Case] = {
    "truncated.jsonl": Case(
        {(3, None): "line is not valid JSON (truncated or corrupt file)"}, [f"{FB}_1001", f"{FB}_1002"], [1523400]
    ),
    "not_json.jsonl": Case(
        {
            (1, None): "line is not valid JSON",
            (4, None): "line is not valid JSON",  # line 3 is blank
            (5, None): "envelope is not a JSON object",
        },
        ["18000000000001001", "18000000000001002"],
        [845000],
    ),
    "missing_field.jsonl": Case(
        {
            (2, None): 'envelope has no "platform"',
            (3, None): 'envelope has no "kind"',
            (4, None): 'envelope has no "account_id"',
            (5, None): 'envelope has no "fetched_at"',
            (6, None): 'envelope has no "response" body',
            (7, None): "posts body has no list of posts where youtube",
            (8, 1): "post has no id",
            (8, 2): "count public_metrics.like_count is missing",
            (9, 0): "profile has no follower count (data.follower_count)",
        },
        ["ytMissing01", "ytMissing02", "1895000000000001001"],
    ),
    "unknown_platform.jsonl": Case(
        {
            (1, None): 'unknown platform "threads"',
            (3, None): 'unknown platform "Facebook"',
            (4, None): 'unknown platform "linkedin"',
        },
        ["7340000000000001001", "7340000000000001002"],
    ),
    "unknown_kind.jsonl": Case(
        {(2, None): 'unknown kind "comments" (expected posts or profile)', (3, None): 'unknown kind "stories"'},
        [],
        [301000, 2301100],
    ),
    "no_publication_time.jsonl": Case(
        {
            (1, 1): "post has no publication time (created_time)",
            (2, 0): "post has no publication time (timestamp)",
            (3, 0): "post has no publication time (snippet.publishedAt)",
            (4, 0): "post has no publication time (create_time)",
            (5, 0): "post has no publication time (created_at)",
        },
        [f"{FB}_1301", f"{FB}_1303", "18000000000001302", "ytNoTime002", "7340000000000001302", "1895000000000001302"],
    ),
    "bad_publication_time.jsonl": Case(
        {
            (1, 0): 'publication time (created_time) "yesterday" cannot be parsed',
            (2, 0): 'publication time (timestamp) "2025-02-30T10:00:00+0000" cannot be parsed',
            (3, 0): 'publication time (created_at) "2025-03-01T25:00:00.000Z" cannot be parsed',
            (4, 0): 'publication time (create_time) "soon" cannot be parsed',
            (5, 0): 'publication time (snippet.publishedAt) "" cannot be parsed',
        },
        [f"{FB}_1402", "18000000000001402", "1895000000000001402", "7340000000000001402", "ytBadTime02"],
    ),
    "negative_count.jsonl": Case(
        {
            (1, 0): f'count reactions.summary.total_count "-3" {NOT_A_NUMBER}',
            (2, 0): f'count statistics.viewCount "-10" {NOT_A_NUMBER}',
            (3, 0): f'count public_metrics.retweet_count "-1" {NOT_A_NUMBER}',
            (4, 0): f'count share_count "-2" {NOT_A_NUMBER}',
            (5, 0): f'follower count (followers_count) "-100" {NOT_A_NUMBER}',
        },
        [f"{FB}_1502", "ytNegative2", "1895000000000001502", "7340000000000001502"],
        [1523900],
    ),
    "non_numeric_count.jsonl": Case(
        {
            (1, 0): f'count comments_count "many" {NOT_A_NUMBER}',
            (2, 0): f'count statistics.likeCount "1.2K" {NOT_A_NUMBER}',
            (3, 0): f'count public_metrics.like_count "12k" {NOT_A_NUMBER}',
            (4, 0): f'count view_count "true" {NOT_A_NUMBER}',
            (5, 0): f'follower count (data.public_metrics.followers_count) "lots" {NOT_A_NUMBER}',
        },
        ["18000000000001602", "ytNotANum02", "1895000000000001602", "7340000000000001602"],
        [410000],
    ),
    "unknown_account.jsonl": Case(
        {
            (1, 0): 'facebook account_id "999999999999999" is not in the registry',
            (1, 1): 'facebook account_id "999999999999999" is not in the registry',
            (3, 0): 'instagram account_id "17841499999999999" is not in the registry',
            (4, 0): 'tiktok account_id "akunlain" is not in the registry',
        },
        [f"{FB}_1701"],
    ),
    "future_publication.jsonl": Case(
        {
            (1, 0): "publication time 2025-03-05 15:00 WIB is after the fetch time 2025-03-02 09:00 WIB",
            (2, 0): "publication time 2025-03-02 10:00 WIB is after the fetch time 2025-03-02 09:03 WIB",
            (3, 0): "publication time 2025-03-09 13:00 WIB is after the fetch time 2025-03-02 09:04 WIB",
        },
        [f"{FB}_1802", "ytFuture002", "7340000000000001802"],
    ),
    "api_error.jsonl": Case(
        {
            (1, None): "API error body landed instead of data (code 4: (#4) Application request limit reached "
            "(type OAuthException, fbtrace_id AbCdEfGhIjK))",
            (2, None): "API error body landed instead of data (code 190: Error validating access token",
            (3, None): "API error body landed instead of data (code 403: The request cannot be completed",
            (4, None): "API error body landed instead of data (rate_limit_exceeded: API rate limit exceeded",
            (5, None): "API error body landed instead of data (Not Found Error: Could not find user with id",
            (6, None): "API error body landed instead of data (Unauthorized: Unauthorized)",
            (9, None): "API error body landed instead of data (access_token_invalid: The access token is invalid",
        },
        # line 8 is X data with a partial `errors` list (one tweet not visible): the data is kept
        ["7340000000000001901", "1895000000000001901"],
    ),
    "duplicate_lines.jsonl": Case(
        {},  # line 2 repeats line 1 exactly (2 duplicates); line 3 is another snapshot at the same fetch time
        [f"{FB}_2001", f"{FB}_2002", f"{FB}_2001"],
    ),
    "bad_fetched_at.jsonl": Case(
        {
            (1, None): 'fetched_at "last tuesday" is not an ISO-8601 time with an offset',
            (2, None): 'fetched_at "1740880865" is not an ISO-8601 time with an offset',
        },
        [f"{FB}_2102"],
    ),
    # --- times without a UTC offset, fractional counts, bad business_discovery follower counts
    "naive_time.jsonl": Case(
        {
            (1, None): 'fetched_at "2025-03-02T09:00:00"',
            (2, 0): '(created_time) "2025-03-01 08:15:00"',
            (3, 0): '(snippet.publishedAt) "2025-03-01T04:00:00"',
        },
        [f"{FB}_2203", "ytNaiveTim2"],
    ),
    "fractional_count.jsonl": Case(
        {
            (1, 0): f'count reactions.summary.total_count "12.5" {NOT_A_NUMBER}',
            (2, 0): f'follower count (followers_count) "2301100.5" {NOT_A_NUMBER}',
        },
        [f"{FB}_2302"],
    ),
    "business_discovery_followers.jsonl": Case(
        {(1, 0): 'followers_count) "-5"', (2, 0): 'followers_count) "n/a"'}, ["18000000000002401", "18000000000002402"]
    ),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("corpus")
    shutil.copytree(BAD, base / "input")
    conn, recon = build_clean(
        base / "home", base / "input", sample_registry(base / "registry.yaml"), sample_editions(base / "editions.yaml")
    )
    yield conn, recon, base / "home"
    conn.close()


def _landed(name: str) -> str:
    return f"landing/files/{name}"


def _lines(name: str) -> dict[int, str]:
    return dict(enumerate((BAD / name).read_text(encoding="utf-8").split("\n"), start=1))


def _page(envelope: dict) -> list:
    r = envelope["response"]
    if envelope["platform"] == "tiktok":
        return r["data"]["videos"]
    if envelope["platform"] == "youtube":
        return r["items"]
    return r["data"] if "data" in r else r["business_discovery"]["media"]["data"]


def test_every_fixture_file_has_its_expectations():
    assert {p.name for p in BAD.glob("*.jsonl")} == set(EXPECTED)


def _profile(envelope: dict) -> dict:
    """The one account a single-object profile body (or a posts page's business_discovery) is about."""
    r = envelope["response"]
    if "business_discovery" in r:
        return r["business_discovery"]
    return r["data"] if envelope["platform"] in ("x", "tiktok") else r


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_records_are_quarantined_where_they_are_with_a_reason(corpus, name):
    conn, _, _ = corpus
    rows = conn.execute(
        "SELECT source_line, source_position, reason, raw, record_kind, post_id FROM clean.quarantine "
        "WHERE source_file = ? ORDER BY source_line, source_position NULLS FIRST",
        [_landed(name)],
    ).fetchall()
    expected = EXPECTED[name].quarantined
    assert {(line, pos) for line, pos, *_ in rows} == set(expected)
    lines = _lines(name)
    for line, pos, reason, raw_text, record_kind, post_id in rows:
        assert expected[(line, pos)] in reason, (line, pos, reason)
        if pos is None:  # a whole envelope: its line, verbatim
            assert record_kind == "envelope" and raw_text == lines[line] and post_id is None
        elif record_kind == "profile":  # the follower count of the one account the body is about
            assert json.loads(raw_text) == _profile(json.loads(lines[line])) and post_id is None
        else:  # one post of a page: that post's JSON, and its id where it has one
            post = _page(json.loads(lines[line]))[pos]
            assert record_kind == "post" and json.loads(raw_text) == post
            assert post_id == (str(post["id"]) if "id" in post else None)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_good_records_of_the_same_files_are_kept(corpus, name):
    conn, _, _ = corpus
    posts = [
        r[0]
        for r in conn.execute(
            "SELECT post_id FROM clean.post_snapshots WHERE source_file = ? ORDER BY source_line, source_position",
            [_landed(name)],
        ).fetchall()
    ]
    followers = sorted(
        r[0]
        for r in conn.execute(
            "SELECT followers FROM clean.follower_snapshots WHERE source_file = ?", [_landed(name)]
        ).fetchall()
    )
    assert posts == EXPECTED[name].posts
    assert followers == sorted(EXPECTED[name].followers)


def test_post_records_reconcile(corpus):
    conn, recon, _ = corpus
    for platform, counts in recon.items():
        assert counts["raw_records"] == counts["clean"] + counts["duplicates"] + counts["quarantined"], platform
    totals = {k: sum(c[k] for c in recon.values()) for k in ("raw_records", "clean", "duplicates", "quarantined")}
    assert totals["clean"] == conn.execute("SELECT count(*) FROM clean.post_snapshots").fetchone()[0]
    kept_as_expected = [_landed(n) for n in EXPECTED]
    assert conn.execute(
        "SELECT count(*) FROM clean.post_snapshots WHERE list_contains(?, source_file)", [kept_as_expected]
    ).fetchone()[0] == sum(len(EXPECTED[n].posts) for n in EXPECTED)
    assert totals["duplicates"] == 2  # duplicate_lines.jsonl line 2
    assert (
        totals["quarantined"]
        == conn.execute(
            "SELECT count(*) FROM clean.quarantine WHERE record_kind = 'post' "
            "OR record_kind = 'envelope' AND kind IS DISTINCT FROM 'profile'"
        ).fetchone()[0]
    )
    # unreadable lines and envelopes without a platform still count, under no platform
    assert recon["(unreadable)"]["quarantined"] == 5


def test_checks_on_the_corpus(corpus):
    conn, _, home = corpus
    assert cleaned.reconciliation_balanced(conn).passed
    assert registry.accounts_claimed_once(conn).passed
    assert raw.landed_files_intact(conn, home=home).passed
    assert all(raw.envelopes_indexed_once(conn, platform=p).passed for p in ("facebook", "x", "tiktok"))
    warning = cleaned.quarantine_empty(conn)
    assert not warning.passed
    assert warning.metadata["quarantined"] == conn.execute("SELECT count(*) FROM clean.quarantine").fetchone()[0]
    # what survived cleaning is clean: the suites pass on it
    assert suites.run_suite(conn, "clean.post_snapshots")[0]
    assert suites.run_suite(conn, "clean.follower_snapshots")[0]
