"""Checks on the raw layer: the landed files and the envelope index (raw.envelopes)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from checks.outcome import CheckOutcome, FetchDays, fetch_day_filter, records, resolve_fetch_days, warehouse_home
from gsm_platform.warehouse.rows import one_row, one_value


def landed_files_intact(
    conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, home: Path | None = None
) -> CheckOutcome:
    """Every landed file is still under GSM_HOME/landing with the size it was landed with.
    Landed files are the audit trail (every score traces back to a file and its sha256): a
    file that disappeared or changed breaks it. Size, not a full re-hash, so the check stays
    cheap at award scale (gigabytes); a landed file is read-only, so a same-size edit means
    someone forced it."""
    home = home or warehouse_home(conn)
    files = conn.execute("SELECT path, bytes, sha256 FROM clean.landed_files ORDER BY path").fetchall()
    problems = []
    for path, size, _sha256 in files:
        p = home / path
        if not p.is_file():
            problems.append({"path": path, "problem": "missing", "landed_bytes": size, "bytes_now": None})
        elif p.stat().st_size != size:
            problems.append(
                {"path": path, "problem": "size changed", "landed_bytes": size, "bytes_now": p.stat().st_size}
            )
    unreadable = one_value(
        conn, "SELECT count(*) FROM raw.envelopes WHERE platform IS NULL", what="the unreadable envelopes"
    )
    meta = {"landed_files": len(files), "envelopes_without_readable_header": unreadable, "home": str(home)}
    if problems:
        return CheckOutcome(
            False,
            f"{len(problems)} of {len(files)} landed file(s) missing or changed under {home} "
            f"(first: {problems[0]['path']}, {problems[0]['problem']}); "
            "restore them from the source, never edit landing",
            {**meta, "problems": problems},
        )
    return CheckOutcome(True, f"all {len(files)} landed file(s) present with their landed size", meta)


def landed_files_indexed(
    conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, home: Path | None = None
) -> CheckOutcome:
    """No landed file without its envelopes: each landed file has as many raw.envelopes rows
    as envelopes were read from it at landing (clean.landed_files.envelopes, counted from the
    file as it was read, not from the table). A file landed before that count was recorded is
    counted again from its landed copy. A file recorded as landed but never indexed would be
    skipped by hash on every later run: its posts silently missing from every score."""
    from gsm_platform.envelopes import read_envelopes

    home = home or warehouse_home(conn)
    rows = conn.execute(
        """SELECT f.path, f.envelopes, count(e.source_line) FROM clean.landed_files f
           LEFT JOIN raw.envelopes e ON e.source_file = f.path GROUP BY ALL ORDER BY 1"""
    ).fetchall()
    problems = []
    for path, recorded, indexed in rows:
        expected = recorded
        if expected is None and (home / path).is_file():
            expected = sum(1 for _ in read_envelopes(home / path))
        if expected is not None and expected != indexed:
            problems.append({"path": path, "envelopes_landed": expected, "rows_indexed": indexed})
    meta = {"landed_files": len(rows), "envelopes_indexed": sum(r[2] for r in rows)}
    if problems:
        first = problems[0]
        return CheckOutcome(
            False,
            f"{len(problems)} landed file(s) whose envelopes are not all indexed (first: {first['path']}, "
            f"{first['envelopes_landed']} envelopes landed, {first['rows_indexed']} indexed): the next landing "
            "indexes them again (gsm materialize or gsm update)",
            {**meta, "problems": problems[:50]},
        )
    return CheckOutcome(True, f"all {len(rows)} landed file(s) have all their envelopes indexed", meta)


def envelopes_indexed_once(
    conn: duckdb.DuckDBPyConnection, edition: str | None = None, *, platform: str, fetch_days: FetchDays = None
) -> CheckOutcome:
    """Each line of a landed file is indexed once, and only lines of landed files are indexed:
    a line indexed twice would be read (and counted in reconciliation) twice."""
    scope = fetch_day_filter(resolve_fetch_days(conn, edition, fetch_days))
    twice = records(
        conn.execute(
            f"""SELECT source_file, source_line, count(*) AS copies FROM raw.envelopes
            WHERE platform = ? AND {scope} GROUP BY ALL HAVING count(*) > 1 ORDER BY 1, 2""",
            [platform],
        )
    )
    n_twice = one_value(
        conn,
        f"""SELECT count(*) FROM (SELECT 1 FROM raw.envelopes WHERE platform = ? AND {scope}
            GROUP BY source_file, source_line HAVING count(*) > 1)""",
        [platform],
        what=f"the {platform} envelopes indexed twice",
    )
    orphans = one_row(
        conn,
        f"""SELECT count(*), min(source_file) FROM raw.envelopes e
            WHERE platform = ? AND {scope}
              AND NOT EXISTS (SELECT 1 FROM clean.landed_files f WHERE f.path = e.source_file)""",
        [platform],
        what=f"the {platform} envelopes of no landed file",
    )
    total = one_value(
        conn,
        f"SELECT count(*) FROM raw.envelopes WHERE platform = ? AND {scope}",
        [platform],
        what=f"the {platform} envelopes",
    )
    meta = {"envelopes": total, "indexed_twice": n_twice, "not_from_a_landed_file": orphans[0]}
    if n_twice or orphans[0]:
        parts = []
        if n_twice:
            parts.append(
                f"{n_twice} {platform} envelope line(s) indexed more than once "
                f"(first: {twice[0]['source_file']} line {twice[0]['source_line']})"
            )
        if orphans[0]:
            parts.append(
                f"{orphans[0]} {platform} envelope(s) from a file not in clean.landed_files (first: {orphans[1]})"
            )
        return CheckOutcome(
            False,
            "; ".join(parts) + ": rebuild raw.envelopes from the landed files",
            {**meta, "indexed_twice_examples": twice},
        )
    return CheckOutcome(True, f"{total} {platform} envelope(s), each indexed once from a landed file", meta)
