"""The yearly edition backfill: once an edition's window and settle days have passed, every
asset the edition needs is materialized as one Dagster asset backfill. This module says when
an edition is due and what its backfill holds; the sensor that asks for it is
`yearly_edition_backfill` in assets/sensors.py.

Dagster schedules can only launch job runs, and the edition needs runs in order (landing,
then the fetch days, then the per-edition dbt build), so the yearly trigger is a sensor
evaluated a few times a day: it reads the editions file of its `inputs` resource (the defaults
the definitions load from this GSM_HOME's last `gsm materialize`) and, the first day after an edition's
end + settle_days (WIB) with the edition's rankings not yet materialized, requests a run of the
`edition_backfill` job, whose one step submits one asset backfill of

- the registry tables and the landing (unpartitioned),
- raw pulls and cleaned snapshots over the fetch months of the edition's fetch days
  (start - LEAD_DAYS .. end + settle_days) that hold landed envelopes (the registered fetch-month
  partitions), one run each (BackfillPolicy.single_run),
- the dbt metrics and the rankings for partition key = the edition.

Fetch months are dynamic partitions that the landing registers: the sensor can only ask for the
months landed before it runs. In a home where nothing is landed yet, it first requests one
landing run and asks for the backfill at a later tick. An edition whose window (start .. end)
holds a month with no landed envelope is not requested: a backfill would fail at a blocking
check or rank a partial year. The tick says which months are missing, and the cursor (the
editions requested) leaves it for a later tick. Envelopes that the
backfill's own landing step lands in a month not registered before are cleaned by the next `gsm
update` (until then `gsm quality` shows them as indexed, neither parsed nor quarantined).

The backfill daemon runs them in dependency order in a bounded number of runs (about five,
whatever the number of days) and shows them in the UI's Backfills tab, tagged
gsm/backfill=<edition>; every run carries the sensor's inputs as run config. `gsm backfill
--edition ID` builds the same request (plan_edition_backfill) and runs its runs in process
(gsm_platform/runs/pipeline.py run_backfill says how and why not through the daemon).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence

import dagster as dg
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset

from assets.cleaned import CLEAN_KEYS
from assets.partitions import editions as edition_partitions
from assets.partitions import fetch_months, month_key
from assets.raw import LANDING_KEY, RAW_KEYS
from assets.registry import REGISTRY_KEYS
from gsm_platform.registry import Edition
from gsm_platform.resources import RunInputs

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
    edition and its GSM Outlook (every edition-partitioned asset: the outlook models too)."""
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


# --------------------------------------------------------------------------- the request run
# The sensor asks for an edition's backfill through a run of this job, not through a backfill
# RunRequest (`RunRequest.for_asset_graph_subset`): the UI's sensor preview cannot show such a
# request, and its "Apply requests" launched it as an ordinary run of the sensor's target,
# unpartitioned, which failed at raw_pulls while the cursor recorded the edition as requested.
# A run of this job is the same on both paths (the daemon's and the preview's apply): its one
# step submits the asset backfill the daemon then executes, and fails loudly if it cannot.

EDITION_BACKFILL_JOB = "edition_backfill"


