"""YouTube Data API v3: channels.list (profile + uploads playlist) -> playlistItems.list
(newest first) -> videos.list (posts). Each call costs 1 quota unit; search.list (100 units)
is never used."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from gsm_platform.registry import Account

from .base import Platform, Step, Window, generic_http_verdict, parse_time, rate_limit_wait
from .errors import ObjectUnavailable
from .http import Fetched, Verdict, next_pacific_midnight

QUOTA_REASONS = {"quotaExceeded", "dailyLimitExceeded", "dailyLimitExceededUnreg", "quotaExceededUnreg"}
CREDENTIAL_REASONS = {
    "keyInvalid",
    "keyExpired",
    "API_KEY_INVALID",
    "API_KEY_EXPIRED",
    "accessNotConfigured",
    "SERVICE_DISABLED",
    "ipRefererBlocked",
    "API_KEY_SERVICE_BLOCKED",
    "API_KEY_HTTP_REFERRER_BLOCKED",
    "API_KEY_IP_ADDRESS_BLOCKED",
    "keyUnauthorized",
}
RATE_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
# snippet.channelId names each video's channel: videos.list returns whatever channel owns an id
VIDEO_PARTS = "snippet,statistics,contentDetails"


def _reasons(error: dict[str, Any]) -> list[str]:
    reasons = [e.get("reason", "") for e in error.get("errors") or [] if isinstance(e, dict)]
    reasons += [d.get("reason", "") for d in error.get("details") or [] if isinstance(d, dict)]
    return [r for r in reasons if r]


class YouTube(Platform):
    name = "youtube"
    credential_vars = ("GSM_YOUTUBE_KEY",)
    token_var = "GSM_YOUTUBE_KEY"
    default_base_url = "https://www.googleapis.com/youtube/v3"

    def auth(self) -> tuple[dict[str, str], dict[str, str]]:
        return {"key": self.credentials["GSM_YOUTUBE_KEY"]}, {}

    def classify(self, status: int, headers: httpx.Headers, body: Any) -> Verdict:
        error = body.get("error") if isinstance(body, dict) else None
        if status < 400 and not isinstance(error, dict):
            return Verdict("ok")
        if not isinstance(error, dict):
            return generic_http_verdict(status, headers, f"HTTP {status}")
        reasons = _reasons(error)
        detail = f"HTTP {status} {'/'.join(reasons) or error.get('status') or ''}: {error.get('message', '')}".strip()
        if QUOTA_REASONS & set(reasons):
            return Verdict(
                "quota", detail, resume_after=next_pacific_midnight(self.http.clock()).replace(microsecond=0)
            )
        if CREDENTIAL_REASONS & set(reasons) or (status == 400 and "API key" in str(error.get("message", ""))):
            return Verdict("credential", f"the API key was rejected ({detail})", variable=self.token_var)
        if RATE_REASONS & set(reasons):
            return Verdict("rate", detail, rate_limit_wait(headers))
        if status == 404:
            return Verdict("unavailable", detail)
        if status == 403:  # forbidden / playlistItemsNotAccessible: exists but not public
            return Verdict("unavailable", detail)
        return generic_http_verdict(status, headers, detail)

    def profile(self, account: Account) -> Fetched:
        fetched = self.http.get(
            "/channels", {"part": "statistics,contentDetails", "id": account.account_id}, object_id=account.account_id
        )
        items = fetched.body.get("items") if isinstance(fetched.body, dict) else None
        if not items:
            raise ObjectUnavailable(account.account_id, "channel not found (deleted, terminated or wrong id)")
        return fetched

    def posts(
        self, account: Account, window: Window, state: dict[str, Any] | None, profile: Fetched | None
    ) -> Iterator[Step]:
        uploads = None
        if profile is not None:
            items = profile.body.get("items") or []
            uploads = (((items[0] if items else {}).get("contentDetails") or {}).get("relatedPlaylists") or {}).get(
                "uploads"
            )
        uploads = (state or {}).get("playlist") or uploads
        if not uploads:
            raise ObjectUnavailable(account.account_id, "channel has no uploads playlist")
        token = (state or {}).get("page_token")
        while True:
            params: dict[str, Any] = {"part": "contentDetails", "playlistId": uploads, "maxResults": "50"}
            if token:
                params["pageToken"] = token
            try:
                page = self.http.get("/playlistItems", params, object_id=uploads)
            except ObjectUnavailable as exc:
                if token is None and "playlistNotFound" in exc.reason:  # a channel that never uploaded
                    return
                raise
            ids: list[str] = []
            older = False
            for item in page.body.get("items") or []:
                details = item.get("contentDetails") or {}
                video_id = details.get("videoId")
                published = parse_time(details.get("videoPublishedAt"))
                if not video_id:
                    continue
                if published is None:
                    self.report_skip(account.account_id, video_id, "video is private or deleted (no videoPublishedAt)")
                    continue
                if published < window.start_utc:
                    older = True
                elif published < window.end_utc:
                    ids.append(video_id)
            token = page.body.get("nextPageToken")
            done = older or not token
            next_state = None if done else {"playlist": uploads, "page_token": token}
            fetched = None
            if ids:
                fetched = self.http.get(
                    "/videos", {"part": VIDEO_PARTS, "id": ",".join(ids)}, object_id=account.account_id
                )
                returned = {v.get("id") for v in fetched.body.get("items") or [] if isinstance(v, dict)}
                for video_id in ids:
                    if video_id not in returned:
                        self.report_skip(
                            account.account_id, video_id, "not returned by videos.list (private, deleted or blocked)"
                        )
                if not returned:
                    fetched = None
            yield Step(fetched, next_state)
            if done:
                return
