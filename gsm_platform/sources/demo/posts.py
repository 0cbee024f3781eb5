"""Post records in each platform's body shape (a snapshot's counts filled in per pull), and the
posts page envelopes with the request, paging and collector fields each platform returns."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np

from gsm_platform.sources.demo.activity import DAY, WIB, _Account, _day_number, _Skeleton
from gsm_platform.sources.demo.formats import (
    _TEXTS,
    _cursor,
    _dumps,
    _envelope,
    _graph_version,
    _iso,
    _youtube_ids,
    _yt_duration,
)
from gsm_platform.sources.demo.seeds import _h64

# the account numbers an id space spans: more than any plan holds (the award scale's ~1,000), so an
# earlier edition's account numbers (num + 20,000) feed other instagram and youtube ids; tiktok and
# x ids carry the publication time too
ID_SPACE_ACCOUNTS = 20_000


def _shortcode(media_id: int) -> str:
    """A stable Instagram-like shortcode of a synthetic media id (base64url digits)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    value, out = int(media_id), ""
    while value:
        value, digit = divmod(value, 64)
        out = alphabet[digit] + out
    return out or "A"


def _post_strings(
    a: _Account,
    p: str,
    n: int,
    sk: _Skeleton,
    rng: np.random.Generator,
    kind: np.ndarray,
    kinds: tuple,
    text_idx: np.ndarray,
    collab: np.ndarray,
):
    """(platform id per post, function building each snapshot's record strings)."""
    iso = _iso(sk.t)
    texts = [_TEXTS[i] for i in text_idx.tolist()]
    num = a.num + a.id_space * ID_SPACE_ACCOUNTS  # ids from num: another space, other ids
    post = sk.post
    kind_l = kind.tolist()
    collab_l = collab.tolist()
    leader = json.dumps(a.leader_handle, ensure_ascii=False)
    leader_id = json.dumps(a.leader_id)

    if p == "facebook":
        base = 10**15 + (_h64("fb", a.account_id, a.id_space) if a.id_space else _h64("fb", a.account_id)) % 10**15
        att = [f',"attachments":{{"data":[{{"media_type":"{k}"}}]}}' if k else "" for k in kinds]
        author = f'"from":{{"name":{json.dumps(a.name, ensure_ascii=False)},"id":{json.dumps(a.account_id)}}}'
        tag = f',"message_tags":[{{"id":{leader_id},"name":{leader},"type":"user"}}]'
        statics = [
            f'{{"id":"{a.account_id}_{base + i}","created_time":"{iso[i]}+0000","message":{texts[i]},'
            f'"permalink_url":"https://www.facebook.com/{a.account_id}/posts/{base + i}",'
            f"{author}{att[kind_l[i]]}{tag if collab_l[i] else ''}"
            for i in range(n)
        ]

        def facebook_records(snap, sl=None):
            idx = post if sl is None else post[sl[0] : sl[1]]
            out = []
            for i, (r, c, s) in zip(idx.tolist(), snap.tolist(), strict=True):
                sh = f',"shares":{{"count":{s}}}' if s > 0 else ""
                out.append(
                    f'{statics[i]},"reactions":{{"data":[],"summary":{{"total_count":{r}}}}},'
                    f'"comments":{{"data":[],"summary":{{"total_count":{c}}}}}{sh}}}'
                )
            return out

        return [f"{a.account_id}_{base + i}" for i in range(n)], facebook_records

    if p == "instagram":
        reels_from = _day_number(dt.date(2020, 8, 5)) * DAY  # Reels launched in Indonesia in 2020
        reels = (rng.random(n) < rng.uniform(0.5, 0.95)) & (sk.t >= reels_from)
        ids = (17_900_000_000_000_000 + num * 10**8 + np.arange(n, dtype=np.int64)).tolist()
        reels_l = reels.tolist()
        # Business Discovery returns the username of others' media; the media edge of one's own
        # account returns the owner
        author = (
            f',"username":{json.dumps(a.handle)}' if a.ig_discovery else f',"owner":{{"id":{json.dumps(a.account_id)}}}'
        )
        statics = []
        for i in range(n):
            k = kinds[kind_l[i]]
            prod = "REELS" if (k == "VIDEO" and reels_l[i]) else "FEED"
            together = f',"collaborators":{{"data":[{{"id":{leader_id},"username":{leader}}}]}}' if collab_l[i] else ""
            statics.append(
                f'{{"id":"{ids[i]}","timestamp":"{iso[i]}+0000","media_type":"{k}",'
                f'"media_product_type":"{prod}","caption":{texts[i]}{author}'
                f',"permalink":"https://www.instagram.com/p/{_shortcode(ids[i])}/"{together}'
            )

        def instagram_records(snap, sl=None):
            idx = post if sl is None else post[sl[0] : sl[1]]
            return [
                f'{statics[i]},"like_count":{lk},"comments_count":{c}}}'
                for i, (lk, c) in zip(idx.tolist(), snap.tolist(), strict=True)
            ]

        return [str(v) for v in ids], instagram_records

    if p == "x":
        ms = sk.t * 1000 + rng.integers(0, 1000, n)
        tid = (((ms - 1288834974657) << 22) | ((num & 0x3FF) << 12) | (np.arange(n) & 0xFFF)).tolist()
        n_photos = rng.choice([1, 1, 1, 2, 3, 4], size=n).tolist()
        dur = rng.integers(5_000, 180_000, n).tolist()
        statics, media_static = [], []
        for i in range(n):
            k = kinds[kind_l[i]]
            keys: list[str] = []
            media: list[str] = []
            if k == "photo":
                keys = [f"3_{tid[i] + j}" for j in range(n_photos[i])]
                media = [f'{{"media_key":"{key}","type":"photo"}}' for key in keys]
            elif k == "animated_gif":
                keys = [f"16_{tid[i]}"]
                media = [f'{{"media_key":"{keys[0]}","type":"animated_gif"}}']
            elif k == "video":
                keys = [f"7_{tid[i]}"]
                media = [
                    f'{{"media_key":"{keys[0]}","type":"video","duration_ms":{dur[i]},"public_metrics":{{"view_count":'
                ]
            attachments = f',"attachments":{{"media_keys":{_dumps(keys)}}}' if keys else ""
            text = texts[i]
            mention = ""
            if collab_l[i]:  # "... bersama @leader": the text names the leader, entities.mentions locates it
                words = json.loads(texts[i]) + " bersama "
                text = json.dumps(words + "@" + a.leader_handle, ensure_ascii=False)
                start = len(words)
                mention = (
                    f',"entities":{{"mentions":[{{"start":{start},"end":{start + 1 + len(a.leader_handle)},'
                    f'"username":{leader},"id":{leader_id}}}]}}'
                )
            statics.append(
                f'{{"id":"{tid[i]}","author_id":{json.dumps(a.account_id)},"created_at":"{iso[i]}.000Z",'
                f'"text":{text}{attachments}{mention}'
            )
            media_static.append(media)
        is_video = [kinds[k] == "video" for k in kind_l]

        def x_records(snap, imp, bm, views, sl=None):
            idx = post if sl is None else post[sl[0] : sl[1]]
            out = []
            for i, (lk, rp, rt, q), im, b, v in zip(
                idx.tolist(), snap.tolist(), imp.tolist(), bm.tolist(), views.tolist(), strict=True
            ):
                rec = (
                    f'{statics[i]},"public_metrics":{{"retweet_count":{rt},"reply_count":{rp},"like_count":{lk},'
                    f'"quote_count":{q},"bookmark_count":{b},"impression_count":{max(im, v)}}}}}'
                )
                media = media_static[i]
                if is_video[i]:
                    media = [media[0] + f"{v}}}}}"]
                out.append((rec, media))
            return out

        return [str(v) for v in tid], x_records

    if p == "youtube":
        vids = _youtube_ids(num, n)
        shorts = rng.random(n) < rng.uniform(0.1, 0.6)
        secs = np.where(shorts, rng.integers(15, 61, n), rng.integers(90, 3 * 3600, n)).tolist()
        titles = [(("Shorts: " if s else "") + json.loads(t)) for s, t in zip(shorts.tolist(), texts, strict=True)]
        statics = [
            f'{{"kind":"youtube#video","id":"{vids[i]}","snippet":{{"publishedAt":"{iso[i]}Z",'
            f'"channelId":{json.dumps(a.account_id)},"title":{_dumps(titles[i])}}},'
            f'"contentDetails":{{"duration":"{_yt_duration(secs[i])}"}}'
            for i in range(n)
        ]
        hide = a.yt_hide_likes

        def youtube_records(snap, views, no_comments, sl=None):
            idx = post if sl is None else post[sl[0] : sl[1]]
            nc = no_comments.tolist()
            out = []
            for i, (lk, c), v in zip(idx.tolist(), snap.tolist(), views.tolist(), strict=True):
                like = "" if hide else f'"likeCount":"{lk}",'
                com = "" if nc[i] else f',"commentCount":"{c}"'
                out.append(
                    f'{statics[i]},"statistics":{{"viewCount":"{max(v, lk + c)}",{like}"favoriteCount":"0"{com}}}}}'
                )
            return out

        return vids, youtube_records

    # tiktok
    ids = ((sk.t << 32) | ((num & 0xFFFF) << 16) | (np.arange(n) & 0xFFFF)).tolist()
    durs = rng.integers(8, 181, n).tolist()
    t_l = sk.t.tolist()
    user = json.dumps(a.account_id)
    mentions = f',"video_mention_list":[{leader}]'
    statics = [
        f'{{"id":{ids[i]},"create_time":{t_l[i]},"username":{user},"video_duration":{durs[i]}'
        + (mentions if collab_l[i] else "")
        for i in range(n)
    ]

    def tiktok_records(snap, views, sl=None):
        idx = post if sl is None else post[sl[0] : sl[1]]
        return [
            f'{statics[i]},"view_count":{max(v, lk)},"like_count":{lk},"comment_count":{c},"share_count":{s}}}'
            for i, (lk, c, s), v in zip(idx.tolist(), snap.tolist(), views.tolist(), strict=True)
        ]

    return [str(v) for v in ids], tiktok_records


