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
    ... on Runs { results { runId status tags { key value } } }
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
    from dagster_graphql.client.query import LAUNCH_PIPELINE_REEXECUTION_MUTATION
    from dagster_graphql.test.utils import define_out_of_process_context, execute_dagster_graphql

    from gsm_platform.runs.launch import execute

    monkeypatch.chdir(CHECKOUT)  # workspace.yaml's working directory is the checkout, as under `make ui`
    instance = dg.DagsterInstance.get()
    result = execute(INGEST_JOB, home_copy / "logs" / "test.log", instance=instance)
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
    assert child.remote_job_origin.repository_origin == run.remote_job_origin.repository_origin
