"""One HTTP client per platform pull: authentication, bounded retries, rate-limit waits, and
the scrubbing that keeps credentials out of everything that is written or said.

Retry policy (per request):
- transport errors and timeouts, HTTP 5xx, bodies that are not JSON, and errors the platform
  marks transient: exponential backoff (backoff_seconds * 2**n, capped), at most max_retries
  retries, then the request fails (ApiError: the account fails, the others carry on);
- rate limits (HTTP 429, Graph codes 4/17/32/613...): wait what the platform says
  (Retry-After, x-rate-limit-reset, Graph's estimated_time_to_regain_access) or back off
  from rate_backoff_seconds (30 s, 60 s, 120 s...);
  at most max_retries waits, and never a single wait above max_wait_seconds; beyond either
  bound the platform stops cleanly (PlatformStop) with the time to resume;
- everything else is classified by the platform (`classify`) into credential errors, quota
  stops, unavailable objects and plain failures, without retrying.
The sleep function is injectable so tests run in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from gsm_platform.vocabulary import WIB

from .errors import ApiCredentialError, ApiError, EndpointUnreachable, ObjectUnavailable, PlatformStop, StopRequested

# query/body parameter names that carry credentials: never written, never logged
SECRET_NAMES = frozenset(
    {
        "access_token",
        "key",
        "api_key",
        "apikey",
        "client_secret",
        "appsecret_proof",
        "token",
        "input_token",
        "fb_exchange_token",
        "authorization",
        "password",
        "secret",
        "bearer_token",
        "client_key",
        "refresh_token",
    }
)
_SECRET_PARAM = re.compile(
    r"(?i)(?<![A-Za-z0-9_])(access_token|key|api_key|apikey|client_secret|appsecret_proof|token|input_token|"
    r"fb_exchange_token|password|secret|client_key|refresh_token)=([^&\s\"'#<>]+)"
)
_AUTH_HEADER = re.compile(r"(?i)\b(bearer|oauth)\s+[A-Za-z0-9._~+/=%-]{4,}")
REDACTED = "REDACTED"


class Scrubber:
    """Removes credentials from text, request parameters and response bodies."""

    def __init__(self, secrets: list[str] | tuple[str, ...] = ()):
        # the literal values: whatever form a message takes, the value itself never passes
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def text(self, value: object) -> str:
        out = str(value)
        for secret in self.secrets:
            out = out.replace(secret, REDACTED)
        out = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", out)
        return _AUTH_HEADER.sub(lambda m: f"{m.group(1)} {REDACTED}", out)

    def params(self, params: Mapping[str, Any] | None) -> dict[str, str]:
        """Public request parameters: secret names dropped, values as text, and any value that
        contains a secret dropped too."""
        out: dict[str, str] = {}
        for name, value in (params or {}).items():
            if name.lower() in SECRET_NAMES or value is None:
                continue
            text = (
                value
                if isinstance(value, str)
                else json.dumps(value)
                if isinstance(value, (dict, list))
                else str(value)
            )
            if any(s in text for s in self.secrets):
                continue
            out[name] = text
        return out

    def body(self, value: Any) -> Any:
        """A response body with credentials removed: only strings that contain a secret value
        or a credential query parameter (Graph's paging.next URLs carry access_token) change."""
        if isinstance(value, str):
            changed = value
            for secret in self.secrets:
                if secret in changed:
                    changed = changed.replace(secret, REDACTED)
            if "://" in changed or changed.startswith("/"):
                changed = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", changed)
            return changed
        if isinstance(value, dict):
            return {k: self.body(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.body(v) for v in value]
        return value


class _LogScrubber(logging.Filter):
    """httpx logs every request URL at INFO ("HTTP Request: GET https://...?key=...").
    This filter, on the httpx and httpcore loggers, scrubs those records before any handler
    (Dagster's captured logs included) sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.active: dict[int, Scrubber] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        with self.lock:
            scrubbers = list(self.active.values())
        clean = Scrubber().text(message)
        for scrubber in scrubbers:
            clean = scrubber.text(clean)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_LOG_SCRUBBER = _LogScrubber()
for _name in ("httpx", "httpcore"):
    if not any(isinstance(f, _LogScrubber) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(_LOG_SCRUBBER)


Action = Literal["ok", "retry", "rate", "credential", "quota", "unavailable", "error"]


@dataclass
class Verdict:
    """What a response means, as decided by the platform's classify()."""

    action: Action
    detail: str = ""
    wait: float | None = None  # rate: seconds the platform asks us to wait, when it says
    resume_after: dt.datetime | None = None  # quota: when the platform lets us back in
    variable: str | None = None  # credential: the environment variable to fix


OK = Verdict("ok")


@dataclass
class Fetched:
    """One successful API response, ready to be put in an envelope."""

    endpoint: str
    params: dict[str, str]
    body: Any
    fetched_at: dt.datetime
    json_body: dict[str, Any] | None = None

    def request(self) -> dict[str, Any]:
        req: dict[str, Any] = {"endpoint": self.endpoint, "params": self.params}
        if self.json_body is not None:
            req["body"] = self.json_body
        return req


Classifier = Callable[[int, "httpx.Headers", Any], Verdict]


@dataclass
class RetryPolicy:
    max_retries: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    max_wait_seconds: float = 900.0
    rate_backoff_seconds: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def backoff(self, attempt: int) -> float:
        """Wait before retry `attempt` (1, 2, ...) after a transient failure."""
        return min(self.backoff_seconds * (2 ** max(attempt - 1, 0)), self.max_backoff_seconds)

    def rate_backoff(self, attempt: int) -> float:
        """Wait before retry `attempt` after a rate limit that did not say how long."""
        return min(self.rate_backoff_seconds * (2 ** max(attempt - 1, 0)), self.max_wait_seconds)


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(when.timestamp() - (now if now is not None else time.time()), 0.0)


def next_pacific_midnight(now: dt.datetime) -> dt.datetime:
    """The next midnight in America/Los_Angeles after `now` (when YouTube quotas reset)."""
    try:
        from zoneinfo import ZoneInfo

        pacific = ZoneInfo("America/Los_Angeles")
        local = now.astimezone(pacific)
        nxt = (local + dt.timedelta(days=1)).date()
        return dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=pacific)
    except Exception:  # no tz database: US rules (DST from 2nd Sunday of March to 1st Sunday of November)

        def offset(day: dt.date) -> int:
            def nth_sunday(month: int, n: int) -> dt.date:
                first = dt.date(day.year, month, 1)
                return first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))

            return -7 if nth_sunday(3, 2) <= day < nth_sunday(11, 1) else -8

        utc = now.astimezone(dt.UTC)
        local_day = (utc + dt.timedelta(hours=offset(utc.date()))).date()
        nxt = local_day + dt.timedelta(days=1)
        # clocks change at 02:00, so midnight keeps the offset of the day before
        tz = dt.timezone(dt.timedelta(hours=offset(nxt - dt.timedelta(days=1))))
        return dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)


