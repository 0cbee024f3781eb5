"""The counts of what was landed, cleaned and quarantined, and the scope they are counted over.

Every surface (the `gsm materialize` summary, `gsm quality`, the cleaned asset's metadata and
checks in the UI, the HTML report) shows these, computed here and nowhere else, each with its
scope in words, so that two surfaces never show two numbers under one name:

- three ledgers: envelopes (indexed = parsed + quarantined whole), post records (read = clean +
  duplicates + quarantined) and profile records, i.e. follower counts (read = snapshots +
  quarantined). A whole envelope that was quarantined is also one record of its kind.
- a scope: the whole landing, an edition's fetch days, or the fetch months of a run; the
  envelopes whose fetch time is unreadable belong to no day and are inside every scope (every
  cleaning run re-quarantines them).

Envelopes indexed are counted from raw.envelopes (the landing's index), not from what the
cleaning wrote: an envelope the cleaning never reached shows as indexed and neither parsed nor
quarantined.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import duckdb

from gsm_platform.warehouse.rows import one_row, one_value

DayRange = tuple[dt.date, dt.date]  # half-open [start, end), WIB dates


@dataclass(frozen=True)
class Scope:
    """Which fetch days a count covers: `ranges` (None: all of them), always with the undated."""

    label: str
    ranges: tuple[DayRange, ...] | None = None

    def where(self, column: str = "fetch_date") -> str:
        """SQL: the rows of the scope's fetch days, plus the undated rows."""
        if self.ranges is None:
            return "true"
        days = " OR ".join(f"({column} >= DATE '{a}' AND {column} < DATE '{b}')" for a, b in self.ranges)
        return f"({column} IS NULL" + (f" OR {days}" if days else "") + ")"


WHOLE_LANDING = Scope("the whole landing (every fetch day, and envelopes without a readable fetch time)")


def day_ranges(fetch_days: DayRange | Sequence[DayRange] | None) -> tuple[DayRange, ...] | None:
    """A (start, end) pair or a sequence of them, as a tuple of pairs (None stays None)."""
    if fetch_days is None:
        return None
    if fetch_days and isinstance(fetch_days[0], dt.date):  # one (start, end) pair
        start, end = cast(DayRange, fetch_days)
        return ((start, end),)
    return tuple((start, end) for start, end in cast(Sequence[DayRange], fetch_days))


def _is_months(ranges: Sequence[DayRange]) -> bool:
    return all(a.day == 1 and b.day == 1 for a, b in ranges)


def _month_words(ranges: Sequence[DayRange]) -> str:
    parts = []
    for a, b in ranges:
        last = (b - dt.timedelta(days=1)).replace(day=1)
        parts.append(f"{a:%Y-%m}" if last == a else f"{a:%Y-%m} .. {last:%Y-%m}")
    return ", ".join(parts)


def scope_of_days(fetch_days: DayRange | Sequence[DayRange] | None, what: str = "") -> Scope:
    """The scope of these fetch days (a run's months, or any ranges), in words."""
    ranges = day_ranges(fetch_days)
    if ranges is None:
        return WHOLE_LANDING
    if not ranges:
        return Scope("no fetch day (only envelopes without a readable fetch time)", ())
    if _is_months(ranges):
        words = f"fetch months {_month_words(ranges)}"
    else:
        words = "fetch days " + ", ".join(f"{a} .. {b - dt.timedelta(days=1)}" for a, b in ranges)
    return Scope(f"{what}{words} (and envelopes without a readable fetch time)", ranges)


def scope_of_months(months: Iterable[dt.date]) -> Scope:
    from gsm_platform.parsing.cleaning import month_ranges

    return scope_of_days(month_ranges(months))


def edition_fetch_days(conn: duckdb.DuckDBPyConnection, edition: str) -> DayRange:
    """The fetch days an edition reads, as a half-open date range: from its start through the
    snapshot cutoff day (end + settle_days, METHODOLOGY 'settle'). A snapshot fetched before the
    start cannot hold a post of the edition; one fetched after the cutoff is only a fallback."""
    row = conn.execute(
        """SELECT e.start_date, e.end_date + CAST(m.settle_days AS INTEGER) + 1
           FROM registry.editions e LEFT JOIN registry.methodology m USING (methodology_version)
           WHERE e.edition_id = ?""",
        [edition],
    ).fetchone()
    if row is None:
        raise KeyError(f"edition {edition!r} is not in registry.editions")
    start, end = row
    if end is None:  # methodology version missing: the registry asset refuses that, be lenient here
        end = one_value(
            conn, "SELECT end_date FROM registry.editions WHERE edition_id = ?", [edition], what=f"edition {edition}"
        )
    return start, end


