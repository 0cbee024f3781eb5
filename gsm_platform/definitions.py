"""The Dagster entry point that workspace.yaml loads. No logic here: it gathers the assets,
checks, jobs, sensors and resources.

The executor is Dagster's in-process one, for the UI's runs as for `gsm`'s: the warehouse is a
single DuckDB file that one step writes at a time (the `warehouse` pool has one slot), so the
default multiprocess executor bought no parallelism and paid a Python process per step, each
loading the definitions again. Measured on the demo (edition 2025, award job launched through
the run launcher the UI uses, same busy 2-core machine): 73 s with a process per step, 47.5 s
in process, against 46.4 s for the same job run by `gsm` (docs/runs.md).

What a run reads is run config of the `inputs` resource, which `gsm` and the sensors pass to
every run they start. A run launched from the UI with no config gets the defaults set here when
the definitions load: this GSM_HOME's last `gsm materialize` inputs (GSM_HOME/config.json), else
the shipped files; the launchpad shows them, and the run's Config tab what the run was given."""

import warnings

import dagster as dg

from assets import accounts, cleaned, jobs, rankings, raw, registry, sensors
from assets.dbt import build_dbt_assets
from checks import ALL_CHECKS
from gsm_platform.resources import ApiSource, GsmInputs, Warehouse, dbt_resource


def build_definitions() -> dg.Definitions:
    definitions = dg.Definitions(
        assets=[
            *accounts.account_specs(),
            registry.registry,
            raw.landing,
            raw.raw_pulls,
            cleaned.cleaned,
            build_dbt_assets(),
            rankings.rankings,
        ],
        asset_checks=ALL_CHECKS,
        jobs=[jobs.ingest_job, jobs.clean_job, jobs.award_job, jobs.outlook_job],
        sensors=sensors.SENSORS,
        resources={
            # the launchpad's defaults: this home's last `gsm` inputs, read when the definitions load
            "inputs": GsmInputs.saved(),
            "warehouse": Warehouse(),
            "dbt": dbt_resource(),
            "api": ApiSource(),  # its tuning from GSM_API_* when the run pulls, unless run config sets it
        },
        executor=dg.in_process_executor,
    )
    # Built here, once (Dagster caches it): the `edition_backfill` op needs `inputs`, so Dagster binds
    # the resources to that job and rebuilds the yearly sensor that targets it, through an internal
    # call that warns "Parameter `owners` ... is currently in beta" (dagster 1.13.27), a warning about
    # Dagster's own code that `gsm` printed on the terminal at each run; we pass no owners.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Parameter `owners`", category=dg.BetaWarning)
        definitions.get_repository_def()
    return definitions


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
