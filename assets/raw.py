"""Landing and the raw pulls: envelopes landed verbatim, indexed per platform and fetch day."""

import datetime as dt
from pathlib import Path
from typing import Any

import dagster as dg

from assets.accounts import PLATFORM_KEYS
from assets.partitions import fetch_months, month_key, months_of, register_indexed_months, register_months
from assets.registry import REGISTRY_KEY, input_provenance
from gsm_platform import phases
from gsm_platform.landing import Landing, envelope_files, land_directory, register_landed
from gsm_platform.parsing.cleaning import month_ranges, ranges_condition
from gsm_platform.paths import demo_input_dir, gsm_home, landing_dir
from gsm_platform.registry import load_editions, load_registry
from gsm_platform.resources import ApiSource, GsmInputs, RunInputs, Warehouse
from gsm_platform.vocabulary import PLATFORMS, WIB
from gsm_platform.warehouse import WAREHOUSE_POOL, one_row

LANDING_KEY = dg.AssetKey("landing")
RAW_KEYS = {p: dg.AssetKey(["raw", p]) for p in PLATFORMS}
# run tag: "skip" makes raw_pulls of the api source land nothing new (catch-up cleaning runs)
API_PULL_TAG = "gsm/api_pull"


@dg.asset(key=LANDING_KEY, group_name="raw", kinds={"duckdb", "json"}, pool=WAREHOUSE_POOL)
def landing(context: dg.AssetExecutionContext, inputs: GsmInputs, warehouse: Warehouse) -> dg.MaterializeResult:
    """Copies the recorded envelopes of the `files` or `demo` source into GSM_HOME/landing,
    verbatim and read-only, once per content hash, and indexes each envelope (file, line,
    platform, kind, fetch time) in raw.envelopes, and registers the fetch month of every indexed
    envelope as a partition of the raw and cleaned assets. The `api` source lands in the raw pulls."""
    cfg = inputs.resolved()
    provenance = input_provenance(cfg)
    home = gsm_home()
    if cfg.source == "api":
        # the next pull lands in today's month: its partition must exist for the run that pulls
        months = register_months(context.instance, [month_key(dt.datetime.now(WIB).date())])
        return dg.MaterializeResult(
            metadata={
                **provenance,
                "new_files": 0,
                "note": "api pulls land per platform",
                "new_fetch_months": ", ".join(months) or "none",
            }
        )
    input_dir = Path(cfg.input_dir)
    if cfg.source == "demo":
        input_dir = demo_input_dir(home)
        if not input_dir.exists():
            from gsm_platform.sources.demo import generate

            context.log.info("generating the demo source's quick data set (seeded, deterministic)")
            generate(input_dir.parent, "quick")
    with warehouse.connect() as conn:
        landed = land_directory(conn, input_dir, home, cfg.source)
        months = register_indexed_months(context.instance, conn)
        total_files, total_bytes = one_row(
            conn, "SELECT count(*), coalesce(sum(bytes), 0) FROM clean.landed_files", what="the landed files"
        )
        days = one_row(conn, "SELECT min(fetch_date), max(fetch_date) FROM raw.envelopes", what="the fetch days")
    context.log.info(f"landed {len(landed.files)} new file(s), {landed.envelopes} envelope(s) from {input_dir}")
    return dg.MaterializeResult(
        metadata={
            **provenance,
            "input_dir": str(input_dir),  # the folder read (the demo source's: under GSM_HOME)
            "new_files": len(landed.files),
            "new_envelopes": landed.envelopes,
            "landed_files_total": int(total_files),
            "landed_bytes_total": int(total_bytes),
            "first_fetch_day": str(days[0]),
            "last_fetch_day": str(days[1]),
            "new_fetch_months": ", ".join(months) or "none",
            **landing_notes(context, landed),
        }
    )


def landing_notes(context, landed: Landing) -> dict[str, Any]:
    """What a landing refused or repaired: logged, and kept in the metadata, where `gsm`
    finds it to say it on the terminal (runs.landing_notes)."""
    notes: dict[str, Any] = {}  # metadata values of several kinds
    for path, reason in landed.refused:
        context.log.warning(f"refused input file {path}: {reason}")
    if landed.refused:
        notes["refused"] = dg.MetadataValue.json([{"path": p, "reason": r} for p, r in landed.refused])
    if landed.reindexed:
        context.log.warning(
            f"indexed again {len(landed.reindexed)} landed file(s) whose envelopes were not all "
            f"indexed (an earlier landing stopped): {', '.join(landed.reindexed[:5])}"
        )
        notes["reindexed"] = dg.MetadataValue.json(landed.reindexed)
    if landed.removed:
        context.log.warning(f"removed {len(landed.removed)} unfinished cop(ies) an earlier landing left under landing/")
        notes["removed_unfinished_copies"] = len(landed.removed)
    return notes


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            group_name="raw",
            kinds={"duckdb", "json"},
            deps=[PLATFORM_KEYS[platform], LANDING_KEY, REGISTRY_KEY],
            description=f"Landed {platform} envelopes (posts pages and profiles) by fetch month (WIB), from the "
            f"registered accounts of platforms/{platform}.",
        )
        for platform, key in RAW_KEYS.items()
    ],
    partitions_def=fetch_months,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def raw_pulls(context: dg.AssetExecutionContext, inputs: GsmInputs, warehouse: Warehouse, api: ApiSource):
    """With the `api` source, pulls the edition's window and lands the pages (see `_api_pull`);
    with `files`/`demo`, the landing asset already landed them. Either way reports what landed
    in the run's fetch months."""
    months = months_of(context.partition_keys)
    in_months = ranges_condition(month_ranges(months))
    cfg = inputs.resolved()
    home = gsm_home()
    pulled = None
    with warehouse.connect() as conn, phases.phase("raw_pulls"):
        if cfg.source == "api":
            pulled = _api_pull(context, cfg, home, conn, months, api)
        rows = conn.execute(
            f"""SELECT platform, kind, count(*) FROM raw.envelopes
                WHERE {in_months} AND platform IS NOT NULL
                GROUP BY ALL"""
        ).fetchall()
    if pulled is not None and pulled.credential_errors:
        # after landing and indexing what the other platforms (and this one, before) pulled
        errors = "; ".join(str(e) for _, e in sorted(pulled.credential_errors.items()))
        raise dg.Failure(
            description=f"api pull of edition {pulled.edition}: credential rejected: {errors}",
            metadata=_pull_metadata(pulled),
        )
    if pulled is not None and pulled.reports and all(r.unreachable for r in pulled.reports.values()):
        # nothing could be pulled: say so here, not later as an empty ranking that blames the registry
        raise dg.Failure(
            description=f"api pull of edition {pulled.edition}: no platform's API could be reached, "
            "nothing new landed; check the network and run again",
            metadata=_pull_metadata(pulled),
        )
    counts = {(p, k): n for p, k, n in rows}
    # what this run pulled with (files and demo: the landing records what it landed from)
    provenance = input_provenance(cfg) if cfg.source == "api" else {}
    for platform, key in RAW_KEYS.items():
        metadata = {
            "posts_envelopes": counts.get((platform, "posts"), 0),
            "profile_envelopes": counts.get((platform, "profile"), 0),
            "fetch_months": ", ".join(f"{m:%Y-%m}" for m in sorted(months)),
        }
        if pulled is not None:
            metadata.update(_platform_metadata(pulled, platform))
        metadata.update(provenance)
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)


