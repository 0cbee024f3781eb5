"""End to end: a small generated edition materialized through the real Dagster jobs (ingest,
clean over a range of fetch days in one run, award), then read back with the `gsm` commands."""

from __future__ import annotations

import datetime as dt
import html
import json

import dagster as dg
import duckdb
import pytest

from gsm_platform.cli import main
from gsm_platform.vocabulary import CATEGORIES as CATEGORY_ORDER

pytestmark = pytest.mark.e2e  # runs real Dagster jobs or dbt builds

RANKING_FIELDS = {
    "edition",
    "category",
    "cluster",
    "rank",
    "institution_id",
    "institution_name",
    "score",
    "nominee",
    "methodology_version",
}
CATEGORIES = {"most_active", "most_engaging", "best_use_of_image", "best_use_of_video", "best_account"}


def run_gsm(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_the_runs_are_recorded_in_the_gsm_home_instance(small_edition):
    with dg.DagsterInstance.from_config(str(small_edition.home / "dagster")) as instance:
        runs = instance.get_runs()
        assert {r.job_name for r in runs} == {"ingest", "clean", "award", "outlook"}
        assert all(r.is_success for r in runs)
        clean = next(r for r in runs if r.job_name == "clean")
        # one run covers every fetch month the landing registered: a single-run backfill of them
        months = small_edition.summary["fetch_months"]
        assert instance.get_dynamic_partitions("fetch_month") == months  # one landing: in date order
        assert clean.tags["dagster/asset_partition_range_start"] == months[0]
        assert clean.tags["dagster/asset_partition_range_end"] == months[-1]
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
    key = [
        (r["edition"], CATEGORY_ORDER.index(r["category"]), r["cluster"], r["rank"], r["institution_id"]) for r in rows
    ]
    assert key == sorted(key)


def test_every_post_record_is_accounted_for(small_edition, capsys):
    code, out = run_gsm(capsys, "quality", "--edition", "2025", "--format", "json")
    report = json.loads(out)
    r = report["counts"]["post_records"]
    assert code == 0 and r["read"] > 10_000
    assert r["read"] == r["clean"] + r["duplicates"] + r["quarantined"] and r["balanced"]
    assert report["counts"]["envelopes"]["balanced"] and report["counts"]["profile_records"]["balanced"]
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
    code = main(
        [
            "materialize",
            "--edition",
            "1999",
            "--source",
            "files",
            "--input",
            str(small_edition.source / "input"),
            "--registry",
            str(small_edition.source / "registry.yaml"),
            "--editions",
            str(small_edition.source / "editions.yaml"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "1999" in err


def test_every_surface_shows_the_same_counts_for_the_same_scope(small_edition, capsys, tmp_path):
    """The `gsm materialize` summary, `gsm quality`, the cleaned assets' metadata and the
    quarantine check in the UI, and the HTML report: one set of numbers per scope, each labelled
    with it (the whole landing vs the edition's fetch days; envelopes vs post vs profile records)."""
    from gsm_platform import accounting
    from gsm_platform.cli import summary_lines
    from gsm_platform.warehouse import connect

    with connect(small_edition.home / "warehouse.duckdb", read_only=True) as conn:
        whole = accounting.counts(conn)
        edition = accounting.counts(conn, accounting.edition_scope(conn, "2025"))
        cli = summary_lines(conn, "2025")
    assert whole.posts.read > edition.posts.read  # two scopes, two numbers: each says which it is
    assert edition.profiles.quarantined > 0  # hidden subscriber counts: profile records, not post records

    # 1. the command line: both scopes, labelled
    assert cli[1:] == [
        *(whole.lines()[:1]),
        *("  " + line for line in whole.lines()[1:]),
        *(edition.lines()[:1]),
        *("  " + line for line in edition.lines()[1:]),
    ]
    assert cli[1].startswith("scope: the whole landing") and cli[5].startswith("scope: edition 2025's fetch days")

    # 2. gsm quality: the edition's fetch days
    code, out = run_gsm(capsys, "quality", "--edition", "2025", "--format", "json")
    report = json.loads(out)
    assert report["counts"] == edition.as_dict() and report["scope"] == edition.scope.label
    assert len(report["quarantine"]) == edition.quarantine_rows
    _, table = run_gsm(capsys, "quality", "--edition", "2025")
    for line in edition.lines():
        assert line in table

    # 3. the UI: the clean run covered every landed month, so its metadata and checks are the whole landing's
    with dg.DagsterInstance.from_config(str(small_edition.home / "dagster")) as instance:

        def metadata(*path):
            event = instance.get_latest_materialization_event(dg.AssetKey(list(path)))
            return {k: v.value for k, v in event.asset_materialization.metadata.items()}

        posts, followers, quarantine = (
            metadata("clean", "post_snapshots"),
            metadata("clean", "follower_snapshots"),
            metadata("clean", "quarantine"),
        )
        clean_run = next(r for r in instance.get_runs() if r.job_name == "clean")
        checks = {
            e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
            # the run's log also holds plain log lines, not only Dagster events
            for e in (r.get_dagster_event() for r in instance.all_logs(clean_run.run_id) if r.is_dagster_event)
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
        }
    scope = accounting.scope_of_months(dt.date.fromisoformat(m) for m in small_edition.summary["fetch_months"])
    assert posts["scope"] == scope.label and scope.label.startswith("fetch months ")
    assert (posts["post_records_read"], posts["post_records_clean"], posts["post_records_quarantined"]) == (
        whole.posts.read,
        whole.posts.kept,
        whole.posts.quarantined,
    )
    assert (posts["envelopes_indexed"], posts["envelopes_parsed"]) == (whole.envelopes.read, whole.envelopes.kept)
    assert (followers["profile_records_read"], followers["profile_records_quarantined"]) == (
        whole.profiles.read,
        whole.profiles.quarantined,
    )
    assert quarantine["rows"] == whole.quarantine_rows
    warning = checks["quarantine_empty"].metadata
    assert warning["quarantined"].value == whole.quarantine_rows
    assert warning["post_records_quarantined"].value == whole.posts.quarantined
    assert warning["profile_records_quarantined"].value == whole.profiles.quarantined
    assert warning["scope"].value == scope.label
    assert checks["envelopes_accounted_for"].passed and checks["profile_reconciliation_balanced"].passed

    # 4. the HTML report: the edition's fetch days
    code, _ = run_gsm(capsys, "report", "--edition", "2025", "--out", str(tmp_path / "report"))
    assert code == 0
    page = (tmp_path / "report" / "index.html").read_text()
    assert html.escape(edition.scope.label, quote=True) in page
    e, p, f = edition.envelopes, edition.posts, edition.profiles
    for text in (
        f"{e.read} indexed",
        f"= {e.kept} parsed + {e.quarantined} quarantined whole",
        f"{p.read} read</td><td>= {p.kept} clean + {p.duplicates} duplicates + {p.quarantined} quarantined",
        f"{f.read} read</td><td>= {f.kept} snapshots + {f.quarantined} quarantined",
    ):
        assert text in page, text
