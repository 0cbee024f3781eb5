"""`gsm explain`: the auditor's worksheet. The weighted-sum identity for every category of
several institutions, the source files and their hash check, the errors, the formats."""

from __future__ import annotations

import json
import shutil

import pytest

from gsm_platform.audit.explain import (
    COMPONENT_FIELDS,
    EXPLAIN_FIELDS,
    SUM_TOLERANCE,
    explain,
    parse_labels,
    to_json,
    to_text,
    weighted_sum,
)
from gsm_platform.cli import main
from gsm_platform.vocabulary import CATEGORIES
from gsm_platform.warehouse import connect


def _sheet() -> dict:
    comp = {
        "platform": "facebook",
        "category": None,
        "measure": "mean_er",
        "weight": 0.5,
        "score": 40.0,
        "raw_value": 0.01,
        "account_ids": ["1"],
        "posts_counted": 12,
        "posts_excluded": 3,
        "exclusion_reasons": {"interactions_hidden": 2, "unknown_audience": 1},
        "_secondary": None,
    }
    return {
        "edition": "2025",
        "category": "most_engaging",
        "institution_id": "a",
        "cluster": "kementerian",
        "rank": 1,
        "score": 30.0,
        "nominee": True,
        "methodology_version": "v1",
        "components": [comp, {**comp, "platform": "x", "score": 20.0, "posts_excluded": 0, "exclusion_reasons": {}}],
        "sources": [{"path": "landing/f.jsonl", "sha256": "ab" * 32, "records": 24}],
        "_institution_name": "A <&>",
        "_ranked": 3,
        "_inputs": [],
        "_verified": True,
    }


def test_parse_labels_and_weighted_sum():
    assert parse_labels("interactions_hidden:3;unknown_audience:1") == {"interactions_hidden": 3, "unknown_audience": 1}
    assert parse_labels("") == {} and parse_labels(None) == {}
    assert weighted_sum(_sheet()["components"]) == 30.0


def test_formats_without_a_warehouse():
    sheet = _sheet()
    out = json.loads(to_json(sheet))
    assert tuple(out) == EXPLAIN_FIELDS
    assert all(tuple(c) == COMPONENT_FIELDS for c in out["components"])
    text = to_text(sheet)
    assert "weighted sum 30.0 = score 30.0 (ok)" in text
    assert "interactions_hidden: 2, unknown_audience: 1" in text
    assert "verified" in text and "landing/f.jsonl" in text
    sheet["score"] = 31.0
    assert "MISMATCH" in to_text(sheet)


@pytest.fixture
def home(small_edition, monkeypatch):
    monkeypatch.setenv("GSM_HOME", str(small_edition.home))
    return small_edition.home


def _institutions(home, n=6) -> list[tuple[str, str]]:
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        # several per cluster: the leader, the last ranked, one in between
        return conn.execute(
            """SELECT DISTINCT edition_id, institution_id FROM main.rankings
               WHERE category = 'best_account' AND (rank IN (1, 3) OR rank = (SELECT max(rank) FROM main.rankings))
               ORDER BY 2 LIMIT ?""",
            [n],
        ).fetchall()


def test_weighted_sum_identity_and_sources(home):
    institutions = _institutions(home)
    assert len(institutions) >= 4
    with connect(home / "warehouse.duckdb", read_only=True) as conn:
        for edition, institution in institutions:
            all_posts = None
            for category in CATEGORIES:
                sheet = explain(conn, home, edition, category, institution)
                assert abs(weighted_sum(sheet["components"]) - sheet["score"]) <= SUM_TOLERANCE, (institution, category)
                assert sheet["components"], (institution, category)
                records = sum(s["records"] for s in sheet["sources"])
                if category == "best_account":
                    assert {c["category"] for c in sheet["components"]} == set(CATEGORIES) - {"best_account"}
                    assert all(c["platform"] is None for c in sheet["components"])
                    assert records == all_posts  # every post in the window counts for some category
                else:
                    assert all(c["category"] is None and c["platform"] for c in sheet["components"])
                    assert records == sum(c["posts_counted"] for c in sheet["components"]), (institution, category)
                if category == "most_active":
                    all_posts = records
                assert all(len(s["sha256"]) == 64 and not s["path"].startswith("/") for s in sheet["sources"])


def test_cli_json_and_text(home, capsys):
    edition, institution = _institutions(home, 1)[0]
    assert (
        main(
            [
                "explain",
                "--edition",
                edition,
                "--category",
                "most_engaging",
                "--institution",
                institution,
                "--format",
                "json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert tuple(out) == EXPLAIN_FIELDS and out["institution_id"] == institution
    assert abs(sum(c["weight"] * c["score"] for c in out["components"]) - out["score"]) <= SUM_TOLERANCE
    assert (
        main(
            [
                "explain",
                "--edition",
                edition,
                "--category",
                "best_account",
                "--institution",
                institution,
                "--cluster",
                out["cluster"],
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "audit worksheet" in text and "(ok)" in text and "verified" in text


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--edition", "1999", "--category", "most_active", "--institution", "X"], "edition '1999'"),
        (["--edition", "2025", "--category", "most_popular", "--institution", "X"], "unknown category 'most_popular'"),
        (["--edition", "2025", "--category", "most_active", "--institution", "nobody"], "institution 'nobody'"),
    ],
)
def test_unknown_inputs_exit_2(home, capsys, args, needle):
    assert main(["explain", *args]) == 2
    assert needle in capsys.readouterr().err


def test_wrong_cluster_exit_2(home, capsys):
    edition, institution = _institutions(home, 1)[0]
    assert (
        main(
            [
                "explain",
                "--edition",
                edition,
                "--category",
                "most_active",
                "--institution",
                institution,
                "--cluster",
                "bumn",
            ]
        )
        == 2
    )
    assert "not 'bumn'" in capsys.readouterr().err


def test_tampered_landed_file_fails_naming_it(small_edition, tmp_path, monkeypatch, capsys):
    copy = tmp_path / "home"
    shutil.copytree(small_edition.home, copy, ignore=shutil.ignore_patterns("dagster", "logs", "exports"))
    monkeypatch.setenv("GSM_HOME", str(copy))
    edition, institution = _institutions(copy, 1)[0]
    with connect(copy / "warehouse.duckdb", read_only=True) as conn:
        sources = explain(conn, copy, edition, "most_active", institution)["sources"]
    victim, gone = sources[0]["path"], sources[-1]["path"]
    assert victim != gone
    with open(copy / victim, "ab") as f:
        f.write(b"\n")
    (copy / gone).unlink()
    assert main(["explain", "--edition", edition, "--category", "most_active", "--institution", institution]) == 3
    err = capsys.readouterr().err
    assert str(copy / victim) in err and "does not match" in err
    assert str(copy / gone) in err and "missing" in err
    # the original home is untouched
    with connect(small_edition.home / "warehouse.duckdb", read_only=True) as conn:
        explain(conn, small_edition.home, edition, "most_active", institution)
