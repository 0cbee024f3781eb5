"""`gsm outlook`: the GSM Outlook of an edition, read from the outlook models (main.outlook_*,
dbt_project/models/outlook/, docs/outlook.md), as JSON or as one self-contained HTML page
(gsm_platform/audit/outlook_html.py, charts by matplotlib in gsm_platform/audit/charts.py).

Nothing is computed again here: every number is a row of an outlook model, so the page, the
JSON and the checks of the outlook (checks/outlook.py) read the same values. With a compare
edition, the change table joins the two editions' activity rows on (cluster, platform).

The JSON contract (docs/outlook.md): `{"edition", "activity", "churn", "collaboration",
"top_posts"}`, one object per row; with --compare also `"compare"` (the earlier edition's
same five keys) and `"change"` (activity side by side).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

import duckdb

from checks.outcome import MART_SCHEMA, relation_exists
from gsm_platform.registry import RegistryError

TABLES = {
    "activity": ("outlook_activity", "cluster, platform"),
    "churn": (
        "outlook_churn",
        "event_date, event, cluster, institution_id, platform NULLS FIRST, account_id NULLS FIRST",
    ),
    "collaboration": ("outlook_collaboration", "cluster, platform"),
    "top_posts": ("outlook_top_posts", "category, cluster, nominee_rank, post_rank"),
}
# what the change table compares, per (cluster, platform)
CHANGE_MEASURES = ("accounts_tracked", "accounts_active", "posts", "interactions", "median_er", "video_share")


def plain(value: Any) -> Any:
    """A DuckDB value as JSON: lists and structs (the activity's per-month, weekday and hour
    counts) stay lists and objects, dates ISO text, a NaN None (never `NaN`, which is no JSON)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [{n: plain(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def edition_row(conn: duckdb.DuckDBPyConnection, edition: str) -> dict[str, Any]:
    rows = records(
        conn.execute(
            "SELECT edition_id, name, start_date, end_date FROM registry.editions WHERE edition_id = ?", [edition]
        )
    )
    if not rows:
        known = [r[0] for r in conn.execute("SELECT edition_id FROM registry.editions ORDER BY 1").fetchall()]
        raise RegistryError(
            f"edition {edition!r} is not in the warehouse's registry (known: {', '.join(known) or 'none'})"
        )
    return rows[0]


def outlook_tables(conn: duckdb.DuckDBPyConnection, edition: str) -> dict[str, Any]:
    """{"edition", "activity", "churn", "collaboration", "top_posts"} of one edition; a clear
    error when the outlook was never built for it."""
    edition_row(conn, edition)
    missing = [m for m, _ in TABLES.values() if not relation_exists(conn, MART_SCHEMA, m)]
    if missing:
        raise RegistryError(
            f"the warehouse has no GSM Outlook yet ({', '.join(missing)} missing): run `gsm materialize --edition "
            f"{edition}` (its last step builds the outlook)"
        )
    out: dict[str, Any] = {"edition": edition}
    for key, (model, order) in TABLES.items():
        sql = f"SELECT * EXCLUDE (edition_id) FROM {MART_SCHEMA}.{model} WHERE edition_id = ? ORDER BY {order}"
        out[key] = records(conn.execute(sql, [edition]))
    if not out["activity"]:
        raise RegistryError(
            f"edition {edition!r} has no GSM Outlook in the warehouse: run `gsm materialize --edition {edition}`"
        )
    return out


def change_rows(current: list[dict[str, Any]], earlier: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Activity side by side per (cluster, platform), both editions' rows (a pair only one of
    them has keeps None on the other side), with the change of each measure."""
    now = {(r["cluster"], r["platform"]): r for r in current}
    then = {(r["cluster"], r["platform"]): r for r in earlier}
    rows = []
    for key in sorted(now.keys() | then.keys()):
        a, b = now.get(key, {}), then.get(key, {})
        row: dict[str, Any] = {"cluster": key[0], "platform": key[1]}
        for m in CHANGE_MEASURES:
            x, y = a.get(m), b.get(m)
            row[m] = x
            row[f"{m}_compare"] = y
            row[f"{m}_change"] = x - y if x is not None and y is not None else None
        rows.append(row)
    return rows


def outlook(conn: duckdb.DuckDBPyConnection, edition: str, compare: str | None = None) -> dict[str, Any]:
    data = outlook_tables(conn, edition)
    if compare is not None:
        if compare == edition:
            raise RegistryError(f"--compare {compare} is the edition itself: name an earlier edition")
        data["compare"] = outlook_tables(conn, compare)
        data["change"] = change_rows(data["activity"], data["compare"]["activity"])
    return data


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
