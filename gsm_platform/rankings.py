"""Reading the computed rankings (the dbt `rankings` mart) for people and programs."""

from __future__ import annotations

import csv
import io
import json

import duckdb

from gsm_platform.methodology import CATEGORIES
from gsm_platform.warehouse.rows import one_value

RANKINGS_RELATION = "main.rankings"
COMPONENTS_RELATION = "main.score_components"
ROW_FIELDS = (
    "edition",
    "category",
    "cluster",
    "rank",
    "institution_id",
    "institution_name",
    "score",
    "nominee",
    "methodology_version",
)


def latest_edition(conn: duckdb.DuckDBPyConnection) -> str | None:
    """The edition with rankings that ends last; None when there is none (or no rankings mart)."""
    schema, table = RANKINGS_RELATION.split(".")
    if not one_value(
        conn,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
        what=f"the count of tables named {RANKINGS_RELATION}",
    ):
        return None
    row = conn.execute(
        f"""SELECT e.edition_id FROM registry.editions e
            WHERE e.edition_id IN (SELECT DISTINCT edition_id FROM {RANKINGS_RELATION})
            ORDER BY e.end_date DESC, e.edition_id DESC LIMIT 1"""
    ).fetchone()
    return row[0] if row else None


def ranking_rows(
    conn: duckdb.DuckDBPyConnection, edition: str, category: str | None = None, cluster: str | None = None
) -> list[dict]:
    """Rows in a stable order: edition, category (award order), cluster, rank, institution_id."""
    where, params = ["edition_id = ?"], [edition]
    if category:
        where.append("category = ?")
        params.append(category)
    if cluster:
        where.append("cluster = ?")
        params.append(cluster)
    order = "CASE category " + " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(CATEGORIES)) + " END"
    rows = conn.execute(
        f"""SELECT edition_id, category, cluster, rank, institution_id, institution_name, score, nominee,
                   methodology_version
            FROM {RANKINGS_RELATION} WHERE {" AND ".join(where)}
            ORDER BY edition_id, {order}, cluster, rank, institution_id""",
        params,
    ).fetchall()
    return [
        {
            "edition": r[0],
            "category": r[1],
            "cluster": r[2],
            "rank": int(r[3]),
            "institution_id": r[4],
            "institution_name": r[5],
            "score": float(r[6]),
            "nominee": bool(r[7]),
            "methodology_version": r[8],
        }
        for r in rows
    ]


def to_json(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1)


def to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=ROW_FIELDS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({**r, "score": repr(r["score"])})
    return buf.getvalue()


def to_table(rows: list[dict], nominees_only: bool = False) -> str:
    out: list[str] = []
    current = None
    for r in rows:
        if nominees_only and not r["nominee"]:
            continue
        group = (r["category"], r["cluster"])
        if group != current:
            current = group
            out.append(f"\n{r['category']} / {r['cluster']}")
            out.append(f"  {'rank':>4}  {'score':>8}  {'nominee':<7}  institution")
        out.append(
            f"  {r['rank']:>4}  {r['score']:>8.3f}  {'yes' if r['nominee'] else '':<7}  "
            f"{r['institution_name']} ({r['institution_id']})"
        )
    return "\n".join(out).lstrip("\n")


def nominees_markdown(rows: list[dict]) -> str:
    lines = ["| category | cluster | rank | institution | score |", "|---|---|---|---|---|"]
    lines += [
        f"| {r['category']} | {r['cluster']} | {r['rank']} | {r['institution_name']} | {r['score']:.4f} |"
        for r in rows
        if r["nominee"]
    ]
    return "\n".join(lines)
