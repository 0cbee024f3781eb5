"""Where state lives. `GSM_HOME` selects the state folder (default `.gsm/` in the checkout)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def gsm_home() -> Path:
    return Path(os.environ.get("GSM_HOME") or PROJECT_ROOT / ".gsm").resolve()


def landing_dir(home: Path | None = None) -> Path:
    return (home or gsm_home()) / "landing"


def warehouse_path(home: Path | None = None) -> Path:
    return (home or gsm_home()) / "warehouse.duckdb"


def dagster_home(home: Path | None = None) -> Path:
    return (home or gsm_home()) / "dagster"


def run_config_path(home: Path | None = None) -> Path:
    """The inputs of the last `gsm materialize` (registry, editions, source), so that runs
    started from the UI use the same files."""
    return (home or gsm_home()) / "config.json"
