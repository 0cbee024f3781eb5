"""The dbt models built in parts, as the backfill daemon does: the models that read only the
registry run first, before the cleaned tables or any post model exist."""

from __future__ import annotations

import dagster as dg
import pytest

from assets.cleaned import CLEAN_KEYS
from assets.registry import REGISTRY_KEYS

pytestmark = pytest.mark.e2e  # runs real Dagster jobs or dbt builds


def test_the_registry_models_build_alone_in_a_fresh_warehouse(gsm_home):
    from gsm_platform.definitions import build_definitions
    from gsm_platform.runs.pipeline import prepare_environment

    prepare_environment()
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    dbt_keys = [k for k in graph.materializable_asset_keys if k.path[0] in ("staging", "intermediate", "marts")]
    registry_only = [k for k in dbt_keys if not set(CLEAN_KEYS) & graph.get_ancestor_asset_keys(k)]
    assert dg.AssetKey(["intermediate", "int_edition_params"]) in registry_only
    assert dg.AssetKey(["intermediate", "int_post_snapshots_selected"]) not in registry_only
    with dg.DagsterInstance.get() as instance:
        job = defs.get_implicit_global_asset_job_def()
        ingest = job.get_subset(asset_selection=set(REGISTRY_KEYS.values()))
        assert ingest.execute_in_process(instance=instance).success
        first = job.get_subset(asset_selection=set(registry_only))
        result = first.execute_in_process(instance=instance, partition_key="2025", raise_on_error=False)
        failures = [e.step_failure_data.error.message[:3000] for e in result.all_events if e.is_step_failure]
        assert result.success, failures
