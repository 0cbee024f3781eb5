"""The GSM Outlook after an update: `outlook_after_update` requests the outlook of the edition an
update's award run rebuilt, once per award run, and nothing for award runs of `gsm materialize`
(which runs its outlook itself) nor for award runs that failed."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.jobs import AWARD_JOB, OUTLOOK_JOB
from assets.outlook_updates import (
    AFTER_AWARD_TAG,
    OUTLOOK_AFTER_UPDATE_SENSOR,
    UPDATE_TAG,
    outlook_after_update,
    outlook_request,
)


def _award_run(instance: dg.DagsterInstance, tags: dict[str, str], fail: bool = False):
    """A finished run named like the award job, with the tags the updates sensor gives it: the
    sensor's body reads the run, not what the job built (a real award run needs dbt)."""

    @dg.op
    def build(context) -> None:
        if fail:
            raise RuntimeError("dbt failed")

    @dg.job(name=AWARD_JOB)
    def award():
        build()

    return award.execute_in_process(instance=instance, tags=tags, raise_on_error=False)


def _evaluate(instance: dg.DagsterInstance, result):
    event = result.get_run_success_event() if result.success else result.get_run_failure_event()
    context = dg.build_run_status_sensor_context(
        sensor_name=OUTLOOK_AFTER_UPDATE_SENSOR,
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
    )
    return outlook_after_update(context)


def test_an_update_award_run_that_succeeded_requests_the_outlook_of_its_edition():
    with dg.instance_for_test() as instance:
        result = _award_run(instance, {UPDATE_TAG: "fetch month 2025-09 changes it", "dagster/partition": "2025"})
        assert result.success
        request = _evaluate(instance, result)
        assert isinstance(request, dg.RunRequest)
        assert request.partition_key == "2025"
        assert request.run_key == f"outlook-after-{result.run_id}"  # once per award run
        assert request.tags[UPDATE_TAG] == "fetch month 2025-09 changes it"
        assert request.tags["gsm/after_award_run"] == result.run_id


def test_award_runs_of_gsm_materialize_start_no_second_outlook():
    with dg.instance_for_test() as instance:
        result = _award_run(instance, {"dagster/partition": "2025"})
        skip = _evaluate(instance, result)
        assert isinstance(skip, dg.SkipReason)
        assert "not an update's" in (skip.skip_message or "")


def test_an_update_award_run_without_an_edition_is_skipped_with_the_reason():
    with dg.instance_for_test() as instance:
        skip = _evaluate(instance, _award_run(instance, {UPDATE_TAG: "x"}))
        assert isinstance(skip, dg.SkipReason) and "no edition partition" in (skip.skip_message or "")


def test_the_sensor_watches_successful_award_runs_and_targets_the_outlook_job():
    """A failed award starts no outlook (the sensor only sees successes), and the outlook is a run
    of its own job: an outlook that fails never holds back the rankings."""
    # Dagster keeps what a run status sensor watches in private fields (read as its with_attributes does)
    assert outlook_after_update._run_status == dg.DagsterRunStatus.SUCCESS
    assert [getattr(job, "name", job) for job in outlook_after_update._monitored_jobs or []] == [AWARD_JOB]
    assert outlook_after_update.job_name == OUTLOOK_JOB
    assert outlook_after_update.default_status == dg.DefaultSensorStatus.RUNNING


@pytest.mark.e2e
def test_the_definitions_hold_the_sensor_and_the_update_tag_it_reads():
    from assets import edition_impact
    from gsm_platform.definitions import build_definitions

    defs = build_definitions()
    sensor = defs.resolve_sensor_def(OUTLOOK_AFTER_UPDATE_SENSOR)
    assert sensor.job_name == OUTLOOK_JOB
    # the updates sensor's requests (edition_update_requests) tag their award runs with the tag read here
    assert edition_impact.UPDATE_TAG is UPDATE_TAG


def test_the_outlook_carries_the_award_runs_inputs_and_follows_once():
    """The award run's run config (its inputs) rides on to the outlook run; once an outlook run
    followed that award run (`gsm update` executes the same request), the sensor asks for none."""
    from gsm_platform.resources import RunInputs

    inputs = RunInputs("/r.yaml", "/e.yaml", "files", "/in", "2025").run_config()
    with dg.instance_for_test() as instance:
        result = _award_run(instance, {UPDATE_TAG: "changed", "dagster/partition": "2025"})
        run = instance.get_run_by_id(result.run_id)
        run = run.with_run_config(inputs) if hasattr(run, "with_run_config") else run._replace(run_config=inputs)
        request = outlook_request(run, instance)
        assert isinstance(request, dg.RunRequest) and request.run_config == inputs
        assert request.job_name == OUTLOOK_JOB
        _award_run(instance, {AFTER_AWARD_TAG: result.run_id})  # an outlook run that followed it
        skip = outlook_request(run, instance)
        assert isinstance(skip, dg.SkipReason) and "already ran" in (skip.skip_message or "")
