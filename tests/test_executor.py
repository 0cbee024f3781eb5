"""Every job runs its steps in one process, in order (the UI's runs as `gsm`'s): the warehouse is
a single DuckDB file written by one step at a time."""

import dagster as dg

from gsm_platform.definitions import build_definitions


def test_every_job_uses_the_in_process_executor():
    defs = build_definitions()
    jobs = [defs.resolve_job_def(job.name) for job in defs.resolve_all_job_defs()]
    assert jobs
    for job in jobs:
        assert job.executor_def is dg.in_process_executor, job.name