@dg.op(
    config_schema={
        "edition": dg.Field(str, description="the edition whose backfill is submitted"),
        "fetch_months": dg.Field(
            [str], description="the fetch months (YYYY-MM) its raw and cleaned assets are built for"
        ),
    },
    description="Submits the asset backfill of one edition (registry, landing, raw and cleaned over its fetch "
    "months, the dbt metrics and the rankings of the edition); the backfill daemon executes it.",
    required_resource_keys={"inputs"},
)
def request_edition_backfill(context) -> str:
    # no annotations on context nor a dg.Config class: this module's postponed annotations are strings Dagster
    # cannot resolve, so the config is a schema
    edition, months = context.op_config["edition"], [f"{m}-01" for m in context.op_config["fetch_months"]]
    from dagster._core.execution.backfill import PartitionBackfill
    from dagster._core.utils import make_new_backfill_id

    instance = context.instance
    if not instance.has_dynamic_partition(edition_partitions.name, edition):
        instance.add_dynamic_partitions(edition_partitions.name, [edition])
    missing = sorted(set(months) - set(instance.get_dynamic_partitions(fetch_months.name)))
    if missing:
        raise dg.Failure(f"fetch month(s) {', '.join(missing)} are not registered partitions: land them first")
    subset = edition_asset_subset(context.repository_def.asset_graph, edition, months)
    backfill = PartitionBackfill.from_asset_graph_subset(
        backfill_id=make_new_backfill_id(),
        backfill_timestamp=time.time(),
        tags=backfill_tags(edition),
        dynamic_partitions_store=instance,
        asset_graph_subset=subset,
        title=f"edition {edition}",
        description=f"yearly backfill of edition {edition} over fetch months {months[0]} .. {months[-1]}",
        # this run's inputs, so that every run the daemon executes for the backfill reads (and shows) them
        run_config=context.resources.inputs.resolved().run_config(),
    )
    instance.add_backfill(backfill)
    context.add_output_metadata({"backfill_id": backfill.backfill_id, "fetch_months": months})
    return backfill.backfill_id


@dg.job(
    name=EDITION_BACKFILL_JOB,
    description="Submits one edition's yearly asset backfill (what the yearly_edition_backfill sensor requests).",
)
def edition_backfill_job():
    request_edition_backfill()


def edition_backfill_request(edition_id: str, month_keys: list[str], inputs: RunInputs) -> dg.RunRequest:
    """The run of `edition_backfill` that submits the edition's backfill; the inputs ride in its run
    config, and its step hands them on as the run config of every run of the backfill."""
    return dg.RunRequest(
        job_name=EDITION_BACKFILL_JOB,
        run_key=f"backfill-{edition_id}",
        # months as YYYY-MM: Dagster writes the run config YAML (the UI's preview, the run's config)
        # without quoting, and a YYYY-MM-DD there is read back as a date, not a string
        run_config={
            "ops": {
                "request_edition_backfill": {
                    "config": {"edition": edition_id, "fetch_months": [k[:7] for k in month_keys]}
                }
            },
            **inputs.run_config(),
        },
        tags=backfill_tags(edition_id),
    )


def plan_edition_backfill(
    edition: Edition, settle_days: int, registered: Sequence[str], today: dt.date, inputs: RunInputs
) -> dg.RunRequest | str:
    """The request of an edition's backfill (the run of `edition_backfill` that submits it), or why
    none can be made: what the `yearly_edition_backfill` sensor asks for a due edition and what `gsm
    backfill --edition ID` builds and runs (one code path). registered: the fetch-month partitions
    landed so far; the backfill reads those of the edition's fetch days up to today."""
    uncovered = uncovered_months(edition, registered, today)
    if uncovered:
        shown = ", ".join(uncovered[:3]) + (" ..." if len(uncovered) > 3 else "")
        return (
            f"edition {edition.id} not launched: no landed envelope fetched in {len(uncovered)} month(s) of its "
            f"window {edition.start} .. {edition.end} ({shown})"
        )
    first, last = edition_fetch_days(edition, settle_days, today)
    return edition_backfill_request(edition.id, months_between(registered, first, last), inputs)


def request_months(request: dg.RunRequest) -> list[str]:
    """The fetch-month partition keys (YYYY-MM-01) of an edition backfill's request."""
    return [f"{m}-01" for m in request.run_config["ops"]["request_edition_backfill"]["config"]["fetch_months"]]


def uncovered_months(edition: Edition, registered: Sequence[str], today: dt.date) -> list[str]:
    """The months of the edition's window (start .. end, up to today) with no landed envelope:
    a backfill would compute rankings over a window the data does not cover."""
    last = min(edition.end - dt.timedelta(days=1), today)
    out, day = [], edition.start.replace(day=1)
    while day <= last:
        if month_key(day) not in registered:
            out.append(month_key(day))
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out
