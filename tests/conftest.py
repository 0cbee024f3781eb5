"""Shared fixtures. Tests never read ../shared: fixtures live in tests/fixtures.

Markers (pyproject.toml): `e2e` for tests that run real Dagster jobs or dbt builds, `browser`
for the Playwright tests of the UI. `make test-fast` runs the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import Materialized, generate_small, home_variables_restored, materialize

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def gsm_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "gsm_home"
    home.mkdir()
    monkeypatch.setenv("GSM_HOME", str(home))
    monkeypatch.setenv("GSM_WAREHOUSE", str(home / "warehouse.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    return home


@pytest.fixture(scope="session")
def small_edition(tmp_path_factory) -> Materialized:
    """Edition 2025 of a 24-institution cut of the default registry, materialized end to end
    once per session (about 20 s on 2 cores) and shared by the end-to-end tests, which only
    read it (a test that changes a home copies it first)."""
    base = tmp_path_factory.mktemp("small_edition")
    with home_variables_restored():
        yield materialize(base / "home", generate_small(base / "source"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that reads the shared materialized edition is end to end, wherever it lives."""
    for item in items:
        if "small_edition" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)