@dataclass
class ApiClient:
    """A thread-safe client for one platform (one httpx.Client shared by the workers)."""

    platform: str
    base_url: str
    classify: Classifier
    scrubber: Scrubber
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_seconds: float = 30.0
    auth_params: dict[str, str] = field(default_factory=dict)
    auth_headers: dict[str, str] = field(default_factory=dict)
    stop_event: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(WIB)
    on_page: Callable[[], None] = lambda: None

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self._http = httpx.Client(
            timeout=httpx.Timeout(self.timeout_seconds),
            headers={"User-Agent": "gsm-platform/0.1 (+api source)", "Accept": "application/json"},
            follow_redirects=False,
        )
        with _LOG_SCRUBBER.lock:
            _LOG_SCRUBBER.active[id(self)] = self.scrubber

    def close(self) -> None:
        self._http.close()
        with _LOG_SCRUBBER.lock:
            _LOG_SCRUBBER.active.pop(id(self), None)

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public -------------------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any], *, object_id: str) -> Fetched:
        return self._request("GET", path, dict(params), None, object_id)

    def post(self, path: str, params: Mapping[str, Any], body: dict[str, Any], *, object_id: str) -> Fetched:
        return self._request("POST", path, dict(params), body, object_id)

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # -- internals ----------------------------------------------------------------------------
    def _fail(self, message: str, status: int | None = None) -> ApiError:
        return ApiError(self.scrubber.text(f"{self.platform}: {message}"), status)

    def _request(
        self, method: str, path: str, params: dict[str, Any], body: dict[str, Any] | None, object_id: str
    ) -> Fetched:
        url = self.url(path)
        endpoint = urlsplit(url).path
        send_params = {k: (v if isinstance(v, str) else str(v)) for k, v in params.items() if v is not None}
        send_params.update(self.auth_params)
        failures = 0  # transient failures so far
        waits = 0  # rate-limit waits so far
        unreached = True  # no attempt reached the server (yet)
        while True:
            if self.stop_event.is_set():
                raise StopRequested()
            try:
                response = self._http.request(
                    method, url, params=send_params, json=body, headers=self.auth_headers or None
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                failures = self._backoff(
                    failures, f"{endpoint}: network error ({type(exc).__name__})", unreachable=unreached
                )
                continue
            except httpx.TimeoutException as exc:
                unreached = False
                failures = self._backoff(failures, f"{endpoint}: timed out ({type(exc).__name__})")
                continue
            except httpx.TransportError as exc:
                unreached = False
                failures = self._backoff(failures, f"{endpoint}: network error ({type(exc).__name__})")
                continue
            unreached = False
            status = response.status_code
            try:
                payload = response.json()
            except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
                payload = None
            if payload is None and (status >= 500 or status == 429 or status < 400):
                # a gateway page, or a body cut short: transient unless 4xx
                if status == 429:
                    verdict = Verdict("rate", "HTTP 429", retry_after_seconds(response.headers))
                else:
                    failures = self._backoff(failures, f"{endpoint}: HTTP {status} with a body that is not JSON")
                    continue
            elif payload is None:
                verdict = Verdict("error", f"HTTP {status} with a body that is not JSON")
            else:
                verdict = self.classify(status, response.headers, payload)
            if verdict.action == "ok":
                self.on_page()
                return Fetched(
                    endpoint=endpoint,
                    params=self.scrubber.params(params),
                    body=self.scrubber.body(payload),
                    fetched_at=self.clock(),
                    json_body=None if body is None else self.scrubber.body(body),
                )
            detail = self.scrubber.text(verdict.detail)
            if verdict.action == "retry":
                failures = self._backoff(failures, f"{endpoint}: {detail}")
                continue
            if verdict.action == "rate":
                waits += 1
                wait = verdict.wait if verdict.wait is not None else self.policy.rate_backoff(waits)
                if wait > self.policy.max_wait_seconds or waits > self.policy.max_retries:
                    resume = self.clock() + dt.timedelta(seconds=max(wait, 0.0))
                    why = (
                        f"asked to wait {wait:.0f}s, more than the {self.policy.max_wait_seconds:.0f}s bound"
                        if wait > self.policy.max_wait_seconds
                        else f"still limited after {waits - 1} waits"
                    )
                    raise PlatformStop(
                        f"rate limited by {self.platform} ({detail}; {why})", resume.replace(microsecond=0)
                    )
                self.policy.sleep(wait)
                continue
            if verdict.action == "credential":
                raise ApiCredentialError(self.platform, verdict.variable or "?", detail)
            if verdict.action == "quota":
                raise PlatformStop(f"quota exceeded ({detail})", verdict.resume_after)
            if verdict.action == "unavailable":
                raise ObjectUnavailable(object_id, detail)
            raise self._fail(f"{endpoint}: {detail}", status)

    def _backoff(self, failures: int, message: str, unreachable: bool = False) -> int:
        failures += 1
        if failures > self.policy.max_retries:
            if unreachable:
                raise EndpointUnreachable(
                    self.scrubber.text(
                        f"{self.platform}: {self.base_url} cannot be reached ({message.split('(')[-1].rstrip(')')} "
                        f"on each of {failures} attempts)"
                    )
                )
            raise self._fail(f"{message}; gave up after {failures} attempts")
        self.policy.sleep(self.policy.backoff(failures))
        return failures


def graph_error(body: Any) -> dict[str, Any] | None:
    err = body.get("error") if isinstance(body, dict) else None
    return err if isinstance(err, dict) else None