FB_FIELDS = (
    "id,created_time,message,from,attachments{media_type},reactions.summary(total_count),"
    "comments.summary(total_count),shares,permalink_url,message_tags"
)
IG_FIELDS = (
    "id,timestamp,media_type,media_product_type,like_count,comments_count,caption,permalink,collaborators{id,username}"
)
X_PARAMS = {
    "tweet.fields": "author_id,created_at,public_metrics,attachments,entities",
    "expansions": "attachments.media_keys",
    "media.fields": "type,duration_ms,public_metrics",
    "max_results": "100",
}
TT_FIELDS = "id,create_time,username,view_count,like_count,comment_count,share_count,video_duration,video_mention_list"
IG_COLLECTOR = "17841400000000099"  # the instagram account the Business Discovery queries run as


def _posts_envelope(
    a: _Account,
    d: int,
    pg: int,
    fetched: int,
    recs: list,
    ids: list,
    s: int,
    e: int,
    last: bool,
    fol_at,
    offset: int = 0,
) -> str:
    """One page (snapshots s..e of the account's pull on day d) as a posts envelope."""
    p = a.platform
    part = recs[s - offset : e - offset]
    cur = _cursor(a.account_id, d, pg)
    nxt = _cursor(a.account_id, d, pg + 1)
    if p == "facebook":
        params = {"fields": FB_FIELDS, "limit": "100"}
        if pg:
            params["after"] = cur
        req = _dumps({"endpoint": f"/{_graph_version(d)}/{a.account_id}/posts", "params": params})
        paging = f'{{"cursors":{{"before":"{cur}","after":"{nxt}"}}}}'
        body = f'{{"data":[{",".join(part)}],"paging":{paging}}}'
    elif p == "instagram":
        if a.ig_discovery:
            media_field = "media" + (f".after({cur})" if pg else "") + "{" + IG_FIELDS + ",username}"
            params = {"fields": f"business_discovery.username({a.handle}){{followers_count,media_count,{media_field}}}"}
            req = _dumps({"endpoint": f"/{_graph_version(d)}/{IG_COLLECTOR}", "params": params})
            fol = int(fol_at(fetched))
            paging = "" if last else f',"paging":{{"cursors":{{"after":"{nxt}"}}}}'
            body = (
                f'{{"business_discovery":{{"id":{json.dumps(a.account_id)},"followers_count":{fol},'
                f'"media":{{"data":[{",".join(part)}]{paging}}}}}}}'
            )
        else:
            params = {"fields": IG_FIELDS + ",owner", "limit": "100"}
            if pg:
                params["after"] = cur
            req = _dumps({"endpoint": f"/{_graph_version(d)}/{a.account_id}/media", "params": params})
            body = f'{{"data":[{",".join(part)}],"paging":{{"cursors":{{"before":"{cur}","after":"{nxt}"}}}}}}'
    elif p == "x":
        params = dict(X_PARAMS)
        if pg:
            params["pagination_token"] = cur
        req = _dumps({"endpoint": f"/2/users/{a.account_id}/tweets", "params": params})
        tweets = ",".join(r[0] for r in part)
        media = [m for r in part for m in r[1]]
        tids = sorted(ids[s:e], key=int)
        inc = f',"includes":{{"media":[{",".join(media)}]}}' if media else ""
        meta = f'"result_count":{len(part)},"newest_id":"{tids[-1]}","oldest_id":"{tids[0]}"'
        if not last:
            meta += f',"next_token":"{nxt}"'
        body = f'{{"data":[{tweets}]{inc},"meta":{{{meta}}}}}'
    elif p == "youtube":
        vid_ids = ",".join(ids[s:e])
        req = _dumps(
            {"endpoint": "/youtube/v3/videos", "params": {"part": "snippet,statistics,contentDetails", "id": vid_ids}}
        )
        body = (
            f'{{"kind":"youtube#videoListResponse","etag":"{_cursor("etag", a.account_id, d, pg, offset)[:27]}",'
            f'"items":[{",".join(part)}],"pageInfo":{{"totalResults":{len(part)},"resultsPerPage":{len(part)}}}}}'
        )
    else:  # tiktok
        params = {"fields": TT_FIELDS, "max_count": "100"}
        if pg:
            params["cursor"] = str(pg * 100)
        req = _dumps({"endpoint": "/v2/research/video/query/", "params": params})
        log_id = str(np.datetime64(fetched + WIB, "s")).replace("-", "").replace(":", "").replace("T", "")
        search_id = 7_000_000_000_000_000_000 + _h64("search", a.account_id, d) % 10**18
        body = (
            f'{{"data":{{"videos":[{",".join(part)}],"cursor":{(pg + 1) * 100},'
            f'"has_more":{"false" if last else "true"},'
            f'"search_id":"{search_id}"}},"error":{{"code":"ok","message":"","log_id":"{log_id}"}}}}'
        )
    return _envelope(a, "posts", fetched, req, body)
