"""The Dagster entry point that workspace.yaml loads. No logic here: it gathers the assets,
checks, jobs, sensors and resources."""

import dagster as dg

from assets import accounts, cleaned, jobs, rankings, raw, registry, sensors
from assets.dbt import build_dbt_assets
from checks import ALL_CHECKS
from gsm_platform.resources import GsmInputs, Warehouse, dbt_resource


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
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
        jobs=[jobs.ingest_job, jobs.clean_job, jobs.award_job],
        sensors=sensors.SENSORS,
        resources={"inputs": GsmInputs(), "warehouse": Warehouse(), "dbt": dbt_resource()},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