def _api_pull(
    context: dg.AssetExecutionContext, cfg: RunInputs, home: Path, conn, months: list[dt.date], api: ApiSource
):
    """An API can only be asked today what it shows today: the run whose fetch months include
    today's (WIB) pulls the *edition's* window [start, end) of posts (plus one profile snapshot
    per account), and the envelopes' fetch day is today. Runs over past fetch months only (UI
    backfills, the catch-up run of `gsm materialize`, tag API_PULL_TAG=skip) pull nothing and
    report what landed then. Whatever happens during the pull, every envelope file under
    landing/api not yet registered is registered and indexed, and its fetch months registered as
    partitions, before this returns or raises (a rejected token or a crash never loses what
    landed; a closed window is not pulled again on the next run, so an unregistered file would
    otherwise be lost)."""
    from gsm_platform.sources.api.edition import NoCredentials, pull_edition

    today = dt.datetime.now(WIB).date()
    if dt.date.fromisoformat(month_key(today)) not in months or context.run.tags.get(API_PULL_TAG) == "skip":
        context.log.info(
            f"api source: no pull in this run (fetch months "
            f"{', '.join(f'{m:%Y-%m}' for m in sorted(months))}, today {today})"
        )
        _register_api_files(context, conn, home)
        return None
    registry = load_registry(cfg.registry_path)
    editions = load_editions(cfg.editions_path)
    edition = editions.get(cfg.edition) if cfg.edition else editions.latest()
    out_dir = landing_dir(home) / "api"
    context.log.info(
        f"api source: pulling edition {edition.id}, posts of {edition.start} .. {edition.end} (WIB, end excluded)"
    )
    try:
        pulled = pull_edition(registry, edition, out_dir, api.pull, progress=context.log.info)
    except NoCredentials as exc:
        raise dg.Failure(description=str(exc)) from None
    finally:
        new, envelopes = _register_api_files(context, conn, home)
        context.log.info(f"api source: landed {new} new file(s), {envelopes} envelope(s)")
    for warning in pulled.warnings():
        context.log.warning(warning)
    for _, report in sorted(pulled.reports.items()):
        context.log.info(report.summary())
    return pulled


def _register_api_files(context: dg.AssetExecutionContext, conn, home: Path) -> tuple[int, int]:
    root = landing_dir(home) / "api"
    if not root.is_dir():
        return 0, 0
    landed = register_landed(conn, home, envelope_files(root), "api")
    landing_notes(context, landed)
    # a pull past midnight at the end of a month lands in the next month: its key is added here,
    # and `gsm materialize` cleans it in a second run
    register_indexed_months(context.instance, conn)
    return len(landed.files), landed.envelopes


def _platform_metadata(pulled, platform: str) -> dict:
    if platform in pulled.reports:
        r = pulled.reports[platform]
        return {
            "edition": pulled.edition,
            "pull_report": r.summary(),  # scrubbed by the api source: never a credential
            "accounts_done": len(r.accounts_done),
            "accounts_failed": len(r.accounts_failed),
            "accounts_unavailable": len(r.accounts_unavailable),
            "accounts_pending": len(r.accounts_pending),
            "objects_skipped": len(r.skipped),
            "stopped": r.stopped_reason or "",
        }
    if platform in pulled.missing_credentials:
        return {
            "edition": pulled.edition,
            "pull_report": f"{platform}: not pulled: {pulled.missing_credentials[platform]} is not set",
        }
    if platform in pulled.no_accounts:
        return {"edition": pulled.edition, "pull_report": f"{platform}: no registry account of the edition's clusters"}
    return {"pull_report": f"{platform}: not a platform of edition {pulled.edition}"}


def _pull_metadata(pulled) -> dict:
    return {f"{p}_pull_report": dg.MetadataValue.text(_platform_metadata(pulled, p)["pull_report"]) for p in PLATFORMS}
