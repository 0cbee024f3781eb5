"""The cleaned layer: one row per post snapshot and per follower snapshot, quarantine beside."""

from typing import Any

import dagster as dg

from assets import account_pulls
from assets.accounts import defined_accounts
from assets.partitions import fetch_months, months_of
from assets.raw import RAW_KEYS
from assets.registry import REGISTRY_KEY
from gsm_platform import accounting, phases
from gsm_platform.accounting import scope_of_months
from gsm_platform.parsing.cleaning import clean_months
from gsm_platform.resources import Warehouse
from gsm_platform.warehouse import WAREHOUSE_POOL, one_value

POSTS_KEY = dg.AssetKey(["clean", "post_snapshots"])
FOLLOWERS_KEY = dg.AssetKey(["clean", "follower_snapshots"])
QUARANTINE_KEY = dg.AssetKey(["clean", "quarantine"])
DETAILS_KEY = dg.AssetKey(["clean", "post_details"])
CLEAN_KEYS = (POSTS_KEY, FOLLOWERS_KEY, QUARANTINE_KEY, DETAILS_KEY)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            POSTS_KEY,
            group_name="cleaned",
            kinds={"duckdb"},
            deps=[*RAW_KEYS.values(), REGISTRY_KEY],
            description="One typed row per post snapshot (WIB times), exact duplicates removed.",
        ),
        dg.AssetSpec(
            FOLLOWERS_KEY,
            group_name="cleaned",
            kinds={"duckdb"},
            deps=[*RAW_KEYS.values(), REGISTRY_KEY],
            description="Follower counts per account and fetch time (profiles, business_discovery).",
        ),
        dg.AssetSpec(
            QUARANTINE_KEY,
            group_name="cleaned",
            kinds={"duckdb"},
            deps=[*RAW_KEYS.values(), REGISTRY_KEY],
            description="Every record that could not be used: file, line, position, reason, raw text.",
        ),
        dg.AssetSpec(
            DETAILS_KEY,
            group_name="cleaned",
            kinds={"duckdb"},
            deps=[*RAW_KEYS.values(), REGISTRY_KEY],
            description="What the outlook reads of a post beside its metrics (permalink, mentions, collaborators, "
            "media), one row per post and cleaning slice.",
        ),
    ],
    partitions_def=fetch_months,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def cleaned(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Parses the envelopes of the run's fetch months (and the undated ones) with one parser per
    platform (DuckDB SQL). The metadata carries the three ledgers of those months, with their
    scope (gsm_platform/accounting.py: the same numbers `gsm quality` shows for that scope)."""
    months = months_of(context.partition_keys)
    scope = scope_of_months(months)
    with warehouse.connect() as conn:
        clean_months(conn, months)
        with phases.phase("clean/metadata"):
            counts, by_month, posts, followers, details = _ledgers(conn, scope)
        with phases.phase("clean/account_pulls"):
            numbers = account_pulls.account_numbers(conn, scope)
    # each account's pull history (assets/account_pulls.py): only the accounts whose numbers changed
    with phases.phase("clean/account_observations"):
        observed = account_pulls.observations(numbers, defined_accounts(context), scope)
        for observation in observed:
            context.log_event(observation)
    # recorded only once the observations are in the event log: a kill -9 before this line makes
    # the rerun observe the same accounts again instead of skipping them as unchanged
    with phases.phase("clean/account_pulls_record"), warehouse.connect() as conn:
        account_pulls.record_numbers(conn, scope, numbers)
    changed = int(numbers["changed"].sum())
    envelopes = [r for r in by_month if r[2] == "envelope"]
    table = (
        "| fetch month | platform | envelopes read | parsed | quarantined whole |\n|---|---|---|---|---|\n"
        + "\n".join(f"| {m} | {p} | {n} | {c} | {q} |" for m, p, _, n, c, _, q in envelopes)
    )
    records = (
        "| fetch month | platform | records | read | kept | duplicates | quarantined |\n"
        "|---|---|---|---|---|---|---|\n"
        + "\n".join(
            f"| {m} | {p} | {k} | {n} | {c} | {d} | {q} |" for m, p, k, n, c, d, q in by_month if k != "envelope"
        )
    )
    summary = counts.as_dict()
    common: dict[str, Any] = {"scope": scope.label, "counts": dg.MetadataValue.md("\n\n".join(counts.lines()))}
    yield dg.MaterializeResult(
        asset_key=POSTS_KEY,
        metadata={
            **common,
            "rows": posts,
            **{f"post_records_{k}": v for k, v in summary["post_records"].items()},
            **{f"envelopes_{k}": v for k, v in summary["envelopes"].items()},
            "envelopes_by_month": dg.MetadataValue.md(table),
            "reconciliation": dg.MetadataValue.md(records),
            "balanced": counts.posts.balanced and counts.envelopes.balanced,
            "accounts_with_data": len(numbers),
            "accounts_observed": dg.MetadataValue.md(
                f"{len(observed)} account assets observed (their numbers for these months changed; "
                f"{len(numbers) - changed} unchanged, "
                f"{changed - len(observed)} not in the loaded definitions)"
            ),
        },
    )
    yield dg.MaterializeResult(
        asset_key=FOLLOWERS_KEY,
        metadata={
            **common,
            "rows": followers,
            **{f"profile_records_{k}": v for k, v in summary["profile_records"].items()},
        },
    )
    yield dg.MaterializeResult(asset_key=DETAILS_KEY, metadata={"scope": scope.label, "rows": details})
    yield dg.MaterializeResult(
        asset_key=QUARANTINE_KEY,
        metadata={
            **common,
            "rows": counts.quarantine_rows,
            "post_records_quarantined": counts.posts.quarantined,
            "profile_records_quarantined": counts.profiles.quarantined,
            "envelopes_quarantined_whole": counts.envelopes.quarantined,
        },
    )


def _ledgers(conn, scope):
    """The run's ledgers (accounting), per month and platform, and the rows of its months (posts,
    follower snapshots, post details)."""
    counts = accounting.counts(conn, scope)
    by_month = conn.execute(
        f"""SELECT coalesce(strftime(fetch_date, '%Y-%m'), '(undated)') AS month,
                   coalesce(platform, '(unreadable)') AS platform, record_kind,
                   sum(raw_records), sum(clean), sum(duplicates), sum(quarantined)
            FROM clean.reconciliation WHERE {scope.where()} GROUP BY ALL ORDER BY ALL"""
    ).fetchall()
    posts = one_value(conn, f"SELECT count(*) FROM clean.post_snapshots WHERE {scope.where()}", what="posts")
    followers = one_value(
        conn, f"SELECT count(*) FROM clean.follower_snapshots WHERE {scope.where()}", what="follower snapshots"
    )
    details = one_value(conn, f"SELECT count(*) FROM clean.post_details WHERE {scope.where()}", what="post details")
    return counts, by_month, posts, followers, details
