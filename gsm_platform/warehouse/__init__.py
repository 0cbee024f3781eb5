"""The DuckDB warehouse of a GSM_HOME: one file, the tables of docs/warehouse.md.

- connection.py: `connect` (a connection, waiting while another process holds the file) and
  `session` (the same behind the gate: what assets, checks, sensors and read commands use),
  the memory limit and spill directory of every connection, the `warehouse` pool name.
- gate.py: who may open the file now (readers never break writers), the wait bounds,
  `WarehouseBusy`.
- ddl.py: the tables the platform writes itself (registry, raw, clean); dbt owns the rest.
- rows.py: `one_row` / `one_value`, the row a query must return, or an error naming it.

The Dagster resource over it is `Warehouse` in gsm_platform/resources.py.
"""

from gsm_platform.warehouse.connection import (
    DEFAULT_MEMORY_LIMIT,
    WAREHOUSE_POOL,
    connect,
    memory_limit,
    session,
    sql_string,
    temp_directory,
)
from gsm_platform.warehouse.gate import WarehouseBusy, wait_seconds
from gsm_platform.warehouse.rows import MissingRow, one_row, one_value

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "WAREHOUSE_POOL",
    "MissingRow",
    "WarehouseBusy",
    "connect",
    "memory_limit",
    "one_row",
    "one_value",
    "session",
    "sql_string",
    "temp_directory",
    "wait_seconds",
]
