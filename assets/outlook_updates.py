"""The GSM Outlook after a rebuilt award: when a run of the `award` job that `built_edition_updates`
requested (tagged gsm/update) succeeds, `outlook_after_update` requests a run of the `outlook` job
for the same edition, so an update never leaves the outlook on last week's posts.

Why a run status sensor and not the updates sensor requesting both jobs: the run requests of one
tick are launched side by side, not in order, and the outlook reads the rankings' nominees (its
top posts); after the award's success it reads the rebuilt ones. And it keeps the rule of
`gsm materialize` (docs/outlook.md): the outlook is a run of its own after the award's, so an
outlook that fails never holds back the rankings, and an award that fails starts no outlook.

Only the updates sensor's award runs: `gsm materialize` and `gsm update` run the outlook
themselves, and the yearly backfill's asset subset holds the edition's outlook assets
(assets/backfill.py). Running by default: it acts only on runs of `built_edition_updates`,
which is off until someone turns it on, and then the outlook follows without a second switch.
"""

from __future__ import annotations

import dagster as dg

from assets.jobs import OUTLOOK_JOB, award_job, outlook_job

OUTLOOK_AFTER_UPDATE_SENSOR = "outlook_after_update"
UPDATE_TAG = "gsm/update"  # the tag built_edition_updates puts on the award runs it requests
PARTITION_TAG = "dagster/partition"


AFTER_AWARD_TAG = "gsm/after_award_run"


def outlook_request(run: dg.DagsterRun, instance: dg.DagsterInstance | None = None) -> dg.RunRequest | dg.SkipReason:
    """The outlook run that follows a successful award run, or why there is none; `gsm update`
    executes the same request after the award run it executed (gsm_platform/runs/pipeline.py).
    With the instance: none when an outlook run already followed that award run (`gsm update`'s,
    when the daemon runs too). The award run's run config (its inputs) rides on."""
    if UPDATE_TAG not in run.tags:
        return dg.SkipReason(f"award run {run.run_id[:8]} was not an update's (gsm materialize runs its outlook)")
    edition = run.tags.get(PARTITION_TAG)
    if not edition:
        return dg.SkipReason(f"award run {run.run_id[:8]} has no edition partition")
    if instance is not None and instance.get_run_ids(dg.RunsFilter(tags={AFTER_AWARD_TAG: run.run_id}), limit=1):
        return dg.SkipReason(f"award run {run.run_id[:8]}: its outlook already ran (gsm update)")
    return dg.RunRequest(
        job_name=OUTLOOK_JOB,
        partition_key=edition,
        run_key=f"outlook-after-{run.run_id}",  # once per award run, whatever the ticks
        run_config=dict(run.run_config),
        tags={UPDATE_TAG: run.tags[UPDATE_TAG], AFTER_AWARD_TAG: run.run_id},
    )


@dg.run_status_sensor(
    name=OUTLOOK_AFTER_UPDATE_SENSOR,
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[award_job],
    request_job=outlook_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After an award run of built_edition_updates succeeds: rebuilds the GSM Outlook of the same "
    "edition, in a run of its own (an outlook that fails never holds back the rankings).",
)
def outlook_after_update(context: dg.RunStatusSensorContext):
    return outlook_request(context.dagster_run, context.instance)
