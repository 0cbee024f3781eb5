"""Write the registry, the editions and the methodology into the warehouse's `registry`
schema, where the parsers (is this account registered?) and dbt (clusters, windows,
constants) read them. Rewritten whole on each load: the YAML files are the source of truth."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from gsm_platform.methodology import METHODOLOGY_FILE, Methodology
from gsm_platform.registry import Editions, Registry, file_sha256

# the registry's lifecycle events: an institution's (platform, account_id and handle NULL) or
# one of its accounts'
LIFECYCLE_COLUMNS = [
    "institution_id",
    "platform",
    "account_id",
    "handle",
    "event_date",
    "event",
    "into_institution_id",
    "previous_name",
    "note",
]


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def write_registry_tables(
    conn: duckdb.DuckDBPyConnection,
    registry: Registry,
    editions: Editions,
    methodology: Methodology,
    files: dict[str, Path],
) -> dict[str, int]:
    institutions = _frame(
        [{"institution_id": i.id, "name": i.name, "cluster": i.cluster} for i in registry.institutions],
        ["institution_id", "name", "cluster"],
    )
    accounts = _frame(
        [
            {
                "institution_id": i.id,
                "platform": a.platform,
                "account_id": a.account_id,
                "handle": a.handle,
                "role": role,
            }
            for i in registry.institutions
            for role, accs in (
                ("institution", i.accounts),
                ("leader", tuple(a for leader in i.leaders for a in leader.accounts)),
            )
            for a in accs
        ],
        ["institution_id", "platform", "account_id", "handle", "role"],
    )
    leaders = _frame(
        [
            {
                "institution_id": i.id,
                "leader_name": leader.name,
                "leader_title": leader.title,
                "platform": a.platform,
                "account_id": a.account_id,
                "handle": a.handle,
            }
            for i in registry.institutions
            for leader in i.leaders
            for a in leader.accounts
        ],
        ["institution_id", "leader_name", "leader_title", "platform", "account_id", "handle"],
    )
    lifecycle = _frame(
        [
            {
                "institution_id": i.id,
                "platform": platform,
                "account_id": account_id,
                "handle": handle,
                "event_date": ev.date,
                "event": ev.event,
                "into_institution_id": ev.into,
                "previous_name": ev.previous_name,
                "note": ev.note,
            }
            for i in registry.institutions
            for platform, account_id, handle, events in (
                (None, None, None, i.lifecycle),
                *((a.platform, a.account_id, a.handle, a.lifecycle) for a in i.accounts),
            )
            for ev in events
        ],
        LIFECYCLE_COLUMNS,
    )
    eds = _frame(
        [
            {
                "edition_id": e.id,
                "name": e.name or f"GSM Award {e.id}",
                "start_date": e.start,
                "end_date": e.end,
                "methodology_version": e.methodology,
            }
            for e in editions.editions
        ],
        ["edition_id", "name", "start_date", "end_date", "methodology_version"],
    )
    clusters = _frame(
        [{"edition_id": e.id, "cluster": c} for e in editions.editions for c in e.clusters], ["edition_id", "cluster"]
    )
    platforms = _frame(
        [{"edition_id": e.id, "platform": p} for e in editions.editions for p in e.platforms],
        ["edition_id", "platform"],
    )
    params = _frame(
        [
            {
                "methodology_version": v,
                "settle_days": m.settle_days,
                "min_posts": m.min_posts,
                "activity_posts_weight": m.activity_weights.posts,
                "activity_consistency_weight": m.activity_weights.consistency,
                "consistency_block_days": m.consistency_block_days,
                "video_er_weight": m.video_weights.er,
                "video_reach_weight": m.video_weights.reach,
                "nominees_per_category": m.nominees_per_category,
                "best_account_weight_most_active": m.best_account_weights.most_active,
                "best_account_weight_most_engaging": m.best_account_weights.most_engaging,
                "best_account_weight_best_use_of_image": m.best_account_weights.best_use_of_image,
                "best_account_weight_best_use_of_video": m.best_account_weights.best_use_of_video,
            }
            for v, m in methodology.versions.items()
        ],
        [
            "methodology_version",
            "settle_days",
            "min_posts",
            "activity_posts_weight",
            "activity_consistency_weight",
            "consistency_block_days",
            "video_er_weight",
            "video_reach_weight",
            "nominees_per_category",
            "best_account_weight_most_active",
            "best_account_weight_most_engaging",
            "best_account_weight_best_use_of_image",
            "best_account_weight_best_use_of_video",
        ],
    )
    weights = _frame(
        [
            {"methodology_version": v, "platform": p, "weight": w}
            for v, m in methodology.versions.items()
            for p, w in sorted((m.platform_weights or {}).items())
        ],
        ["methodology_version", "platform", "weight"],
    )
    file_rows = _frame(
        [{"kind": k, "path": str(p), "sha256": file_sha256(p)} for k, p in sorted(files.items())],
        ["kind", "path", "sha256"],
    )
    tables = {
        "institutions": institutions,
        "accounts": accounts,
        "leader_accounts": leaders,
        "lifecycle_events": lifecycle,
        "editions": eds,
        "edition_clusters": clusters,
        "edition_platforms": platforms,
        "methodology": params,
        "methodology_platform_weights": weights,
        "files": file_rows,
    }
    conn.execute("CREATE SCHEMA IF NOT EXISTS registry")
    casts = {
        "start_date": "CAST(start_date AS DATE)",
        "event_date": "CAST(event_date AS DATE)",
        "end_date": "CAST(end_date AS DATE)",
        "weight": "CAST(weight AS DOUBLE)",
    }
    conn.execute("BEGIN")  # the tables are replaced together: a crash leaves the previous registry whole
    try:
        for name, frame in tables.items():
            conn.register("registry_frame", frame)
            cols = ", ".join(
                casts.get(c, f"CAST({c} AS VARCHAR)" if frame[c].dtype == object or str(frame[c].dtype) == "str" else c)
                + f" AS {c}"
                for c in frame.columns
            )
            conn.execute(f"CREATE OR REPLACE TABLE registry.{name} AS SELECT {cols} FROM registry_frame")
            conn.unregister("registry_frame")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return {name: len(frame) for name, frame in tables.items()}


# the tables of the `registry` schema, in the order they are written
REGISTRY_TABLES = (
    "institutions",
    "accounts",
    "leader_accounts",
    "lifecycle_events",
    "editions",
    "edition_clusters",
    "edition_platforms",
    "methodology",
    "methodology_platform_weights",
    "files",
)

__all__ = ["METHODOLOGY_FILE", "REGISTRY_TABLES", "write_registry_tables"]
