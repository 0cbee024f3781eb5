"""Every resource is registered in Definitions, so a test swaps one: here the live API source,
replaced by one that records what the raw pulls ask of it and lands nothing."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from assets.partitions import FETCH_MONTHS, month_key
from assets.raw import RAW_KEYS, raw_pulls
from gsm_platform.registry import file_sha256
from gsm_platform.resources import ApiSource, GsmInputs, Warehouse
from gsm_platform.sources.api import PLATFORM_ENV, PullReport
from tests.support import SAMPLE_ACCOUNTS, sample_editions, sample_registry

pytestmark = pytest.mark.e2e  # runs a real Dagster materialization


def test_every_resource_is_registered():
    from gsm_platform.definitions import build_definitions

    resources = build_definitions().resources
    assert {"inputs", "warehouse", "dbt", "api"} <= set(resources)
    assert isinstance(resources["api"], ApiSource)


class RecordingApi(ApiSource):
    def pull(self, platform, accounts, start, end, out_dir, progress=None) -> PullReport:
        calls.append((platform, [a.account_id for a in accounts], start, end))
        return PullReport(
            platform, start, end, accounts_total=len(accounts), accounts_done=[a.account_id for a in accounts]
        )


calls: list = []


def test_the_api_source_is_swapped_in_the_raw_pulls(gsm_home, monkeypatch):
    for variables in PLATFORM_ENV.values():
        for variable in variables:
            monkeypatch.setenv(variable, "test-token")
    calls.clear()
    registry, editions = sample_registry(gsm_home / "registry.yaml"), sample_editions(gsm_home / "editions.yaml")
    inputs = GsmInputs(registry_path=str(registry), editions_path=str(editions), source="api")
    this_month = month_key(dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date())  # the month the api pulls in
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(FETCH_MONTHS, [this_month])
        result = dg.materialize(
            [raw_pulls],
            partition_key=this_month,
            instance=instance,
            resources={
                "inputs": inputs,
                "warehouse": Warehouse(path=str(gsm_home / "w.duckdb")),
                "api": RecordingApi(),
            },
        )
    assert result.success
    assert sorted(c[0] for c in calls) == sorted(RAW_KEYS)
    # the api pull records what it was given to read: the files, their sha256, the source
    for event in result.get_asset_materialization_events():
        meta = event.event_specific_data.materialization.metadata
        assert meta["registry_path"].value == str(registry) and meta["source"].value == "api"
        assert meta["registry_sha256"].value == file_sha256(registry)
        assert meta["editions_sha256"].value == file_sha256(editions)
    assert all(
        ids == [SAMPLE_ACCOUNTS[p]] and (s, e) == (dt.date(2024, 10, 1), dt.date(2025, 10, 1)) for p, ids, s, e in calls
    )
