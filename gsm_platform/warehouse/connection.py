"""Connections to the DuckDB warehouse: one file under GSM_HOME, the tables of docs/warehouse.md
(created by ddl.py on every read-write connect).

DuckDB allows one writer per file, so every asset that writes here runs in the
`warehouse` concurrency pool (limit 1) and opens its own short-lived connection. It also
allows one read-write process *or* many read-only ones: `session` (what the assets, checks,
sensors and read commands use) takes the warehouse's gate first, so that readers never break
writers (gate.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from gsm_platform.paths import warehouse_path
from gsm_platform.warehouse.ddl import DDL
from gsm_platform.warehouse.gate import gate, retry_while_locked

WAREHOUSE_POOL = "warehouse"
DEFAULT_MEMORY_LIMIT = "3.5GB"  # per DuckDB process, ~3.3 GiB: + Python, award scale within 4 GiB (docs/scale.md)


def sql_string(value: str) -> str:
    """A SQL string literal of value, for the statements that take no parameter (SET): a `'`
    in a path (GSM_HOME) is doubled, never closes the literal."""
    return "'" + value.replace("'", "''") + "'"


def memory_limit() -> str:
    return os.environ.get("GSM_DUCKDB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT)


def temp_directory(path: Path) -> Path:
    """Where DuckDB spills beyond the memory limit (env GSM_DUCKDB_TEMP_DIRECTORY, default
    duckdb_tmp/ beside the warehouse file). dbt spills to DuckDB's default, <warehouse>.tmp."""
    return Path(os.environ.get("GSM_DUCKDB_TEMP_DIRECTORY") or path.parent / "duckdb_tmp")


def connect(
    path: Path | str | None = None, read_only: bool = False, wait: float | None = None
) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse, without the gate (tests, and callers that hold it):
    while another process holds the file, wait (saying so once) up to `wait` seconds
    (default: wait_seconds), then WarehouseBusy."""
    path = Path(path) if path else warehouse_path()
    return retry_while_locked(lambda: _connect(path, read_only), path, read_only, wait)


@contextmanager
def session(
    path: Path | str | None = None, read_only: bool = False, wait: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for the block, behind the warehouse's gate: shared to read, exclusive to
    write (held until the connection is closed)."""
    path = Path(path) if path else warehouse_path()
    with gate(path, exclusive=not read_only, wait=wait):
        conn = connect(path, read_only=read_only, wait=wait)
        try:
            yield conn
        finally:
            conn.close()


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    if read_only:
        # fails if this process still holds the file read-write: every step closes its
        # connection (tests/test_end_to_end.py holds them to it)
        return duckdb.connect(str(path), read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path), config={"memory_limit": memory_limit()})
    spill = temp_directory(path)
    try:
        conn.execute(f"SET temp_directory = {sql_string(str(spill))}")
    except duckdb.NotImplementedException:
        pass  # this process's open instance already spilled to its temp directory: keep it
    conn.execute(DDL)
    return conn
