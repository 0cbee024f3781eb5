"""The registry asset: the validated registry, editions and methodology in the warehouse."""

from pathlib import Path

import dagster as dg

from assets.partitions import editions as edition_partitions
from gsm_platform.config import GsmInputs
from gsm_platform.methodology import METHODOLOGY_FILE, load_methodology
from gsm_platform.registry import load_editions, load_registry
from gsm_platform.registry_tables import write_registry_tables
from gsm_platform.warehouse import WAREHOUSE_POOL, Warehouse

REGISTRY_KEY = dg.AssetKey("registry")


@dg.asset(key=REGISTRY_KEY, group_name="registry", kinds={"duckdb", "yaml"}, pool=WAREHOUSE_POOL)
def registry(context: dg.AssetExecutionContext, inputs: GsmInputs, warehouse: Warehouse) -> dg.MaterializeResult:
    """Institutions, accounts, editions and methodology constants, validated by pydantic and
    written whole to the `registry` schema. Also registers every edition as a partition."""
    cfg = inputs.resolved()
    reg = load_registry(cfg["registry_path"])
    eds = load_editions(cfg["editions_path"])
    meth = load_methodology()
    for ed in eds.editions:
        meth.get(ed.methodology).platform_weight_for(ed.platforms)  # fail early on a bad version
    files = {"registry": Path(cfg["registry_path"]), "editions": Path(cfg["editions_path"]), "methodology": METHODOLOGY_FILE}
    with warehouse.connect() as conn:
        counts = write_registry_tables(conn, reg, eds, meth, files)
        hashes = dict(conn.execute("SELECT kind, sha256 FROM registry.files").fetchall())
    new = [e.id for e in eds.editions if not context.instance.has_dynamic_partition(edition_partitions.name, e.id)]
    if new:
        context.instance.add_dynamic_partitions(edition_partitions.name, new)
    return dg.MaterializeResult(
        metadata={
            **{f"rows_{k}": v for k, v in counts.items()},
            "registry_path": cfg["registry_path"],
            "registry_sha256": hashes["registry"],
            "editions_sha256": hashes["editions"],
            "methodology_sha256": hashes["methodology"],
            "editions": ", ".join(e.id for e in eds.editions),
        }
    )
