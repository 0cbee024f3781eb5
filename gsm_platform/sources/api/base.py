"""What every platform flow provides to the orchestrator (pull.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from gsm_platform.registry import Account
from gsm_platform.vocabulary import WIB

from .http import ApiClient, Fetched, Verdict, retry_after_seconds

UTC = dt.UTC


@dataclass(frozen=True)
class Window:
    """The edition window [start 00:00 WIB, end 00:00 WIB)."""

    start: dt.date
    end: dt.date

    @property
    def start_utc(self) -> dt.datetime:
        return dt.datetime(self.start.year, self.start.month, self.start.day, tzinfo=WIB).astimezone(UTC)

    @property
    def end_utc(self) -> dt.datetime:
        return dt.datetime(self.end.year, self.end.month, self.end.day, tzinfo=WIB).astimezone(UTC)

    def contains(self, moment: dt.datetime) -> bool:
        return self.start_utc <= moment < self.end_utc

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()}_{self.end.isoformat()}"


@dataclass
class Step:
    """One step of a posts pull: the response to land (None if nothing to land) and the state
    to resume from after it (None when the window is fully pulled)."""

    fetched: Fetched | None
    state: dict[str, Any] | None


SkipReporter = Callable[[str, str, str], None]  # (account_id, object_id, reason)


def parse_time(value: Any) -> dt.datetime | None:
    """ISO-8601 text (Z, +0000 or +00:00 offsets) or unix seconds -> aware UTC datetime."""
    if value is None:
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(float(value), UTC)
        text = str(value).strip()
        if text.isdigit():
            return dt.datetime.fromtimestamp(int(text), UTC)
        moment = dt.datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def rate_limit_wait(headers: httpx.Headers) -> float | None:
    return retry_after_seconds(headers)


class Platform:
    """A platform flow. Subclasses set the class attributes and implement the methods."""

    name: str = ""
    credential_vars: tuple[str, ...] = ()
    default_base_url: str = ""
    token_var: str = ""  # the variable named when the API rejects the credential

    def __init__(self, credentials: dict[str, str]):
        self.credentials = credentials
        self.client: ApiClient | None = None  # set by the orchestrator
        self.report_skip: SkipReporter = lambda account_id, object_id, reason: None

    @property
    def http(self) -> ApiClient:
        assert self.client is not None, "platform used before its client was attached"
        return self.client

    # authentication: (query parameters, headers) added to every request
    def auth(self) -> tuple[dict[str, str], dict[str, str]]:
        raise NotImplementedError

    def secrets(self) -> list[str]:
        return [
            self.credentials[v] for v in self.credential_vars if v in self.credentials and v.endswith(("TOKEN", "KEY"))
        ]

    def classify(self, status: int, headers: httpx.Headers, body: Any) -> Verdict:
        raise NotImplementedError

    def account_key(self, account: Account) -> str:
        """The id the flow queries (a username for TikTok and Instagram, the id elsewhere)."""
        return account.account_id

    def check_account(self, account: Account) -> str | None:
        """A reason the account cannot be pulled at all (missing handle...), or None."""
        return None

    def profile(self, account: Account) -> Fetched:
        raise NotImplementedError

    def posts(
        self, account: Account, window: Window, state: dict[str, Any] | None, profile: Fetched | None
    ) -> Iterator[Step]:
        raise NotImplementedError


def generic_http_verdict(status: int, headers: httpx.Headers, detail: str) -> Verdict:
    """Fallback classification by HTTP status alone."""
    if status == 429:
        return Verdict("rate", detail or "HTTP 429", rate_limit_wait(headers))
    if status >= 500:
        return Verdict("retry", detail or f"HTTP {status}")
    if status >= 400:
        return Verdict("error", detail or f"HTTP {status}")
    return Verdict("ok")
