"""X API v2: GET /users/:id (profile) and GET /users/:id/tweets (posts, newest first, paged
with meta.next_token -> pagination_token). The timeline endpoint reaches only the 3,200 most
recent posts of an account, whatever start_time says."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import httpx

from gsm_platform.registry import Account

from .base import UTC, Platform, Step, Window, generic_http_verdict, rate_limit_wait
from .errors import ObjectUnavailable
from .http import Fetched, Verdict

# author_id: a lookup returns whatever author owns an id; the cleaning checks it against the account
TWEET_FIELDS = "author_id,created_at,public_metrics,attachments"
EXPANSIONS = "attachments.media_keys"
MEDIA_FIELDS = "type,duration_ms,public_metrics"


def _rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _problem(body: Any) -> str:
    """Text of an X error body: {"title","detail","type"} or {"errors":[...]}."""
    if not isinstance(body, dict):
        return ""
    parts = [str(body.get(k)) for k in ("title", "detail") if body.get(k)]
    for err in body.get("errors") or []:
        if isinstance(err, dict):
            parts.append(str(err.get("detail") or err.get("message") or err.get("title") or ""))
    return ": ".join(p for p in parts if p)


class X(Platform):
    name = "x"
    credential_vars = ("GSM_X_TOKEN",)
    token_var = "GSM_X_TOKEN"
    default_base_url = "https://api.x.com/2"

    def auth(self) -> tuple[dict[str, str], dict[str, str]]:
        return {}, {"Authorization": f"Bearer {self.credentials['GSM_X_TOKEN']}"}

    def classify(self, status: int, headers: httpx.Headers, body: Any) -> Verdict:
        if status < 400:
            return Verdict("ok")
        detail = f"HTTP {status}: {_problem(body)}".rstrip(": ")
        kind = (
            str(body.get("type", "") if isinstance(body, dict) else "")
            + " "
            + str(body.get("reason", "") if isinstance(body, dict) else "")
        )
        if status == 401:
            return Verdict("credential", f"the bearer token was rejected ({detail})", variable=self.token_var)
        if status == 403 and ("client-forbidden" in kind or "client-not-enrolled" in kind):
            return Verdict(
                "credential", f"the token's app has no access to this endpoint ({detail})", variable=self.token_var
            )
        if status == 429:
            title = str(body.get("title", "")) if isinstance(body, dict) else ""
            if "UsageCapExceeded" in title or "usage-capped" in kind:
                return Verdict("quota", f"monthly post read cap reached ({detail})")
            reset = headers.get("x-rate-limit-reset")
            wait = rate_limit_wait(headers)  # Retry-After, when given
            if reset and reset.strip().isdigit():
                wait = max(int(reset.strip()) - time.time(), 0.0) + 1.0
            return Verdict("rate", detail, wait)
        if status == 404:
            return Verdict("unavailable", detail)
        return generic_http_verdict(status, headers, detail)

    def profile(self, account: Account) -> Fetched:
        fetched = self.http.get(
            f"/users/{account.account_id}", {"user.fields": "public_metrics"}, object_id=account.account_id
        )
        if not isinstance(fetched.body, dict) or not isinstance(fetched.body.get("data"), dict):
            # 200 with only "errors": suspended, deactivated or unknown user
            raise ObjectUnavailable(account.account_id, _problem(fetched.body) or "user not found")
        return fetched

    def posts(
        self, account: Account, window: Window, state: dict[str, Any] | None, profile: Fetched | None
    ) -> Iterator[Step]:
        params: dict[str, Any] = {
            "start_time": _rfc3339(window.start_utc),
            "max_results": "100",
            "tweet.fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "media.fields": MEDIA_FIELDS,
        }
        # end_time must be at least 10 s before the request; an open window runs to "now"
        latest = dt.datetime.now(UTC) - dt.timedelta(seconds=30)
        if window.end_utc <= latest:
            params["end_time"] = _rfc3339(window.end_utc)
        token = (state or {}).get("pagination_token")
        while True:
            if token:
                params["pagination_token"] = token
            page = self.http.get(f"/users/{account.account_id}/tweets", params, object_id=account.account_id)
            body = page.body if isinstance(page.body, dict) else {}
            if "data" not in body and "meta" not in body and body.get("errors"):
                raise ObjectUnavailable(account.account_id, _problem(body) or "timeline not accessible")
            token = (body.get("meta") or {}).get("next_token")
            yield Step(page if body.get("data") else None, {"pagination_token": token} if token else None)
            if not token:
                return
