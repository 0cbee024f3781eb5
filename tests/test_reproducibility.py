"""Reproducibility: the same landing, registry and methodology give byte-identical
`gsm rankings --format json` and identical score_components rows, on a re-run in the same
GSM_HOME and in a new GSM_HOME (METHODOLOGY.md "rankings are reproducible")."""

from __future__ import annotations

import json
import os

import pytest

from gsm_platform.audit.explain import explain, to_json
from gsm_platform.cli import main
from gsm_platform.warehouse import connect
from tests.e2e import materialize

pytestmark = pytest.mark.e2e  # runs real Dagster jobs or dbt builds

COMPONENTS = """SELECT * EXCLUDE (methodology_version), methodology_version FROM main.score_components
                WHERE edition_id = ? ORDER BY category, institution_id, component_kind, component"""


def _state(home, capsys) -> tuple[str, list, str]:
    os.environ["GSM_HOME"] = str(home)
    capsys.readouterr()
    assert main(["rankings", "--edition", "2025", "--format", "json"]) == 0
    rankings_json = capsys.readouterr().out
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        components = conn.execute(COMPONENTS, ["2025"]).fetchall()
        institution = conn.execute("SELECT min(institution_id) FROM main.rankings").fetchone()[0]
        worksheet = to_json(explain(conn, home, "2025", "best_account", institution))
    return rankings_json, components, worksheet


def test_same_inputs_same_rankings(small_edition, tmp_path, monkeypatch, capsys):
    for key in ("GSM_HOME", "GSM_WAREHOUSE", "DAGSTER_HOME"):  # restored after the test
        monkeypatch.setenv(key, os.environ.get(key, ""))
    first = _state(small_edition.home, capsys)
    rows = json.loads(first[0])
    assert rows and first[1]
    keys = [(r["edition"], r["category"], r["cluster"], r["rank"], r["institution_id"]) for r in rows]
    assert len(set(keys)) == len(keys)

    # a new GSM_HOME, the same generated source
    other = materialize(tmp_path / "home", small_edition.source).home
    second = _state(other, capsys)
    assert second[0] == first[0]  # byte-identical
    assert second[1] == first[1]
    assert second[2] == first[2]  # the worksheet too: same files, same hashes, same records

    # a re-run in that home (landing is idempotent, the edition is rebuilt)
    materialize(other, small_edition.source)
    third = _state(other, capsys)
    assert third == second
