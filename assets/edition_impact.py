"""After more pulls are cleaned: which built editions must be rebuilt.

Dagster's lineage says every edition reads every fetch month (AllPartitionMapping), which is
true: a post of a closed edition that was never pulled by its cutoff takes its earliest later
snapshot. But a month cleaned after an edition's cutoff rarely holds such a snapshot, and the
methodology promises that later pulls never change a closed edition otherwise. So for each
edition with a rankings build, this module asks gsm_platform.edition_impact about the fetch
months cleaned since that build (from the instance's materialization records, not from the
clock) and records the answer as an observation of the edition's `rankings` partition, shown in
the asset's timeline in the UI. `gsm update` and the `built_edition_updates` sensor
(assets/sensors.py) rebuild the editions whose answer is "changed".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import dagster as dg
import duckdb

from assets.cleaned import CLEAN_KEYS
from assets.jobs import AWARD_JOB
from assets.outlook_updates import UPDATE_TAG
from assets.partitions import EDITIONS
from assets.rankings import RANKINGS_KEY
from gsm_platform.edition_impact import EditionImpact, impact_of_months
from gsm_platform.resources import RunInputs

INPUT_FILES = ("registry", "editions", "methodology")  # registry.files kinds, hashed in the rankings' metadata


def _latest(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str):
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1
    ).records
    return records[0] if records else None


def months_cleaned_since(instance: dg.DagsterInstance, storage_id: int) -> list[dt.date]:
    """First days of the fetch months whose cleaned tables were materialized after storage_id."""
    months: set[dt.date] = set()
    for key in CLEAN_KEYS:
        cursor = None
        while True:
            page = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=key, after_storage_id=storage_id),
                limit=1000,
                cursor=cursor,
                ascending=True,
            )
            months.update(dt.date.fromisoformat(r.partition_key) for r in page.records if r.partition_key)
            if not page.has_more:
                break
            cursor = page.cursor
    return sorted(months)


def edition_impact(
    instance: dg.DagsterInstance, conn: duckdb.DuckDBPyConnection, edition_id: str, award_keys: Iterable[dg.AssetKey]
) -> EditionImpact | None:
    """None when the edition has no rankings build yet (the yearly backfill builds it)."""
    built = _latest(instance, RANKINGS_KEY, edition_id)
    if built is None:
        return None
    # the rankings record the hashes of the inputs files they were made from
    files = dict(conn.execute("SELECT kind, sha256 FROM registry.files").fetchall())
    metadata = built.asset_materialization.metadata
    for kind in INPUT_FILES:
        was = metadata.get(f"{kind}_sha256")
        if was is None or was.value != files.get(kind):
            return EditionImpact(edition_id, (), True, f"the {kind} file changed since the edition's build")
    for key in award_keys:
        later = _latest(instance, key, edition_id)
        if later is not None and later.storage_id > built.storage_id:
            return EditionImpact(
                edition_id,
                (),
                True,
                f"{key.to_user_string()} was rebuilt after the rankings (an award run did not finish)",
            )
    return impact_of_months(conn, edition_id, months_cleaned_since(instance, built.storage_id))


def built_edition_impacts(
    instance: dg.DagsterInstance, conn: duckdb.DuckDBPyConnection, award_keys: Iterable[dg.AssetKey]
) -> list[EditionImpact]:
    """The impact on every edition with a rankings build, each recorded as an observation of
    its `rankings` partition."""
    award_keys = [k for k in award_keys if k != RANKINGS_KEY]
    impacts = []
    for edition_id in sorted(instance.get_dynamic_partitions(EDITIONS)):
        impact = edition_impact(instance, conn, edition_id, award_keys)
        if impact is None:
            continue
        instance.report_runless_asset_event(
            dg.AssetObservation(
                asset_key=RANKINGS_KEY,
                partition=edition_id,
                description=("rebuild: " if impact.changed else "stands: ") + impact.reason,
                metadata=impact.metadata(),
            )
        )
        impacts.append(impact)
    return impacts


def latest_clean(instance: dg.DagsterInstance) -> int:
    """Storage id of the latest materialization of a cleaned table (0: none)."""
    ids = [
        records[0].storage_id
        for key in CLEAN_KEYS
        if (records := instance.fetch_materializations(key, limit=1).records)
    ]
    return max(ids, default=0)


def edition_update_requests(
    instance: dg.DagsterInstance,
    conn: duckdb.DuckDBPyConnection,
    award_keys: Iterable[dg.AssetKey],
    last_clean: int,
    inputs: RunInputs,
) -> tuple[list[dg.RunRequest], list[EditionImpact]]:
    """The award runs that rebuild the built editions cleaned months changed, with every edition's
    answer: what the `built_edition_updates` sensor requests and `gsm update` executes (one code
    path for both). Each run carries the inputs as run config; last_clean (latest_clean) makes the
    run key, so the daemon launches a request once per cleaning."""
    impacts = built_edition_impacts(instance, conn, award_keys)
    requests = [
        dg.RunRequest(
            job_name=AWARD_JOB,
            partition_key=i.edition_id,
            run_key=f"{i.edition_id}@{last_clean}",
            run_config=inputs.run_config(),
            tags={UPDATE_TAG: i.reason[:200]},
        )
        for i in impacts
        if i.changed
    ]
    return requests, impacts
