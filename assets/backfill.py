"""The yearly edition backfill: once an edition's window and settle days have passed, every
asset the edition needs is materialized as one Dagster asset backfill. This module says when
an edition is due and what its backfill holds; the sensor that asks for it is
`yearly_edition_backfill` in assets/sensors.py.

Dagster schedules can only launch job runs, and the edition needs runs in order (landing,
then the fetch days, then the per-edition dbt build), so the yearly trigger is a sensor
evaluated a few times a day: it reads the editions file of this GSM_HOME (the inputs of the
last `gsm materialize`, GSM_HOME/config.json) and, the first day after an edition's
end + settle_days (WIB) with the edition's rankings not yet materialized, requests one asset
backfill of

- the registry tables and the landing (unpartitioned),
- raw pulls and cleaned snapshots over the fetch months of the edition's fetch days
  (start - LEAD_DAYS .. end + settle_days) that hold landed envelopes (the registered fetch-month
  partitions), one run each (BackfillPolicy.single_run),
- the dbt metrics and the rankings for partition key = the edition.

Fetch months are dynamic partitions that the landing registers: the sensor can only ask for the
months landed before it runs. When none of the edition's months is registered yet, it first
requests a landing run and asks for the backfill at a later tick. Envelopes that the
backfill's own landing step lands in a month not registered before are cleaned by the next `gsm
update` (until then `gsm quality` shows them as indexed, neither parsed nor quarantined).

The backfill daemon runs them in dependency order in a bounded number of runs (about five,
whatever the number of days) and shows them in the UI's Backfills tab, tagged
gsm/backfill=<edition>. `gsm backfill --edition ID` runs the same selection in process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset

from assets.cleaned import CLEAN_KEYS
from assets.partitions import editions as edition_partitions
from assets.partitions import fetch_months, month_key
from assets.raw import LANDING_KEY, RAW_KEYS
from assets.registry import REGISTRY_KEYS
from gsm_platform.registry import Edition

BACKFILL_TAG = "gsm/backfill"
# fetch days before the window that an edition reads: the profiles and posts pulled just
# before the start (follower counts at the start, posts published just before it)
LEAD_DAYS = 31


def settle_date(edition: Edition, settle_days: int) -> dt.date:
    """The day of the snapshot cutoff (end + settle_days at 00:00 WIB)."""
    return edition.end + dt.timedelta(days=settle_days)


def due_date(edition: Edition, settle_days: int) -> dt.date:
    """The edition is backfilled from the day after its cutoff day."""
    return settle_date(edition, settle_days) + dt.timedelta(days=1)


def edition_fetch_days(edition: Edition, settle_days: int, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The fetch days (inclusive) an edition's backfill materializes."""
    first = edition.start - dt.timedelta(days=LEAD_DAYS)
    last = settle_date(edition, settle_days)
    if today is not None:
        last = min(last, today)
    return first, last


def backfill_tags(edition_id: str) -> dict[str, str]:
    return {BACKFILL_TAG: edition_id}


def months_between(registered: Sequence[str], first: dt.date, last: dt.date) -> list[str]:
    """The registered fetch-month keys of the fetch days [first, last]."""
    return [k for k in registered if month_key(first) <= k <= month_key(last)]


def edition_asset_subset(asset_graph, edition_id: str, month_keys: list[str]) -> AssetGraphSubset:
    """Registry + landing, raw + cleaned over the given fetch months, dbt + rankings for the
    edition."""
    by_key = {}
    unpartitioned = {*REGISTRY_KEYS.values(), LANDING_KEY}
    for key in (*RAW_KEYS.values(), *CLEAN_KEYS):
        by_key[key] = fetch_months.subset_with_partition_keys(month_keys)
    for key in asset_graph.materializable_asset_keys:
        node = asset_graph.get(key)
        if node.partitions_def is not None and node.partitions_def == edition_partitions:
            by_key[key] = edition_partitions.empty_subset().with_partition_keys([edition_id])
    # mypy reads the `__hash__` Dagster assigns in this NamedTuple's body as a third field: a false
    # "too few arguments" for the two fields the class has
    return AssetGraphSubset(partitions_subsets_by_asset_key=by_key, non_partitioned_asset_keys=unpartitioned)  # type: ignore[call-arg]
