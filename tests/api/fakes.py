"""Fake platform APIs for the api source tests: real HTTP on 127.0.0.1 (ephemeral port), one
ThreadingHTTPServer per platform, serving canned pages built from small dicts in the shapes of
the samples, with switches to inject faults (429, 5xx, timeouts, quota, bad tokens...). The
fixtures that start them are in conftest.py."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from gsm_platform.registry import Account

WIB = dt.timezone(dt.timedelta(hours=7))
UTC = dt.UTC
START, END = dt.date(2025, 3, 1), dt.date(2025, 3, 3)  # [2025-02-28T17:00Z, 2025-03-02T17:00Z)
FETCHED_AT = dt.datetime(2025, 3, 5, 9, 0, tzinfo=WIB)  # after END: the window is closed


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Fault:
    """Answer `status`/`body` to requests whose path contains `path` (and that `when` accepts),
    after letting `after` of them through, `times` times (-1: forever). `delay` sleeps first
    (a timeout when longer than the client's timeout)."""

    path: str
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    after: int = 0
    delay: float = 0.0
    when: Callable[[Request], bool] | None = None
    seen: int = 0
    served: int = 0


class FakeServer:
    def __init__(self, handler: Callable[[Request], tuple[int, Any, dict[str, str]]]):
        self.handler = handler
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # one write per response: no Nagle/delayed-ACK stalls
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                req = Request(
                    self.command,
                    parts.path,
                    dict(parse_qsl(parts.query, keep_blank_values=True)),
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                status, payload, headers, delay = fake.respond(req)
                if delay:
                    time.sleep(delay)
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = _serve
            do_POST = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, path: str, **kw: Any) -> Fault:
        fault = Fault(path, **kw)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def respond(self, req: Request) -> tuple[int, Any, dict[str, str], float]:
        hit: Fault | None = None
        with self.lock:
            self.requests.append(req)
            for fault in self.faults:
                if fault.path in req.path and (fault.when is None or fault.when(req)):
                    fault.seen += 1
                    if hit is None and fault.seen > fault.after and (fault.times < 0 or fault.served < fault.times):
                        fault.served += 1
                        hit = fault
        if hit is not None and hit.status:
            return hit.status, hit.body if hit.body is not None else {}, dict(hit.headers), hit.delay
        status, payload, headers = self.handler(req)  # status 0 faults only delay the normal answer
        return status, payload, headers, hit.delay if hit is not None else 0.0

    def hits(self, fragment: str) -> list[Request]:
        return [r for r in self.requests if fragment in r.path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def iso_z(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wib(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, minute, tzinfo=WIB)


# ------------------------------------------------------------------------------------------
# YouTube Data API v3
# ------------------------------------------------------------------------------------------
class FakeYouTube:
    platform = "youtube"
    KEY = "AIzaYTkey-S3cr3t-0001"

    def __init__(self) -> None:
        self.server = FakeServer(self.handle)
        self.channels: dict[str, dict[str, Any]] = {}
        self.page_size = 3

    @property
    def env(self) -> dict[str, str]:
        return {"GSM_YOUTUBE_KEY": self.KEY, "GSM_YOUTUBE_BASE_URL": f"{self.server.url}/youtube/v3"}

    def add(
        self,
        channel_id: str,
        videos: list[tuple[str, dt.datetime]],
        subscribers: int = 1000,
        gone: tuple[str, ...] = (),
    ) -> Account:
        """videos newest first; ids in `gone` are in the playlist but not served by videos.list."""
        self.channels[channel_id] = {"videos": videos, "subscribers": subscribers, "gone": set(gone)}
        return Account(platform="youtube", account_id=channel_id)

    @staticmethod
    def error(status: int, reason: str, message: str) -> dict[str, Any]:
        return {
            "error": {
                "code": status,
                "message": message,
                "errors": [
                    {"message": message, "domain": "youtube.quota" if "quota" in reason else "global", "reason": reason}
                ],
            }
        }

    def handle(self, req: Request) -> tuple[int, Any, dict[str, str]]:
        if req.query.get("key") != self.KEY:
            return 400, self.error(400, "keyInvalid", "API key not valid. Please pass a valid API key."), {}
        q = req.query
        if req.path.endswith("/channels"):
            ch = self.channels.get(q.get("id", ""))
            items = (
                []
                if ch is None
                else [
                    {
                        "kind": "youtube#channel",
                        "id": q["id"],
                        "statistics": {
                            "viewCount": "9120000",
                            "subscriberCount": str(ch["subscribers"]),
                            "hiddenSubscriberCount": False,
                            "videoCount": str(len(ch["videos"])),
                        },
                        "contentDetails": {"relatedPlaylists": {"likes": "", "uploads": "UU" + q["id"][2:]}},
                    }
                ]
            )
            return (
                200,
                {
                    "kind": "youtube#channelListResponse",
                    "etag": "e",
                    "pageInfo": {"totalResults": len(items)},
                    "items": items,
                },
                {},
            )
        if req.path.endswith("/playlistItems"):
            cid = "UC" + q.get("playlistId", "")[2:]
            ch = self.channels.get(cid)
            if ch is None:
                return (
                    404,
                    self.error(
                        404,
                        "playlistNotFound",
                        "The playlist identified with the request's playlistId parameter cannot be found.",
                    ),
                    {},
                )
            start = int(q.get("pageToken", "0") or 0)
            size = min(int(q.get("maxResults", "5")), self.page_size)
            chunk = ch["videos"][start : start + size]
            body: dict[str, Any] = {
                "kind": "youtube#playlistItemListResponse",
                "etag": "e",
                "items": [
                    {
                        "kind": "youtube#playlistItem",
                        "id": f"pi{vid}",
                        "contentDetails": {"videoId": vid} | ({"videoPublishedAt": iso_z(t)} if t else {}),
                    }
                    for vid, t in chunk
                ],
                "pageInfo": {"totalResults": len(ch["videos"]), "resultsPerPage": size},
            }
            if start + size < len(ch["videos"]):
                body["nextPageToken"] = str(start + size)
            return 200, body, {}
        if req.path.endswith("/videos"):
            ids = q.get("id", "").split(",")
            assert len(ids) <= 50
            items = []
            for ch_id, ch in self.channels.items():
                for vid, t in ch["videos"]:
                    if vid in ids and vid not in ch["gone"] and t is not None:
                        items.append(
                            {
                                "kind": "youtube#video",
                                "id": vid,
                                "snippet": {"publishedAt": iso_z(t), "channelId": ch_id, "title": f"Video {vid}"},
                                "statistics": {
                                    "viewCount": "1500",
                                    "likeCount": "41",
                                    "favoriteCount": "0",
                                    "commentCount": "3",
                                },
                                "contentDetails": {"duration": "PT1M3S"},
                            }
                        )
            return (
                200,
                {
                    "kind": "youtube#videoListResponse",
                    "etag": "e",
                    "items": items,
                    "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
                },
                {},
            )
        return 404, self.error(404, "notFound", "no such endpoint"), {}


# ------------------------------------------------------------------------------------------
# X API v2
# ------------------------------------------------------------------------------------------
class FakeX:
    platform = "x"
    TOKEN = "AAAAAAAAXbearer-S3cr3t-0002"

    def __init__(self) -> None:
        self.server = FakeServer(self.handle)
        self.users: dict[str, dict[str, Any]] = {}
        self.page_size = 2

    @property
    def env(self) -> dict[str, str]:
        return {"GSM_X_TOKEN": self.TOKEN, "GSM_X_BASE_URL": f"{self.server.url}/2"}

    def add(
        self, user_id: str, tweets: list[tuple[str, dt.datetime]], followers: int = 500, suspended: bool = False
    ) -> Account:
        self.users[user_id] = {
            "tweets": sorted(tweets, key=lambda t: t[1], reverse=True),
            "followers": followers,
            "suspended": suspended,
        }
        return Account(platform="x", account_id=user_id, handle=f"user{user_id}")

    def handle(self, req: Request) -> tuple[int, Any, dict[str, str]]:
        if req.headers.get("authorization") != f"Bearer {self.TOKEN}":
            return 401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, {}
        m = re.fullmatch(r"/2/users/([^/]+)(/tweets)?", req.path)
        if not m:
            return 404, {"title": "Not Found Error", "detail": "no route", "status": 404}, {}
        user_id, tweets = m.group(1), m.group(2)
        user = self.users.get(user_id)
        if user is None or user["suspended"]:
            detail = f"User has been suspended: [{user_id}]." if user else f"Could not find user with id: [{user_id}]."
            return (
                200,
                {
                    "errors": [
                        {
                            "value": user_id,
                            "detail": detail,
                            "title": "Forbidden" if user else "Not Found Error",
                            "resource_type": "user",
                            "parameter": "id",
                            "resource_id": user_id,
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }
                    ]
                },
                {},
            )
        if not tweets:
            return (
                200,
                {
                    "data": {
                        "id": user_id,
                        "name": "Contoh",
                        "username": f"user{user_id}",
                        "public_metrics": {
                            "followers_count": user["followers"],
                            "following_count": 1,
                            "tweet_count": len(user["tweets"]),
                            "listed_count": 0,
                        },
                    }
                },
                {},
            )
        q = req.query
        lo = dt.datetime.fromisoformat(q["start_time"].replace("Z", "+00:00"))
        hi = (
            dt.datetime.fromisoformat(q["end_time"].replace("Z", "+00:00"))
            if "end_time" in q
            else dt.datetime.max.replace(tzinfo=UTC)
        )
        found = [(tid, t) for tid, t in user["tweets"] if lo <= t < hi]
        start = int(q.get("pagination_token", "0"))
        chunk = found[start : start + self.page_size]
        if not chunk:
            return 200, {"meta": {"result_count": 0}}, {}
        data, media = [], []
        for n, (tid, t) in enumerate(chunk):
            tweet = {
                "id": tid,
                "created_at": t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "text": f"post {tid}",
                "edit_history_tweet_ids": [tid],
                "public_metrics": {
                    "retweet_count": 4,
                    "reply_count": 1,
                    "like_count": 30,
                    "quote_count": 0,
                    "bookmark_count": 0,
                    "impression_count": 900,
                },
            }
            if "author_id" in q.get("tweet.fields", "").split(","):  # as X: only the fields asked for
                tweet["author_id"] = user_id
            if n % 2 == 0:
                tweet["attachments"] = {"media_keys": [f"7_{tid}"]}
                media.append(
                    {
                        "media_key": f"7_{tid}",
                        "type": "video",
                        "duration_ms": 15000,
                        "public_metrics": {"view_count": 700},
                    }
                )
            data.append(tweet)
        meta: dict[str, Any] = {"result_count": len(chunk), "newest_id": chunk[0][0], "oldest_id": chunk[-1][0]}
        if start + self.page_size < len(found):
            meta["next_token"] = str(start + self.page_size)
        body: dict[str, Any] = {"data": data, "meta": meta}
        if media:
            body["includes"] = {"media": media}
        return 200, body, {}


# ------------------------------------------------------------------------------------------
# Graph API: Facebook pages
# ------------------------------------------------------------------------------------------
def graph_error(code: int, message: str, subcode: int | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}
    if subcode is not None:
        err["error_subcode"] = subcode
    return {"error": err}


def graph_time(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class FakeFacebook:
    platform = "facebook"
    TOKEN = "EAAGfbPageToken-S3cr3t-0003"

    def __init__(self) -> None:
        self.server = FakeServer(self.handle)
        self.pages: dict[str, dict[str, Any]] = {}
        self.page_size = 2

    @property
    def env(self) -> dict[str, str]:
        return {"GSM_FACEBOOK_TOKEN": self.TOKEN, "GSM_FACEBOOK_BASE_URL": f"{self.server.url}/v21.0"}

    def add(
        self, page_id: str, posts: list[tuple[str, dt.datetime]], followers: int = 2000, deleted: bool = False
    ) -> Account:
        self.pages[page_id] = {
            "posts": sorted(posts, key=lambda p: p[1], reverse=True),
            "followers": followers,
            "deleted": deleted,
        }
        return Account(platform="facebook", account_id=page_id)

    def handle(self, req: Request) -> tuple[int, Any, dict[str, str]]:
        q = req.query
        if q.get("access_token") != self.TOKEN:
            return 400, graph_error(190, "Error validating access token: Session has expired on Monday.", 463), {}
        m = re.fullmatch(r"/v21\.0/([^/]+)(/posts)?", req.path)
        page = self.pages.get(m.group(1)) if m else None
        if page is None or page["deleted"]:
            return (
                400,
                graph_error(
                    100,
                    f"Unsupported get request. Object with ID '{m.group(1) if m else '?'}' does not "
                    "exist, cannot be loaded due to missing permissions, or does not support this operation.",
                    33,
                ),
                {},
            )
        page_id = m.group(1)
        if not m.group(2):
            return (
                200,
                {
                    "id": page_id,
                    "name": f"Page {page_id}",
                    "followers_count": page["followers"],
                    "fan_count": page["followers"] - 10,
                },
                {},
            )
        since, until = int(q["since"]), int(q["until"])
        found = [(pid, t) for pid, t in page["posts"] if since <= t.timestamp() <= until]
        start = int(q.get("after", "0"))
        size = min(int(q.get("limit", "25")), self.page_size)
        chunk = found[start : start + size]
        data = []
        for n, (pid, t) in enumerate(chunk):
            post = {
                "id": f"{page_id}_{pid}",
                "created_time": graph_time(t),
                "message": f"Post {pid}",
                "attachments": {"data": [{"media_type": "video" if n % 2 else "photo"}]},
                "reactions": {"data": [], "summary": {"total_count": 100 + n}},
                "comments": {"data": [], "summary": {"total_count": 7}},
            }
            if "from" in q["fields"].split(","):  # as Graph: only the fields asked for
                post["from"] = {"name": f"Page {page_id}", "id": page_id}
            if n % 2 == 0:
                post["shares"] = {"count": 3}
            data.append(post)
        paging: dict[str, Any] = {"cursors": {"before": f"b{start}", "after": str(start + size)}}
        if start + size < len(found):
            nq = dict(q) | {"after": str(start + size)}  # the real API echoes the token here
            paging["next"] = f"https://graph.facebook.com/v21.0/{page_id}/posts?{urlencode(nq)}"
        return 200, {"data": data, "paging": paging}, {}


# ------------------------------------------------------------------------------------------
# Graph API: Instagram Business Discovery
# ------------------------------------------------------------------------------------------
class FakeInstagram:
    platform = "instagram"
    TOKEN = "IGQVJigToken-S3cr3t-0004"
    CALLER = "17841400000000099"

    def __init__(self) -> None:
        self.server = FakeServer(self.handle)
        self.users: dict[str, dict[str, Any]] = {}  # by username
        self.page_size = 2

    @property
    def env(self) -> dict[str, str]:
        return {
            "GSM_INSTAGRAM_TOKEN": self.TOKEN,
            "GSM_INSTAGRAM_USER_ID": self.CALLER,
            "GSM_INSTAGRAM_BASE_URL": f"{self.server.url}/v21.0",
        }

    def add(self, ig_id: str, username: str, media: list[tuple[str, dt.datetime]], followers: int = 3000) -> Account:
        self.users[username] = {
            "id": ig_id,
            "media": sorted(media, key=lambda p: p[1], reverse=True),
            "followers": followers,
        }
        return Account(platform="instagram", account_id=ig_id, handle=username)

    def handle(self, req: Request) -> tuple[int, Any, dict[str, str]]:
        q = req.query
        if q.get("access_token") != self.TOKEN:
            return 400, graph_error(190, "Error validating access token: The session has been invalidated.", 460), {}
        if req.path != f"/v21.0/{self.CALLER}":
            return 400, graph_error(100, "Unsupported get request. Object with ID does not exist.", 33), {}
        m = re.fullmatch(r"business_discovery\.username\(([^)]*)\)\{(.*)\}", q.get("fields", ""))
        assert m, q.get("fields")
        username, inner = m.group(1), m.group(2)
        user = self.users.get(username)
        if user is None:
            return 400, graph_error(110, "Invalid user id", 2207013), {}
        found: dict[str, Any] = {"id": user["id"]}
        if "media" not in inner:
            found.update(username=username, followers_count=user["followers"], media_count=len(user["media"]))
            return 200, {"business_discovery": found, "id": self.CALLER}, {}
        after = re.search(r"media\.after\(([^)]*)\)", inner)
        start = int(after.group(1)[1:]) if after else 0
        chunk = user["media"][start : start + self.page_size]
        data = [
            {
                "id": mid,
                "timestamp": graph_time(t),
                "media_type": "VIDEO" if n % 2 else "CAROUSEL_ALBUM",
                "media_product_type": "REELS" if n % 2 else "FEED",
                "like_count": 0 if n % 2 else 120,
                "comments_count": 9,
                "caption": f"Caption {mid}",
            }
            for n, (mid, t) in enumerate(chunk)
        ]
        if ",username}" in inner:  # as Graph: only the fields asked for
            data = [m | {"username": username} for m in data]
        found["followers_count"] = user["followers"]
        found["media"] = {
            "data": data,
            "paging": {"cursors": {"before": f"c{start}", "after": f"c{start + len(chunk)}"}},
        }
        return 200, {"business_discovery": found, "id": self.CALLER}, {}


# ------------------------------------------------------------------------------------------
# TikTok Research API
# ------------------------------------------------------------------------------------------
class FakeTikTok:
    platform = "tiktok"
    TOKEN = "clt.TikTokClientToken-S3cr3t-0005"

    def __init__(self) -> None:
        self.server = FakeServer(self.handle)
        self.users: dict[str, dict[str, Any]] = {}
        self.page_size = 2
        self.queries: list[tuple[str, str]] = []

    @property
    def env(self) -> dict[str, str]:
        return {"GSM_TIKTOK_TOKEN": self.TOKEN, "GSM_TIKTOK_BASE_URL": f"{self.server.url}/v2"}

    def add(self, username: str, videos: list[tuple[int, dt.datetime]], followers: int = 4000) -> Account:
        self.users[username] = {"videos": sorted(videos, key=lambda v: v[1], reverse=True), "followers": followers}
        return Account(platform="tiktok", account_id=username, handle=username)

    @staticmethod
    def body(data: Any, code: str = "ok", message: str = "") -> dict[str, Any]:
        return {"data": data, "error": {"code": code, "message": message, "log_id": "202503050900"}}

    def handle(self, req: Request) -> tuple[int, Any, dict[str, str]]:
        if req.headers.get("authorization") != f"Bearer {self.TOKEN}":
            return (
                401,
                self.body({}, "access_token_invalid", "The access token is invalid or not found in the request."),
                {},
            )
        if req.method != "POST":
            return 405, self.body({}, "invalid_params", "POST only"), {}
        if req.path == "/v2/research/user/info/":
            user = self.users.get((req.body or {}).get("username", ""))
            if user is None:
                return 400, self.body({}, "invalid_params", "user does not exist or is private"), {}
            return (
                200,
                self.body(
                    {
                        "display_name": "Contoh",
                        "follower_count": user["followers"],
                        "following_count": 3,
                        "likes_count": 99000,
                        "video_count": len(user["videos"]),
                    }
                ),
                {},
            )
        if req.path == "/v2/research/video/query/":
            b = req.body or {}
            first = dt.datetime.strptime(b["start_date"], "%Y%m%d").date()
            last = dt.datetime.strptime(b["end_date"], "%Y%m%d").date()
            self.queries.append((b["start_date"], b["end_date"]))
            if (last - first).days > 30 or last < first:
                return (
                    400,
                    self.body({}, "invalid_params", "end_date must be no more than 30 days after start_date"),
                    {},
                )
            username = b["query"]["and"][0]["field_values"][0]
            user = self.users.get(username, {"videos": []})
            found = [(vid, t) for vid, t in user["videos"] if first <= t.astimezone(UTC).date() <= last]
            cursor = int(b.get("cursor") or 0)
            if cursor and b.get("search_id") != f"search-{username}":
                return 400, self.body({}, "invalid_params", "Search Id is invalid or expired"), {}
            chunk = found[cursor : cursor + self.page_size]
            videos = [
                {
                    "id": vid,
                    "create_time": int(t.timestamp()),
                    "username": username,
                    "view_count": 1200,
                    "like_count": 80,
                    "comment_count": 5,
                    "share_count": 2,
                    "video_duration": 31,
                }
                for vid, t in chunk
            ]
            return (
                200,
                self.body(
                    {
                        "videos": videos,
                        "cursor": cursor + len(chunk),
                        "has_more": cursor + len(chunk) < len(found),
                        "search_id": f"search-{username}",
                    }
                ),
                {},
            )
        return 404, self.body({}, "invalid_params", "no such endpoint"), {}


FAKES = {"youtube": FakeYouTube, "x": FakeX, "facebook": FakeFacebook, "instagram": FakeInstagram, "tiktok": FakeTikTok}


def read_envelopes(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
