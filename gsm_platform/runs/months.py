"""Which fetch months a command cleans: `gsm materialize` every month the landing registered
(the whole landing), `gsm update` the months of envelopes no cleaning has read yet, the api
source today's month (the pull) besides. Fetch months are the `fetch_month` dynamic
partitions (assets/partitions.py); their keys are "YYYY-MM-01"."""

from __future__ import annotations

import datetime as dt

from gsm_platform.paths import warehouse_path
from gsm_platform.vocabulary import WIB


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
    """Fetch-month keys of indexed envelopes that no cleaning has read yet (fetched after
    `after`, when given; gsm_platform.parsing.cleaning.uncleaned_months says which)."""
    # imported here: `gsm` starts without DuckDB and Dagster
    from gsm_platform.parsing.cleaning import uncleaned_months as months_not_cleaned
    from gsm_platform.warehouse import session

    if not warehouse_path().exists():
        return []
    with session(read_only=True) as conn:  # behind the gate: waits (bounded, saying so) while another writes
        return sorted(month_key(m) for m in months_not_cleaned(conn, after))


def month_words(months: list[str]) -> str:
    """Fetch months for a person: "fetch months 2024-09 .. 2025-10" when they follow each other."""
    from gsm_platform.accounting import scope_of_months

    return scope_of_months([dt.date.fromisoformat(m) for m in months]).label.split(" (and ")[0]
