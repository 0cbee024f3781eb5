"""Shared fixtures. Tests never read ../shared: fixtures live in tests/fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def gsm_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "gsm_home"
    home.mkdir()
    monkeypatch.setenv("GSM_HOME", str(home))
    monkeypatch.setenv("GSM_WAREHOUSE", str(home / "warehouse.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    return home
