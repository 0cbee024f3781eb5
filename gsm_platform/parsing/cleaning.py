"""Cleaning: the cleaned rows of the envelopes fetched in some fetch days are rebuilt, one
transaction per slice of whole fetch days (replaced whole or not at all), and the envelopes
whose fetch time cannot be read are quarantined again by every run. A slice runs, in order:
the envelope checks (envelopes.py), each platform's records (records.py), the dedupe of
identical post snapshots (posts.py), the three ledgers (ledgers.py), and the guard that the
slice kept every record (guard.py) before it commits.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable

import duckdb

from gsm_platform import faults, phases
from gsm_platform.parsing import PARSERS, details, envelopes, guard, ledgers, posts, records
from gsm_platform.warehouse.rows import one_value

# envelope text cleaned per transaction: bounds the temp tables (and what DuckDB spills of
# them) whatever the size of the window. A 10x edition cleaned in one piece needed more than
# 60 GB of spill; an award-scale edition (~1.5 GB of envelopes) is still one slice. A slice is
# a run of whole fetch days, so exact duplicates (same fetch time) always share one.
SLICE_BYTES = 1536 << 20

DayRange = tuple[dt.date, dt.date]  # half-open [start, end), WIB dates


def fetch_days(start: dt.date, end: dt.date) -> str:
    """SQL condition: fetch_date in [start, end) (WIB dates); undated rows are outside."""
    return f"(fetch_date >= DATE '{start}' AND fetch_date < DATE '{end}')"


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def month_ranges(months: Iterable[dt.date]) -> list[DayRange]:
    """Fetch months (any day of each) as the fewest half-open day ranges, in date order: a run's
    months need not be adjacent (a month landed late sits after its neighbours in Dagster)."""
    ranges: list[list[dt.date]] = []
    for month in sorted({m.replace(day=1) for m in months}):
        if ranges and ranges[-1][1] == month:
            ranges[-1][1] = next_month(month)
        else:
            ranges.append([month, next_month(month)])
    return [(a, b) for a, b in ranges]


def ranges_condition(ranges: Iterable[DayRange], column: str = "fetch_date") -> str:
    """SQL: the column's date is in one of the ranges (false for none)."""
    parts = [f"({column} >= DATE '{a}' AND {column} < DATE '{b}')" for a, b in ranges]
    return "(" + (" OR ".join(parts) or "false") + ")"


def clean_months(conn: duckdb.DuckDBPyConnection, months: Iterable[dt.date]) -> dict[str, dict[str, int]]:
    """(Re)build the cleaned rows of envelopes fetched in these fetch months (first days), plus
    the undated ones. Returns the post-record reconciliation per platform."""
    return clean_ranges(conn, month_ranges(months))


