"""The jobs `gsm materialize` runs, in order: ingest (registry + landing), clean (raw pulls
and cleaned snapshots for a range of fetch days, one run), award (dbt metrics and rankings for
one edition), outlook (the GSM Outlook's dbt models for the edition)."""

import dagster as dg

from assets.cleaned import CLEAN_KEYS
from assets.rankings import RANKINGS_KEY
from assets.raw import LANDING_KEY, RAW_KEYS
from assets.registry import REGISTRY_KEYS

INGEST_JOB = "ingest"
CLEAN_JOB = "clean"
AWARD_JOB = "award"
OUTLOOK_JOB = "outlook"

ingest_job = dg.define_asset_job(INGEST_JOB, selection=[*REGISTRY_KEYS.values(), LANDING_KEY])
clean_job = dg.define_asset_job(CLEAN_JOB, selection=[*RAW_KEYS.values(), *CLEAN_KEYS])
AWARD_SELECTION = dg.AssetSelection.groups("staging", "intermediate", "marts") | dg.AssetSelection.assets(RANKINGS_KEY)

award_job = dg.define_asset_job(AWARD_JOB, selection=AWARD_SELECTION)

# The GSM Outlook of an edition, run after its award (gsm materialize, update, backfill): a job of
# its own, so that an outlook that fails never stops the rankings the jury receives.
OUTLOOK_SELECTION = dg.AssetSelection.groups("outlook")
outlook_job = dg.define_asset_job(OUTLOOK_JOB, selection=OUTLOOK_SELECTION)
