"""Dagster runs left behind by a dead process, and the wait for the `warehouse` pool.

Every step that writes the warehouse claims the `warehouse` pool's one slot in the Dagster
instance of GSM_HOME, in-process runs included (`gsm materialize`, `update`, `backfill`).
A run whose process is killed (kill -9, the OOM killer, a power cut) stays STARTED and keeps
its slot: every later run waited for it forever ("Step blocked by limit for pool warehouse"
every 5 minutes in the log, nothing on the terminal). So before a run is launched:

- `recover_dead_runs` marks failed every unfinished run whose process is gone, and frees its
  slots and queued claims (Dagster frees a slot when the step ends, never when the process
  dies). A run's process is known from the tags `gsm` puts on the runs it launches
  (PID_TAG, START_TAG: the start time tells a reused pid from the recorded process, HOST_TAG),
  else from the pid Dagster records in the run's engine events ("Started process for run
  (pid: N)" of a run worker launched by the UI's daemon, "Executing steps in process (pid: N)"
  of an in-process run). A run whose process is alive, or cannot be known, is never touched.
- `wait_for_pool` waits, saying so on the terminal, while a live run holds the slot, up to
  GSM_WAREHOUSE_WAIT_SECONDS; a slot still held by a finished run is freed.

These functions take an instance and only read the run and concurrency storage, so they are
callable from wherever runs are launched.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from gsm_platform import processes
from gsm_platform.warehouse import WAREHOUSE_POOL, wait_seconds

PID_TAG = "gsm/pid"
START_TAG = "gsm/pid_start"
HOST_TAG = "gsm/host"
UNFINISHED = (
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)

Say = Callable[[str], None]


class PoolBusy(RuntimeError):
    """A live run held the warehouse pool for longer than the wait bound."""


def process_tags() -> dict[str, str]:
    """The tags that tie a run to this process (put on every run `gsm` launches)."""
    pid = os.getpid()
    return {PID_TAG: str(pid), START_TAG: processes.start_time(pid) or "", HOST_TAG: processes.host()}


@dataclass(frozen=True)
class RunProcess:
    run_id: str
    job_name: str
    status: str
    pid: int | None
    alive: bool | None  # None: cannot be known (no pid recorded, or another host)

    def words(self) -> str:
        who = (
            f"pid {self.pid}"
            + (f", {processes.command(self.pid)}" if self.alive and processes.command(self.pid) else "")
            if self.pid
            else "process unknown"
        )
        return f"run {self.run_id[:8]} of job {self.job_name} ({who})"


def _engine_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid in the run's engine events (the run worker's, or the in-process executor's)."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=20).records
    for record in records:
        data = record.event_log_entry.dagster_event.engine_event_data if record.event_log_entry.dagster_event else None
        value = data.metadata.get("pid") if data and data.metadata else None
        if value is not None:
            raw = value.value if isinstance(value, dg.MetadataValue) else value
            if isinstance(raw, (int, float, str)):
                try:
                    return int(raw)
                except ValueError:
                    continue
    return None


def run_process(instance: dg.DagsterInstance, run: dg.DagsterRun) -> RunProcess:
    tags = run.tags
    pid: int | None
    if PID_TAG in tags:
        pid = int(tags[PID_TAG])
        if tags.get(HOST_TAG) and tags[HOST_TAG] != processes.host():
            state = None  # another machine's process: cannot be known from here
        else:
            state = processes.alive(pid, tags.get(START_TAG) or None)
    else:
        pid = _engine_pid(instance, run.run_id)
        state = processes.alive(pid) if pid is not None else None
    return RunProcess(run.run_id, run.job_name, run.status.value, pid, state)


def mark_failed(instance: dg.DagsterInstance, run_id: str, why: str) -> None:
    """Mark a run failed (if it is not finished yet) and free its pool slots and queued claims."""
    run = instance.get_run_by_id(run_id)
    if run is not None and run.status in UNFINISHED:
        instance.report_run_failed(run, why)
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)


def recover_dead_runs(instance: dg.DagsterInstance, say: Say) -> list[RunProcess]:
    """Mark failed the unfinished runs of this instance whose process is gone, freeing their
    slots; say one line per run. A NOT_STARTED run is touched only if `gsm` launched it (the
    UI's queued runs wait for the daemon, they have no process yet)."""
    recovered = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=list(UNFINISHED))):
        run = record.dagster_run
        if run.status == dg.DagsterRunStatus.NOT_STARTED and PID_TAG not in run.tags:
            continue
        proc = run_process(instance, run)
        if proc.alive is not False:
            continue
        mark_failed(
            instance,
            run.run_id,
            f"the process of this run (pid {proc.pid}) is gone (killed, or the machine "
            "stopped): marked failed by gsm, its warehouse slot released",
        )
        say(
            f"recovered {proc.words()}: left {proc.status} by a process that is gone; marked failed, "
            "its warehouse slot released"
        )
        recovered.append(proc)
    return recovered


