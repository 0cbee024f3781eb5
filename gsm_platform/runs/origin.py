"""The code-location origin of the runs `gsm` launches, the same as the UI's.

A run created by `execute_in_process` has no origin: the UI listed it on the Runs page only,
not on its job's page nor on the Overview timeline (both filter runs by the `.dagster/repository`
tag, which Dagster derives from the run's remote job origin), and could not re-execute it (the
UI finds the code to run again through that origin). So `gsm` creates each run with the origin
the webserver gives the runs it launches from workspace.yaml (a `python_module` entry whose
location name is the module's name, a `Definitions` object's repository `__repository__`), and
executes it in this process through a reconstructable job pointing at the same module.

Why in this process and not through the instance's run launcher (a workspace code server and a
run worker subprocess, as the UI does): the terminal keeps gsm's progress and error summary,
Ctrl-C stops the run at once (watch.py), and a crash is recovered by the pid `gsm` tags its runs
with (recovery.py); a launched run costs a code server start and a second load of the
definitions (the dbt manifest included) per run: about 10 s of a 57 s award run launched the
UI's way on the demo, for each of the three to five runs of a `gsm materialize` (docs/runs.md)."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository
from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME
from dagster._core.origin import JobPythonOrigin
from dagster._core.remote_origin import ManagedGrpcPythonEnvCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

DEFINITIONS_MODULE = "gsm_platform.definitions"
DEFINITIONS_ATTRIBUTE = "defs"
# workspace.yaml names no location: Dagster names it after the module
LOCATION_NAME = DEFINITIONS_MODULE
REPOSITORY_NAME = SINGLETON_REPOSITORY_NAME
# workspace.yaml's working_directory, as the webserver records it (relative to the checkout)
WORKSPACE_WORKING_DIRECTORY = "."
CHECKOUT = Path(__file__).resolve().parents[2]


def repository_label() -> str:
    """The value of the `.dagster/repository` tag the UI's job page and timeline filter on."""
    return f"{REPOSITORY_NAME}@{LOCATION_NAME}"


def remote_job_origin(job_name: str) -> RemoteJobOrigin:
    """The remote origin the webserver gives a run of this job launched from workspace.yaml."""
    target = LoadableTargetOrigin(module_name=DEFINITIONS_MODULE, working_directory=WORKSPACE_WORKING_DIRECTORY)
    location = ManagedGrpcPythonEnvCodeLocationOrigin(loadable_target_origin=target, location_name=LOCATION_NAME)
    return RemoteJobOrigin(RemoteRepositoryOrigin(location, REPOSITORY_NAME), job_name)


@cache
def recon_repository() -> ReconstructableRepository:
    pointer = ModuleCodePointer(DEFINITIONS_MODULE, DEFINITIONS_ATTRIBUTE, str(CHECKOUT))
    return ReconstructableRepository(pointer, executable_path=sys.executable)


def recon_job(job_name: str) -> ReconstructableJob:
    return recon_repository().get_reconstructable_job(job_name)


def job_code_origin(job_name: str) -> JobPythonOrigin:
    return recon_job(job_name).get_python_origin()
