"""The checks as Dagster runs them: real assets materialized with dg.materialize, the checks
evaluated in the same run, and a failing blocking check stopping the assets downstream."""

import shutil
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

from checks import ALL_CHECKS
from checks.catalog import (
    EXPORT_MATCHES_WAREHOUSE,
    MART_ASSETS,
    NOMINEES_CONSISTENT,
    OUTLOOK_ASSETS,
    QUALITY_CHECKS,
    QUARANTINE_EMPTY,
    RANKS_CONTIGUOUS,
    SCORES_IN_RANGE,
)
from checks.freshness import SOURCE_FRESHNESS
from checks.outcome import ERROR, WARN
from gsm_platform.resources import ApiSource, GsmInputs, Warehouse, dbt_resource
from gsm_platform.vocabulary import CATEGORIES
from tests.support import sample_editions, sample_registry

pytestmark = pytest.mark.e2e  # runs real Dagster jobs or dbt builds

BAD = Path(__file__).parent / "fixtures" / "bad"


@pytest.fixture(scope="module")
def lead():
    """The project's asset modules, imported here rather than at the top of the module so that an
    asset module that does not load fails these tests, not the collection of the whole run."""
    from assets import cleaned, jobs, partitions, rankings, raw, registry

    return SimpleNamespace(
        registry=registry, raw=raw, cleaned=cleaned, jobs=jobs, rankings=rankings, editions=partitions.editions
    )


def real_assets(lead) -> list:
    return [lead.registry.registry, lead.raw.landing, lead.raw.raw_pulls, lead.cleaned.cleaned, lead.rankings.rankings]


def checks_for(assets) -> list[dg.AssetChecksDefinition]:
    keys = {k for a in assets for k in a.keys}
    return [c for c in ALL_CHECKS if all(ck.asset_key in keys for ck in c.check_keys)]


def evaluations(result) -> dict[tuple[str, str], object]:
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def materialized(result) -> set[str]:
    return {
        e.event_specific_data.materialization.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
    }


@pytest.fixture
def resources():
    return {"inputs": GsmInputs(), "warehouse": Warehouse(), "dbt": dbt_resource(), "api": ApiSource()}


def use_inputs(resources: dict, tmp_path, input_dir: Path, registry_path: Path | None = None) -> None:
    """The run's inputs, given to the `inputs` resource (a run reads no saved file)."""
    resources["inputs"] = GsmInputs(
        registry_path=str(registry_path or sample_registry(tmp_path / "registry.yaml")),
        editions_path=str(sample_editions(tmp_path / "editions.yaml")),
        source="files",
        input_dir=str(input_dir),
        edition="2025",
    )


# ----------------------------------------------------------------------------- definitions


def test_catalog_keys_are_the_asset_keys(lead):
    assert dg.AssetKey(["registry", "accounts"]) == lead.registry.REGISTRY_KEY
    paths = {c.asset for c in QUALITY_CHECKS}
    real = {
        tuple(k.path)
        for k in (
            lead.registry.REGISTRY_KEY,
            lead.raw.LANDING_KEY,
            *lead.raw.RAW_KEYS.values(),
            *lead.cleaned.CLEAN_KEYS,
            lead.rankings.RANKINGS_KEY,
        )
    }
    assert real <= paths  # every non-dbt asset is checked
    assert tuple(lead.rankings.UPSTREAM[0].path) in paths  # marts/rankings, which the rankings asset reads
    # the dbt assets checked: the marts, and the outlook's models (asset keys ["outlook", model])
    checked_outlook = {OUTLOOK_ASSETS[m] for m in ("outlook_activity", "outlook_churn", "outlook_top_posts")}
    assert paths - real == set(MART_ASSETS.values()) | checked_outlook


def test_every_catalog_check_is_a_dagster_check_with_its_severity():
    specs = {(s.asset_key.to_user_string(), s.name): s for c in ALL_CHECKS for s in c.check_specs}
    # dbt computes source freshness (checks/freshness.py): the one Dagster check outside the catalog
    freshness = {k for k in specs if k[1] == SOURCE_FRESHNESS}
    assert freshness == {("clean/post_snapshots", SOURCE_FRESHNESS), ("clean/follower_snapshots", SOURCE_FRESHNESS)}
    assert not any(specs.pop(k).blocking for k in freshness)
    assert set(specs) == {(c.asset_path, c.name) for c in QUALITY_CHECKS}
    assert len(QUALITY_CHECKS) == len(specs)  # check names unique per asset
    for c in QUALITY_CHECKS:
        assert specs[(c.asset_path, c.name)].blocking == c.blocking == (c.severity == ERROR)
        assert c.severity in (ERROR, WARN)