def pool_holders(
    instance: dg.DagsterInstance, pool: str = WAREHOUSE_POOL, exclude: str | None = None
) -> list[tuple[RunProcess, dg.DagsterRun | None]]:
    if not instance.event_log_storage.supports_global_concurrency_limits:
        return []
    info = instance.event_log_storage.get_concurrency_info(pool)
    out: list[tuple[RunProcess, dg.DagsterRun | None]] = []
    for run_id in sorted({slot.run_id for slot in info.claimed_slots} - {exclude}):
        run = instance.get_run_by_id(run_id)
        if run is None:
            out.append((RunProcess(run_id, "?", "DELETED", None, False), None))
        else:
            out.append((run_process(instance, run), run))
    return out


def free_stale_slots(
    instance: dg.DagsterInstance, say: Say, pool: str = WAREHOUSE_POOL, exclude: str | None = None
) -> list[RunProcess]:
    """Free the slots held by runs that are finished (or deleted) or whose process is gone;
    return the live (or unknown) holders."""
    live = []
    for proc, run in pool_holders(instance, pool, exclude):
        finished = run is None or run.status not in UNFINISHED
        if finished or proc.alive is False:
            mark_failed(
                instance, proc.run_id, f"the process of this run (pid {proc.pid}) is gone: marked failed by gsm"
            )
            say(
                f"released the warehouse slot of {proc.words()}: "
                + ("the run is over" if finished else "its process is gone; marked failed")
            )
        else:
            live.append(proc)
    return live


def wait_for_pool(
    instance: dg.DagsterInstance,
    say: Say,
    pool: str = WAREHOUSE_POOL,
    exclude: str | None = None,
    bound: float | None = None,
    poll: float = 1.0,
) -> None:
    """Return once no live run other than `exclude` holds the pool; meanwhile say (once per
    holder) "waiting for run X (pid N), which holds the warehouse", and recover holders that
    die. PoolBusy after `bound` seconds (GSM_WAREHOUSE_WAIT_SECONDS)."""
    bound = wait_seconds(read_only=False) if bound is None else bound
    deadline = time.monotonic() + bound
    said: set[str] = set()
    while live := free_stale_slots(instance, say, pool, exclude):
        for proc in live:
            if proc.run_id not in said:
                say(
                    f"waiting for {proc.words()}, which holds the warehouse (up to {bound:g} s, "
                    "GSM_WAREHOUSE_WAIT_SECONDS)"
                )
                said.add(proc.run_id)
        if time.monotonic() >= deadline:
            first = live[0]
            kill = f" (kill {first.pid})" if first.pid else ""
            raise PoolBusy(
                f"the warehouse is still held by {first.words()} after {bound:g} s: let it finish, or stop "
                f"it{kill} and run this again (gsm marks the run of a dead process failed by itself)"
            )
        time.sleep(poll)
