"""Landing and the raw pulls: envelopes landed verbatim, indexed per platform and fetch day."""

import datetime as dt
from pathlib import Path

import dagster as dg

from assets.partitions import fetch_days
from assets.registry import REGISTRY_KEY
from gsm_platform.config import GsmInputs, demo_input_dir
from gsm_platform.landing import index_envelopes, land_directory, register_landed
from gsm_platform.paths import gsm_home, landing_dir
from gsm_platform.registry import PLATFORMS, load_registry
from gsm_platform.warehouse import WAREHOUSE_POOL, Warehouse

LANDING_KEY = dg.AssetKey("landing")
RAW_KEYS = {p: dg.AssetKey(["raw", p]) for p in PLATFORMS}


@dg.asset(key=LANDING_KEY, group_name="raw", kinds={"duckdb", "json"}, pool=WAREHOUSE_POOL)
def landing(context: dg.AssetExecutionContext, inputs: GsmInputs, warehouse: Warehouse) -> dg.MaterializeResult:
    """Copies the recorded envelopes of the `files` or `demo` source into GSM_HOME/landing,
    verbatim and read-only, once per content hash, and indexes each envelope (file, line,
    platform, kind, fetch time) in raw.envelopes. The `api` source lands in the raw pulls."""
    cfg = inputs.resolved()
    home = gsm_home()
    if cfg["source"] == "api":
        return dg.MaterializeResult(metadata={"source": "api", "new_files": 0, "note": "api pulls land per platform"})
    input_dir = Path(cfg["input_dir"])
    if cfg["source"] == "demo":
        input_dir = demo_input_dir(home)
        if not input_dir.exists():
            from gsm_platform.sources.demo import generate

            context.log.info("generating the demo source's quick data set (seeded, deterministic)")
            generate(input_dir.parent, "quick")
    with warehouse.connect() as conn:
        new = land_directory(conn, input_dir, home, cfg["source"])
        envelopes = index_envelopes(conn, home, new)
        total_files, total_bytes = conn.execute("SELECT count(*), coalesce(sum(bytes), 0) FROM clean.landed_files").fetchone()
        days = conn.execute("SELECT min(fetch_date), max(fetch_date) FROM raw.envelopes").fetchone()
    context.log.info(f"landed {len(new)} new file(s), {envelopes} envelope(s) from {input_dir}")
    return dg.MaterializeResult(
        metadata={
            "source": cfg["source"],
            "input_dir": str(input_dir),
            "new_files": len(new),
            "new_envelopes": envelopes,
            "landed_files_total": int(total_files),
            "landed_bytes_total": int(total_bytes),
            "first_fetch_day": str(days[0]),
            "last_fetch_day": str(days[1]),
        }
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key, group_name="raw", kinds={"duckdb", "json"}, deps=[LANDING_KEY, REGISTRY_KEY],
                     description=f"Landed {platform} envelopes (posts pages and profiles) by fetch day (WIB).")
        for platform, key in RAW_KEYS.items()
    ],
    partitions_def=fetch_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def raw_pulls(context: dg.AssetExecutionContext, inputs: GsmInputs, warehouse: Warehouse):
    """With the `api` source, pulls each platform for the partition's days and lands the pages;
    with `files`/`demo`, the landing asset already landed them. Either way reports what landed."""
    window = context.partition_time_window
    start, end = window.start.date(), window.end.date()
    cfg = inputs.resolved()
    home = gsm_home()
    reports: dict[str, str] = {}
    with warehouse.connect() as conn:
        if cfg["source"] == "api":
            from gsm_platform.sources.api import pull_platform

            registry = load_registry(cfg["registry_path"])
            for platform in PLATFORMS:
                accounts = [a for i in registry.institutions for a in i.accounts if a.platform == platform]
                if not accounts:
                    continue
                out_dir = landing_dir(home) / "api"
                report = pull_platform(platform, accounts, start, end, out_dir, progress=context.log.info)
                new = register_landed(conn, home, report.files, "api")
                index_envelopes(conn, home, new)
                reports[platform] = report.summary()
        rows = conn.execute(
            f"""SELECT platform, kind, count(*) FROM raw.envelopes
                WHERE fetch_date >= DATE '{start}' AND fetch_date < DATE '{end}' AND platform IS NOT NULL
                GROUP BY ALL"""
        ).fetchall()
    counts = {(p, k): n for p, k, n in rows}
    for platform, key in RAW_KEYS.items():
        metadata = {
            "posts_envelopes": counts.get((platform, "posts"), 0),
            "profile_envelopes": counts.get((platform, "profile"), 0),
            "window": f"{start} .. {end - dt.timedelta(days=1)}",
        }
        if platform in reports:
            metadata["pull_report"] = reports[platform]
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)
