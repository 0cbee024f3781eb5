"""Every data-quality check of the platform, as plain data: the asset it checks, its name (a
contract: the UI, alerts and `gsm quality` show it), severity, whether it blocks the assets
downstream, what it reads (an edition, a window of fetch days, or everything) and the plain
function that decides it. checks/definitions.py turns these into Dagster asset checks;
gsm_platform/audit/quality.py runs the same functions for `gsm quality`. No Dagster import here,
so the command line stays quick.

ERROR + blocking where bad data would corrupt the award; WARN where a person should look.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from checks import award, cleaned, marts, outlook, raw, registry, suites
from checks.outcome import ERROR, WARN, CheckOutcome
from gsm_platform.vocabulary import PLATFORMS

# Check names (contracts).
ACCOUNTS_CLAIMED_ONCE = "accounts_claimed_once"
LANDED_FILES_INTACT = "landed_files_intact"
LANDED_FILES_INDEXED = "landed_files_indexed"
ENVELOPES_INDEXED_ONCE = "envelopes_indexed_once"
RECONCILIATION_BALANCED = "reconciliation_balanced"
PROFILE_RECONCILIATION_BALANCED = "profile_reconciliation_balanced"
ENVELOPES_ACCOUNTED_FOR = "envelopes_accounted_for"
GREAT_EXPECTATIONS_SUITE = "great_expectations_suite"
FOLLOWER_COUNT_JUMPS = "follower_count_jumps"
QUARANTINE_EMPTY = "quarantine_empty"
SCORES_IN_RANGE = "scores_in_range"
RANKS_CONTIGUOUS = "ranks_contiguous"
EVERY_CLUSTER_RANKED = "every_cluster_ranked"
INSTITUTIONS_WITH_POSTS_RANKED = "institutions_with_posts_ranked"
ACCOUNTS_HAVE_POSTS = "accounts_have_posts"
ENGAGEMENT_OUTLIERS = "engagement_outliers"
NOMINEES_CONSISTENT = "nominees_consistent"
EXPORT_MATCHES_WAREHOUSE = "export_matches_warehouse"
POST_DETAILS_COMPLETE = "post_details_complete"
OUTLOOK_MATCHES_RANKINGS = "outlook_matches_rankings"
TOP_POSTS_ARE_EDITION_POSTS = "top_posts_are_edition_posts"
CHURN_LISTS_REGISTRY_EVENTS = "churn_lists_registry_events"

# Asset keys as paths (the assets/ modules own the dg.AssetKey objects; tests hold the two equal).
REGISTRY_ASSET = ("registry", "accounts")
LANDING_ASSET = ("landing",)
RAW_ASSETS = {p: ("raw", p) for p in PLATFORMS}
POSTS_ASSET = ("clean", "post_snapshots")
FOLLOWERS_ASSET = ("clean", "follower_snapshots")
QUARANTINE_ASSET = ("clean", "quarantine")
MART_ASSETS = {m: ("marts", m) for m in (*marts.METRIC_MARTS, marts.RANKINGS_MART)}
RANKINGS_ASSET = ("rankings",)
DETAILS_ASSET = ("clean", "post_details")
OUTLOOK_ASSETS = {m: ("outlook", m) for m in outlook.OUTLOOK_MODELS}

# What a check reads: its Dagster run's edition partition, its run's fetch days, or everything.
EDITION = "edition"
FETCH_DAYS = "fetch_days"
EVERYTHING = "everything"


@dataclass(frozen=True)
class QualityCheck:
    asset: tuple[str, ...]
    name: str
    severity: str
    blocking: bool
    scope: str
    run: Callable[..., CheckOutcome]  # (conn, edition | None, **scope) -> CheckOutcome
    description: str
    group: str | None = None  # checks of one layer that run together in one Dagster op

    @property
    def asset_path(self) -> str:
        return "/".join(self.asset)


def _blocking(asset, name, scope, run, description, group=None) -> QualityCheck:
    return QualityCheck(asset, name, ERROR, True, scope, run, description, group)


def _warning(asset, name, scope, run, description, group=None) -> QualityCheck:
    return QualityCheck(asset, name, WARN, False, scope, run, description, group)


# Checks of one layer share one op (a multi_asset_check): a Dagster step costs a fraction of a
# second, and the assets of a layer are built by one op anyway (raw pulls, cleaning, dbt).
RAW_GROUP = "raw_envelopes"
CLEANED_GROUP = "cleaned"
MARTS_GROUP = "award_metrics"
OUTLOOK_GROUP = "outlook"

QUALITY_CHECKS: tuple[QualityCheck, ...] = (
    # registry
    _blocking(
        REGISTRY_ASSET,
        ACCOUNTS_CLAIMED_ONCE,
        EVERYTHING,
        registry.accounts_claimed_once,
        "Each institution account is listed once, by one institution (registry.accounts).",
    ),
    # raw
    _blocking(
        LANDING_ASSET,
        LANDED_FILES_INTACT,
        EVERYTHING,
        raw.landed_files_intact,
        "Every landed file is still in GSM_HOME/landing with its landed size (the audit trail).",
    ),
    _blocking(
        LANDING_ASSET,
        LANDED_FILES_INDEXED,
        EVERYTHING,
        raw.landed_files_indexed,
        "No landed file without its envelopes: raw.envelopes holds as many rows per landed file as "
        "envelopes were read from it at landing.",
    ),
    *(
        _blocking(
            RAW_ASSETS[p],
            ENVELOPES_INDEXED_ONCE,
            FETCH_DAYS,
            partial(raw.envelopes_indexed_once, platform=p),
            f"Each landed {p} envelope line is indexed once in raw.envelopes, from a landed file.",
            group=RAW_GROUP,
        )
        for p in PLATFORMS
    ),
    # cleaned
    _blocking(
        POSTS_ASSET,
        ENVELOPES_ACCOUNTED_FOR,
        FETCH_DAYS,
        cleaned.envelopes_accounted_for,
        "Envelopes indexed (counted from raw.envelopes) = parsed + quarantined whole, per fetch day and "
        "platform: no landed envelope goes nowhere.",
        CLEANED_GROUP,
    ),
    _blocking(
        POSTS_ASSET,
        RECONCILIATION_BALANCED,
        FETCH_DAYS,
        cleaned.reconciliation_balanced,
        "Post records read = clean + duplicates + quarantined per fetch day and platform, "
        "matching the rows in clean.post_snapshots and clean.quarantine.",
        CLEANED_GROUP,
    ),
    _blocking(
        FOLLOWERS_ASSET,
        PROFILE_RECONCILIATION_BALANCED,
        FETCH_DAYS,
        cleaned.profile_reconciliation_balanced,
        "Profile records (the follower counts each body lists) read = snapshots + quarantined per fetch day "
        "and platform, matching the rows in clean.follower_snapshots and clean.quarantine.",
        CLEANED_GROUP,
    ),
    _blocking(
        POSTS_ASSET,
        GREAT_EXPECTATIONS_SUITE,
        FETCH_DAYS,
        partial(suites.expectations_met, table="clean.post_snapshots"),
        "Great Expectations suite on clean.post_snapshots (deterministic sample + aggregates over every row).",
        CLEANED_GROUP,
    ),
    _blocking(
        FOLLOWERS_ASSET,
        GREAT_EXPECTATIONS_SUITE,
        FETCH_DAYS,
        partial(suites.expectations_met, table="clean.follower_snapshots"),
        "Great Expectations suite on clean.follower_snapshots (deterministic sample + aggregates over every row).",
        CLEANED_GROUP,
    ),
    _warning(
        FOLLOWERS_ASSET,
        FOLLOWER_COUNT_JUMPS,
        FETCH_DAYS,
        cleaned.follower_jumps,
        "No follower count moves more than 50% within 7 days.",
        CLEANED_GROUP,
    ),
    _blocking(
        DETAILS_ASSET,
        POST_DETAILS_COMPLETE,
        FETCH_DAYS,
        cleaned.post_details_complete,
        "Every clean post has its row in clean.post_details (permalink, mentions, media) and every such row "
        "comes from a clean snapshot: none drops out of the outlook or the jury's links.",
        CLEANED_GROUP,
    ),
    _warning(
        QUARANTINE_ASSET,
        QUARANTINE_EMPTY,
        FETCH_DAYS,
        cleaned.quarantine_empty,
        "Nothing was quarantined (each quarantined record is data the award does not see).",
        CLEANED_GROUP,
    ),
    # marts: one per award metric, then the rankings mart
    *(
        check
        for m in (*marts.METRIC_MARTS, marts.RANKINGS_MART)
        for check in (
            _blocking(
                MART_ASSETS[m],
                SCORES_IN_RANGE,
                EDITION,
                partial(marts.scores_in_range, model=m),
                f"Every score of main.{m} is in [0, 100] (never NULL or NaN).",
                MARTS_GROUP,
            ),
            _blocking(
                MART_ASSETS[m],
                RANKS_CONTIGUOUS,
                EDITION,
                partial(marts.ranks_contiguous, model=m),
                f"Ranks of main.{m} are 1..n without gap or duplicate per (edition, category, cluster).",
                MARTS_GROUP,
            ),
        )
    ),
    _blocking(
        MART_ASSETS[marts.RANKINGS_MART],
        EVERY_CLUSTER_RANKED,
        EDITION,
        marts.every_cluster_ranked,
        "Every cluster of the edition has a ranked institution in every category.",
        MARTS_GROUP,
    ),
    _warning(
        MART_ASSETS[marts.RANKINGS_MART],
        INSTITUTIONS_WITH_POSTS_RANKED,
        EDITION,
        marts.institutions_with_posts_ranked,
        "The ranked institutions are exactly those with a post in the window, each in every category.",
        MARTS_GROUP,
    ),
    _warning(
        MART_ASSETS["most_active"],
        ACCOUNTS_HAVE_POSTS,
        EDITION,
        marts.accounts_have_posts,
        "Every institution account of the edition has a post in the edition window.",
        MARTS_GROUP,
    ),
    _warning(
        MART_ASSETS["most_engaging"],
        ENGAGEMENT_OUTLIERS,
        EDITION,
        marts.engagement_outliers,
        "No post has an er above 10x its account's median er (accounts with 20+ other posts with an er).",
        MARTS_GROUP,
    ),
    # the GSM Outlook (checked like the marts; it never blocks the award, which does not read it)
    _blocking(
        OUTLOOK_ASSETS["outlook_activity"],
        OUTLOOK_MATCHES_RANKINGS,
        EDITION,
        outlook.activity_matches_rankings,
        "The outlook's posts per cluster are the rankings' posts in the window of that cluster's ranked "
        "institutions: the same posts, the same window.",
        OUTLOOK_GROUP,
    ),
    _blocking(
        OUTLOOK_ASSETS["outlook_top_posts"],
        TOP_POSTS_ARE_EDITION_POSTS,
        EDITION,
        outlook.top_posts_are_edition_posts,
        "Every post of the jury packet is a clean post, published in the window, of an account its nominee "
        "owns in the registry.",
        OUTLOOK_GROUP,
    ),
    _blocking(
        OUTLOOK_ASSETS["outlook_churn"],
        CHURN_LISTS_REGISTRY_EVENTS,
        EDITION,
        outlook.churn_lists_registry_events,
        "Every registry lifecycle event dated inside the window (of the edition's clusters and platforms) is "
        "in the outlook's churn.",
        OUTLOOK_GROUP,
    ),
    # the final rankings asset
    _blocking(
        RANKINGS_ASSET,
        NOMINEES_CONSISTENT,
        EDITION,
        award.nominees_consistent,
        "nominee = rank <= nominees_per_category and score > 0, with the edition's methodology version.",
    ),
    _blocking(
        RANKINGS_ASSET,
        EXPORT_MATCHES_WAREHOUSE,
        EDITION,
        award.export_matches_warehouse,
        "exports/EDITION/rankings.json holds exactly the warehouse's rankings rows.",
    ),
)
