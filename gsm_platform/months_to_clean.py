"""Which fetch months a command cleans: `gsm materialize` every month the landing registered
(the whole landing), `gsm update` the months of envelopes no cleaning has read yet, the api
source today's month (the pull) besides. Fetch months are the `fetch_month` dynamic
partitions (assets/partitions.py); their keys are "YYYY-MM-01"."""

from __future__ import annotations

import datetime as dt

from gsm_platform.paths import warehouse_path

WIB = dt.timezone(dt.timedelta(hours=7))


def today_wib() -> dt.date:
    return dt.datetime.now(WIB).date()


def month_key(day: dt.date) -> str:
    """The fetch-month partition key of a fetch day (WIB date); as assets.partitions.month_key,
    without importing Dagster."""
    return f"{day:%Y-%m}-01"


def months_to_clean(source: str, instance) -> list[str]:
    """The fetch months (partition keys) a `gsm materialize` cleans: every month the landing
    registered (the whole landing: an envelope of any year is cleaned or quarantined), or for
    the api source today's month (the run that pulls; the landing registered it) plus the months
    of landed envelopes no cleaning has read yet (a run that failed after landing: a closed
    window is not pulled again, so those envelopes are the only copy of their posts)."""
    from assets.partitions import FETCH_MONTHS

    if source == "api":
        return sorted({month_key(today_wib()), *uncleaned_months()})
    return list(instance.get_dynamic_partitions(FETCH_MONTHS))


def uncleaned_months(after: dt.date | None = None) -> list[str]:
    """Fetch-month keys of indexed envelopes that no cleaning has read yet: no clean.cleaned_files
    row for their file and day, and (for a warehouse cleaned before that table existed) no post
    snapshot, follower snapshot or quarantine row from their file. Envelopes without a readable
    fetch time belong to no month; when only such envelopes are new, the latest landed month is
    returned, since every cleaning run re-quarantines the undated ones."""
    from gsm_platform.warehouse import session  # here: `gsm` starts without DuckDB and Dagster

    if not warehouse_path().exists():
        return []
    later = f"AND (e.fetch_date > DATE '{after}' OR e.fetch_date IS NULL)" if after else ""
    with session(read_only=True) as conn:  # behind the gate: waits (bounded, saying so) while another writes
        rows = conn.execute(
            f"""WITH used AS (SELECT source_file FROM clean.post_snapshots UNION SELECT source_file FROM clean.follower_snapshots
                             UNION SELECT source_file FROM clean.quarantine)
                SELECT DISTINCT CAST(date_trunc('month', e.fetch_date) AS DATE) FROM raw.envelopes e
                WHERE e.source_file NOT IN (SELECT source_file FROM used) {later}
                  AND NOT EXISTS (SELECT 1 FROM clean.cleaned_files c
                                  WHERE c.source_file = e.source_file
                                    AND c.fetch_date IS NOT DISTINCT FROM e.fetch_date)"""
        ).fetchall()
        months = {month_key(m) for (m,) in rows if m is not None}
        if not months and any(m is None for (m,) in rows):
            latest = conn.execute("SELECT max(fetch_date) FROM raw.envelopes").fetchone()[0]
            months = {month_key(latest)} if latest else set()
    return sorted(months)


def month_words(months: list[str]) -> str:
    """Fetch months for a person: "fetch months 2024-09 .. 2025-10" when they follow each other."""
    from gsm_platform.accounting import scope_of_months

    return scope_of_months([dt.date.fromisoformat(m) for m in months]).label.split(" (and ")[0]
