"""Hostile edition ids and paths: one clear message each, nothing written outside GSM_HOME."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gsm_platform import warehouse
from gsm_platform.paths import OutsideHome, under_home
from gsm_platform.registry import RegistryError, load_editions

HOSTILE = {
    "parent": "../../escape",
    "dots": "bad...key",  # Dagster refuses "..." in a partition key
    "newline": "2025\nrm",
    "long": "9" * 5000,
    "absolute": "/tmp/elsewhere",
    "empty": "",
    "space": "2025 final",
}


def _editions_file(path: Path, edition_id: str) -> Path:
    import json

    path.write_text(
        f"editions:\n  - {{id: {json.dumps(edition_id)}, start: 2024-10-01, end: 2025-10-01, clusters: [kementerian], "
        "platforms: [x]}\n"
    )
    return path


@pytest.mark.parametrize("name", HOSTILE)
def test_an_editions_file_with_a_hostile_id_is_refused_naming_file_entry_and_field(tmp_path, name):
    path = _editions_file(tmp_path / "editions.yaml", HOSTILE[name])
    with pytest.raises(RegistryError) as refused:
        load_editions(path)
    message = str(refused.value)
    assert str(path) in message and "editions[0]" in message and "field 'id'" in message
    assert "letters, digits, '-' or '_'" in message
    assert len(message) < 600 and len(message.splitlines()) == 2  # the file, then the one problem
    assert "\nrm" not in message  # a newline in the id is shown escaped, not printed


def test_ids_that_are_slugs_are_kept(tmp_path):
    for good in ("2025", "2025-special", "edisi_2026", "A1"):
        assert load_editions(_editions_file(tmp_path / "e.yaml", good)).editions[0].id == good
    number = tmp_path / "n.yaml"
    number.write_text(
        "editions:\n  - {id: 2025, start: 2024-10-01, end: 2025-10-01, clusters: [ptn], platforms: [x]}\n"
    )
    assert load_editions(number).editions[0].id == "2025"  # YAML reads it as a number


def test_under_home_refuses_every_way_out(tmp_path):
    home = tmp_path / "home"
    (home / "exports").mkdir(parents=True)
    (home / "exports" / "link").symlink_to(tmp_path)
    assert under_home("exports", "2025", "rankings.json", home=home) == home / "exports" / "2025" / "rankings.json"
    for parts in (("exports", "../../x"), ("/etc",), ("exports", "link", "x"), ("",), ("a\0b",), ("..",)):
        with pytest.raises(OutsideHome):
            under_home(*parts, home=home)


def test_a_quote_in_gsm_home_is_a_path_not_sql(tmp_path):
    """`SET temp_directory` takes no parameter: the path is quoted, a `'` doubled."""
    home = tmp_path / "it's home"
    conn = warehouse.connect(home / "warehouse.duckdb")
    assert conn.execute("SELECT current_setting('temp_directory')").fetchone()[0] == str(home / "duckdb_tmp")
    conn.close()


def _gsm(args: list[str], home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "GSM_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "gsm_platform.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize(
    "command",
    [
        ["report", "--edition"],
        ["rankings", "--edition"],
        ["quality", "--edition"],
        ["jury", "--decisions", "x.yaml", "--edition"],
        ["explain", "--category", "most_active", "--institution", "x", "--edition"],
    ],
)
def test_a_hostile_id_on_the_command_line_gets_one_line_and_writes_nothing(tmp_path, command):
    home = tmp_path / "home"
    home.mkdir()
    before = _tree(tmp_path)
    for edition in (HOSTILE["parent"], HOSTILE["absolute"], HOSTILE["newline"], HOSTILE["long"]):
        done = _gsm([*command, edition], home)
        assert done.returncode == 2, done.stderr
        assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr and "letters, digits" in done.stderr
    assert _tree(tmp_path) == before


def test_materialize_with_a_hostile_editions_file_stops_before_any_run(tmp_path):
    home = tmp_path / "home"
    editions = _editions_file(tmp_path / "editions.yaml", HOSTILE["parent"])
    done = _gsm(["materialize", "--edition", "2025", "--editions", str(editions)], home)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{editions}: 1 problem(s)" in done.stderr and "field 'id'" in done.stderr
    assert not (home / "warehouse.duckdb").exists() and not (tmp_path / "escape").exists()
