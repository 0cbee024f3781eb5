"""What a run reads is explicit: `gsm` passes the inputs (registry, editions, source, input
folder, edition) as run config of the `inputs` resource to every run it starts (the UI's Config
tab shows them), the runs record the files they read with their sha256, and a run given other
inputs reads those, whatever this home saved."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import dagster as dg
import pytest

from gsm_platform.paths import demo_input_dir, run_config_path
from gsm_platform.registry import DEFAULT_EDITIONS, DEFAULT_REGISTRY, RegistryError, file_sha256
from gsm_platform.resources import GsmInputs, RunInputs, save_inputs, saved_inputs
from tests.support import FIXTURES_SAMPLES, SAMPLE_ACCOUNTS, sample_editions, sample_registry


def _latest_metadata(instance: dg.DagsterInstance, key: dg.AssetKey) -> dict:
    (record,) = instance.fetch_materializations(key, limit=1).records
    return {k: v.value for k, v in record.asset_materialization.metadata.items()}


# ----------------------------------------------------------------------------- the resource


def test_a_run_reads_only_its_config_never_the_saved_file(gsm_home):
    """The saved inputs are the command line's memory: the resource itself resolves empty fields
    to the shipped files, whatever config.json holds."""
    save_inputs(RunInputs("/elsewhere/r.yaml", "/elsewhere/e.yaml", "files", "/elsewhere/in", "2020"))
    resolved = GsmInputs().resolved()
    assert resolved == RunInputs(str(DEFAULT_REGISTRY), str(DEFAULT_EDITIONS), "demo", str(demo_input_dir()), "")
    assert saved_inputs().source == "files" and saved_inputs().input_dir == "/elsewhere/in"
    assert GsmInputs.saved().resolved() == saved_inputs()


def test_the_run_config_round_trips_through_the_resource(gsm_home):
    inputs = RunInputs("/r.yaml", "/e.yaml", "api", "/in", "2025")
    config = inputs.run_config()["resources"]["inputs"]["config"]
    assert GsmInputs(**config).resolved() == inputs
    assert json.loads(json.dumps(config)) == config  # plain values: the UI shows and edits them


def test_unreadable_saved_inputs_name_the_file(gsm_home):
    run_config_path().write_text('{"source": "ftp"}')
    with pytest.raises(RegistryError, match=r"config\.json: saved inputs unreadable"):
        GsmInputs.saved()
    run_config_path().write_text("{not json")
    with pytest.raises(RegistryError, match=r"config\.json"):
        saved_inputs()


def test_a_source_not_of_the_vocabulary_is_refused_by_the_run_config():
    """The source is an enum in the config schema: the launchpad offers the three, and a run
    config naming another is refused before the run starts."""
    with pytest.raises(dg.DagsterInvalidConfigError, match="ftp"):
        dg.validate_run_config(_job_with_inputs(), {"resources": {"inputs": {"config": {"source": "ftp"}}}})
    valid = dg.validate_run_config(_job_with_inputs(), RunInputs("r", "e", "files", "i", "").run_config())
    assert valid["resources"]["inputs"]["config"]["source"] == "files"


def _job_with_inputs() -> dg.JobDefinition:
    @dg.op(required_resource_keys={"inputs"})
    def reads(context) -> str:
        return context.resources.inputs.resolved().source

    @dg.job(resource_defs={"inputs": GsmInputs()})
    def job():
        reads()

    return job


# ----------------------------------------------------------------------------- gsm's runs


def test_every_run_gsm_started_carries_its_inputs(small_edition):
    """The session's edition was built by `gsm materialize --source files` (run_edition): each of
    its runs has the inputs in its run config, as the UI's run page shows them."""
    source = small_edition.source
    expected = {
        "registry_path": str((source / "registry.yaml").resolve()),
        "editions_path": str((source / "editions.yaml").resolve()),
        "source": "files",
        "input_dir": str((source / "input").resolve()),
        "edition": small_edition.edition,
    }
    with dg.DagsterInstance.from_config(str(small_edition.home / "dagster")) as instance:
        runs = instance.get_runs()
        assert {r.job_name for r in runs} >= {"ingest", "clean", "award", "outlook"}
        for run in runs:
            assert run.run_config["resources"]["inputs"]["config"] == expected, run.job_name


def test_the_runs_record_the_files_they_read(small_edition):
    """Registry and landing record the registry and editions files with their sha256 and the
    input folder, read back from the event log of the runs `gsm materialize` started."""
    source = small_edition.source
    with dg.DagsterInstance.from_config(str(small_edition.home / "dagster")) as instance:
        for key in (
            dg.AssetKey(["registry", "accounts"]),
            dg.AssetKey(["registry", "editions"]),
            dg.AssetKey("landing"),
        ):
            meta = _latest_metadata(instance, key)
            assert meta["registry_path"] == str((source / "registry.yaml").resolve()), key
            assert meta["registry_sha256"] == file_sha256(source / "registry.yaml"), key
            assert meta["editions_path"] == str((source / "editions.yaml").resolve()), key
            assert meta["editions_sha256"] == file_sha256(source / "editions.yaml"), key
            assert meta["input_dir"] == str((source / "input").resolve()), key
            assert meta["source"] == "files", key


# ----------------------------------------------------------------------------- swapping the inputs


@pytest.mark.e2e
def test_a_run_given_other_inputs_reads_them(gsm_home, tmp_path):
    """This home saved the shipped registry; a run of the workspace's ingest job given another
    registry as run config reads that one (its one institution), and says so in its metadata."""
    from gsm_platform.runs.launch import execute
    from gsm_platform.runs.pipeline import prepare_environment
    from gsm_platform.warehouse import connect

    prepare_environment()
    save_inputs(GsmInputs().resolved())  # the shipped files, as `gsm materialize` would remember them
    registry = sample_registry(tmp_path / "other-registry.yaml")
    inputs = dataclasses.replace(
        saved_inputs(),
        registry_path=str(registry),
        editions_path=str(sample_editions(tmp_path / "other-editions.yaml")),
        source="files",
        input_dir=str(shutil.copytree(FIXTURES_SAMPLES, tmp_path / "input")),
    )
    with dg.DagsterInstance.get() as instance:
        result = execute("ingest", gsm_home / "test.log", instance, run_config=inputs.run_config())
        assert result.success
        assert instance.get_run_by_id(result.run_id).run_config == inputs.run_config()
        meta = _latest_metadata(instance, dg.AssetKey(["registry", "accounts"]))
    assert meta["registry_path"] == str(registry) and meta["registry_sha256"] == file_sha256(registry)
    with connect(read_only=True) as conn:
        accounts = conn.execute("SELECT DISTINCT account_id FROM registry.accounts ORDER BY 1").fetchall()
    assert sorted(a for (a,) in accounts) == sorted(SAMPLE_ACCOUNTS.values())
    assert Path(saved_inputs().registry_path) == DEFAULT_REGISTRY  # the run changed nothing saved
