"""The yearly edition backfill: once an edition's window and settle days have passed, every
asset the edition needs is materialized as one Dagster asset backfill.

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
import json

import dagster as dg
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset

from assets.cleaned import CLEAN_KEYS
from assets.partitions import FETCH_MONTHS, editions as edition_partitions, fetch_months, month_key
from assets.rankings import RANKINGS_KEY
from assets.raw import LANDING_KEY, RAW_KEYS
from assets.registry import REGISTRY_KEYS
from gsm_platform.resources import GsmInputs
from gsm_platform.methodology import load_methodology
from gsm_platform.registry import Edition, RegistryError, load_editions

WIB = dt.timezone(dt.timedelta(hours=7))
BACKFILL_TAG = "gsm/backfill"
SENSOR_NAME = "yearly_edition_backfill"
# fetch days before the window that an edition reads: the profiles and posts pulled just
# before the start (follower counts at the start, posts published just before it)
LEAD_DAYS = 31


def _today() -> dt.date:
    """Today in WIB (a function, so that tests can move the clock)."""
    return dt.datetime.now(WIB).date()


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


def months_between(registered: list[str], first: dt.date, last: dt.date) -> list[str]:
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
    return AssetGraphSubset(partitions_subsets_by_asset_key=by_key, non_partitioned_asset_keys=unpartitioned)


@dg.sensor(
    name=SENSOR_NAME,
    minimum_interval_seconds=6 * 3600,
    default_status=dg.DefaultSensorStatus.STOPPED,
    # a sensor may only request backfills of assets inside its selection (checked by the daemon)
    asset_selection=dg.AssetSelection.all(),
    description="Yearly: the day after an edition's end + settle_days, backfills everything the edition "
                "needs (one asset backfill, a bounded number of runs).",
)
def yearly_edition_backfill(context: dg.SensorEvaluationContext, inputs: GsmInputs) -> dg.SensorResult | dg.SkipReason:
    cfg = inputs.resolved()
    try:
        eds = load_editions(cfg["editions_path"])
    except RegistryError as exc:
        return dg.SkipReason(f"editions file unreadable: {exc}")
    methodology = load_methodology()
    today = _today()
    requested = set(json.loads(context.cursor)) if context.cursor else set()
    materialized = context.instance.get_materialized_partitions(RANKINGS_KEY)
    asset_graph = context.repository_def.asset_graph
    run_requests, new_partitions, waiting = [], [], []
    for edition in eds.editions:
        settle_days = methodology.get(edition.methodology).settle_days
        due = due_date(edition, settle_days)
        if today < due:
            waiting.append(f"{edition.id} on {due}")
            continue
        if edition.id in requested or edition.id in materialized:
            continue
        first, last = edition_fetch_days(edition, settle_days, today)
        months = months_between(context.instance.get_dynamic_partitions(FETCH_MONTHS), first, last)
        if not months:  # nothing landed for it yet: land first, ask again at a later tick
            run_requests.append(dg.RunRequest(asset_selection=[*REGISTRY_KEYS.values(), LANDING_KEY],
                                              run_key=f"landing-for-{edition.id}@{today}",
                                              tags=backfill_tags(edition.id)))
            context.log.info(f"edition {edition.id}: no fetch month of {first} .. {last} landed yet; landing first")
            continue
        if not context.instance.has_dynamic_partition(edition_partitions.name, edition.id):
            new_partitions.append(edition.id)
        subset = edition_asset_subset(asset_graph, edition.id, months)
        run_requests.append(dg.RunRequest.for_asset_graph_subset(subset, tags=backfill_tags(edition.id)))
        requested.add(edition.id)
        context.log.info(f"edition {edition.id}: backfill of fetch days {first} .. {last} and the edition's metrics")
    if not run_requests:
        return dg.SkipReason("no edition due" + (f" (next: {', '.join(waiting)})" if waiting else ""))
    return dg.SensorResult(
        run_requests=run_requests,
        cursor=json.dumps(sorted(requested)),
        dynamic_partitions_requests=[edition_partitions.build_add_request(new_partitions)] if new_partitions else None,
    )


SENSORS = [yearly_edition_backfill]
