"""Reading the computed rankings (the dbt `rankings` mart) for people and programs."""

from __future__ import annotations

import csv
import io
import json

import duckdb

from gsm_platform.vocabulary import CATEGORIES, PLATFORMS
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


def scored_accounts(conn: duckdb.DuckDBPyConnection, edition: str) -> dict[str, list[str]]:
    """Per institution, its accounts whose posts the edition scores (institution accounts of the
    platforms it awards), as `platform:account_id (@handle)`, in platform order."""
    rows = conn.execute(
        """SELECT a.institution_id, a.platform, a.account_id, a.handle FROM registry.accounts a
           JOIN registry.edition_platforms p ON p.platform = a.platform AND p.edition_id = ?
           WHERE a.role = 'institution' ORDER BY ALL""",
        [edition],
    ).fetchall()
    out: dict[str, list[str]] = {}
    for inst, platform, account_id, handle in sorted(rows, key=lambda r: (r[0], _platform_order(r[1]), r[2])):
        out.setdefault(inst, []).append(f"{platform}:{account_id}" + (f" (@{handle})" if handle else ""))
    return out


def _platform_order(platform: str) -> int:
    return PLATFORMS.index(platform) if platform in PLATFORMS else len(PLATFORMS)


def institution_rows(rows: list[dict], accounts: dict[str, list[str]]) -> list[dict]:
    """One row per ranked institution: cluster, its score (and rank) in each category, the
    categories it is a nominee in, and its scored accounts. Ordered by cluster, then best
    rank in any category."""
    by_inst: dict[str, dict] = {}
    for r in rows:
        row = by_inst.setdefault(
            r["institution_id"],
            {
                "institution_id": r["institution_id"],
                "institution": r["institution_name"],
                "cluster": r["cluster"],
                "nominee_in": [],
                "best_rank": r["rank"],
                **dict.fromkeys(CATEGORIES),
            },
        )
        row[r["category"]] = f"{r['score']:.4f} (#{r['rank']})"
        row["best_rank"] = min(row["best_rank"], r["rank"])
        if r["nominee"]:
            row["nominee_in"].append(r["category"])
    out = sorted(by_inst.values(), key=lambda x: (x["cluster"], x["best_rank"], x["institution_id"]))
    for row in out:
        row["nominee_in"] = ", ".join(row["nominee_in"]) or "-"
        row["accounts"] = "; ".join(accounts.get(row["institution_id"], [])) or "(none registered)"
        for c in CATEGORIES:
            row[c] = row[c] or "-"
    return out


def nominees_markdown(rows: list[dict], accounts: dict[str, list[str]] | None = None) -> str:
    """The nominees with their institution id and the accounts whose posts made their score."""
    accounts = accounts or {}
    lines = ["| category | cluster | rank | institution (id) | score | accounts |", "|---|---|---|---|---|---|"]
    lines += [
        f"| {r['category']} | {r['cluster']} | {r['rank']} | {_cell(r['institution_name'])} (`{r['institution_id']}`) "
        f"| {r['score']:.4f} | {_cell(', '.join(accounts.get(r['institution_id'], [])) or '-')} |"
        for r in rows
        if r["nominee"]
    ]
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text inside a markdown table cell of the UI: no pipe, no newline, no HTML tag."""
    return text.replace("|", "/").replace("\n", " ").replace("<", "(").replace(">", ")")
