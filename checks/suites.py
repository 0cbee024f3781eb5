"""Great Expectations suites for the cleaned tables (great-expectations 1.x, used directly).

Approach: a deterministic sample plus aggregates over every row in scope, both validated by GX.

- The cleaned tables hold millions of rows (9M+ post snapshots for one award year); pulling
  them into pandas for GX would cost gigabytes and minutes on every run. So GX validates
  (1) a fixed-size sample drawn inside DuckDB, `USING SAMPLE reservoir(50000 ROWS) REPEATABLE
  (42)`: the same rows for the same table, so a failure reproduces, and row-level
  expectations (sets, ranges, pairs, the examples GX reports) behave as on the full table;
  and (2) one row of aggregates computed by DuckDB over *every* row in scope (null keys,
  negative counts, rows breaking a rule), so that a rule broken by a single row in millions
  is still caught, which no sample guarantees.
- The scope is the run's fetch days, as for the other checks of the cleaned tables (a run
  re-cleaning one month validates that month), else an edition's fetch days (`gsm quality
  --edition`), else the whole table. Rows whose fetch time could not be read are in every
  scope.
- The sample is ordered by its source key before GX sees it, so GX's examples are stable.
- Cross-column rules GX has no expectation for (interactions NULL iff hidden; fetch_date is
  the WIB date of fetched_at) are computed as boolean columns in the sample query and
  expected to be all true.
- The GX context is ephemeral (nothing written to disk), with analytics and progress bars
  off: a check must not phone home or draw on a terminal.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from typing import Any

import duckdb

from checks.outcome import CheckOutcome, FetchDays, fetch_day_filter, resolve_fetch_days
from gsm_platform import phases
from gsm_platform.vocabulary import FOLLOWER_ORIGINS, MEDIA_KINDS, PLATFORMS

SAMPLE_ROWS = 50_000
SAMPLE_SEED = 42
EXAMPLES = 10

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


@dataclass(frozen=True)
class Suite:
    table: str
    sample_order: str
    derived: dict[str, str]  # boolean column name -> SQL, computed on the sample; expected all true
    not_null: tuple[str, ...]
    in_set: dict[str, tuple[str, ...]]
    non_negative: tuple[str, ...]
    pairs_a_ge_b: tuple[tuple[str, str], ...]  # (a, b): a >= b where both known
    aggregates: dict[str, str]  # name -> SQL counting the rows breaking a rule, over the whole table


_PLATFORMS = tuple(PLATFORMS)
_PLATFORM_LIST = ", ".join(f"'{p}'" for p in PLATFORMS)
_MEDIA_KIND_LIST = ", ".join(f"'{k}'" for k in MEDIA_KINDS)
_ORIGIN_LIST = ", ".join(f"'{o}'" for o in FOLLOWER_ORIGINS)

POST_SNAPSHOTS = Suite(
    table="clean.post_snapshots",
    sample_order="source_file, source_line, source_position",
    derived={
        "interactions_null_iff_hidden": "(interactions IS NULL) = interactions_hidden",
        "fetch_date_is_date_of_fetched_at": "fetch_date = CAST(fetched_at AS DATE)",
        "video_only_platform_posts_are_video": "platform NOT IN ('youtube', 'tiktok') OR media_kind = 'video'",
    },
    not_null=(
        "platform",
        "account_id",
        "post_id",
        "published_at",
        "fetched_at",
        "fetch_date",
        "media_kind",
        "interactions_hidden",
        "source_file",
        "source_line",
        "source_position",
    ),
    in_set={"platform": _PLATFORMS, "media_kind": MEDIA_KINDS},
    non_negative=("likes", "comments", "shares", "quotes", "interactions", "views", "source_line", "source_position"),
    pairs_a_ge_b=(("fetched_at", "published_at"),),
    aggregates={
        "rows_with_a_null_key": "count(*) FILTER (WHERE platform IS NULL OR account_id IS NULL OR post_id IS NULL "
        "OR published_at IS NULL OR fetched_at IS NULL OR fetch_date IS NULL OR media_kind IS NULL "
        "OR interactions_hidden IS NULL OR source_file IS NULL OR source_line IS NULL "
        "OR source_position IS NULL)",
        "rows_with_unknown_platform": f"count(*) FILTER (WHERE platform NOT IN ({_PLATFORM_LIST}))",
        "rows_with_unknown_media_kind": f"count(*) FILTER (WHERE media_kind NOT IN ({_MEDIA_KIND_LIST}))",
        "rows_with_a_negative_count": "count(*) FILTER (WHERE likes < 0 OR comments < 0 OR shares < 0 OR quotes < 0 "
        "OR interactions < 0 OR views < 0)",
        "rows_with_interactions_null_but_not_hidden": "count(*) FILTER "
        "(WHERE (interactions IS NULL) <> interactions_hidden)",
        "rows_with_interactions_not_the_sum_of_counts": "count(*) FILTER (WHERE NOT interactions_hidden "
        "AND interactions <> coalesce(likes, 0) + coalesce(comments, 0) "
        "+ coalesce(shares, 0) + coalesce(quotes, 0))",
        "rows_published_after_fetch": "count(*) FILTER (WHERE published_at > fetched_at)",
        "rows_with_fetch_date_not_of_fetched_at": "count(*) FILTER (WHERE fetch_date <> CAST(fetched_at AS DATE))",
        "rows_sharing_a_source_position": "count(*) - count(DISTINCT (source_file, source_line, source_position))",
    },
)

FOLLOWER_SNAPSHOTS = Suite(
    table="clean.follower_snapshots",
    sample_order="source_file, source_line, source_position",
    derived={
        "fetch_date_is_date_of_fetched_at": "fetch_date = CAST(fetched_at AS DATE)",
        "business_discovery_only_on_instagram": "origin = 'profile' OR platform = 'instagram'",
    },
    not_null=(
        "platform",
        "account_id",
        "fetched_at",
        "fetch_date",
        "followers",
        "origin",
        "source_file",
        "source_line",
    ),
    in_set={"platform": _PLATFORMS, "origin": FOLLOWER_ORIGINS},
    non_negative=("followers", "source_line"),
    pairs_a_ge_b=(),
    aggregates={
        "rows_with_a_null_key": "count(*) FILTER (WHERE platform IS NULL OR account_id IS NULL OR fetched_at IS NULL "
        "OR fetch_date IS NULL OR followers IS NULL OR origin IS NULL OR source_file IS NULL "
        "OR source_line IS NULL)",
        "rows_with_unknown_platform": f"count(*) FILTER (WHERE platform NOT IN ({_PLATFORM_LIST}))",
        "rows_with_unknown_origin": f"count(*) FILTER (WHERE origin NOT IN ({_ORIGIN_LIST}))",
        "rows_with_negative_followers": "count(*) FILTER (WHERE followers < 0)",
        "rows_with_fetch_date_not_of_fetched_at": "count(*) FILTER (WHERE fetch_date <> CAST(fetched_at AS DATE))",
        # a profile body may list several accounts: one snapshot per listed position
        "rows_sharing_a_source_position": "count(*) - count(DISTINCT (source_file, source_line, source_position))",
    },
)

SUITES = {s.table: s for s in (POST_SNAPSHOTS, FOLLOWER_SNAPSHOTS)}


def _suite(table: str) -> Suite:
    name = table if "." in table else f"clean.{table}"
    try:
        return SUITES[name]
    except KeyError:
        raise ValueError(f"no Great Expectations suite for {table!r} (known: {', '.join(SUITES)})") from None


def sample_sql(suite: Suite, rows: int = SAMPLE_ROWS, seed: int = SAMPLE_SEED, where: str = "true") -> str:
    """The sample of the rows `where` selects (filtered first, then sampled)."""
    derived = "".join(f", ({sql}) AS {name}" for name, sql in suite.derived.items())
    return (
        f"SELECT *{derived} FROM (SELECT * FROM (SELECT * FROM {suite.table} WHERE {where}) "
        f"USING SAMPLE reservoir({int(rows)} ROWS) REPEATABLE ({int(seed)})) ORDER BY {suite.sample_order}"
    )


def aggregates_sql(suite: Suite, where: str = "true") -> str:
    cols = ", ".join(f"coalesce(({sql}), 0)::BIGINT AS {name}" for name, sql in suite.aggregates.items())
    return f"SELECT count(*)::BIGINT AS table_rows, {cols} FROM {suite.table} WHERE {where}"


def _expectations(suite: Suite, gx) -> tuple[list, list]:
    e = gx.expectations
    sample = [e.ExpectColumnValuesToNotBeNull(column=c) for c in suite.not_null]
    sample += [e.ExpectColumnValuesToBeInSet(column=c, value_set=list(values)) for c, values in suite.in_set.items()]
    sample += [e.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in suite.non_negative]
    sample += [e.ExpectColumnValuesToBeInSet(column=c, value_set=[True]) for c in suite.derived]
    sample += [
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=a, column_B=b, or_equal=True, ignore_row_if="either_value_is_missing"
        )
        for a, b in suite.pairs_a_ge_b
    ]
    aggregates = [e.ExpectColumnValuesToBeInSet(column=name, value_set=[0]) for name in suite.aggregates]
    return sample, aggregates


def _context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx, gx.get_context(mode="ephemeral", project_config=config)


def _json(value: Any) -> Any:
    """GX results carry numpy and pandas values: make them plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, TypeError):
            return str(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _result_dict(batch: str, result) -> dict[str, Any]:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    detail = result.result or {}
    return _json(
        {
            "batch": batch,
            "expectation": config.type,
            "column": kwargs.get("column")
            or ", ".join(str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs)
            or None,
            "kwargs": kwargs,
            "success": bool(result.success),
            "element_count": detail.get("element_count"),
            "unexpected_count": detail.get("unexpected_count"),
            "examples": list(detail.get("partial_unexpected_list") or [])[:EXAMPLES],
            "error": (result.exception_info or {}).get("exception_message") if not result.success else None,
        }
    )


@dataclass(frozen=True)
class SuiteResult:
    success: bool
    results: list[dict]
    sample_rows: int
    table_rows: int


def validate(
    conn: duckdb.DuckDBPyConnection, table: str, sample_rows: int = SAMPLE_ROWS, where: str = "true"
) -> SuiteResult:
    """Validate a cleaned table (the rows `where` selects) with its GX suite: the deterministic
    sample, then the one row of aggregates over every selected row (see the module docstring)."""
    suite = _suite(table)
    with phases.phase(f"gx/{suite.table}/sample"):
        sample = conn.execute(sample_sql(suite, sample_rows, where=where)).df()
    with phases.phase(f"gx/{suite.table}/aggregates"):
        aggregates = conn.execute(aggregates_sql(suite, where)).df()
    with phases.phase(f"gx/{suite.table}/validate"):
        return _validate(suite, sample, aggregates)


def _validate(suite: Suite, sample, aggregates) -> SuiteResult:
    gx, context = _context()
    source = context.data_sources.add_pandas(name="warehouse")
    asset_name = suite.table.replace(".", "_")
    sample_expectations, aggregate_expectations = _expectations(suite, gx)
    results: list[dict] = []
    for batch_name, frame, expectations in (
        ("sample", sample, sample_expectations),
        ("aggregates", aggregates, aggregate_expectations),
    ):
        asset = source.add_dataframe_asset(name=f"{asset_name}_{batch_name}")
        batch = asset.add_batch_definition_whole_dataframe(batch_name).get_batch(batch_parameters={"dataframe": frame})
        gx_suite = gx.ExpectationSuite(name=f"{asset_name}_{batch_name}", expectations=expectations)
        results += [_result_dict(batch_name, r) for r in batch.validate(gx_suite).results]
    results.sort(key=lambda r: (r["batch"] != "sample", r["expectation"], str(r["column"])))
    return SuiteResult(all(r["success"] for r in results), results, len(sample), int(aggregates["table_rows"].iloc[0]))


def run_suite(conn: duckdb.DuckDBPyConnection, table: str) -> tuple[bool, list[dict]]:
    """(every expectation met, one plain dict per expectation result) for `clean.post_snapshots`
    or `clean.follower_snapshots`. Each dict: batch ('sample' | 'aggregates'), expectation,
    column, kwargs, success, element_count, unexpected_count, examples, error."""
    result = validate(conn, table)
    return result.success, result.results


def expectations_met(
    conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, table: str, fetch_days: FetchDays = None
) -> CheckOutcome:
    """The check: the table's GX suite passes on the rows of the run's fetch days (a Dagster
    partition range), else of the edition's fetch days, else on the whole table: the sample
    is drawn from those rows, and the aggregates cover all of them."""
    result = validate(conn, table, where=fetch_day_filter(resolve_fetch_days(conn, edition, fetch_days)))
    failed = [r for r in result.results if not r["success"]]
    meta = {
        "table_rows": result.table_rows,
        "sample_rows": result.sample_rows,
        "sample": f"reservoir({SAMPLE_ROWS} ROWS) REPEATABLE ({SAMPLE_SEED})",
        "expectations": len(result.results),
        "failed": len(failed),
        "failed_expectations": [
            {k: r[k] for k in ("batch", "expectation", "column", "unexpected_count", "examples")} for r in failed
        ],
    }
    if failed:
        first = failed[0]
        return CheckOutcome(
            False,
            f"{len(failed)} of {len(result.results)} expectation(s) on {table} failed; first: {first['expectation']} "
            f"on {first['column']} ({first['batch']}, {first['unexpected_count']} unexpected, "
            f"e.g. {first['examples'][:3]})",
            meta,
        )
    return CheckOutcome(
        True,
        f"all {len(result.results)} expectation(s) met on {table} "
        f"({result.sample_rows} sampled of {result.table_rows} rows, plus whole-table aggregates)",
        meta,
    )
