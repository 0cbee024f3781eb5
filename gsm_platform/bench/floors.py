"""The floors end to end is compared with, both measured in the same bench run over the same
landed files:

- the bare pass (the headline): one DuckDB pass that reads every line that is JSON of every
  landed file (`read_ndjson_objects` over .jsonl/.jsonl.gz, `read_json_objects` over .json)
  and counts each posts page's list (`json_array_length` at the platform's posts path). No
  typing, no table written: what reading the data costs at least.
- the typed pass (second figure): `read_ndjson` with each platform's typed response struct
  (the parsers' RESPONSE_TYPE), summing the lengths of the posts lists.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from gsm_platform.parsing import PARSERS
from gsm_platform.warehouse import one_value

MAX_OBJECT = 134217728


def landed_files(root: Path, suffixes: tuple[str, ...]) -> list[str]:
    return [str(p) for p in sorted(root.rglob("*")) if p.is_file() and p.name.endswith(suffixes)]


def _paths() -> list[str]:
    """Every platform's posts paths, in one list (json_array_length parses each line once for all)."""
    return sorted({path for parser in PARSERS.values() for path in parser.POSTS_PATHS})


def bare_pass(conn: duckdb.DuckDBPyConnection, landing_root: Path) -> dict[str, dict[str, int]]:
    """{platform: {envelopes, post_records}} of every JSON line of every landed file."""
    paths = _paths()
    posts = " ".join(
        f"WHEN '{name}' THEN coalesce({', '.join(f'n[{paths.index(p) + 1}]' for p in parser.POSTS_PATHS)})"
        for name, parser in PARSERS.items()
    )
    lines = landed_files(landing_root, (".jsonl", ".jsonl.gz"))
    whole = landed_files(landing_root, (".json",))
    reads = []
    if lines:
        reads.append(
            f"SELECT json FROM read_ndjson_objects($lines, ignore_errors = true, maximum_object_size = {MAX_OBJECT})"
        )
    if whole:
        reads.append(
            f"SELECT json FROM read_json_objects($whole, ignore_errors = true, maximum_object_size = {MAX_OBJECT})"
        )
    if not reads:
        return {}
    rows = conn.execute(
        f"""SELECT h[1] AS platform, count(*) AS envelopes,
                   coalesce(sum(CASE WHEN h[2] = 'posts' THEN CASE h[1] {posts} END END), 0) AS post_records
            FROM (SELECT json_extract_string(json, ['$.platform', '$.kind']) AS h,
                         json_array_length(json, {paths!r}) AS n
                  FROM ({" UNION ALL ".join(reads)}))
            GROUP BY ALL ORDER BY ALL""",
        {k: v for k, v in (("lines", lines), ("whole", whole)) if v},
    ).fetchall()
    return {platform or "(none)": {"envelopes": int(e), "post_records": int(n)} for platform, e, n in rows}


def typed_pass(conn: duckdb.DuckDBPyConnection, landing_root: Path) -> dict[str, int]:
    """Post records per platform, read with each platform's typed response struct (the landed
    files of a platform are those under a folder named after it, at any depth: landing/<source>/
    <platform>/...)."""
    by_platform: dict[str, list[str]] = {}
    for path in landed_files(landing_root, (".jsonl", ".jsonl.gz")):
        parts = Path(path).relative_to(landing_root).parts[:-1]
        platform = next((part for part in parts if part in PARSERS), None)
        if platform:
            by_platform.setdefault(platform, []).append(path)
    counts: dict[str, int] = {}
    for platform, parser in PARSERS.items():
        files = by_platform.get(platform)
        if not files:
            continue
        columns = {
            "platform": "VARCHAR",
            "kind": "VARCHAR",
            "account_id": "VARCHAR",
            "fetched_at": "VARCHAR",
            "response": " ".join(parser.RESPONSE_TYPE.split()),
        }
        struct = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
        n = one_value(
            conn,
            f"""SELECT coalesce(sum(len({parser.POSTS_LIST})), 0)
                FROM (SELECT kind, response AS r FROM read_ndjson(?, columns = {struct},
                      ignore_errors = true, maximum_object_size = {MAX_OBJECT}))
                WHERE kind = 'posts'""",
            [files],
            what=f"the {platform} post records of the typed pass",
        )
        counts[platform] = int(n)
    return counts
