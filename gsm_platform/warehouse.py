"""The DuckDB warehouse: one file under GSM_HOME, the tables of docs/warehouse.md.

DuckDB allows one writer per file, so every asset that writes here runs in the
`warehouse` concurrency pool (limit 1) and opens its own short-lived connection.

DuckDB also allows one read-write process *or* many read-only ones: a reader (`gsm quality`,
`gsm rankings`, a sensor) that holds the file makes a writer's connect fail, and a writer
makes a reader's fail. So connecting waits while another process holds the file, saying once
on the terminal who holds it (DuckDB's lock error names the pid), up to a bound:
GSM_WAREHOUSE_WAIT_SECONDS (default 600) for a writer, GSM_READ_WAIT_SECONDS (default 60)
for a reader; then WarehouseBusy says in one line what holds it.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb

from gsm_platform.paths import warehouse_path

WAREHOUSE_POOL = "warehouse"
DEFAULT_WRITE_WAIT_SECONDS = 600.0  # a reader's `gsm report` at award scale takes about a minute
DEFAULT_READ_WAIT_SECONDS = 60.0  # a writer's step holds the file up to about a minute at award scale
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")
DEFAULT_MEMORY_LIMIT = "4GB"  # per DuckDB process; raise it on a bigger machine (docs/scale.md)

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


class WarehouseBusy(RuntimeError):
    """Another process held the warehouse file for longer than the wait bound."""


def wait_seconds(read_only: bool) -> float:
    variable, default = (("GSM_READ_WAIT_SECONDS", DEFAULT_READ_WAIT_SECONDS) if read_only
                         else ("GSM_WAREHOUSE_WAIT_SECONDS", DEFAULT_WRITE_WAIT_SECONDS))
    value = os.environ.get(variable, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{variable} must be a number of seconds (got {value!r})") from None


def lock_holder(exc: BaseException) -> int | None:
    """The pid DuckDB names in its "Could not set lock" error, or None for another error."""
    match = _LOCK_HOLDER.search(str(exc))
    return int(match.group(2)) if match and "Could not set lock" in str(exc) else None


def connect(path: Path | str | None = None, read_only: bool = False,
            wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse; while another process holds the file, wait (saying so
    once) up to `wait` seconds (default: the bound of wait_seconds), then WarehouseBusy."""
    from gsm_platform import processes, terminal

    path = Path(path) if path else warehouse_path()
    deadline = time.monotonic() + (wait_seconds(read_only) if wait is None else wait)
    said = None
    while True:
        try:
            return _connect(path, read_only)
        except duckdb.IOException as exc:
            pid = lock_holder(exc)
            if pid is None:
                raise
            holder = processes.describe(pid)
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"the warehouse is busy: {path} is held by {holder} "
                    f"({'writing' if read_only else 'reading or writing'}); try again when it is done "
                    f"(waited {'GSM_READ_WAIT_SECONDS' if read_only else 'GSM_WAREHOUSE_WAIT_SECONDS'}"
                    f"={wait_seconds(read_only) if wait is None else wait:g} s)") from None
            if said != pid:
                terminal.say(f"waiting for the warehouse: {path.name} is held by {holder}")
                said = pid
            time.sleep(0.5)


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
        conn = connect(self.resolved_path(), read_only=read_only, wait=wait)
        try:
            yield conn
        finally:
            conn.close()
