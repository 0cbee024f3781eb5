"""The DuckDB warehouse: one file under GSM_HOME, the tables of docs/warehouse.md.

DuckDB allows one writer per file, so every asset that writes here runs in the
`warehouse` concurrency pool (limit 1) and opens its own short-lived connection. It also
allows one read-write process *or* many read-only ones: `session` (what the assets, checks,
sensors and read commands use) takes the warehouse's gate first, so that readers never break
writers (gsm_platform/warehouse_lock.py).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb

from gsm_platform.paths import warehouse_path
from gsm_platform.warehouse_lock import WarehouseBusy, gate, retry_while_locked, wait_seconds

WAREHOUSE_POOL = "warehouse"
DEFAULT_MEMORY_LIMIT = "4GB"  # per DuckDB process; raise it on a bigger machine (docs/scale.md)
__all__ = ["WarehouseBusy", "wait_seconds", "connect", "session", "Warehouse", "WAREHOUSE_POOL"]

DDL = """
CREATE SCHEMA IF NOT EXISTS registry;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS clean;
CREATE TABLE IF NOT EXISTS clean.landed_files (
    path VARCHAR PRIMARY KEY, sha256 VARCHAR NOT NULL, bytes BIGINT NOT NULL, source VARCHAR NOT NULL,
    original_path VARCHAR, landed_at TIMESTAMP NOT NULL, envelopes INTEGER);
CREATE TABLE IF NOT EXISTS raw.envelopes (
    source_file VARCHAR NOT NULL, source_line INTEGER NOT NULL, platform VARCHAR, kind VARCHAR,
    account_id VARCHAR, fetched_at TIMESTAMP, fetch_date DATE, text VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS clean.post_snapshots (
    platform VARCHAR NOT NULL, account_id VARCHAR NOT NULL, post_id VARCHAR NOT NULL,
    published_at TIMESTAMP NOT NULL, fetched_at TIMESTAMP NOT NULL, fetch_date DATE NOT NULL,
    media_kind VARCHAR NOT NULL, likes BIGINT, comments BIGINT, shares BIGINT, quotes BIGINT,
    interactions BIGINT, interactions_hidden BOOLEAN NOT NULL, views BIGINT,
    source_file VARCHAR NOT NULL, source_line INTEGER NOT NULL, source_position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS clean.follower_snapshots (
    platform VARCHAR NOT NULL, account_id VARCHAR NOT NULL, fetched_at TIMESTAMP NOT NULL,
    fetch_date DATE NOT NULL, followers BIGINT NOT NULL, origin VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL, source_line INTEGER NOT NULL, source_position INTEGER);
CREATE TABLE IF NOT EXISTS clean.quarantine (
    source_file VARCHAR NOT NULL, source_line INTEGER NOT NULL, source_position INTEGER,
    platform VARCHAR, kind VARCHAR, account_id VARCHAR, fetch_date DATE, reason VARCHAR NOT NULL,
    raw VARCHAR, record_kind VARCHAR NOT NULL, post_id VARCHAR);
CREATE TABLE IF NOT EXISTS clean.cleaned_files (source_file VARCHAR NOT NULL, fetch_date DATE);
CREATE TABLE IF NOT EXISTS clean.reconciliation (
    fetch_date DATE, platform VARCHAR, raw_records BIGINT, clean BIGINT, duplicates BIGINT, quarantined BIGINT,
    record_kind VARCHAR);
-- columns added after the first release: a warehouse made before them gets them (at the end,
-- where the CREATE above puts them too); writers name their columns
ALTER TABLE clean.follower_snapshots ADD COLUMN IF NOT EXISTS source_position INTEGER;
ALTER TABLE clean.quarantine ADD COLUMN IF NOT EXISTS post_id VARCHAR;
ALTER TABLE clean.reconciliation ADD COLUMN IF NOT EXISTS record_kind VARCHAR;
UPDATE clean.reconciliation SET record_kind = 'post' WHERE record_kind IS NULL;
"""


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


def connect(path: Path | str | None = None, read_only: bool = False,
            wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse, without the gate (tests, and callers that hold it):
    while another process holds the file, wait (saying so once) up to `wait` seconds
    (default: wait_seconds), then WarehouseBusy."""
    path = Path(path) if path else warehouse_path()
    return retry_while_locked(lambda: _connect(path, read_only), path, read_only, wait)


@contextmanager
def session(path: Path | str | None = None, read_only: bool = False,
            wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
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


class Warehouse(dg.ConfigurableResource):
    """The DuckDB file of this GSM_HOME (empty path = GSM_HOME/warehouse.duckdb)."""

    path: str = ""

    def resolved_path(self) -> Path:
        return Path(self.path) if self.path else warehouse_path()

    @contextmanager
    def connect(self, read_only: bool = False, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        with session(self.resolved_path(), read_only=read_only, wait=wait) as conn:
            yield conn
