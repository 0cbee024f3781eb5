"""End to end: a small generated edition materialized through the real Dagster jobs (ingest,
clean over a range of fetch days in one run, award), then read back with the `gsm` commands."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from gsm_platform.cli import main
from gsm_platform.methodology import CATEGORIES as CATEGORY_ORDER

pytestmark = pytest.mark.e2e  # runs real Dagster jobs or dbt builds

RANKING_FIELDS = {"edition", "category", "cluster", "rank", "institution_id", "institution_name", "score", "nominee",
                  "methodology_version"}
CATEGORIES = {"most_active", "most_engaging", "best_use_of_image", "best_use_of_video", "best_account"}


def run_gsm(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_the_runs_are_recorded_in_the_gsm_home_instance(small_edition):
    with dg.DagsterInstance.from_config(str(small_edition.home / "dagster")) as instance:
        runs = instance.get_runs()
        assert {r.job_name for r in runs} == {"ingest", "clean", "award"}
        assert all(r.is_success for r in runs)
        clean = next(r for r in runs if r.job_name == "clean")
        # one run covers every fetch day: a single-run backfill of the monthly partitions
        first, last = (dt.date.fromisoformat(d) for d in small_edition.summary["fetch_days"])
        assert clean.tags["dagster/asset_partition_range_start"] == f"{first:%Y-%m}-01"
        assert clean.tags["dagster/asset_partition_range_end"] == f"{last:%Y-%m}-01"
        rankings = instance.get_latest_materialization_event(dg.AssetKey("rankings"))
        metadata = rankings.asset_materialization.metadata
        assert metadata["methodology_version"].value == "v1"
        assert len(metadata["methodology_sha256"].value) == 64 and len(metadata["registry_sha256"].value) == 64
        assert "| rank |" in metadata["nominees"].value or "rank" in metadata["nominees"].value


def test_rankings_json_rows_cover_every_category_and_cluster(small_edition, capsys):
    code, out = run_gsm(capsys, "rankings", "--edition", "2025", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and rows
    assert all(set(r) == RANKING_FIELDS for r in rows)
    assert {r["category"] for r in rows} == CATEGORIES
    assert {r["cluster"] for r in rows} == {"kementerian", "lembaga", "pemprov", "ptn"}
    # every ranked institution has a row in every category of its cluster
    per_institution: dict[str, set[str]] = {}
    for r in rows:
        per_institution.setdefault(r["institution_id"], set()).add(r["category"])
    assert all(cats == CATEGORIES for cats in per_institution.values())
    # stable order: categories in the methodology's order, then cluster, rank, institution
    key = [(r["edition"], CATEGORY_ORDER.index(r["category"]), r["cluster"], r["rank"], r["institution_id"]) for r in rows]
    assert key == sorted(key)


def test_every_post_record_is_accounted_for(small_edition, capsys):
    code, out = run_gsm(capsys, "quality", "--edition", "2025", "--format", "json")
    report = json.loads(out)
    r = report["reconciliation"]
    assert code == 0 and r["raw_records"] > 10_000
    assert r["raw_records"] == r["clean"] + r["duplicates"] + r["quarantined"]
    layers = {c["asset"].split("/")[0] for c in report["checks"]}
    assert {"registry", "landing", "raw", "clean", "marts", "rankings"} <= layers
    assert all(c["passed"] for c in report["checks"] if c["severity"] == "ERROR")
    with duckdb.connect(str(small_edition.home / "warehouse.duckdb"), read_only=True) as conn:
        landed = conn.execute("SELECT count(*) FROM clean.landed_files").fetchone()[0]
        assert landed == sum(1 for p in (small_edition.source / "input").rglob("*") if p.is_file())


def test_no_step_leaves_the_warehouse_open(small_edition):
    """The edition was materialized in this process: a connection a step left open would hold
    the file read-write, and DuckDB refuses a read-only one beside it in the same process."""
    from gsm_platform.warehouse import connect

    with connect(small_edition.home / "warehouse.duckdb", read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM main.rankings").fetchone()[0] > 0


def test_nominees_table_names_every_category(small_edition, capsys):
    code, out = run_gsm(capsys, "rankings", "--edition", "2025", "--nominees")
    assert code == 0
    for category in CATEGORIES:
        assert category in out


def test_an_unknown_edition_is_a_clear_error(small_edition, capsys):
    code = main(["materialize", "--edition", "1999", "--source", "files", "--input", str(small_edition.source / "input"),
                 "--registry", str(small_edition.source / "registry.yaml"),
                 "--editions", str(small_edition.source / "editions.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and "1999" in err
