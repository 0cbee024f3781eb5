"""The Dagster resources, in one place: what a run reads (`inputs`), the warehouse (`warehouse`),
dbt (`dbt`) and the live API pulls (`ApiSource`).

They live in the library, not under assets/, because both assets/ and checks/ (whose Dagster
checks take the `warehouse` resource) use them, and the command line reads the saved inputs:
under assets/ they would make checks/ import assets/. Connections, the gate and the tables
are gsm_platform/warehouse/; the API clients gsm_platform/sources/api/.

A run's inputs are run config of `inputs` (GsmInputs), passed by whoever starts the run (`gsm`,
the sensors, the yearly backfill); GSM_HOME/config.json is only the command line's memory of its
last inputs, which the Definitions also offer as the launchpad's defaults (docs/runs.md)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, DbtProject
from pydantic import Field

from gsm_platform.paths import (
    DBT_PROJECT_DIR,
    demo_input_dir,
    gsm_home,
    run_config_path,
    warehouse_path,
    write_text_aside,
)
from gsm_platform.registry import DEFAULT_EDITIONS, DEFAULT_REGISTRY, Account, RegistryError
from gsm_platform.sources.api.pull import PullReport, pull_platform
from gsm_platform.vocabulary import Source
from gsm_platform.warehouse import session

# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class RunInputs:
    """What a run reads, resolved: the files and folder it names are the ones the run opens."""

    registry_path: str
    editions_path: str
    source: Source
    input_dir: str  # the recorded envelopes (`files`); the generated ones under GSM_HOME for `demo`
    edition: str  # the edition the `api` source pulls the window of (empty: the latest edition)

    def run_config(self) -> dict:
        """The run config that hands these inputs to a run (shown in the UI's run page, Config tab)."""
        return {"resources": {"inputs": {"config": asdict(self)}}}


class GsmInputs(dg.ConfigurableResource):
    """What a run reads: registry, editions, source, input folder, edition. `gsm` and the sensors
    pass every field as the run config of each run they start (RunInputs.run_config), so a run
    reads nothing hidden and its page in the UI shows what it read. A field left empty is the
    shipped default (the shipped registry and editions, the demo source's generated folder)."""

    registry_path: str = Field(default="", description="the registry YAML (empty: the shipped one)")
    editions_path: str = Field(default="", description="the editions YAML (empty: the shipped one)")
    source: Source = Field(default="demo", description="where envelopes come from: demo, files or api")
    input_dir: str = Field(default="", description="the recorded envelopes of the files source")
    edition: str = Field(default="", description="the edition the api source pulls (empty: the latest)")

    def resolved(self) -> RunInputs:
        return RunInputs(
            registry_path=self.registry_path or str(DEFAULT_REGISTRY),
            editions_path=self.editions_path or str(DEFAULT_EDITIONS),
            source=self.source,
            input_dir=self.input_dir or str(demo_input_dir()),
            edition=self.edition,
        )

    @classmethod
    def saved(cls) -> GsmInputs:
        """The inputs `gsm materialize` (or `gsm update --input`) last saved in GSM_HOME/config.json:
        the command line's memory, for a later `gsm update`/`gsm backfill`, and the defaults the
        Definitions give the UI's launchpad; never read inside a run. None saved: the shipped ones."""
        path = run_config_path()
        if not path.exists():
            return cls()
        try:
            values = json.loads(path.read_text())
            return cls(**{k: v for k, v in values.items() if k in cls.model_fields})
        except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
            raise RegistryError(f"{path}: saved inputs unreadable ({exc}); run `gsm materialize` again") from None


def saved_inputs() -> RunInputs:
    """The command line's last inputs (GsmInputs.saved), resolved."""
    return GsmInputs.saved().resolved()


def save_inputs(inputs: RunInputs) -> None:
    """Remembers the command line's inputs for its later commands (written aside, renamed over)."""
    path = run_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_aside(path, json.dumps(asdict(inputs), indent=2, sort_keys=True) + "\n")


# --------------------------------------------------------------------------- warehouse


class Warehouse(dg.ConfigurableResource):
    """The DuckDB file of this GSM_HOME (empty path = GSM_HOME/warehouse.duckdb)."""

    path: str = ""

    def resolved_path(self) -> Path:
        return Path(self.path) if self.path else warehouse_path()

    @contextmanager
    def connect(self, read_only: bool = False, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        with session(self.resolved_path(), read_only=read_only, wait=wait) as conn:
            yield conn


# --------------------------------------------------------------------------- live APIs


class ApiSource(dg.ConfigurableResource):
    """Pulls a platform's public API into envelope files (gsm_platform.sources.api). Credentials
    are not fields: they come from the environment only (see PLATFORM_ENV), so they never reach
    run config, the UI or the event log. A field left empty is read when the run pulls from
    GSM_API_CONCURRENCY (accounts pulled at once per platform), GSM_API_TIMEOUT_SECONDS,
    GSM_API_MAX_RETRIES of the process that runs it, else the default (4, 30, 5)."""

    concurrency: int | None = None
    timeout_seconds: float | None = None
    max_retries: int | None = None

    def tuning(self) -> dict[str, int | float]:
        fields = {
            "concurrency": ("GSM_API_CONCURRENCY", int, 4),
            "timeout_seconds": ("GSM_API_TIMEOUT_SECONDS", float, 30.0),
            "max_retries": ("GSM_API_MAX_RETRIES", int, 5),
        }
        values: dict[str, int | float] = {}
        for name, (variable, kind, default) in fields.items():
            given = getattr(self, name)
            text = (os.environ.get(variable) or "").strip()
            if given is not None:
                values[name] = given
            elif text:
                try:
                    values[name] = kind(text)
                except ValueError:
                    raise ValueError(f"{variable} must be a number (got {text!r})") from None
            else:
                values[name] = default
        return values

    def pull(
        self,
        platform: str,
        accounts: list[Account],
        start: dt.date,
        end: dt.date,
        out_dir: Path,
        progress: Callable[[str], None] | None = None,
    ) -> PullReport:
        tuning = self.tuning()
        return pull_platform(
            platform,
            accounts,
            start,
            end,
            Path(out_dir),
            concurrency=int(tuning["concurrency"]),
            progress=progress,
            timeout_seconds=float(tuning["timeout_seconds"]),
            max_retries=int(tuning["max_retries"]),
        )


# --------------------------------------------------------------------------- dbt
# The dbt project is loaded by a cached factory at definitions time, never at import, and its
# manifest is prepared there (`dbt parse`) when missing or older than the project's files.


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv's), whether or not it is on PATH."""
    return str(Path(sys.executable).parent / "dbt")


def dbt_target_dir() -> Path:
    """dbt's artifacts of this GSM_HOME's last build (manifest, run_results.json, logs, the
    partial-parse state), kept between runs."""
    return gsm_home() / "dbt" / "target"


def dbt_env() -> None:
    """What dbt reads from the environment: the warehouse path (its profile), and which tests
    a partial selection runs. A backfill may build the models in several runs (those reading
    only the registry first); dbt's default "eager" selection would also run a test of a
    selected model against a model not built yet. "buildable": a test runs when each of its
    parents is selected or upstream of the selection (dagster-dbt reads this variable)."""
    os.environ["GSM_WAREHOUSE"] = str(warehouse_path())
    os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")


def _manifest_is_stale(project: DbtProject) -> bool:
    """The manifest must describe the project as it is on disk: a model or test added since
    the last parse would otherwise reach Dagster as an event it has no asset or check for."""
    if not project.manifest_path.exists():
        return True
    parsed_at = project.manifest_path.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests", "seeds"):
        sources += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return any(p.stat().st_mtime > parsed_at for p in sources if p.exists())


@cache
def dbt_project() -> DbtProject:
    dbt_env()
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if _manifest_is_stale(project):
        DbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
            ["parse", "--quiet"], target_path=project.target_path
        ).wait()
    return project


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())
