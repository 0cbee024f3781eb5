"""The Great Expectations suites of the cleaned tables: they pass on clean data, fail on bad
rows, catch in the whole-table aggregates a bad row the sample misses, and repeat exactly."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from checks import suites
from tests.support import FIXTURES_SAMPLES, build_clean, sample_editions, sample_registry

POST_COLUMNS = (
    "platform VARCHAR, account_id VARCHAR, post_id VARCHAR, published_at TIMESTAMP, fetched_at TIMESTAMP, "
    "fetch_date DATE, media_kind VARCHAR, likes BIGINT, comments BIGINT, shares BIGINT, quotes BIGINT, "
    "interactions BIGINT, interactions_hidden BOOLEAN, views BIGINT, source_file VARCHAR, "
    "source_line INTEGER, source_position INTEGER"
)
FOLLOWER_COLUMNS = (
    "platform VARCHAR, account_id VARCHAR, fetched_at TIMESTAMP, fetch_date DATE, followers BIGINT, "
    "origin VARCHAR, source_file VARCHAR, source_line INTEGER, source_position INTEGER"
)


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    base = tmp_path_factory.mktemp("suites")
    shutil.copytree(FIXTURES_SAMPLES, base / "input")
    conn, _ = build_clean(
        base / "home", base / "input", sample_registry(base / "r.yaml"), sample_editions(base / "e.yaml")
    )
    yield conn
    conn.close()


def loose_tables(posts: list[tuple] = (), followers: list[tuple] = ()) -> duckdb.DuckDBPyConnection:
    """The cleaned tables without the warehouse's NOT NULL constraints, to hold any damage."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA clean")
    conn.execute(f"CREATE TABLE clean.post_snapshots ({POST_COLUMNS})")
    conn.execute(f"CREATE TABLE clean.follower_snapshots ({FOLLOWER_COLUMNS})")
    if posts:
        conn.executemany(f"INSERT INTO clean.post_snapshots VALUES ({', '.join('?' * 17)})", posts)
    if followers:
        conn.executemany(f"INSERT INTO clean.follower_snapshots VALUES ({', '.join('?' * 9)})", followers)
    return conn


def post(n: int, **changes) -> tuple:
    row = {
        "platform": "facebook",
        "account_id": "a",
        "post_id": f"p{n}",
        "published_at": "2025-03-01 10:00:00",
        "fetched_at": "2025-03-02 09:00:00",
        "fetch_date": "2025-03-02",
        "media_kind": "image",
        "likes": 10,
        "comments": 2,
        "shares": 1,
        "quotes": None,
        "interactions": 13,
        "interactions_hidden": False,
        "views": None,
        "source_file": "landing/files/f.jsonl",
        "source_line": 1,
        "source_position": n,
    }
    row.update(changes)
    return tuple(row.values())


def failed(results: list[dict]) -> set[tuple[str, str, str]]:
    return {(r["batch"], r["expectation"], r["column"]) for r in results if not r["success"]}


@pytest.mark.parametrize("table", ["clean.post_snapshots", "clean.follower_snapshots"])
def test_suites_pass_on_clean_data_and_results_are_plain_json(samples, table):
    ok, results = suites.run_suite(samples, table)
    assert ok, failed(results)
    assert {r["batch"] for r in results} == {"sample", "aggregates"}
    json.dumps(results)  # plain values only
    assert suites.run_suite(samples, table) == (ok, results)  # the same sample, the same results


def test_bad_post_snapshots_fail_the_suite():
    conn = loose_tables(
        [
            post(0),
            post(1, likes=-5, interactions=-2),  # a negative count
            post(2, media_kind="gif"),  # not a media kind
            post(3, interactions=None),  # unknown interactions but not flagged hidden
            post(4, published_at="2025-03-03 10:00:00"),  # published after its fetch
            post(5, platform="youtube", media_kind="image"),  # every youtube post is a video
            post(6, post_id=None),  # a null key
            post(7, fetch_date="2025-03-01"),  # fetch_date not the date of fetched_at
            post(1),  # the same source position as row 1
        ]
    )
    ok, results = suites.run_suite(conn, "clean.post_snapshots")
    assert not ok
    assert {
        ("sample", "expect_column_values_to_be_between", "likes"),
        ("sample", "expect_column_values_to_be_in_set", "media_kind"),
        ("sample", "expect_column_values_to_be_in_set", "interactions_null_iff_hidden"),
        ("sample", "expect_column_pair_values_a_to_be_greater_than_b", "fetched_at, published_at"),
        ("sample", "expect_column_values_to_be_in_set", "video_only_platform_posts_are_video"),
        ("sample", "expect_column_values_to_not_be_null", "post_id"),
        ("sample", "expect_column_values_to_be_in_set", "fetch_date_is_date_of_fetched_at"),
        ("aggregates", "expect_column_values_to_be_in_set", "rows_with_a_negative_count"),
        ("aggregates", "expect_column_values_to_be_in_set", "rows_with_unknown_media_kind"),
        ("aggregates", "expect_column_values_to_be_in_set", "rows_with_interactions_null_but_not_hidden"),
        ("aggregates", "expect_column_values_to_be_in_set", "rows_published_after_fetch"),
        ("aggregates", "expect_column_values_to_be_in_set", "rows_with_a_null_key"),
        ("aggregates", "expect_column_values_to_be_in_set", "rows_with_fetch_date_not_of_fetched_at"),
        ("aggregates", "expect_column_values_to_be_in_set", "rows_sharing_a_source_position"),
    } <= failed(results)
    media = next(r for r in results if r["column"] == "media_kind" and not r["success"])
    assert media["examples"] == ["gif"] and media["unexpected_count"] == 1


