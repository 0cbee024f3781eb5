"""What can go wrong while pulling, as exceptions the orchestrator (pull.py) acts on.

Every message is built from scrubbed text only: no token, key or query string ever reaches
an exception, a log line or the report (see `Scrubber` in http.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any


class ApiCredentialError(RuntimeError):
    """A credential is missing, expired or rejected. Fatal for the platform: nothing more is
    pulled for it in this run. The message names the platform and the environment variable
    to fix; it never contains the credential. `report` carries what was landed before the
    failure (files already written stay valid), when the failure happened mid-run."""

    def __init__(self, platform: str, variable: str, detail: str):
        self.platform = platform
        self.variable = variable
        self.detail = detail
        self.report: Any = None  # PullReport, set by pull_platform when raised mid-run
        super().__init__(f"{platform}: {detail}; fix the environment variable {variable}")


class ApiError(RuntimeError):
    """A request that failed for good (after retries where retrying makes sense). Fails the
    account it belongs to; the other accounts carry on."""

    def __init__(self, message: str, status: int | None = None):
        self.status = status
        super().__init__(message)


class EndpointUnreachable(ApiError):
    """Every attempt of a request failed before reaching the server (connection refused, no
    route, DNS, connect timeout): the platform's endpoint is down or unreachable from here,
    for every account alike. Stops the platform with one line instead of failing each account
    (249 accounts x retries was ~1,000 lines of "network error")."""


class ObjectUnavailable(RuntimeError):
    """The object asked for is deleted, private or otherwise inaccessible (Graph error 100/33,
    a suspended X user, a YouTube channel that no longer exists...). Skipped and reported."""

    def __init__(self, object_id: str, reason: str):
        self.object_id = object_id
        self.reason = reason
        super().__init__(f"{object_id}: {reason}")


class PlatformStop(RuntimeError):
    """Stop pulling this platform cleanly (quota exhausted, rate limited for longer than we
    are willing to wait). What already landed is kept; `resume_after` says when to retry."""

    def __init__(self, reason: str, resume_after: dt.datetime | None = None):
        self.reason = reason
        self.resume_after = resume_after
        text = reason if resume_after is None else f"{reason}; resume after {resume_after.isoformat()}"
        super().__init__(text)


class StopRequested(RuntimeError):
    """Raised inside a worker when another worker stopped the platform."""
