"""Meta Graph API: Facebook Pages (/{page-id}/posts and the page node) and Instagram through
Business Discovery (the business account in GSM_INSTAGRAM_USER_ID looks other professional
accounts up by username)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from gsm_platform.registry import Account

from .base import Platform, Step, Window, generic_http_verdict, parse_time, rate_limit_wait
from .errors import ApiError, ObjectUnavailable
from .http import Fetched, Verdict, graph_error

GRAPH_DEFAULT = "https://graph.facebook.com/v21.0"
RATE_CODES = {4, 17, 32, 613} | set(range(80001, 80015))
TOKEN_CODES = {190, 102, 2500}
PERMISSION_CODES = {10} | set(range(200, 300))


def _usage_wait(headers: httpx.Headers) -> float | None:
    """Seconds until access is regained, from X-Business-Use-Case-Usage (minutes inside)."""
    raw = headers.get("x-business-use-case-usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [
        float(entry.get("estimated_time_to_regain_access") or 0)
        for entries in (usage.values() if isinstance(usage, dict) else [])
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict)
    ]
    return max(minutes) * 60.0 if minutes and max(minutes) > 0 else None


class Graph(Platform):
    default_base_url = GRAPH_DEFAULT

    def auth(self) -> tuple[dict[str, str], dict[str, str]]:
        return {"access_token": self.credentials[self.token_var]}, {}

    def unavailable_subject(self, error: dict[str, Any]) -> Verdict | None:
        """Platform-specific reading of 'object does not exist' errors."""
        return None

    def classify(self, status: int, headers: httpx.Headers, body: Any) -> Verdict:
        error = graph_error(body)
        if error is None:
            return Verdict("ok") if status < 400 else generic_http_verdict(status, headers, f"HTTP {status}")
        raw_code = error.get("code")
        subcode = error.get("error_subcode")
        try:
            code = int(raw_code) if raw_code is not None else -1
        except (TypeError, ValueError):
            code = -1
        detail = f"HTTP {status} code {code}" + (f"/{subcode}" if subcode else "") + f": {error.get('message', '')}"
        if code in TOKEN_CODES:
            return Verdict("credential", f"the access token was rejected ({detail})", variable=self.token_var)
        if code in RATE_CODES:
            return Verdict("rate", detail, rate_limit_wait(headers) or _usage_wait(headers))
        special = self.unavailable_subject(error)
        if special is not None:
            return Verdict(special.action, f"{special.detail} ({detail})", variable=special.variable)
        if (code == 100 and subcode == 33) or code == 803:
            return Verdict("unavailable", f"object deleted or not accessible ({detail})")
        if error.get("is_transient") or code in (1, 2):
            return Verdict("retry", detail)
        if code in PERMISSION_CODES:
            return Verdict(
                "error", f"permission missing ({detail}); public page data needs the Page Public Content Access feature"
            )
        return generic_http_verdict(status if status >= 400 else 400, headers, detail)


class Facebook(Graph):
    name = "facebook"
    credential_vars = ("GSM_FACEBOOK_TOKEN",)
    token_var = "GSM_FACEBOOK_TOKEN"
    # `from` names each post's author: the cleaning counts a post only for its own Page. /posts
    # lists the Page's own posts (/feed would add visitors' posts on its wall)
    POST_FIELDS = (
        "id,created_time,message,from,attachments{media_type},reactions.summary(total_count),"
        "comments.summary(total_count),shares"
    )

    def profile(self, account: Account) -> Fetched:
        return self.http.get(
            f"/{account.account_id}", {"fields": "id,name,followers_count,fan_count"}, object_id=account.account_id
        )

    def posts(
        self, account: Account, window: Window, state: dict[str, Any] | None, profile: Fetched | None
    ) -> Iterator[Step]:
        first = {
            "fields": self.POST_FIELDS,
            "since": str(int(window.start_utc.timestamp())),
            "until": str(int(window.end_utc.timestamp()) - 1),
            "limit": "100",
        }
        params: dict[str, Any] = dict((state or {}).get("params") or first)
        path = f"/{account.account_id}/posts"
        while True:
            page = self.http.get(path, params, object_id=account.account_id)
            body = page.body if isinstance(page.body, dict) else {}
            posts = [p for p in body.get("data") or [] if isinstance(p, dict)]
            nxt = self._next_params(body.get("paging") or {}, params)
            times = [t for t in (parse_time(p.get("created_time")) for p in posts) if t is not None]
            if not posts or (times and min(times) < window.start_utc):
                nxt = None  # since= should already stop it; do not page past the window
            yield Step(page if posts else None, {"params": nxt} if nxt else None)
            if not nxt:
                return
            params = nxt

    @staticmethod
    def _next_params(paging: dict[str, Any], current: dict[str, Any]) -> dict[str, Any] | None:
        """The next page's parameters: those of paging.next (without the token it carries),
        else the current ones with cursors.after. None on the last page."""
        nxt = paging.get("next")
        if not nxt:
            return None
        params = {
            k: v
            for k, v in parse_qsl(urlsplit(str(nxt)).query, keep_blank_values=True)
            if k.lower() not in ("access_token", "appsecret_proof")
        }
        if not params:
            after = (paging.get("cursors") or {}).get("after")
            params = {**current, "after": after} if after else {}
        return params if params and params != current else None


class Instagram(Graph):
    name = "instagram"
    credential_vars = ("GSM_INSTAGRAM_TOKEN", "GSM_INSTAGRAM_USER_ID")
    token_var = "GSM_INSTAGRAM_TOKEN"
    # username: Business Discovery returns it (not `owner`) for others' media; checked by the cleaning
    MEDIA_FIELDS = "id,timestamp,media_type,media_product_type,like_count,comments_count,caption,username"

    def unavailable_subject(self, error: dict[str, Any]) -> Verdict | None:
        code, subcode = error.get("code"), error.get("error_subcode")
        if code == 110 or subcode == 2207013:  # Business Discovery: no such (professional) username
            return Verdict("unavailable", "username not found or not a business/creator account")
        if code == 100 and subcode == 33:  # the node we call from is GSM_INSTAGRAM_USER_ID itself
            return Verdict(
                "credential",
                "the Instagram business account to call Business Discovery from "
                "does not exist or the token cannot use it",
                variable="GSM_INSTAGRAM_USER_ID",
            )
        return None

    def account_key(self, account: Account) -> str:
        return (account.handle or "").lstrip("@").strip()

    def check_account(self, account: Account) -> str | None:
        if not self.account_key(account):
            return "no handle in the registry (Business Discovery looks accounts up by username)"
        return None

    def _discover(self, account: Account, inner: str) -> Fetched:
        username = self.account_key(account)
        fields = f"business_discovery.username({username}){{{inner}}}"
        fetched = self.http.get(
            f"/{self.credentials['GSM_INSTAGRAM_USER_ID']}", {"fields": fields}, object_id=account.account_id
        )
        found = (fetched.body or {}).get("business_discovery") if isinstance(fetched.body, dict) else None
        if not isinstance(found, dict):
            raise ObjectUnavailable(account.account_id, f"Business Discovery returned no account for @{username}")
        found_id = str(found.get("id") or "")
        if found_id and account.account_id.isdigit() and found_id != account.account_id:
            raise ApiError(
                f"instagram: @{username} is now the account {found_id}, not the registry's "
                f"{account.account_id} (renamed handle?); fix the registry"
            )
        return fetched

    def profile(self, account: Account) -> Fetched:
        return self._discover(account, "id,username,followers_count,media_count")

    def posts(
        self, account: Account, window: Window, state: dict[str, Any] | None, profile: Fetched | None
    ) -> Iterator[Step]:
        after = (state or {}).get("after")
        while True:
            media_edge = f"media.after({after})" if after else "media"
            page = self._discover(account, f"followers_count,{media_edge}{{{self.MEDIA_FIELDS}}}")
            media = page.body["business_discovery"].get("media") or {}
            items = [m for m in media.get("data") or [] if isinstance(m, dict)]
            times = [t for t in (parse_time(m.get("timestamp")) for m in items) if t is not None]
            in_window = any(window.contains(t) for t in times)
            cursor = ((media.get("paging") or {}).get("cursors") or {}).get("after")
            last = not items or not cursor or cursor == after or (times and min(times) < window.start_utc)
            yield Step(page if in_window else None, None if last else {"after": cursor})
            if last:
                return
            after = cursor
