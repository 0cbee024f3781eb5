"""The sensors, both off by default (turn them on in the UI):

- `yearly_edition_backfill`: the day after an edition's end + settle_days, one asset backfill
  of everything the edition needs, submitted by a run of `edition_backfill` (when it is due,
  what it holds, why a run and not a backfill request: assets/backfill.py); an edition whose
  window the landed data does not cover is skipped with the reason in the tick.
- `built_edition_updates`: after fetch months are cleaned, rebuilds each built edition they
  can change and records why the others stand (which ones: assets/edition_impact.py).

Dagster schedules can only launch job runs, and the yearly backfill needs runs in order, so
both are sensors. A sensor never waits for the warehouse: it skips its tick.

A third, `outlook_after_update` (assets/outlook_updates.py; running by default, it acts only on
the award runs of `built_edition_updates`), rebuilds the GSM Outlook of an edition after them.
"""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph

from assets.backfill import backfill_tags, due_date, edition_backfill_job, edition_fetch_days, plan_edition_backfill
from assets.edition_impact import edition_update_requests, latest_clean
from assets.jobs import AWARD_SELECTION, INGEST_JOB, award_job, ingest_job
from assets.outlook_updates import outlook_after_update
from assets.partitions import FETCH_MONTHS
from assets.rankings import RANKINGS_KEY
from gsm_platform.methodology import load_methodology
from gsm_platform.registry import RegistryError, load_editions
from gsm_platform.resources import GsmInputs, Warehouse
from gsm_platform.vocabulary import WIB
from gsm_platform.warehouse import WarehouseBusy

YEARLY_BACKFILL_SENSOR = "yearly_edition_backfill"
EDITION_UPDATES_SENSOR = "built_edition_updates"


def _today() -> dt.date:
    """Today in WIB (a function, so that tests can move the clock)."""
    return dt.datetime.now(WIB).date()


def _asset_graph(context: dg.SensorEvaluationContext) -> AssetGraph:
    """The asset graph of the definitions the sensor belongs to (the daemon always passes them)."""
    if context.repository_def is None:
        raise dg.DagsterInvariantViolationError("the sensor was evaluated without its definitions")
    return context.repository_def.asset_graph


@dg.sensor(
    name=YEARLY_BACKFILL_SENSOR,
    minimum_interval_seconds=6 * 3600,
    default_status=dg.DefaultSensorStatus.STOPPED,
    jobs=[ingest_job, edition_backfill_job],
    description="Yearly: the day after an edition's end + settle_days, submits the asset backfill of everything "
    "the edition needs (a run of edition_backfill; the backfill takes a bounded number of runs). An edition whose "
    "window the landed data does not cover is skipped, with the reason in the tick.",
)
def yearly_edition_backfill(context: dg.SensorEvaluationContext, inputs: GsmInputs) -> dg.SensorResult | dg.SkipReason:
    cfg = inputs.resolved()  # the definitions' defaults: this home's last `gsm` inputs (definitions.py)
    try:
        eds = load_editions(cfg.editions_path)
    except RegistryError as exc:
        return dg.SkipReason(f"editions file unreadable: {exc}")
    methodology = load_methodology()
    today = _today()
    requested = set(json.loads(context.cursor)) if context.cursor else set()
    materialized = context.instance.get_materialized_partitions(RANKINGS_KEY)
    registered = context.instance.get_dynamic_partitions(FETCH_MONTHS)
    run_requests, waiting, skipped = [], [], []
    for edition in eds.editions:
        settle_days = methodology.get(edition.methodology).settle_days
        due = due_date(edition, settle_days)
        if today < due:
            waiting.append(f"{edition.id} on {due}")
            continue
        if edition.id in requested or edition.id in materialized:
            continue
        if not registered:  # nothing landed at all in this home: land once, look again at a later tick
            run_requests.append(
                dg.RunRequest(
                    job_name=INGEST_JOB,
                    run_key=f"landing-for-{edition.id}",
                    run_config=cfg.run_config(),
                    tags=backfill_tags(edition.id),
                )
            )
            context.log.info(f"edition {edition.id}: nothing landed yet; landing first")
            continue
        planned = plan_edition_backfill(edition, settle_days, registered, today, cfg)
        if isinstance(planned, str):  # not requested, so the cursor leaves it to a later tick
            skipped.append(planned)
            context.log.info(planned)
            continue
        run_requests.append(planned)
        requested.add(edition.id)
        first, last = edition_fetch_days(edition, settle_days, today)
        context.log.info(f"edition {edition.id}: backfill of fetch days {first} .. {last} and the edition's metrics")
    if not run_requests:
        reasons = skipped + ["no other edition due" + (f" (next: {', '.join(waiting)})" if waiting else "")]
        return dg.SkipReason("; ".join(reasons))
    return dg.SensorResult(run_requests=run_requests, cursor=json.dumps(sorted(requested)))


@dg.sensor(
    name=EDITION_UPDATES_SENSOR,
    job=award_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="After fetch months are cleaned: rebuilds each built edition they can change, and records on "
    "the edition's rankings why the others stand.",
)
def built_edition_updates(
    context: dg.SensorEvaluationContext, warehouse: Warehouse, inputs: GsmInputs
) -> dg.SensorResult | dg.SkipReason:
    last_clean = latest_clean(context.instance)
    if last_clean <= int(context.cursor or 0):
        return dg.SkipReason("no fetch month cleaned since the last look")
    award_keys = AWARD_SELECTION.resolve(_asset_graph(context))
    try:
        with warehouse.connect(read_only=True, wait=0) as conn:  # a sensor never waits: the next tick looks again
            requests, impacts = edition_update_requests(
                context.instance, conn, award_keys, last_clean, inputs.resolved()
            )
    except WarehouseBusy as exc:
        return dg.SkipReason(f"{exc}; looking again at the next tick")
    for impact in impacts:
        context.log.info(f"edition {impact.edition_id}: {'rebuild' if impact.changed else 'stands'} - {impact.reason}")
    return dg.SensorResult(run_requests=requests, cursor=str(last_clean))


SENSORS = [yearly_edition_backfill, built_edition_updates, outlook_after_update]  # the last: outlook_updates.py
