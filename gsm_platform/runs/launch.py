"""Launching a job (in this process) for `gsm` (materialize, update, backfill): the runs a dead
process left are recovered first and a live run that holds the warehouse is waited for
(recovery.py), the run is watched for Ctrl-C, SIGTERM and pool waits (watch.py), Dagster's
and dbt's output goes to a log file while `gsm` keeps the terminal, and a failed run is
summarized: which step, why in words a person can act on (a full disk, out of memory:
failures.py), where the log is."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gsm_platform.registry import RegistryError

if TYPE_CHECKING:
    from dagster._core.execution.job_execution_result import JobExecutionResult


@contextlib.contextmanager
def output_to(log_file: Path):
    """Sends what Dagster and dbt write to stdout/stderr (at the file-descriptor level, so the
    dbt subprocess too) into a log file, keeping the terminal for gsm's own summary. The full
    event log stays in the Dagster instance."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    from gsm_platform import terminal

    saved = os.dup(1), os.dup(2)
    with open(log_file, "ab") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        terminal.use(saved[1])  # waiting and recovery messages still reach the person (stderr)
        try:
            yield
        finally:
            terminal.use(None)
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


class RunFailed(RegistryError):
    """A Dagster run of `gsm materialize`/`gsm backfill` did not succeed."""

    result: JobExecutionResult | None = None  # the result of the failed run


# tags added to every run a command launches (`gsm backfill`: gsm/backfill=<edition>)
RUN_TAGS: dict[str, str] = {}


def execute(
    job_name: str,
    log_file: Path,
    instance,
    tags: dict[str, str] | None = None,
    partition_key: str | None = None,
    run_config: dict | None = None,
    repository=None,
):
    """Runs a job of the workspace's definitions into the GSM_HOME instance, in this process,
    as a run with the code-location origin the UI gives its own runs (origin.py: it shows on
    the job's page and timeline, and re-executes from the UI). First recovers the runs a dead
    process left (recovery.py) and waits, bounded and saying so, while a live run
    holds the warehouse; the run is watched for Ctrl-C / SIGTERM and for a step blocked on the
    pool (watch.py). On failure, says which step failed, why in words a
    person can act on (a full disk, out of memory), and where the log is, instead of a wall of
    Dagster events. `repository` (a ReconstructableRepository): the workspace's definitions
    unless a test gives its own."""
    import dagster as dg
    from dagster._core.execution.api import execute_run
    from dagster._core.utils import make_new_run_id

    from gsm_platform import terminal
    from gsm_platform.runs import origin, recovery
    from gsm_platform.runs.watch import RunWatch

    recovery.recover_dead_runs(instance, terminal.say)
    recovery.wait_for_pool(instance, terminal.say)
    run_tags = {**RUN_TAGS, **recovery.process_tags(), **(tags or {})}
    if partition_key is not None:
        run_tags["dagster/partition"] = partition_key
    recon_job = (repository or origin.recon_repository()).get_reconstructable_job(job_name)
    with dg.partition_loading_context(dynamic_partitions_store=instance):
        run = instance.create_run_for_job(
            job_def=recon_job.get_definition(),
            run_id=make_new_run_id(),
            run_config=run_config,
            tags=run_tags,
            remote_job_origin=origin.remote_job_origin(job_name),
            job_code_origin=recon_job.get_python_origin(),
        )
    with output_to(log_file), RunWatch(instance, run.run_id, terminal.say):
        result = execute_run(recon_job, run, instance)
    if not result.success:
        failed = [
            e
            for e in result.all_events
            if e.is_step_failure
            or (
                e.event_type_value == "ASSET_CHECK_EVALUATION"
                and not e.asset_check_evaluation_data.passed
                and e.asset_check_evaluation_data.severity == dg.AssetCheckSeverity.ERROR
            )
        ]
        lines = []
        for e in failed:
            if e.is_step_failure:
                err = e.step_failure_data.error
                lines.append(f"  step {e.step_key} failed: {step_error(err)}")
            else:
                data = e.asset_check_evaluation_data
                lines.append(
                    f"  blocking check {data.check_name} on {data.asset_key.to_user_string()} failed: "
                    f"{data.description}"
                )
        exc = RunFailed(
            f"Dagster run {result.run_id} of job {job_name} failed:\n"
            + "\n".join(lines)
            + f"\nfull log: {log_file}; events in the Dagster UI (make ui)"
        )
        exc.result = result
        raise exc
    return result


def step_error(err) -> str:
    """The last line of a step's error, or what to do about it when it is a full disk or DuckDB
    out of memory (the error and its causes are searched: Dagster wraps the original)."""
    from gsm_platform.runs.failures import advice

    if err is None:
        return "see log"
    texts, cause = [], err
    while cause is not None:
        texts.append(f"{cause.cls_name}: {cause.message}")
        cause = cause.cause or getattr(cause, "context", None)
    last = err.message.strip().splitlines()[-1]
    return advice("\n".join(texts)) or last.removeprefix("dagster._core.definitions.events.Failure: ")
