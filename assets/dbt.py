"""The dbt award-metric models (dbt-duckdb) as Dagster assets, built per edition.

The dbt project is loaded by a cached factory at definitions time, never at import, and its
manifest is prepared there (`dbt parse`) when missing (gsm_platform/resources.py, beside the
`dbt` resource). One translator holds every naming decision: asset keys are [layer, model],
groups are the layers."""

import os
import time
from collections.abc import Mapping
from functools import cache
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from assets.dbt_checks import dbt_test_description
from assets.partitions import editions
from gsm_platform import faults, phases
from gsm_platform.paths import warehouse_path
from gsm_platform.resources import dbt_project, dbt_target_dir
from gsm_platform.warehouse import WAREHOUSE_POOL, connect, wait_seconds
from gsm_platform.warehouse.gate import gate

LAYERS = ("staging", "intermediate", "marts", "outlook")


class GsmDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)  # meta.dagster.asset_key
        layer = next((p for p in dbt_resource_props["fqn"] if p in LAYERS), "dbt")
        return dg.AssetKey([layer, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return next((p for p in dbt_resource_props["fqn"] if p in LAYERS), "dbt")

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        # every dbt test says what it guards (assets/dbt_checks.py): dagster-dbt reads only meta.description
        return spec._replace(description=dbt_test_description(manifest["nodes"][unique_id], manifest))

    def get_partition_mapping(self, dbt_resource_props, dbt_parent_resource_props):
        # an edition needs every fetch day of the cleaned tables
        if dbt_parent_resource_props.get("resource_type") == "source":
            return dg.AllPartitionMapping()
        return None


@cache
def build_dbt_assets() -> dg.AssetsDefinition:
    project = dbt_project()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=GsmDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
        partitions_def=editions,
        pool=WAREHOUSE_POOL,
        name="award_metrics",
    )
    def award_metrics(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        """Builds (models + tests) the selected models for one edition. The edition goes in the
        environment, not in --vars, and the target folder is this GSM_HOME's, so that dbt's
        partial parsing holds from one run to the next (macros/edition.sql)."""
        os.environ["GSM_EDITION_ID"] = context.partition_key
        with phases.phase("dbt/build"):  # with dagster-dbt's handling of dbt's events, and dbt's CPU as a child's
            yield from build_waiting_for_the_warehouse(context, dbt)

    return award_metrics


def build_waiting_for_the_warehouse(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` behind the warehouse's gate, held exclusively for the whole build, started
    once the readers already in have finished: a reader (`gsm quality`) holding the file made
    dbt's connect fail, and a stream of them kept dbt out for good. A process outside the gate
    that takes the file before dbt's connect fails dbt before it builds anything: then dbt is
    started again, within the same bound."""
    deadline = time.monotonic() + wait_seconds(read_only=False)
    with gate(warehouse_path(), exclusive=True):  # new readers wait behind dbt, they cannot take the file first
        while True:
            connect(wait=max(deadline - time.monotonic(), 0)).close()  # the readers already in finish first
            invocation = dbt.cli(["build"], context=context, target_path=dbt_target_dir(), raise_on_error=False)
            built_something = False
            for event in invocation.stream():
                built_something = True
                faults.point("dbt")  # kill -9 here in the fault tests: dbt is building
                yield event
            error = invocation.get_error()
            if error is None:
                return
            if built_something or "Could not set lock" not in str(error) or time.monotonic() >= deadline:
                raise error
            # a process outside the gate (a person's duckdb shell) took the file in between
            context.log.warning("dbt could not open the warehouse (another process took it): starting dbt again")
