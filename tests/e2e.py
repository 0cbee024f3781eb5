"""Helpers to materialize a small generated edition through the real Dagster jobs (`gsm
materialize --source files`). The session fixture that shares one such edition between the
end-to-end tests is `small_edition` in conftest.py: defined there, pytest builds it once per
session; imported into each module, it would build it once per module."""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SMALL_INSTITUTIONS = 24  # six per cluster of edition 2025
SMALL_RECORDS = 12_000


@dataclass(frozen=True)
class Materialized:
    home: Path
    source: Path  # registry.yaml, editions.yaml, input/
    edition: str
    summary: dict


def generate_small(out: Path, seed: int = 20250101) -> Path:
    from gsm_platform.sources.demo import generate

    generate(out, "quick", seed, max_institutions=SMALL_INSTITUTIONS, records=SMALL_RECORDS)
    return out


HOME_VARIABLES = ("GSM_HOME", "GSM_WAREHOUSE", "DAGSTER_HOME")


def use_home(home: Path) -> None:
    os.environ.update(
        {"GSM_HOME": str(home), "GSM_WAREHOUSE": str(home / "warehouse.duckdb"), "DAGSTER_HOME": str(home / "dagster")}
    )


@contextmanager
def home_variables_restored():
    """Puts GSM_HOME, GSM_WAREHOUSE and DAGSTER_HOME back as they were (a fixture's use_home)."""
    saved = {k: os.environ.get(k) for k in HOME_VARIABLES}
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def materialize(home: Path, source: Path, edition: str = "2025") -> Materialized:
    from gsm_platform.runs.pipeline import run_edition

    use_home(home)
    summary = run_edition(
        edition,
        "files",
        str(source / "input"),
        str(source / "registry.yaml"),
        str(source / "editions.yaml"),
        quiet=True,
    )
    return Materialized(home, source, edition, summary)