def test_the_aggregates_catch_a_bad_row_the_sample_misses():
    rows = [post(n) for n in range(500)] + [post(500, likes=-1, interactions=2)]
    conn = loose_tables(rows)
    result = suites.validate(conn, "clean.post_snapshots", sample_rows=20)
    assert result.sample_rows == 20 and result.table_rows == 501
    assert not result.success
    assert ("aggregates", "expect_column_values_to_be_in_set", "rows_with_a_negative_count") in failed(result.results)
    assert failed(result.results) == {("aggregates", "expect_column_values_to_be_in_set", "rows_with_a_negative_count")}


def test_bad_follower_snapshots_fail_the_suite():
    good = ("instagram", "a", "2025-03-02 09:00:00", "2025-03-02", 100, "business_discovery", "f", 1, 0)
    conn = loose_tables(
        followers=[
            good,
            ("facebook", "a", "2025-03-02 09:00:00", "2025-03-02", -1, "profile", "f", 2, 0),
            ("facebook", "a", "2025-03-02 09:00:00", "2025-03-02", 1, "scraped", "f", 3, 0),
            ("facebook", "a", "2025-03-02 09:00:00", "2025-03-02", 1, "business_discovery", "f", 4, 0),
            ("myspace", "a", "2025-03-02 09:00:00", "2025-03-02", 1, "profile", "f", 5, 0),
        ]
    )
    ok, results = suites.run_suite(conn, "follower_snapshots")
    assert not ok
    assert {
        ("sample", "expect_column_values_to_be_between", "followers"),
        ("sample", "expect_column_values_to_be_in_set", "origin"),
        ("sample", "expect_column_values_to_be_in_set", "business_discovery_only_on_instagram"),
        ("sample", "expect_column_values_to_be_in_set", "platform"),
        ("aggregates", "expect_column_values_to_be_in_set", "rows_with_negative_followers"),
        ("aggregates", "expect_column_values_to_be_in_set", "rows_with_unknown_origin"),
        ("aggregates", "expect_column_values_to_be_in_set", "rows_with_unknown_platform"),
    } <= failed(results)


def test_the_suite_check_reports_what_failed():
    conn = loose_tables([post(0), post(1, media_kind="gif")])
    outcome = suites.expectations_met(conn, table="clean.post_snapshots")
    assert not outcome.passed and "media_kind" in outcome.description
    assert outcome.metadata["failed"] == 2 and outcome.metadata["table_rows"] == 2
    with pytest.raises(ValueError, match="no Great Expectations suite"):
        suites.run_suite(conn, "clean.quarantine")


def test_the_suite_validates_the_rows_of_its_fetch_days():
    """In a Dagster run the suite reads the run's fetch days, like the other cleaned checks: a
    month re-cleaned for one more day is validated, not the whole year again."""
    import datetime as dt

    march = post(0)
    april = post(1, fetched_at="2025-04-02 09:00:00", fetch_date="2025-04-02", likes=-1, interactions=2)
    conn = loose_tables([march, april])
    in_march = suites.expectations_met(
        conn, table="clean.post_snapshots", fetch_days=(dt.date(2025, 3, 1), dt.date(2025, 4, 1))
    )
    assert in_march.passed and in_march.metadata["table_rows"] == 1
    in_april = suites.expectations_met(
        conn, table="clean.post_snapshots", fetch_days=(dt.date(2025, 4, 1), dt.date(2025, 5, 1))
    )
    assert not in_april.passed and in_april.metadata["table_rows"] == 1
    undated = loose_tables([march, post(2, fetch_date=None)])  # no fetch day: in every scope
    assert not suites.expectations_met(
        undated, table="clean.post_snapshots", fetch_days=(dt.date(2025, 3, 1), dt.date(2025, 4, 1))
    ).passed
    assert not suites.expectations_met(conn, table="clean.post_snapshots").passed  # the whole table
