"""The one row a query must return. DuckDB's `fetchone()` is typed `tuple | None`: an aggregate
(`count(*)`, `min(...)`) always returns a row, a lookup by key may not. Indexing the result
blindly turned a missing row into `TypeError: 'NoneType' object is not subscriptable`; these
say which row was missing instead."""

from __future__ import annotations

from typing import Any

import duckdb


class MissingRow(LookupError):
    """A query that must return a row returned none."""


def one_row(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None, *, what: str) -> tuple[Any, ...]:
    """The first row of `sql`; MissingRow naming `what` (the thing looked up) when there is none."""
    row = conn.execute(sql, params).fetchone()
    if row is None:
        raise MissingRow(f"the warehouse has no row for {what}")
    return row


def one_value(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None, *, what: str) -> Any:
    """The first column of the first row of `sql` (a count, a maximum); MissingRow naming `what`."""
    return one_row(conn, sql, params, what=what)[0]
