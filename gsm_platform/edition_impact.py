"""Can re-cleaned fetch months change an edition that is already built?

METHODOLOGY.md: "Later snapshots never change a closed edition". A post uses its latest
snapshot fetched at or before the cutoff (end + settle_days); only a post with no such
snapshot uses its earliest later one (late_snapshot). A post's audience uses the account's
latest follower snapshot at or before publication, else its earliest later one. So fetch
months that begin after the cutoff can change a built edition in four ways only, each counted
here against the edition's own built tables (int_post_snapshots_selected, int_posts_scored):

  late_posts          a post touching the window with no snapshot at or before the cutoff has a
                      snapshot in the months no later than the one it uses (or it uses none:
                      a post first seen in these months)
  follower_accounts   an account with posts whose audience comes from a later follower
                      snapshot (or from none) has a follower snapshot in the months no later
                      than the one used
  selected_in_months  a selected late snapshot was fetched in the months (re-cleaning them may
                      have replaced it)
  audience_in_months  an audience's later follower snapshot was fetched in the months

All four zero: the edition's selected snapshots and audiences are those a rebuild would choose,
so its metrics and rankings stand. A month reaching the cutoff is always a change (every
snapshot in it can be selected). The test builds both answers and compares them with a real
rebuild (tests/test_edition_impact.py). Deciding which months to ask about (those cleaned since
the edition's last build) is the Dagster side's job: assets/edition_impact.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from gsm_platform.warehouse.rows import one_row


def _in_months(day: str) -> str:
    """SQL: the month of the date `day` is one of $months (first days)."""
    return f"list_contains($months, CAST(date_trunc('month', {day}) AS DATE))"


def _near_months(at: str) -> str:
    """SQL: the timestamp `at` is in one of $months, with one day of slack either side, so that a
    time near a month boundary counts for both months (conservative)."""
    return f"({_in_months(f'{at} - INTERVAL 1 DAY')} OR {_in_months(f'{at} + INTERVAL 1 DAY')})"


_IMPACT_SQL = f"""
WITH
params AS (SELECT * FROM main.int_edition_params WHERE edition_id = $edition),
accounts AS (SELECT DISTINCT platform, account_id FROM main.int_edition_accounts WHERE edition_id = $edition),
post_rows_in_months AS (
    SELECT s.platform, s.account_id, s.post_id, min(s.fetched_at) AS first_in_months
    FROM clean.post_snapshots s
    SEMI JOIN accounts a ON a.platform = s.platform AND a.account_id = s.account_id
    WHERE s.fetch_date >= $first AND s.fetch_date < $next AND {_in_months("s.fetch_date")}
    GROUP BY ALL
),
late_posts AS (
    SELECT s.platform, s.account_id, s.post_id,
           any_value(p.first_in_months) AS first_in_months,
           min(s.fetched_at) FILTER (WHERE NOT {_in_months("s.fetch_date")}) AS first_elsewhere
    FROM clean.post_snapshots s
    JOIN post_rows_in_months p USING (platform, account_id, post_id)
    CROSS JOIN params
    GROUP BY s.platform, s.account_id, s.post_id,
             params.snapshot_cutoff_at, params.window_start_at, params.window_end_at
    HAVING count(*) FILTER (WHERE s.fetched_at <= params.snapshot_cutoff_at) = 0
       AND count(*) FILTER (WHERE s.published_at >= params.window_start_at
                                AND s.published_at < params.window_end_at) > 0
),
late_changed AS (
    SELECT l.*
    FROM late_posts l
    LEFT JOIN main.int_post_snapshots_selected sel
        ON sel.edition_id = $edition AND sel.platform = l.platform
        AND sel.account_id = l.account_id AND sel.post_id = l.post_id
    WHERE l.first_in_months <= coalesce(sel.fetched_at, l.first_elsewhere, l.first_in_months)
),
followers_in_months AS (
    SELECT f.platform, f.account_id, min(f.fetched_at) AS first_in_months
    FROM clean.follower_snapshots f
    SEMI JOIN accounts a ON a.platform = f.platform AND a.account_id = f.account_id
    WHERE f.fetch_date >= $first AND f.fetch_date < $next AND {_in_months("f.fetch_date")}
    GROUP BY ALL
),
followers_changed AS (
    SELECT DISTINCT f.platform, f.account_id
    FROM followers_in_months f
    JOIN main.int_posts_scored p
        ON p.edition_id = $edition AND p.platform = f.platform AND p.account_id = f.account_id
    WHERE p.audience_fetched_at IS NULL
       OR (p.audience_fetched_at > p.published_at AND p.audience_fetched_at >= f.first_in_months)
)
SELECT
    (SELECT count(*) FROM late_changed),
    (SELECT count(*) FROM followers_changed),
    (SELECT count(*) FROM main.int_post_snapshots_selected
        WHERE edition_id = $edition AND late_snapshot AND {_near_months("fetched_at")}),
    (SELECT count(*) FROM main.int_posts_scored
        WHERE edition_id = $edition AND audience_fetched_at > published_at AND {_near_months("audience_fetched_at")})
"""

COUNTS = ("late_posts", "follower_accounts", "selected_in_months", "audience_in_months")


@dataclass(frozen=True)
class EditionImpact:
    edition_id: str
    months: tuple[dt.date, ...]  # first days of the fetch months asked about
    changed: bool
    reason: str
    counts: dict[str, int] = field(default_factory=dict)

    def metadata(self) -> dict:
        return {
            "edition": self.edition_id,
            "fetch_months": ", ".join(f"{m:%Y-%m}" for m in self.months),
            "changed": self.changed,
            "reason": self.reason,
            **self.counts,
        }


def _cutoff(conn: duckdb.DuckDBPyConnection, edition_id: str) -> dt.datetime | None:
    try:
        row = conn.execute(
            "SELECT snapshot_cutoff_at FROM main.int_edition_params WHERE edition_id = ?", [edition_id]
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def impact_of_months(conn: duckdb.DuckDBPyConnection, edition_id: str, months: list[dt.date]) -> EditionImpact:
    """Whether the cleaned rows of these fetch months (first days) can change the built
    `edition_id`, and why (see the module docstring)."""
    asked = tuple(sorted({m.replace(day=1) for m in months}))
    if not asked:
        return EditionImpact(edition_id, asked, False, "no fetch month was cleaned since the edition's build")
    cutoff = _cutoff(conn, edition_id)
    if cutoff is None:
        return EditionImpact(edition_id, asked, True, "the edition has no build in this warehouse")
    reaching = [m for m in asked if m <= cutoff.date() + dt.timedelta(days=1)]
    if reaching:
        return EditionImpact(
            edition_id,
            asked,
            True,
            f"fetch month {reaching[0]:%Y-%m} reaches the snapshot cutoff {cutoff:%Y-%m-%d %H:%M}",
        )
    params = {
        "edition": edition_id,
        "months": list(asked),
        "first": asked[0],
        "next": (asked[-1] + dt.timedelta(days=32)).replace(day=1),
    }
    row = one_row(conn, _IMPACT_SQL, params, what=f"the impact counts of edition {edition_id}")
    counts = dict(zip(COUNTS, (int(v) for v in row), strict=True))
    if any(counts.values()):
        said = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items() if v)
        return EditionImpact(
            edition_id, asked, True, f"snapshots after the cutoff that the edition can use: {said}", counts
        )
    return EditionImpact(
        edition_id,
        asked,
        False,
        f"every fetch month begins after the snapshot cutoff {cutoff:%Y-%m-%d %H:%M} and holds no "
        "snapshot the edition can use",
        counts,
    )
