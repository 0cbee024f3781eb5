"""Parsing landed envelopes into the unified cleaned tables, one parser module per platform.

Everything runs in DuckDB SQL over `raw.envelopes`: each platform module gives the typed
struct of its response body (parsed once with `from_json`) and the expressions that map its
fields to the unified columns (gsm_platform/parsing/records.py applies them). What cannot be
used goes to `clean.quarantine` with a reason a person can act on, and three ledgers balance
per fetch day and platform in `clean.reconciliation`:

  envelopes      read = parsed + quarantined whole
  post records   read = clean + duplicates + quarantined   (read: the length of each page's list)
  profile records read = follower snapshots + quarantined  (read: the accounts each body lists)

The checks recount what was read from raw.envelopes and the bodies themselves
(checks/cleaned.py), so an envelope or record that reaches no table fails them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from types import ModuleType

import duckdb

from gsm_platform import faults
from gsm_platform.envelopes import REFUSED_PREFIX
from gsm_platform.parsing import facebook, guard, instagram, records, tiktok, x, youtube
from gsm_platform.parsing.sql import (ENVELOPE, POST_RECORD, PROFILE_RECORD, WIB_OFFSET_US, has_offset, one_line,
                                      wib, whole)

__all__ = ["PARSERS", "SLICE_BYTES", "clean_months", "clean_ranges", "clean_window", "fetch_days", "has_offset",
           "month_ranges", "reconciliation", "wib", "whole", "WIB_OFFSET_US", "one_line"]

PARSERS: dict[str, ModuleType] = {m.PLATFORM: m for m in (facebook, instagram, x, youtube, tiktok)}
KINDS = ("posts", "profile")
# an envelope fetched later than this after its file was landed has a fetch time that cannot be
# right (a wrong clock, a wrong year): it is quarantined, never counted as a snapshot of the future
FETCHED_AFTER_LANDING_SLACK = "INTERVAL 1 DAY"

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
    return list(zip(bounds, bounds[1:]))


def _clean_slice(conn: duckdb.DuckDBPyConnection, start: dt.date, end: dt.date, undated: bool) -> None:
    """One transaction: the slice's cleaned rows are replaced whole or not at all."""
    window = fetch_days(start, end)
    scope = f"({window} OR fetch_date IS NULL)" if undated else window
    conn.execute("BEGIN")
    try:
        for table in ("clean.post_snapshots", "clean.follower_snapshots"):
            conn.execute(f"DELETE FROM {table} WHERE {window}")
        for table in ("clean.quarantine", "clean.reconciliation", "clean.cleaned_files"):
            conn.execute(f"DELETE FROM {table} WHERE {scope}")
        # what this slice read, so that a file whose pages hold no post still counts as cleaned
        conn.execute(f"INSERT INTO clean.cleaned_files SELECT DISTINCT source_file, fetch_date FROM raw.envelopes WHERE {scope}")
        _envelope_checks(conn, scope)
        records.create_ledgers(conn)
        for platform, parser in PARSERS.items():
            records.parse_platform(conn, platform, parser)
        records.dedupe_posts(conn)
        _reconcile(conn)
        guard.check_slice(conn, window, scope, PARSERS)  # before COMMIT: a slice that lost records is not kept
        faults.point("cleaning")  # kill -9 here in the fault tests: a slice parsed, not committed
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


