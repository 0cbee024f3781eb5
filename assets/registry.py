"""The registry assets: the validated registry, editions and methodology, one asset per table
of the warehouse's `registry` schema (the dbt sources point at them), written together by one
op because they are validated together."""

from pathlib import Path

import dagster as dg

from assets.accounts import defined_accounts, keep_in_use, registered_accounts
from assets.partitions import EDITIONS
from gsm_platform.methodology import METHODOLOGY_FILE, load_methodology
from gsm_platform.registry import file_sha256, load_editions, load_registry
from gsm_platform.registry_tables import REGISTRY_TABLES, write_registry_tables
from gsm_platform.resources import GsmInputs, RunInputs, Warehouse
from gsm_platform.warehouse import WAREHOUSE_POOL

REGISTRY_KEYS = {table: dg.AssetKey(["registry", table]) for table in REGISTRY_TABLES}
# what the raw and cleaned layers read: the accounts (with their institutions)
REGISTRY_KEY = REGISTRY_KEYS["accounts"]

_DESCRIPTIONS = {
    "institutions": "Institutions tracked by the award, with their cluster.",
    "accounts": "Platform accounts of institutions (scored) and of their leaders (never scored).",
    "leader_accounts": "The accounts of institutions' leaders (ministers...), with name and title: never scored.",
    "lifecycle_events": "Institutions' and accounts' lifecycle (created, merged, renamed...), with dates.",
    "editions": "Award editions: window [start_date, end_date), methodology version.",
    "edition_clusters": "The clusters each edition awards.",
    "edition_platforms": "The platforms each edition tracks.",
    "methodology": "The constants of each methodology version (from methodology.yaml).",
    "methodology_platform_weights": "Platform weights of each methodology version.",
    "files": "The registry, editions and methodology files read, with their sha256.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key, group_name="registry", kinds={"duckdb", "yaml"}, description=_DESCRIPTIONS[t])
        for t, key in REGISTRY_KEYS.items()
    ],
    name="registry",
    pool=WAREHOUSE_POOL,
)
def registry(context: dg.AssetExecutionContext, inputs: GsmInputs, warehouse: Warehouse):
    """Institutions, accounts, editions and methodology constants, validated by pydantic and
    written whole to the `registry` schema. Also registers every edition as a partition."""
    cfg = inputs.resolved()
    reg = load_registry(cfg.registry_path)
    eds = load_editions(cfg.editions_path)
    meth = load_methodology()
    for ed in eds.editions:
        meth.get(ed.methodology).platform_weight_for(ed.platforms)  # fail early on a bad version
    files = {
        "registry": Path(cfg.registry_path),
        "editions": Path(cfg.editions_path),
        "methodology": METHODOLOGY_FILE,
    }
    with warehouse.connect() as conn:
        counts = write_registry_tables(conn, reg, eds, meth, files)
        hashes = dict(conn.execute("SELECT kind, sha256 FROM registry.files").fetchall())
    # the registry in use from now on: the account assets of the next definitions load are its accounts
    kept = keep_in_use(files["registry"], files["editions"])
    if (
        file_sha256(kept / "registry.yaml") != hashes["registry"]
        or file_sha256(kept / "editions.yaml") != hashes["editions"]
    ):
        raise dg.Failure(f"{files['registry']} or {files['editions']} changed while it was loaded: run again")
    accounts_note = _accounts_note(context, {a.key for a in registered_accounts(reg)})
    new = [e.id for e in eds.editions if not context.instance.has_dynamic_partition(EDITIONS, e.id)]
    if new:
        context.instance.add_dynamic_partitions(EDITIONS, new)
    provenance = {
        **input_provenance(cfg),
        "registry_sha256": hashes["registry"],  # as written to registry.files
        "editions_sha256": hashes["editions"],
        "methodology_sha256": hashes["methodology"],
    }
    for table, key in REGISTRY_KEYS.items():
        metadata = {"rows": counts[table], **provenance}
        if table == "editions":
            metadata["editions"] = ", ".join(e.id for e in eds.editions)
        if table == "accounts":
            metadata["registry_in_use"] = str(kept)
            metadata["account_assets"] = accounts_note
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)


def input_provenance(inputs: RunInputs) -> dict[str, str]:
    """What a run was given to read, for its materialization metadata (the event log keeps it with
    the run): the source, the input folder, the registry and editions files with their sha256 as
    the run found them, so an auditor can tell which files a run read, even after they changed."""
    out = {"source": inputs.source, "input_dir": inputs.input_dir}
    for name, path in (("registry", inputs.registry_path), ("editions", inputs.editions_path)):
        out[f"{name}_path"] = path
        out[f"{name}_sha256"] = file_sha256(path) if Path(path).is_file() else "missing"
    return out


def _accounts_note(context: dg.AssetExecutionContext, registered: set[dg.AssetKey]) -> str:
    """Whether the definitions this run loaded show this registry's accounts: they are read when
    the definitions load, so after a change of registry the UI needs "Reload definitions"."""
    defined = defined_accounts(context)
    if defined == registered:
        return f"{len(registered)} account assets, one per registered account"
    note = (
        f"this registry has {len(registered)} accounts; the definitions loaded before it show {len(defined)} account "
        "assets: reload the definitions (UI: Deployment, Reload) to see this registry's accounts"
    )
    context.log.info(note)
    return note
