"""The final rankings asset, per edition: the nominees the jury receives."""

import os

import dagster as dg

from assets.partitions import editions
from gsm_platform import faults, phases
from gsm_platform.paths import under_home
from gsm_platform.rankings import (
    institution_rows,
    nominees_markdown,
    ranking_rows,
    scored_accounts,
    to_csv,
    to_json,
)
from gsm_platform.resources import Warehouse
from gsm_platform.vocabulary import CATEGORIES
from gsm_platform.warehouse import WAREHOUSE_POOL

RANKINGS_KEY = dg.AssetKey("rankings")
UPSTREAM = [dg.AssetKey(["marts", "rankings"]), dg.AssetKey(["marts", "score_components"])]


@dg.asset(
    key=RANKINGS_KEY, deps=UPSTREAM, partitions_def=editions, group_name="award", kinds={"duckdb"}, pool=WAREHOUSE_POOL
)
def rankings(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Exports the edition's rankings (JSON and CSV under GSM_HOME/exports/EDITION/) and shows
    the nominees, a table of every ranked institution with its score per category and its source
    accounts, the methodology version and the hashes of the files that made them."""
    edition = context.partition_key
    with phases.phase("rankings/export"):
        return _export(edition, warehouse)


def _export(edition: str, warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as conn:
        rows = ranking_rows(conn, edition)
        files = dict(conn.execute("SELECT kind, sha256 FROM registry.files").fetchall())
        accounts = scored_accounts(conn, edition)
    if not rows:
        raise dg.Failure(
            f"edition {edition} has no rankings rows: no institution of its clusters has a post in the window"
        )
    out = under_home("exports", edition)
    out.mkdir(parents=True, exist_ok=True)
    # written aside, then renamed: a crash never leaves the jury half a file
    for name, text in (("rankings.json", to_json(rows) + "\n"), ("rankings.csv", to_csv(rows))):
        part = out / f".{name}.part"
        part.write_text(text, encoding="utf-8")
        faults.point("rankings.export")  # kill -9 here in the fault tests: the export half written
        os.replace(part, out / name)
    clusters = sorted({r["cluster"] for r in rows})
    return dg.MaterializeResult(
        metadata={
            "nominees": dg.MetadataValue.md(nominees_markdown(rows, accounts)),
            "institutions": institutions_table(institution_rows(rows, accounts)),
            "rows": len(rows),
            "institutions_ranked": len({r["institution_id"] for r in rows}),
            "nominees_count": sum(r["nominee"] for r in rows),
            "clusters": ", ".join(clusters),
            "methodology_version": rows[0]["methodology_version"],
            "registry_sha256": files.get("registry", ""),
            "editions_sha256": files.get("editions", ""),
            "methodology_sha256": files.get("methodology", ""),
            "export": dg.MetadataValue.path(str(out / "rankings.json")),
        }
    )


INSTITUTION_COLUMNS = [
    dg.TableColumn("institution_id", "string", description="the registry's institution id"),
    dg.TableColumn("institution", "string"),
    dg.TableColumn("cluster", "string"),
    *[dg.TableColumn(c, "string", description=f"score (rank) in {c}; - when not ranked") for c in CATEGORIES],
    dg.TableColumn("nominee_in", "string", description="the categories it is a nominee in"),
    dg.TableColumn(
        "accounts",
        "string",
        description="platform:account_id (@handle) of its scored accounts; each is the asset accounts/PLATFORM/ID",
    ),
]


def institutions_table(rows: list[dict]) -> dg.TableMetadataValue:
    """Every ranked institution of the partition: an auditor reads its accounts here and opens
    each as the asset accounts/<platform>/<id>, upstream in the lineage."""
    names = [c.name for c in INSTITUTION_COLUMNS]
    return dg.MetadataValue.table(
        records=[dg.TableRecord({n: r[n] for n in names}) for r in rows],
        schema=dg.TableSchema(columns=INSTITUTION_COLUMNS),
    )
