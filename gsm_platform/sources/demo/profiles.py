"""Profile envelopes: an account's follower count in its platform's profile body, weekly
through the window (plus one before it), or once for an account first pulled late."""

from __future__ import annotations

import json

import numpy as np

from gsm_platform.sources.demo.activity import DAY, WIB, _Account, _Frame, _Skeleton
from gsm_platform.sources.demo.formats import _dumps, _envelope, _graph_version, _sig3, _Writer


def _profiles(
    a: _Account, frame: _Frame, sk: _Skeleton, rng: np.random.Generator, followers, w: _Writer, n: int
) -> int:
    p = a.platform
    days = np.array([frame.backfill_day]) if a.late else frame.profile_days()
    ts = days * DAY - WIB + sk.pull_offset - 60
    fol = followers(ts).tolist()
    posted = np.searchsorted(sk.t, ts).tolist()  # posts made so far in the data (plus a history)
    history = int(rng.integers(50, 8000))
    name = json.dumps(a.name, ensure_ascii=False)
    handle = json.dumps(a.handle, ensure_ascii=False)
    before = json.dumps(a.previous_handle, ensure_ascii=False) if a.previous_handle else handle
    acc = json.dumps(a.account_id)
    count = 0
    for d, t, f, k in zip(days.tolist(), ts.tolist(), fol, posted, strict=True):
        v = _graph_version(d)
        media_count = history + k
        shown = before if d < a.renamed_day else handle  # the handle the profile names that day
        if p == "facebook":
            req = _dumps(
                {"endpoint": f"/{v}/{a.account_id}", "params": {"fields": "id,name,followers_count,fan_count"}}
            )
            body = f'{{"id":{acc},"name":{name},"followers_count":{f},"fan_count":{int(f * 0.96)}}}'
        elif p == "instagram":
            req = _dumps(
                {"endpoint": f"/{v}/{a.account_id}", "params": {"fields": "id,username,followers_count,media_count"}}
            )
            body = f'{{"id":{acc},"username":{shown},"followers_count":{f},"media_count":{media_count}}}'
        elif p == "x":
            req = _dumps({"endpoint": f"/2/users/{a.account_id}", "params": {"user.fields": "public_metrics"}})
            body = (
                f'{{"data":{{"id":{acc},"name":{name},"username":{shown},"public_metrics":{{"followers_count":{f},'
                f'"following_count":{100 + a.num % 700},"tweet_count":{media_count * 3},"listed_count":{f // 900}}}}}}}'
            )
        elif p == "youtube":
            req = _dumps({"endpoint": "/youtube/v3/channels", "params": {"part": "statistics", "id": a.account_id}})
            subs = "" if a.yt_hide_subs else f'"subscriberCount":"{_sig3(f)}",'
            body = (
                f'{{"kind":"youtube#channelListResponse","items":[{{"kind":"youtube#channel","id":{acc},'
                f'"statistics":{{"viewCount":"{f * 40 + media_count * 900}",{subs}'
                f'"hiddenSubscriberCount":{"true" if a.yt_hide_subs else "false"},"videoCount":"{media_count}"}}}}]}}'
            )
        else:
            req = _dumps(
                {
                    "endpoint": "/v2/research/user/info/",
                    "params": {"fields": "display_name,follower_count,following_count,likes_count,video_count"},
                }
            )
            log_id = str(np.datetime64(t + WIB, "s")).replace("-", "").replace(":", "").replace("T", "")
            body = (
                f'{{"data":{{"display_name":{name},"follower_count":{f},"following_count":{a.num % 50},'
                f'"likes_count":{f * 20},"video_count":{media_count}}},'
                f'"error":{{"code":"ok","message":"","log_id":"{log_id}"}}}}'
            )
        line = _envelope(a, "profile", t, req, body)
        if a.special == "json" and count == 0:
            stamp = str(np.datetime64(int(d), "D")).replace("-", "")
            month = str(np.datetime64(int(d), "D"))[:7]
            w.json_files.append(
                (
                    f"{month}/profile-{a.account_id}-{stamp}.json",
                    json.dumps(json.loads(line), indent=2, ensure_ascii=False) + "\n",
                )
            )
            w.envelopes += 1
        else:
            w.add("profile", d, line)
        count += 1
    return count
