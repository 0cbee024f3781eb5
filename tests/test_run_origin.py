"""Runs launched by `gsm` are ordinary runs of their jobs in the UI: found by the query of the
job's page (the `.dagster/repository` tag of the workspace's code location), and re-executed
through the mutation the UI's "Re-execute" button sends, on a workspace loaded from
workspace.yaml (a code server and a run worker, as under `make ui`)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import dagster as dg
import pytest

from assets.cleaned import POSTS_KEY
from assets.jobs import INGEST_JOB
from gsm_platform.runs import origin
from tests.e2e import home_variables_restored, use_home

pytestmark = pytest.mark.e2e

CHECKOUT = Path(__file__).resolve().parents[1]

# the query of the UI's job page (JobRunsRoot), reduced to what the test reads
JOB_RUNS_QUERY = """
query JobRuns($filter: RunsFilter!) {
  runsOrError(filter: $filter) {
    __typename
    ... on Runs { results { runId status runConfigYaml tags { key value } } }
  }
}
"""


@pytest.fixture
def home_copy(small_edition, tmp_path):
    """A copy of the shared edition's home whose instance launches runs at once: under `make ui`
    the daemon dequeues them; here no daemon runs, so the coordinator hands them straight to the
    same run launcher."""
    home = tmp_path / "home"
    shutil.copytree(small_edition.home, home)
    yaml = home / "dagster" / "dagster.yaml"
    yaml.write_text(
        yaml.read_text() + "run_coordinator:\n  module: dagster.core.run_coordinator\n  class: DefaultRunCoordinator\n"
    )
    with home_variables_restored():
        use_home(home)
        yield home


def _wait(instance, run_id: str, seconds: float = 240) -> dg.DagsterRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run.is_finished:
            return run
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} did not finish in {seconds} s")


def test_a_gsm_run_is_on_its_job_page_and_reexecutes_from_the_ui(home_copy, monkeypatch):
    import yaml
    from dagster_graphql.client.query import LAUNCH_PIPELINE_REEXECUTION_MUTATION
    from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

    from gsm_platform.resources import saved_inputs
    from gsm_platform.runs.launch import execute

    monkeypatch.chdir(CHECKOUT)  # workspace.yaml's working directory is the checkout, as under `make ui`
    instance = dg.DagsterInstance.get()
    inputs = saved_inputs().run_config()  # as gsm passes them to every run
    result = execute(INGEST_JOB, home_copy / "logs" / "test.log", instance=instance, run_config=inputs)
    run = instance.get_run_by_id(result.run_id)
    assert run.remote_job_origin == origin.remote_job_origin(INGEST_JOB)
    # every ingest run of the home (the fixture's `gsm materialize` included) is on the job's page
    everyone = instance.get_run_ids(dg.RunsFilter(job_name=INGEST_JOB))
    on_page = instance.get_run_ids(
        dg.RunsFilter(job_name=INGEST_JOB, tags={".dagster/repository": origin.repository_label()})
    )
    assert result.run_id in on_page and len(everyone) >= 2 and sorted(on_page) == sorted(everyone)

    with define_out_of_process_context(str(CHECKOUT / "workspace.yaml"), None, instance) as context:
        # the origin gsm wrote is the one the workspace's code location gives its jobs
        location = context.get_code_location(origin.LOCATION_NAME)
        remote_job = location.get_repository(origin.REPOSITORY_NAME).get_full_job(INGEST_JOB)
        assert remote_job.get_remote_origin() == run.remote_job_origin

        page = execute_dagster_graphql(
            context,
            JOB_RUNS_QUERY,
            {
                "filter": {
                    "pipelineName": INGEST_JOB,
                    "tags": [{"key": ".dagster/repository", "value": origin.repository_label()}],
                }
            },
        )
        assert sorted(r["runId"] for r in page.data["runsOrError"]["results"]) == sorted(everyone)
        # the run page's Config tab: what each gsm run read (the fixture's `gsm materialize` included)
        shown = [
            yaml.safe_load(r["runConfigYaml"])["resources"]["inputs"]["config"]
            for r in page.data["runsOrError"]["results"]
        ]
        assert all(c["source"] == "files" and c["registry_path"].endswith("registry.yaml") for c in shown), shown

        again = execute_dagster_graphql(
            context,
            LAUNCH_PIPELINE_REEXECUTION_MUTATION,
            {"reexecutionParams": {"parentRunId": result.run_id, "strategy": "ALL_STEPS"}},
        )
        launched = again.data["launchPipelineReexecution"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        child = _wait(instance, launched["run"]["runId"])
    assert child.status == dg.DagsterRunStatus.SUCCESS
    assert child.parent_run_id == result.run_id
    assert child.run_config == inputs  # re-executed from the UI with the same inputs
    assert child.remote_job_origin.repository_origin == run.remote_job_origin.repository_origin


SENSOR_DRY_RUN = """
mutation($selectorData: SensorSelector!, $cursor: String) {
  sensorDryRun(selectorData: $selectorData, cursor: $cursor) {
    __typename
    ... on DryRunInstigationTick {
      evaluationResult {
        skipReason cursor error { message }
        runRequests { runKey jobName runConfigYaml tags { key value } }
      }
    }
    ... on PythonError { message }
  }
}
"""


def test_the_yearly_sensor_preview_applied_as_the_ui_does_submits_a_valid_backfill(gsm_home, monkeypatch):
    """The sensor page's "Preview" (sensorDryRun) then "Apply requests" (each request launched as
    a run of its job with its config and tags, the cursor set): the run submits the edition's
    asset backfill; an edition the landed data does not cover (2020 here) is not requested."""
    import json

    import yaml
    from dagster_graphql.client.query import LAUNCH_PIPELINE_EXECUTION_MUTATION
    from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

    from gsm_platform.runs.pipeline import prepare_environment

    monkeypatch.chdir(CHECKOUT)
    prepare_environment()
    config = gsm_home / "dagster" / "dagster.yaml"
    config.write_text(
        config.read_text()
        + "run_coordinator:\n  module: dagster.core.run_coordinator\n  class: DefaultRunCoordinator\n"
    )
    months = [f"{y}-{m:02d}-01" for y, m in [(2024, 8), (2024, 9), (2024, 10), (2024, 11), (2024, 12)]]
    months += [f"2025-{m:02d}-01" for m in range(1, 11)]
    with (
        dg.DagsterInstance.get() as instance,
        define_out_of_process_context(str(CHECKOUT / "workspace.yaml"), None, instance) as context,
    ):
        instance.add_dynamic_partitions("fetch_month", months)  # as edition 2025's landing would
        selector = {
            "repositoryLocationName": origin.LOCATION_NAME,
            "repositoryName": origin.REPOSITORY_NAME,
            "sensorName": "yearly_edition_backfill",
        }
        preview = execute_dagster_graphql(context, SENSOR_DRY_RUN, {"selectorData": selector, "cursor": None})
        assert "evaluationResult" in preview.data["sensorDryRun"], preview.data
        evaluation = preview.data["sensorDryRun"]["evaluationResult"]
        assert evaluation["error"] is None, evaluation["error"]
        (request,) = evaluation["runRequests"]  # today is long after both shipped editions' end
        assert request["jobName"] == "edition_backfill"
        assert json.loads(evaluation["cursor"]) == ["2025"]  # 2020 (no landed month) left for later
        launched = execute_dagster_graphql(
            context,
            LAUNCH_PIPELINE_EXECUTION_MUTATION,
            {
                "executionParams": {
                    "selector": {
                        **{k: selector[k] for k in ("repositoryLocationName", "repositoryName")},
                        "pipelineName": request["jobName"],
                    },
                    "runConfigData": yaml.safe_load(request["runConfigYaml"]),
                    "executionMetadata": {"tags": request["tags"]},
                    "mode": "default",
                }
            },
        ).data["launchPipelineExecution"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run = _wait(instance, launched["run"]["runId"])
        assert run.status == dg.DagsterRunStatus.SUCCESS
        (submitted,) = instance.get_backfills()
        assert submitted.tags["gsm/backfill"] == "2025"
        target = submitted.asset_backfill_data.target_subset.partitions_subsets_by_asset_key
        assert list(target[dg.AssetKey("rankings")].get_partition_keys()) == ["2025"]
        assert sorted(target[POSTS_KEY].get_partition_keys()) == months