def clean_window(conn: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> dict[str, dict[str, int]]:
    """(Re)build the cleaned rows of envelopes fetched in [start, end) (WIB dates), plus the undated."""
    return clean_ranges(conn, [(start, end)])


def clean_ranges(conn: duckdb.DuckDBPyConnection, ranges: Iterable[DayRange]) -> dict[str, dict[str, int]]:
    """(Re)build the cleaned rows of envelopes fetched in the day ranges, plus the envelopes whose
    fetch time cannot be read (they belong to no day, so every run re-quarantines them), in
    slices of whole fetch days of about SLICE_BYTES of envelopes. Returns the post-record
    reconciliation per platform of what it cleaned."""
    ranges = list(ranges)
    slices = [s for a, b in ranges for s in _slices(conn, a, b)] or [(dt.date.min, dt.date.min)]
    for i, (lo, hi) in enumerate(slices):
        _clean_slice(conn, lo, hi, undated=i == 0)
    return reconciliation(conn, f"({ranges_condition(ranges)} OR fetch_date IS NULL)")


def _slices(conn: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date) -> list[DayRange]:
    days = conn.execute(
        f"SELECT fetch_date, sum(strlen(text)) FROM raw.envelopes WHERE {fetch_days(start, end)} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    bounds, size = [start], 0
    for day, day_bytes in days:
        if size and size + day_bytes > SLICE_BYTES:
            bounds.append(day)
            size = 0
        size += day_bytes
    bounds.append(end)
    return list(itertools.pairwise(bounds))


def _clean_slice(conn: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, undated: bool) -> None:
    """One transaction: the slice's cleaned rows are replaced whole or not at all."""
    window = fetch_days(start, end)
    scope = f"({window} OR fetch_date IS NULL)" if undated else window
    phase = phases.phase
    conn.execute("BEGIN")
    try:
        with phase("clean/replace_old_rows"):
            for table in ("clean.post_snapshots", "clean.follower_snapshots", "clean.post_details"):
                conn.execute(f"DELETE FROM {table} WHERE {window}")
            for table in ("clean.quarantine", "clean.reconciliation", "clean.cleaned_files"):
                conn.execute(f"DELETE FROM {table} WHERE {scope}")
            # what this slice read, so that a file whose pages hold no post still counts as cleaned
            conn.execute(
                "INSERT INTO clean.cleaned_files SELECT DISTINCT source_file, fetch_date "
                f"FROM raw.envelopes WHERE {scope}"
            )
        with phase("clean/envelope_checks"):
            envelopes.envelope_checks(conn, scope)
        ledgers.create_ledgers(conn)
        details.create_details(conn)
        for platform, parser in PARSERS.items():
            with phase(f"clean/parse/{platform}"):
                records.parse_platform(conn, platform, parser)
        with phase("clean/dedupe"):
            posts.dedupe_posts(conn)
        with phase("clean/details"):
            details.keep_details(conn)
        with phase("clean/reconcile"):
            ledgers.reconcile(conn)
        with phase("clean/guard"):
            guard.check_slice(conn, window, scope, PARSERS)  # before COMMIT: a slice that lost records is not kept
        faults.point("cleaning")  # kill -9 here in the fault tests: a slice parsed, not committed
        with phase("clean/commit"):
            conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


def reconciliation(conn: duckdb.DuckDBPyConnection, where: str = "true") -> dict[str, dict[str, int]]:
    """Post records per platform: read, clean, duplicates, quarantined."""
    rows = conn.execute(
        f"""SELECT coalesce(platform, '(unreadable)'), sum(raw_records), sum(clean), sum(duplicates), sum(quarantined)
            FROM clean.reconciliation WHERE record_kind = 'post' AND ({where}) GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    return {
        r[0]: {"raw_records": int(r[1]), "clean": int(r[2]), "duplicates": int(r[3]), "quarantined": int(r[4])}
        for r in rows
    }


def uncleaned_months(conn: duckdb.DuckDBPyConnection, after: dt.date | None = None) -> list[dt.date]:
    """First days of the fetch months of indexed envelopes that no cleaning has read yet (fetched
    after `after`, when given): no clean.cleaned_files row for their file and day, and (for a
    warehouse cleaned before that table existed) no post snapshot, follower snapshot or
    quarantine row from their file. Envelopes without a readable fetch time belong to no month;
    when only such envelopes are new, the latest landed month is returned, since every cleaning
    run re-quarantines the undated ones."""
    later = f"AND (e.fetch_date > DATE '{after}' OR e.fetch_date IS NULL)" if after else ""
    rows = conn.execute(
        f"""WITH used AS (SELECT source_file FROM clean.post_snapshots
                         UNION SELECT source_file FROM clean.follower_snapshots
                         UNION SELECT source_file FROM clean.quarantine)
            SELECT DISTINCT CAST(date_trunc('month', e.fetch_date) AS DATE) FROM raw.envelopes e
            WHERE e.source_file NOT IN (SELECT source_file FROM used) {later}
              AND NOT EXISTS (SELECT 1 FROM clean.cleaned_files c
                              WHERE c.source_file = e.source_file
                                AND c.fetch_date IS NOT DISTINCT FROM e.fetch_date)"""
    ).fetchall()
    months = {m for (m,) in rows if m is not None}
    if not months and any(m is None for (m,) in rows):
        latest = one_value(conn, "SELECT max(fetch_date) FROM raw.envelopes", what="the last fetch day")
        months = {latest.replace(day=1)} if latest else set()
    return sorted(months)
