"""Checks on the final `rankings` asset: the nominees the jury receives and their export."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from checks.marts import RANKINGS_MART, _mart
from checks.outcome import CheckOutcome, edition_exists, records, warehouse_home
from gsm_platform.paths import under_home
from gsm_platform.rankings import ranking_rows
from gsm_platform.warehouse.rows import one_row


def _editions(conn: duckdb.DuckDBPyConnection, edition: str | None, rel: str, edition_col: str) -> list[str]:
    if edition is not None:
        return [edition]
    return [r[0] for r in conn.execute(f"SELECT DISTINCT {edition_col} FROM {rel} ORDER BY 1").fetchall()]


def nominees_consistent(conn: duckdb.DuckDBPyConnection, edition: str | None = None) -> CheckOutcome:
    """nominee = rank <= nominees_per_category and score > 0 (METHODOLOGY), with the
    methodology version the edition names. A wrong flag hands the jury the wrong shortlist."""
    rel, cols, edition_col = _mart(conn, RANKINGS_MART)
    needed = {"rank", "score", "nominee", "methodology_version"}
    if edition_col is None or not needed <= set(cols):
        return CheckOutcome(
            False,
            f"{rel} lacks {sorted(needed - set(cols)) or [edition_col]}: nominees cannot be checked",
            {"columns": ", ".join(cols)},
        )
    if edition is not None and not edition_exists(conn, edition):
        return CheckOutcome(False, f"edition {edition} is not in registry.editions")
    editions = _editions(conn, edition, rel, edition_col)
    cur = conn.execute(
        f"""SELECT r.{edition_col} AS edition_id, r.category, r.cluster, r.rank, r.institution_id, r.score, r.nominee,
                   r.methodology_version, e.methodology_version AS edition_methodology, m.nominees_per_category,
                   CASE WHEN e.edition_id IS NULL THEN 'edition not in registry.editions'
                        WHEN r.methodology_version IS DISTINCT FROM e.methodology_version
                          THEN 'methodology version differs from the edition''s'
                        WHEN m.nominees_per_category IS NULL THEN 'methodology version not in registry.methodology'
                        WHEN r.nominee THEN 'nominee but rank > ' || m.nominees_per_category || ' or score = 0'
                        ELSE 'not a nominee but rank <= ' || m.nominees_per_category || ' and score > 0' END AS problem
            FROM {rel} r
            LEFT JOIN registry.editions e ON e.edition_id = r.{edition_col}
            LEFT JOIN registry.methodology m ON m.methodology_version = e.methodology_version
            WHERE list_contains(?::VARCHAR[], r.{edition_col})
              AND (e.edition_id IS NULL OR m.nominees_per_category IS NULL
                   OR r.methodology_version IS DISTINCT FROM e.methodology_version
                   OR r.nominee IS DISTINCT FROM (r.rank <= m.nominees_per_category AND r.score > 0))
            ORDER BY 1, 2, 3, 4""",
        [editions],
    )
    bad = records(cur, limit=None)
    nominees = one_row(
        conn,
        f"SELECT count(*) FILTER (WHERE nominee), count(*) FROM {rel} WHERE list_contains(?::VARCHAR[], {edition_col})",
        [editions],
        what=f"the nominees of {rel}",
    )
    meta = {"editions": ", ".join(editions), "nominees": nominees[0], "rows": nominees[1]}
    if bad:
        first = bad[0]
        return CheckOutcome(
            False,
            f"{len(bad)} ranking row(s) with a wrong nominee flag or methodology version; first: {first['edition_id']} "
            f"{first['category']} {first['cluster']} rank {first['rank']} {first['institution_id']}: "
            f"{first['problem']}",
            {**meta, "examples": bad[:50]},
        )
    if nominees[1] == 0:
        return CheckOutcome(False, f"no ranking rows for edition(s) {', '.join(editions) or '-'}", meta)
    return CheckOutcome(
        True, f"{nominees[0]} nominee(s) in {nominees[1]} ranking row(s), each flag as the methodology says", meta
    )


def export_matches_warehouse(
    conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, home: Path | None = None
) -> CheckOutcome:
    """GSM_HOME/exports/EDITION/rankings.json holds exactly the warehouse's rankings rows: what
    the jury is sent is what was computed and checked."""
    rel, _, edition_col = _mart(conn, RANKINGS_MART)
    home = home or warehouse_home(conn)
    editions = _editions(conn, edition, rel, edition_col or "edition_id")
    problems = []
    for ed in editions:
        path = under_home("exports", ed, "rankings.json", home=home)
        expected = ranking_rows(conn, ed)
        if not path.is_file():
            problems.append({"edition": ed, "export": str(path), "problem": "export missing"})
            continue
        try:
            exported = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            problems.append({"edition": ed, "export": str(path), "problem": f"not valid JSON: {exc}"})
            continue
        if exported != expected:
            differing = sum(1 for a, b in zip(exported, expected, strict=False) if a != b)
            differing += abs(len(exported) - len(expected))
            problems.append(
                {
                    "edition": ed,
                    "export": str(path),
                    "problem": f"{differing} row(s) differ "
                    f"({len(exported)} exported, {len(expected)} in the warehouse)",
                }
            )
    if problems:
        first = problems[0]
        return CheckOutcome(
            False,
            f"{len(problems)} export(s) differ from the warehouse; first {first['edition']}: "
            f"{first['problem']} ({first['export']}). Re-materialize `rankings`",
            {"problems": problems},
        )
    return CheckOutcome(
        True,
        f"the exports of edition(s) {', '.join(editions) or '-'} match the warehouse rankings",
        {"editions": ", ".join(editions)},
    )