def fake_marts(lead, spec_rows: dict[str, list[tuple]]):
    """Stand-in for the dbt marts (same keys, group and partitions): writes main.<model> rows."""
    specs = [dg.AssetSpec(key, group_name="marts") for key in (*MART_ASSETS.values(), ("marts", "score_components"))]

    @dg.multi_asset(specs=specs, partitions_def=lead.editions, name="fake_award_metrics")
    def _marts(context: dg.AssetExecutionContext, warehouse: Warehouse):
        with warehouse.connect() as conn:
            for model, rows in spec_rows.items():
                conn.execute(
                    f"CREATE OR REPLACE TABLE main.{model} (edition_id VARCHAR, category VARCHAR, cluster VARCHAR, "
                    "rank INTEGER, institution_id VARCHAR, institution_name VARCHAR, score DOUBLE, nominee BOOLEAN, "
                    "methodology_version VARCHAR)"
                )
                conn.executemany(f"INSERT INTO main.{model} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            conn.execute("CREATE OR REPLACE TABLE main.score_components AS SELECT 1 AS x")
        for spec in specs:
            yield dg.MaterializeResult(asset_key=spec.key)

    return _marts


def test_the_jobs_run_the_checks_of_their_assets(lead, resources):
    defs = dg.Definitions(
        assets=[*real_assets(lead), fake_marts(lead, {})],
        asset_checks=ALL_CHECKS,
        jobs=[lead.jobs.ingest_job, lead.jobs.clean_job, lead.jobs.award_job],
        resources=resources,
    )
    dg.Definitions.validate_loadable(defs)
    in_job = {
        name: {
            (k.asset_key.to_user_string(), k.name)
            for k in defs.resolve_job_def(name).asset_layer.asset_graph.asset_check_keys
        }
        for name in (lead.jobs.INGEST_JOB, lead.jobs.CLEAN_JOB, lead.jobs.AWARD_JOB)
    }
    expected = {
        lead.jobs.INGEST_JOB: {"registry", "landing"},
        lead.jobs.CLEAN_JOB: {"raw", "clean"},
        lead.jobs.AWARD_JOB: {"marts", "rankings"},
    }
    freshness = {("clean/post_snapshots", SOURCE_FRESHNESS), ("clean/follower_snapshots", SOURCE_FRESHNESS)}
    for job, layers in expected.items():
        catalog = {(c.asset_path, c.name) for c in QUALITY_CHECKS if c.asset[0] in layers}
        assert in_job[job] == catalog | (freshness if job == lead.jobs.CLEAN_JOB else set()), job


# ----------------------------------------------------------------------------- runs


def test_real_checks_run_with_the_ingest_and_clean_assets(lead, gsm_home, tmp_path, resources):
    shutil.copytree(BAD, tmp_path / "input")
    use_inputs(resources, tmp_path, tmp_path / "input")
    instance = dg.DagsterInstance.ephemeral()
    ingest = [lead.registry.registry, lead.raw.landing]
    result = dg.materialize([*ingest, *checks_for(ingest)], resources=resources, instance=instance)
    # landed files intact and indexed, accounts claimed once
    assert all(e.passed for e in evaluations(result).values()) and len(evaluations(result)) == 3

    clean = [lead.raw.raw_pulls, lead.cleaned.cleaned]
    result = dg.materialize(
        [*clean, *checks_for(clean)],
        resources=resources,
        instance=instance,
        tags={"dagster/asset_partition_range_start": "2025-03-01", "dagster/asset_partition_range_end": "2025-03-01"},
    )
    assert result.success  # a failing WARN check does not fail the run
    evals = evaluations(result)
    assert len(evals) == 15  # 12 of the catalog, post_details_complete, source freshness of the two cleaned tables
    warning = evals[("clean/quarantine", QUARANTINE_EMPTY)]
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
    assert warning.metadata["scope"].text == "fetch months 2025-03 (and envelopes without a readable fetch time)"
    # the fixtures were fetched in 2025: dbt's source freshness warns (its verdict: tests/test_freshness.py)
    stale = {key: evals.pop(key) for key in list(evals) if key[1] == SOURCE_FRESHNESS}
    assert len(stale) == 2 and all(e.severity == dg.AssetCheckSeverity.WARN for e in stale.values())
    assert all(e.passed for key, e in evals.items() if key != ("clean/quarantine", QUARANTINE_EMPTY))
    assert "post records: " in evals[("clean/post_snapshots", "reconciliation_balanced")].description
    assert "envelopes indexed = " in evals[("clean/post_snapshots", "envelopes_accounted_for")].description
    assert "profile records: " in evals[("clean/follower_snapshots", "profile_reconciliation_balanced")].description
    # the landing registered the fetch month of every envelope it indexed
    assert instance.get_dynamic_partitions("fetch_month") == ["2025-03-01"]


def test_a_failing_blocking_check_stops_the_assets_downstream(lead, gsm_home, tmp_path, resources):
    # the YAML loader accepts an institution listing one account twice; every post would count twice
    shutil.copytree(Path(__file__).parent / "fixtures" / "samples", tmp_path / "input")
    twice = sample_registry(tmp_path / "registry.yaml")
    twice.write_text(
        twice.read_text().replace(
            '      - {platform: x, account_id: "1234567890"}\n', '      - {platform: x, account_id: "1234567890"}\n' * 2
        )
    )
    use_inputs(resources, tmp_path, tmp_path / "input", twice)
    selection = [lead.registry.registry, lead.raw.landing, lead.raw.raw_pulls]
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("fetch_month", ["2025-03-01"])
    result = dg.materialize(
        [*selection, *checks_for(selection)],
        resources=resources,
        partition_key="2025-03-01",
        raise_on_error=False,
        instance=instance,
    )
    assert not result.success
    check = evaluations(result)[("registry/accounts", "accounts_claimed_once")]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert "x 1234567890 (contoh, 2x)" in check.description
    assert materialized(result) == {
        *(k.to_user_string() for k in lead.registry.REGISTRY_KEYS.values()),
        "landing",
    }  # raw pulls (downstream of registry) never ran


def test_edition_checks_read_the_partition_and_block_the_rankings(lead, gsm_home, tmp_path, resources):
    shutil.copytree(Path(__file__).parent / "fixtures" / "samples", tmp_path / "input")
    use_inputs(resources, tmp_path, tmp_path / "input")
    instance = dg.DagsterInstance.ephemeral()
    dg.materialize([lead.registry.registry], resources=resources, instance=instance)  # registers edition 2025

    def rows(edition, ranks):
        return [
            (edition, cat, "kementerian", rank, f"i{rank}", f"I{rank}", 50.0, rank <= 5, "v1")
            for cat in CATEGORIES
            for rank in ranks
        ]

    # edition 2024 (not this run's partition) is broken; 2025 has a rank gap in marts/rankings only
    good = {m: rows("2025", (1, 2)) + rows("2024", (1, 1)) for m in MART_ASSETS}
    broken = {**good, "rankings": rows("2025", (1, 3)) + rows("2024", (1, 1))}
    award = [fake_marts(lead, broken), lead.rankings.rankings]
    result = dg.materialize(
        [*award, *checks_for(award)], resources=resources, instance=instance, partition_key="2025", raise_on_error=False
    )
    evals = evaluations(result)
    gap = evals[("marts/rankings", RANKS_CONTIGUOUS)]
    assert not gap.passed and gap.metadata["scope"].text == "edition 2025"
    assert evals[("marts/most_active", RANKS_CONTIGUOUS)].passed  # 2024's duplicate ranks are not this partition's
    assert evals[("marts/best_account", SCORES_IN_RANGE)].passed
    assert "rankings" not in materialized(result)  # blocked: the jury gets nothing rather than a wrong ranking

    award = [fake_marts(lead, good), lead.rankings.rankings]
    result = dg.materialize(
        [*award, *checks_for(award)], resources=resources, instance=instance, partition_key="2025", raise_on_error=False
    )
    evals = evaluations(result)
    assert "rankings" in materialized(result)
    assert evals[("rankings", NOMINEES_CONSISTENT)].passed and evals[("rankings", EXPORT_MATCHES_WAREHOUSE)].passed
    assert all(e.passed for e in evals.values() if e.severity == dg.AssetCheckSeverity.ERROR)
