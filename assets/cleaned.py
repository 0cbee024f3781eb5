"""The cleaned layer: one row per post snapshot and per follower snapshot, quarantine beside."""

import dagster as dg

from assets.partitions import fetch_months
from assets.raw import RAW_KEYS
from assets.registry import REGISTRY_KEY
from gsm_platform.parsing import clean_window, fetch_days
from gsm_platform.warehouse import WAREHOUSE_POOL, Warehouse

POSTS_KEY = dg.AssetKey(["clean", "post_snapshots"])
FOLLOWERS_KEY = dg.AssetKey(["clean", "follower_snapshots"])
QUARANTINE_KEY = dg.AssetKey(["clean", "quarantine"])
CLEAN_KEYS = (POSTS_KEY, FOLLOWERS_KEY, QUARANTINE_KEY)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(POSTS_KEY, group_name="cleaned", kinds={"duckdb"}, deps=[*RAW_KEYS.values(), REGISTRY_KEY],
                     description="One typed row per post snapshot (WIB times), exact duplicates removed."),
        dg.AssetSpec(FOLLOWERS_KEY, group_name="cleaned", kinds={"duckdb"}, deps=[*RAW_KEYS.values(), REGISTRY_KEY],
                     description="Follower counts per account and fetch time (profiles, business_discovery)."),
        dg.AssetSpec(QUARANTINE_KEY, group_name="cleaned", kinds={"duckdb"}, deps=[*RAW_KEYS.values(), REGISTRY_KEY],
                     description="Every record that could not be used: file, line, position, reason, raw text."),
    ],
    partitions_def=fetch_months,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def cleaned(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Parses the window's landed envelopes with one parser per platform (DuckDB SQL)."""
    window = context.partition_time_window
    start, end = window.start.date(), window.end.date()
    with warehouse.connect() as conn:
        recon = clean_window(conn, start, end)
        where = fetch_days(start, end)
        posts = conn.execute(f"SELECT count(*) FROM clean.post_snapshots WHERE {where}").fetchone()[0]
        followers = conn.execute(f"SELECT count(*) FROM clean.follower_snapshots WHERE {where}").fetchone()[0]
        quarantined = conn.execute(f"SELECT count(*) FROM clean.quarantine WHERE {where} OR fetch_date IS NULL").fetchone()[0]
    table = "| platform | raw records | clean | duplicates | quarantined |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {p} | {c['raw_records']} | {c['clean']} | {c['duplicates']} | {c['quarantined']} |" for p, c in recon.items()
    )
    balanced = all(c["raw_records"] == c["clean"] + c["duplicates"] + c["quarantined"] for c in recon.values())
    yield dg.MaterializeResult(
        asset_key=POSTS_KEY,
        metadata={"rows": posts, "reconciliation": dg.MetadataValue.md(table), "balanced": balanced},
    )
    yield dg.MaterializeResult(asset_key=FOLLOWERS_KEY, metadata={"rows": followers})
    yield dg.MaterializeResult(asset_key=QUARANTINE_KEY, metadata={"rows": quarantined})
