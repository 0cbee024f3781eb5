"""Jury decisions: validated against the computed rankings, errors naming the file, the entry
and the field; recorded beside the ranking, never changing it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gsm_platform.audit.jury import validate_jury
from gsm_platform.cli import main
from gsm_platform.registry import RegistryError

FIXTURE = Path(__file__).parent / "fixtures" / "jury" / "small_2025.yaml"
EXAMPLE = Path(__file__).parent.parent / "docs" / "jury.example.yaml"
CONTEXT = {
    "edition": "2025",
    "clusters": {"kementerian", "lembaga"},
    "nominees": {
        ("most_active", "kementerian"): ["a", "b"],
        ("best_account", "kementerian"): ["b"],
        ("most_active", "lembaga"): ["c"],
    },
}


def _file(*decisions, **top):
    return {
        "edition": "2025",
        "panel": ["Juror One", {"name": "Juror Two", "affiliation": "UI"}],
        "decisions": list(decisions),
        **top,
    }


def _d(category="most_active", cluster="kementerian", winner="a", reason="best of the year"):
    return {"category": category, "cluster": cluster, "winner": winner, "reason": reason}


def _error(data) -> str:
    with pytest.raises(RegistryError) as exc:
        validate_jury(data, "jury/2025.yaml", CONTEXT)
    return str(exc.value)


def test_valid_file():
    jury = validate_jury(_file(_d(), _d("most_active", "lembaga", "c")), "jury/2025.yaml", CONTEXT)
    assert [j.name for j in jury.panel] == ["Juror One", "Juror Two"]
    assert [(d.category, d.cluster, d.winner) for d in jury.decisions] == [
        ("most_active", "kementerian", "a"),
        ("most_active", "lembaga", "c"),
    ]


def test_non_nominee_winner():
    msg = _error(_file(_d(), _d("best_account", winner="a")))
    assert msg.startswith("jury/2025.yaml: 1 problem(s)")
    assert "decisions[1] (best_account/kementerian): field 'winner'" in msg
    assert "'a' is not a nominee of best_account/kementerian" in msg and "(nominees: b)" in msg


def test_unknown_category_and_cluster():
    msg = _error(_file(_d("most_popular"), _d(cluster="bumn")))
    assert "decisions[0] (most_popular/kementerian): field 'category': unknown category 'most_popular'" in msg
    assert "decisions[1] (most_active/bumn): field 'cluster': cluster 'bumn' is not ranked" in msg


def test_duplicate_decision():
    msg = _error(_file(_d(), _d("most_active", "lembaga", "c"), _d(winner="b", reason="changed our mind")))
    assert "decisions[2] (most_active/kementerian)" in msg and "repeats an earlier decision" in msg


def test_duplicate_without_rankings_context():
    with pytest.raises(RegistryError, match=r"decisions\[1\] \(most_active/kementerian\).*repeats an earlier decision"):
        validate_jury(_file(_d(), _d()), "j.yaml", None)


def test_missing_and_extra_fields_and_edition():
    msg = _error(
        _file({"category": "most_active", "cluster": "kementerian", "winner": "a", "note": "x"}, edition="2024")
    )
    assert "top level: field 'edition': the file is for edition '2024', not '2025'" in msg
    assert "decisions[0] (most_active/kementerian): field 'reason': Field required" in msg
    assert "field 'note': Extra inputs are not permitted" in msg
    assert "field 'panel'" in _error({"edition": "2025", "panel": [], "decisions": []})
    with pytest.raises(RegistryError, match="expected a mapping"):
        validate_jury(["x"], "j.yaml", CONTEXT)


def test_example_file_is_well_formed():
    jury = validate_jury(yaml.safe_load(EXAMPLE.read_text()), EXAMPLE, None)
    assert jury.edition == "2025" and jury.decisions


def test_cli_against_the_computed_rankings(small_edition, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GSM_HOME", str(small_edition.home))
    assert main(["jury", "--edition", "2025", "--decisions", str(FIXTURE)]) == 0
    assert "valid (2 decision(s), panel of 2)" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    data = yaml.safe_load(FIXTURE.read_text())
    data["decisions"][1]["winner"] = "not-a-nominee"
    bad.write_text(yaml.safe_dump(data))
    assert main(["jury", "--edition", "2025", "--decisions", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "decisions[1] (most_active/lembaga): field 'winner'" in err
