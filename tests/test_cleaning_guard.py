"""A cleaning slice keeps every record it read (gsm_platform/parsing/guard.py).

The DuckDB bug behind issue 14 point 3, reduced to five statements, and the guard that fails
loudly whenever a slice holds fewer records than its envelopes' JSON carries."""

import datetime as dt
import json

import duckdb
import pytest

from gsm_platform.parsing import PARSERS, cleaning, ledgers, posts, records
from gsm_platform.parsing.guard import CleaningLostRecords
from tests.support import SAMPLE_ACCOUNTS, build_clean, sample_editions, sample_registry, write_jsonl

X_ACCOUNT = SAMPLE_ACCOUNTS["x"]
# more than 110,592 rows (0.9 x DuckDB's 122,880-row group): the size from which DuckDB 2.0.0
# lost the rows of an x-only slice (issue 14: from about 64,500 extra one-post pages on top of
# the ~88,800 x records of a 0.02-scale edition)
LARGE = 130_000


def test_duckdb_keeps_a_large_insert_after_an_empty_one_in_one_transaction():
    """The minimal reproduction, outside the project: on DuckDB 2.0.0 the second INSERT says
    130,000 rows, count(*) says 130,000 (statistics) and a scan sees none, after COMMIT too.
    Without the empty INSERT, with one thread or without an explicit transaction, no loss."""
    con = duckdb.connect()
    con.execute("BEGIN")
    con.execute("CREATE TEMP TABLE candidates (a BIGINT)")
    con.execute("CREATE TEMP TABLE nothing AS SELECT 1::BIGINT AS a WHERE false")
    con.execute("INSERT INTO candidates SELECT a FROM nothing")  # an empty order-preserving batch insert
    con.execute(f"CREATE TEMP TABLE source AS SELECT i AS a FROM range({LARGE}) r(i)")
    assert con.execute("INSERT INTO candidates SELECT a FROM source").fetchone()[0] == LARGE
    assert con.execute("SELECT count(DISTINCT a) FROM candidates").fetchone()[0] == LARGE
    con.execute("COMMIT")
    kept = con.execute("SELECT count(DISTINCT a), sum(a) FROM candidates").fetchone()
    assert kept == (LARGE, LARGE * (LARGE - 1) // 2)


def _one_post_pages(n: int) -> list[str]:
    """n valid x pages of one post each, of one registered account, fetched on one day."""
    line = (
        '{"platform": "x", "kind": "posts", "account_id": "%s", "fetched_at": "2025-03-02T09:02:00+07:00", '
        '"response": {"data": [{"id": "%d", "created_at": "2025-03-01T02:00:00.000Z", "public_metrics": '
        '{"retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 0}}]}}'
    )
    return [line % (X_ACCOUNT, 10**18 + i) for i in range(n)]


def test_a_large_slice_of_one_platform_keeps_every_record(gsm_home, tmp_path):
    """Issue 14 point 3 at its size: one valid file of 130,000 one-post x pages and nothing of
    the other platforms (their inserts are empty, as in the failing edition)."""
    write_jsonl(tmp_path / "input" / "x_pages.jsonl", _one_post_pages(LARGE))
    conn, recon = build_clean(
        gsm_home, tmp_path / "input", sample_registry(tmp_path / "r.yaml"), sample_editions(tmp_path / "e.yaml")
    )
    assert recon == {"x": {"raw_records": LARGE, "clean": LARGE, "duplicates": 0, "quarantined": 0}}
    assert conn.execute("SELECT count(DISTINCT post_id) FROM clean.post_snapshots").fetchone()[0] == LARGE
    conn.close()


@pytest.fixture
def cleaned(gsm_home, tmp_path):
    """A warehouse cleaned once from the sample envelopes (every platform, posts and profiles)
    plus a page with a bad post, a duplicate page and a line that is not JSON."""
    from tests.support import FIXTURES_SAMPLES

    envelopes = [json.loads(p.read_text()) for p in sorted(FIXTURES_SAMPLES.glob("*.json"))]
    x_page = next(e for e in envelopes if e["platform"] == "x" and e["kind"] == "posts")
    bad = json.loads(json.dumps(x_page))
    bad["response"]["data"][0]["created_at"] = "yesterday"
    write_jsonl(tmp_path / "input" / "all.jsonl", [*envelopes, x_page, bad, "{not json"])
    conn, recon = build_clean(
        gsm_home, tmp_path / "input", sample_registry(tmp_path / "r.yaml"), sample_editions(tmp_path / "e.yaml")
    )
    assert recon["x"]["duplicates"] > 0 and recon["x"]["quarantined"] > 0 and "(unreadable)" in recon
    yield conn
    conn.close()


def _snapshot(conn) -> list:
    return [
        conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
        for t in ("clean.post_snapshots", "clean.follower_snapshots", "clean.quarantine", "clean.reconciliation")
    ]


def _clean_again_losing(conn, monkeypatch, step: str, sql: str) -> None:
    """Re-clean everything, running `sql` inside the slice's transaction right after `step`
    (`<module>.<function>` of gsm_platform.parsing)."""
    module_name, name = step.split(".")
    module = {"records": records, "posts": posts, "ledgers": ledgers}[module_name]
    original = getattr(module, name)

    def losing(c, *args):
        original(c, *args)
        c.execute(sql)

    monkeypatch.setattr(module, name, losing)
    cleaning.clean_window(conn, dt.date(2018, 1, 1), dt.date(2030, 1, 1))


@pytest.mark.parametrize(
    "step, sql, lost",
    [
        # the DuckDB bug: the candidates vanish, so the reconciliation (computed from them) agrees
        # with the empty result; only a count from the envelopes' JSON sees the loss
        (
            "records.parse_platform",
            "DELETE FROM post_candidates WHERE platform = 'x'",
            "x fetched 2025-03-02: read 6 post records",
        ),
        ("posts.dedupe_posts", "DELETE FROM clean.post_snapshots WHERE platform = 'youtube'", "youtube fetched"),
        ("ledgers.reconcile", "DELETE FROM clean.quarantine WHERE source_position IS NOT NULL", "x fetched 2025-03-02"),
        (
            "ledgers.reconcile",
            "DELETE FROM clean.quarantine WHERE source_position IS NULL AND platform IS NULL",
            "(unreadable) fetched None: read 1",
        ),
        (
            "ledgers.reconcile",
            "DELETE FROM clean.follower_snapshots WHERE platform = 'tiktok'",
            "profile envelope(s) with neither a follower snapshot nor a quarantine row",
        ),
    ],
)
def test_a_slice_that_loses_records_fails_loudly_and_keeps_what_was_there(cleaned, monkeypatch, step, sql, lost):
    before = _snapshot(cleaned)
    with pytest.raises(CleaningLostRecords, match="nothing of this slice was committed") as failure:
        _clean_again_losing(cleaned, monkeypatch, step, sql)
    assert lost in str(failure.value)
    assert _snapshot(cleaned) == before


def test_records_read_are_counted_from_the_json_not_from_the_result(cleaned):
    """The guard's count of records read, computed from raw.envelopes alone, equals the
    reconciliation's (a page of 2 posts is 2, a profile 0, a line that is not JSON 1)."""
    from gsm_platform.parsing.guard import posts_read

    read = dict(
        cleaned.execute(
            f"SELECT coalesce(platform, '(unreadable)'), sum({posts_read(PARSERS)}) FROM raw.envelopes e GROUP BY 1"
        ).fetchall()
    )
    recon = cleaning.reconciliation(cleaned)
    assert read == {p: c["raw_records"] for p, c in recon.items()}