def edition_scope(conn: duckdb.DuckDBPyConnection, edition: str) -> Scope:
    return scope_of_days(edition_fetch_days(conn, edition), f"edition {edition}'s ")


@dataclass(frozen=True)
class Ledger:
    """read = kept + duplicates + quarantined. `kept`: clean posts, follower snapshots, parsed
    envelopes; `read` of envelopes is what the landing indexed."""

    read: int
    kept: int
    duplicates: int
    quarantined: int

    @property
    def balanced(self) -> bool:
        return self.read == self.kept + self.duplicates + self.quarantined


@dataclass(frozen=True)
class Counts:
    scope: Scope
    envelopes: Ledger
    posts: Ledger
    profiles: Ledger

    def lines(self) -> list[str]:
        """The counts for a person, each ledger on a line, with the scope."""

        def state(ledger: Ledger) -> str:
            return "balanced" if ledger.balanced else "NOT BALANCED"

        e, p, f = self.envelopes, self.posts, self.profiles
        return [
            f"scope: {self.scope.label}",
            f"envelopes: {e.read:,} indexed = {e.kept:,} parsed + {e.quarantined:,} quarantined whole ({state(e)})",
            f"post records: {p.read:,} read = {p.kept:,} clean + {p.duplicates:,} duplicates + "
            f"{p.quarantined:,} quarantined ({state(p)})",
            f"profile records (follower counts): {f.read:,} read = {f.kept:,} snapshots + {f.quarantined:,} "
            f"quarantined ({state(f)})",
        ]

    def as_dict(self) -> dict:
        """JSON-friendly: {"scope", "envelopes": {indexed, parsed, quarantined, balanced},
        "post_records": {read, clean, duplicates, quarantined, balanced}, "profile_records":
        {read, snapshots, quarantined, balanced}}."""
        e, p, f = self.envelopes, self.posts, self.profiles
        return {
            "scope": self.scope.label,
            "envelopes": {"indexed": e.read, "parsed": e.kept, "quarantined": e.quarantined, "balanced": e.balanced},
            "post_records": {
                "read": p.read,
                "clean": p.kept,
                "duplicates": p.duplicates,
                "quarantined": p.quarantined,
                "balanced": p.balanced,
            },
            "profile_records": {
                "read": f.read,
                "snapshots": f.kept,
                "quarantined": f.quarantined,
                "balanced": f.balanced,
            },
        }

    @property
    def quarantine_rows(self) -> int:
        """Rows of clean.quarantine: every one is a post or a profile record (whole envelopes too)."""
        return self.posts.quarantined + self.profiles.quarantined


def counts(conn: duckdb.DuckDBPyConnection, scope: Scope = WHOLE_LANDING) -> Counts:
    """The three ledgers over the scope: records read, kept and duplicated as the cleaning
    accounted for them (clean.reconciliation), quarantined as clean.quarantine holds them, and
    envelopes indexed as raw.envelopes holds them."""
    from gsm_platform.parsing.sql import POST_RECORD, PROFILE_RECORD

    where = scope.where()
    recon = {
        k: (int(a), int(b), int(c))
        for k, a, b, c in conn.execute(
            f"""SELECT record_kind, coalesce(sum(raw_records), 0), coalesce(sum(clean), 0), coalesce(sum(duplicates), 0)
            FROM clean.reconciliation WHERE {where} GROUP BY 1"""
        ).fetchall()
    }
    q_posts, q_profiles, q_whole = (
        int(v or 0)
        for v in one_row(
            conn,
            f"""SELECT count(*) FILTER (WHERE {POST_RECORD}), count(*) FILTER (WHERE {PROFILE_RECORD}),
                   count(*) FILTER (WHERE record_kind = 'envelope')
            FROM clean.quarantine WHERE {where}""",
            what=f"the quarantine counts of {scope.label}",
        )
    )
    indexed = int(one_value(conn, f"SELECT count(*) FROM raw.envelopes WHERE {where}", what="the envelopes indexed"))
    posts, profiles, envelopes = (recon.get(k, (0, 0, 0)) for k in ("post", "profile", "envelope"))
    return Counts(
        scope, Ledger(indexed, envelopes[1], 0, q_whole), Ledger(*posts, q_posts), Ledger(*profiles, q_profiles)
    )
