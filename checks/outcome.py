"""What a check function returns, and the small SQL helpers every check shares.

Check logic lives in plain functions `(conn, edition | None, **scope) -> CheckOutcome` so that
tests exercise it on a hand-made DuckDB and `gsm quality` runs it outside Dagster; the Dagster
check definitions (checks/definitions.py) are thin wrappers around the same functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from gsm_platform import accounting
from gsm_platform.paths import gsm_home
from gsm_platform.warehouse.rows import one_value

# Check severities, as Dagster names them (dg.AssetCheckSeverity values).
ERROR = "ERROR"
WARN = "WARN"

# Offending rows kept in a check's metadata: enough to act on, small enough for the UI.
EXAMPLES = 20
# dbt-duckdb writes the models to the `main` schema (see gsm_platform/rankings.py).
MART_SCHEMA = "main"
# A score is a weighted sum of percentiles: 0.7 * 100 + 0.3 * 100 is 100.00000000000001 in floats.
SCORE_TOLERANCE = 1e-9

# a half-open range of fetch days (WIB dates), or several (a run's fetch months); None: every day
FetchDays = tuple[dt.date, dt.date] | Sequence[tuple[dt.date, dt.date]] | None


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


class RelationMissing(LookupError):
    """The table a check reads does not exist (its asset was never materialized here)."""


def relation_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        one_value(
            conn,
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
            what=f"the count of tables named {schema}.{table}",
        )
    )


def require_relation(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    if not relation_exists(conn, schema, table):
        raise RelationMissing(f"{schema}.{table} does not exist: its asset has not been materialized in this warehouse")
    return f"{schema}.{table}"


def columns(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def records(cursor: duckdb.DuckDBPyConnection, limit: int | None = EXAMPLES) -> list[dict[str, Any]]:
    """Rows of an executed query as JSON-friendly dicts (dates and times as ISO text)."""
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchmany(limit) if limit is not None else cursor.fetchall()
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in rows]


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def known_editions(conn: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in conn.execute("SELECT edition_id FROM registry.editions ORDER BY start_date, edition_id").fetchall()
    ]


def edition_exists(conn: duckdb.DuckDBPyConnection, edition: str) -> bool:
    return bool(
        one_value(
            conn, "SELECT count(*) FROM registry.editions WHERE edition_id = ?", [edition], what=f"edition {edition}"
        )
    )


def edition_fetch_days(conn: duckdb.DuckDBPyConnection, edition: str) -> tuple[dt.date, dt.date]:
    """The fetch days an edition reads (gsm_platform.accounting.edition_fetch_days)."""
    return accounting.edition_fetch_days(conn, edition)


def fetch_day_filter(fetch_days: FetchDays, column: str = "fetch_date") -> str:
    """SQL: the rows of the fetch-day window(s), plus the rows whose fetch time could not be read
    (they belong to no day, and every cleaning run re-quarantines them)."""
    return accounting.scope_of_days(fetch_days).where(column)


def resolve_fetch_days(conn: duckdb.DuckDBPyConnection, edition: str | None, fetch_days: FetchDays) -> FetchDays:
    """A fetch-day scoped check runs on the given window(s) (its Dagster run's fetch months),
    else on the edition's fetch days, else on everything."""
    if fetch_days is not None:
        return fetch_days
    if edition is not None:
        return edition_fetch_days(conn, edition)
    return None


def resolve_scope(conn: duckdb.DuckDBPyConnection, edition: str | None, fetch_days: FetchDays) -> accounting.Scope:
    """The same choice as resolve_fetch_days, as a labelled scope (gsm_platform.accounting)."""
    if fetch_days is not None:
        return accounting.scope_of_days(fetch_days)
    if edition is not None:
        return accounting.edition_scope(conn, edition)
    return accounting.WHOLE_LANDING


def warehouse_home(conn: duckdb.DuckDBPyConnection) -> Path:
    """GSM_HOME of this warehouse: the folder of its DuckDB file (GSM_HOME/warehouse.duckdb), so
    that landed paths (relative to GSM_HOME) resolve for any warehouse a test or the CLI opens."""
    row = conn.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    if row and row[0] and row[0] != ":memory:":
        return Path(row[0]).resolve().parent
    return gsm_home()


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "(none)"
    names = list(rows[0])
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for r in rows:
        lines.append("| " + " | ".join(_cell(r.get(n)) for n in names) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")[:200]