def _envelope_checks(conn: duckdb.DuckDBPyConnection, scope: str) -> None:
    """Envelope-level damage: not JSON, missing or unknown header fields, a fetch time after the
    landing. The header was parsed at landing (a line that is not a JSON object has no platform
    there), so the text is parsed again only for the few envelopes whose header is missing, to
    say why. An envelope without a body is found when the body is parsed."""
    names = ", ".join(PARSERS)
    platforms = ", ".join(f"'{p}'" for p in PARSERS)
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE envelope_status AS
        SELECT e.source_file, e.source_line, e.platform, e.kind, e.account_id, e.fetched_at, e.fetch_date,
          CASE
            WHEN e.platform IS NULL AND starts_with(e.text, '{REFUSED_PREFIX}')
              THEN substr(e.text, {len(REFUSED_PREFIX) + 1})
            WHEN e.platform IS NULL AND NOT json_valid(e.text) THEN 'line is not valid JSON (truncated or corrupt file)'
            WHEN e.platform IS NULL AND json_type(e.text) <> 'OBJECT' THEN 'envelope is not a JSON object'
            WHEN e.platform IS NULL THEN 'envelope has no "platform" (expected one of {names})'
            WHEN e.platform NOT IN ({platforms})
              THEN 'unknown platform "' || e.platform || '" (expected one of {names})'
            WHEN e.kind IS NULL THEN 'envelope has no "kind" (expected posts or profile)'
            WHEN e.kind NOT IN ('posts', 'profile') THEN 'unknown kind "' || e.kind || '" (expected posts or profile)'
            WHEN e.account_id IS NULL THEN 'envelope has no "account_id"'
            WHEN e.fetched_at IS NULL AND json_extract_string(e.text, '$.fetched_at') IS NULL
              THEN 'envelope has no "fetched_at"'
            WHEN e.fetched_at IS NULL THEN 'fetched_at "' || json_extract_string(e.text, '$.fetched_at')
                                           || '" is not an ISO-8601 time with an offset'
            WHEN e.fetched_at > f.landed_at + INTERVAL 7 HOURS + {FETCHED_AFTER_LANDING_SLACK}
              THEN 'fetched_at ' || strftime(e.fetched_at, '%Y-%m-%d %H:%M') || ' WIB is after the file was landed ('
                   || strftime(f.landed_at + INTERVAL 7 HOURS, '%Y-%m-%d %H:%M')
                   || ' WIB): the fetch time cannot be right'
          END AS reason
        FROM raw.envelopes e LEFT JOIN clean.landed_files f ON f.path = e.source_file
        WHERE {scope.replace("fetch_date", "e.fetch_date")}
        """
    )
    conn.execute(
        f"""
        INSERT INTO clean.quarantine (source_file, source_line, source_position, platform, kind, account_id,
                                      fetch_date, reason, raw, record_kind, post_id)
        SELECT s.source_file, s.source_line, NULL, s.platform, s.kind, s.account_id, s.fetch_date, s.reason,
               e.text, '{ENVELOPE}', NULL
        FROM envelope_status s JOIN raw.envelopes e USING (source_file, source_line)
        WHERE s.reason IS NOT NULL
        """
    )


def _reconcile(conn: duckdb.DuckDBPyConnection) -> None:
    """The three ledgers of the slice, per fetch day and platform (see the module docstring). A
    whole envelope that was quarantined counts as one record of its kind, read and quarantined."""
    in_slice = ("EXISTS (SELECT 1 FROM envelope_status s "
                "WHERE s.source_file = q.source_file AND s.source_line = q.source_line)")
    conn.execute(
        f"""
        INSERT INTO clean.reconciliation
          (fetch_date, platform, record_kind, raw_records, clean, duplicates, quarantined)
        SELECT fetch_date, platform, record_kind, sum(read), sum(clean), sum(duplicates), sum(quarantined)
        FROM (
          SELECT fetch_date, platform, record_kind, n AS read, 0 AS clean, 0 AS duplicates, 0 AS quarantined
          FROM records_read
          UNION ALL
          SELECT fetch_date, platform, 'post', 0, count(*) FILTER (WHERE copy_number = 1),
                 count(*) FILTER (WHERE copy_number > 1), 0
          FROM post_ranked GROUP BY ALL
          UNION ALL
          SELECT fetch_date, platform, 'profile', 0, count(*), 0, 0 FROM profile_outcomes WHERE reason IS NULL
          GROUP BY ALL
          UNION ALL
          SELECT fetch_date, platform, 'post', count(*) FILTER (WHERE record_kind = '{ENVELOPE}'), 0, 0, count(*)
          FROM clean.quarantine q WHERE {POST_RECORD} AND {in_slice} GROUP BY ALL
          UNION ALL
          SELECT fetch_date, platform, 'profile', count(*) FILTER (WHERE record_kind = '{ENVELOPE}'), 0, 0, count(*)
          FROM clean.quarantine q WHERE {PROFILE_RECORD} AND {in_slice} GROUP BY ALL
          UNION ALL
          SELECT fetch_date, platform, '{ENVELOPE}', count(*), 0, 0, 0 FROM envelope_status GROUP BY ALL
          UNION ALL
          SELECT fetch_date, platform, '{ENVELOPE}', 0, count(*), 0, 0 FROM envelopes_parsed GROUP BY ALL
          UNION ALL
          SELECT fetch_date, platform, '{ENVELOPE}', 0, 0, 0, count(*)
          FROM clean.quarantine q WHERE record_kind = '{ENVELOPE}' AND {in_slice} GROUP BY ALL
        )
        GROUP BY ALL
        """
    )
