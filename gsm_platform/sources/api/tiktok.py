"""TikTok Research API: POST /research/user/info/ (profile) and POST /research/video/query/
(posts) for one username, in query windows of at most 30 days (UTC dates, inclusive), paged
with cursor + search_id while data.has_more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx

from gsm_platform.registry import Account

from .base import Platform, Step, Window, generic_http_verdict, rate_limit_wait
from .errors import ObjectUnavailable
from .http import Fetched, Verdict

# username names each video's author, checked by the cleaning against the account
VIDEO_FIELDS = "id,create_time,username,view_count,like_count,comment_count,share_count,video_duration"
USER_FIELDS = "display_name,follower_count,following_count,likes_count,video_count"
MAX_DAYS = 30  # calendar days per query, both ends included
MAX_PAGES_PER_QUERY = 2000  # guard against a has_more that never ends


def query_windows(window: Window) -> list[tuple[dt.date, dt.date]]:
    """UTC dates covering [start 00:00 WIB, end 00:00 WIB), cut into <= 30-day pieces."""
    first = window.start_utc.date()
    last = (window.end_utc - dt.timedelta(seconds=1)).date()
    pieces = []
    while first <= last:
        upto = min(first + dt.timedelta(days=MAX_DAYS - 1), last)
        pieces.append((first, upto))
        first = upto + dt.timedelta(days=1)
    return pieces


class TikTok(Platform):
    name = "tiktok"
    credential_vars = ("GSM_TIKTOK_TOKEN",)
    token_var = "GSM_TIKTOK_TOKEN"
    default_base_url = "https://open.tiktokapis.com/v2"

    def auth(self) -> tuple[dict[str, str], dict[str, str]]:
        return {}, {"Authorization": f"Bearer {self.credentials['GSM_TIKTOK_TOKEN']}"}

    def account_key(self, account: Account) -> str:
        return account.account_id.lstrip("@").strip()

    def classify(self, status: int, headers: httpx.Headers, body: Any) -> Verdict:
        error = body.get("error") if isinstance(body, dict) else None
        code = str(error.get("code", "")) if isinstance(error, dict) else ""
        if status < 400 and code in ("", "ok"):
            return Verdict("ok")
        message = str(error.get("message", "")) if isinstance(error, dict) else ""
        detail = f"HTTP {status} {code}: {message}".strip().rstrip(":")
        if code in ("access_token_invalid", "scope_not_authorized", "scope_permission_missed") or status == 401:
            return Verdict("credential", f"the client access token was rejected ({detail})", variable=self.token_var)
        if code == "rate_limit_exceeded" or status == 429:
            return Verdict("rate", detail, rate_limit_wait(headers))
        if code == "internal_error" or status >= 500:
            return Verdict("retry", detail)
        if status == 404 or (
            code == "invalid_params"
            and any(w in message.lower() for w in ("not found", "does not exist", "private", "banned", "deleted"))
        ):
            return Verdict("unavailable", detail)
        return generic_http_verdict(status if status >= 400 else 400, headers, detail)

    def profile(self, account: Account) -> Fetched:
        username = self.account_key(account)
        fetched = self.http.post(
            "/research/user/info/", {"fields": USER_FIELDS}, {"username": username}, object_id=account.account_id
        )
        if not isinstance((fetched.body or {}).get("data"), dict):
            raise ObjectUnavailable(account.account_id, "user info returned no data")
        return fetched

    def posts(
        self, account: Account, window: Window, state: dict[str, Any] | None, profile: Fetched | None
    ) -> Iterator[Step]:
        username = self.account_key(account)
        pieces = query_windows(window)
        state = state or {}
        start_piece = int(state.get("piece", 0))
        for index in range(start_piece, len(pieces)):
            first, last = pieces[index]
            cursor = state.get("cursor") if index == start_piece else None
            search_id = state.get("search_id") if index == start_piece else None
            for _ in range(MAX_PAGES_PER_QUERY):
                body: dict[str, Any] = {
                    "query": {"and": [{"operation": "EQ", "field_name": "username", "field_values": [username]}]},
                    "start_date": first.strftime("%Y%m%d"),
                    "end_date": last.strftime("%Y%m%d"),
                    "max_count": 100,
                }
                if cursor is not None:
                    body["cursor"] = cursor
                if search_id:
                    body["search_id"] = search_id
                page = self.http.post(
                    "/research/video/query/", {"fields": VIDEO_FIELDS}, body, object_id=account.account_id
                )
                data = (page.body or {}).get("data") or {}
                videos = data.get("videos") or []
                more = bool(data.get("has_more")) and data.get("cursor") is not None and data.get("cursor") != cursor
                if more:
                    nxt = {
                        "piece": index,
                        "cursor": data.get("cursor"),
                        "search_id": data.get("search_id") or search_id,
                    }
                elif index + 1 < len(pieces):
                    nxt = {"piece": index + 1}
                else:
                    nxt = None
                yield Step(page if videos else None, nxt)
                if not more:
                    break
                cursor, search_id = data.get("cursor"), data.get("search_id") or search_id
