"""Data quality: Dagster asset checks on every layer and the Great Expectations suites.

- checks/catalog.py: every check (asset, name, severity, blocking, scope) as plain data.
- checks/registry.py, raw.py, cleaned.py, marts.py, award.py: the check logic, plain
  functions `(conn, edition | None, **scope) -> CheckOutcome` over the DuckDB warehouse.
- checks/suites.py: the Great Expectations suites of the cleaned tables (`run_suite`).
- checks/definitions.py: the Dagster asset checks wrapping them (`ALL_CHECKS`).
- checks/freshness.py: the source freshness _sources.yml declares on the cleaned snapshots, dbt's rule applied in SQL,
  as a (warning) asset check.

`ALL_CHECKS` is loaded on first use so that `gsm quality`, which runs the plain functions,
does not import Dagster.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "ALL_CHECKS":
        from checks.definitions import ALL_CHECKS

        return ALL_CHECKS
    raise AttributeError(f"module 'checks' has no attribute {name!r}")


__all__ = ["ALL_CHECKS"]
