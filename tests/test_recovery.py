"""Runs a dead process left STARTED holding the warehouse slot are recovered; live ones never
(gsm_platform/runs/recovery.py), on a real SQLite Dagster instance with a pool limit of 1."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
import pytest

from gsm_platform import processes
from gsm_platform.runs import recovery
from gsm_platform.warehouse import WAREHOUSE_POOL


@pytest.fixture
def instance(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as inst:
        inst.event_log_storage.set_concurrency_slots(WAREHOUSE_POOL, 1)  # as gsm's dagster.yaml: one slot
        yield inst


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def _started_run(instance, tags: dict, holds_slot: bool = True) -> dg.DagsterRun:
    """A run as a kill -9 leaves it: STARTED, its step holding the warehouse slot."""
    run = instance.create_run_for_job(dg.GraphDefinition(name="g", node_defs=[]).to_job(name="clean"), tags=tags)
    instance.handle_new_event(
        dg.EventLogEntry(
            error_info=None,
            level="DEBUG",
            user_message="",
            run_id=run.run_id,
            timestamp=0.0,
            dagster_event=dg.DagsterEvent(event_type_value=dg.DagsterEventType.RUN_START.value, job_name="clean"),
        )
    )
    if holds_slot:
        assert instance.event_log_storage.claim_concurrency_slot(WAREHOUSE_POOL, run.run_id, "cleaned").is_claimed
    return instance.get_run_by_id(run.run_id)


def _holders(instance) -> set[str]:
    return {s.run_id for s in instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots}


def test_a_run_of_a_dead_process_is_failed_and_its_slot_freed(instance):
    dead = _started_run(instance, {recovery.PID_TAG: str(_dead_pid()), recovery.HOST_TAG: processes.host()})
    said: list[str] = []
    recovered = recovery.recover_dead_runs(instance, said.append)
    assert [r.run_id for r in recovered] == [dead.run_id]
    assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
    assert _holders(instance) == set()
    assert len(said) == 1 and said[0].startswith(f"recovered run {dead.run_id[:8]} of job clean (pid ")
    assert recovery.recover_dead_runs(instance, said.append) == []  # once


def test_live_runs_and_unknown_ones_are_never_touched(instance):
    me = _started_run(instance, recovery.process_tags())  # alive: this process
    other_host = _started_run(
        instance, {recovery.PID_TAG: str(_dead_pid()), recovery.HOST_TAG: "elsewhere"}, holds_slot=False
    )
    unknown = _started_run(instance, {}, holds_slot=False)  # launched elsewhere, no pid recorded
    assert recovery.recover_dead_runs(instance, print) == []
    for run in (me, other_host, unknown):
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED
    assert _holders(instance) == {me.run_id}


def test_a_reused_pid_is_not_mistaken_for_the_recorded_process(instance):
    """The pid is alive again, but it is another process (its start time differs)."""
    tags = {recovery.PID_TAG: str(os.getpid()), recovery.START_TAG: "1", recovery.HOST_TAG: processes.host()}
    run = _started_run(instance, tags)
    assert [r.run_id for r in recovery.recover_dead_runs(instance, print)] == [run.run_id]


def test_waiting_for_a_live_holder_is_said_and_bounded(instance):
    holder = _started_run(instance, recovery.process_tags())
    said: list[str] = []
    with pytest.raises(recovery.PoolBusy, match=f"still held by run {holder.run_id[:8]} of job clean"):
        recovery.wait_for_pool(instance, said.append, bound=0.3, poll=0.1)
    assert said == [
        f"waiting for run {holder.run_id[:8]} of job clean (pid {os.getpid()}, "
        f"{processes.command(os.getpid())}), which holds the warehouse (up to 0.3 s, "
        "GSM_WAREHOUSE_WAIT_SECONDS)"
    ]
    # a slot a finished run still holds is freed, not waited for
    instance.report_run_failed(instance.get_run_by_id(holder.run_id))
    recovery.wait_for_pool(instance, said.append, bound=0.3, poll=0.1)
    assert _holders(instance) == set() and "the run is over" in said[-1]
