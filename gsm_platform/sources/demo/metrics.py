"""One account's data: its audience (log-normal size, growing over the year), its engagement
and media mix, each post's counts as they grow from pull to pull, and the pages of posts and
the profiles that carry them (duplicated and stale pages included)."""

from __future__ import annotations

import numpy as np

from gsm_platform.sources.demo.activity import DAY, WIB, _Account, _Frame, _skeleton
from gsm_platform.sources.demo.formats import _TEXTS, _Writer
from gsm_platform.sources.demo.posts import _post_strings, _posts_envelope
from gsm_platform.sources.demo.profiles import _profiles
from gsm_platform.sources.demo.seeds import _rng

PAGE_GAP_S = 3  # seconds between two pages of one pull


MEDIA = {
    "facebook": (
        ("photo", "album", "video", "link", None),
        (0.42, 0.12, 0.16, 0.15, 0.15),
        (1.0, 1.25, 1.1, 0.35, 0.5),
    ),
    "instagram": (("IMAGE", "CAROUSEL_ALBUM", "VIDEO"), (0.42, 0.30, 0.28), (1.0, 1.25, 1.2)),
    "x": (("photo", "video", "animated_gif", None), (0.45, 0.13, 0.03, 0.39), (1.2, 1.3, 0.9, 0.7)),
    "youtube": (("video",), (1.0,), (1.0,)),
    "tiktok": (("video",), (1.0,), (1.0,)),
}
CLUSTER_FOLLOWERS = {"kementerian": 250_000, "lembaga": 70_000, "pemprov": 60_000, "ptn": 35_000, "bumn": 90_000}
PLATFORM_FOLLOWERS = {"facebook": 1.0, "instagram": 1.3, "x": 0.8, "youtube": 0.12, "tiktok": 0.35}
PLATFORM_ER = {"facebook": 0.0025, "instagram": 0.012, "x": 0.0015, "youtube": 0.006, "tiktok": 0.03}
# shares of the interactions per count, per platform
SPLIT = {
    "facebook": (0.80, 0.12, 0.08),  # reactions, comments, shares
    "instagram": (0.95, 0.05),  # likes, comments
    "x": (0.60, 0.10, 0.25, 0.05),  # likes, replies, retweets, quotes
    "youtube": (0.90, 0.10),  # likes, comments
    "tiktok": (0.85, 0.08, 0.07),  # likes, comments, shares
}


def _growth(age_s: np.ndarray, tau1: float) -> np.ndarray:
    """Share of a post's final counts reached at an age (monotone in age)."""
    a = np.maximum(age_s, 0) / DAY
    return 1.0 - 0.72 * np.exp(-a / tau1) - 0.28 * np.exp(-a / 30.0)


# Posts made with the institution's leader (the GSM Outlook's collaboration posts): a share of an
# institution account's posts on a platform where its leader has an account, more liked, as the
# 2025 Outlook observed. Drawn from a generator of their own, so that every other number of the
# demo stays what it was for the same seed.
COLLAB_SHARE = 0.15
COLLAB_LIFT = 1.8
COLLAB_PLATFORMS = ("facebook", "instagram", "x", "tiktok")


def _collaborations(a: _Account, seed: int, n: int) -> np.ndarray:
    if not a.leader_handle or a.platform not in COLLAB_PLATFORMS:
        return np.zeros(n, dtype=bool)
    return _rng(seed, "collaboration", a.platform, a.account_id).random(n) < COLLAB_SHARE


def _account_data(a: _Account, frame: _Frame, seed: int) -> tuple[_Writer, int, int]:
    sk = _skeleton(a, frame, seed)
    rng = _rng(seed, "metrics", a.platform, a.account_id)
    p = a.platform
    n = len(sk.t)
    start_ts = frame.start_day * DAY - WIB

    # audience: log-normal size, slow growth over the year
    f0 = CLUSTER_FOLLOWERS[a.cluster] * PLATFORM_FOLLOWERS[p] * rng.lognormal(0.0, 1.3)
    f0 = max(150.0, f0 * (0.08 if a.dormant else 1.0))
    growth = rng.uniform(0.01, 0.35)

    def followers(ts: np.ndarray | int) -> np.ndarray:
        return np.floor(f0 * (1.0 + growth * (np.asarray(ts, dtype=np.float64) - start_ts) / (365.0 * DAY))).astype(
            np.int64
        )

    er = PLATFORM_ER[p] * rng.lognormal(0.0, 0.8)
    tau1 = 1.2 * rng.lognormal(0.0, 0.3)
    kinds, base_p, base_mult = MEDIA[p]
    mix = rng.dirichlet(np.array(base_p) * 6.0 + 0.05) if len(kinds) > 1 else np.ones(1)
    mult = np.array(base_mult) * rng.lognormal(0.0, 0.45, len(kinds))
    vpi = {"youtube": 30.0, "tiktok": 15.0, "x": 40.0}.get(p, 0.0) * rng.lognormal(0.0, 0.5)

    kind = rng.choice(len(kinds), size=n, p=mix) if len(kinds) > 1 else np.zeros(n, dtype=np.int64)
    viral = np.where(rng.random(n) < 0.002, rng.uniform(10, 50, n), 1.0)
    final = followers(sk.t) * er * mult[kind] * rng.lognormal(0.0, 0.9, n) * viral  # final interactions
    collab = _collaborations(a, seed, n)
    final = np.where(collab, final * COLLAB_LIFT, final)
    split = np.array(SPLIT[p])
    comp = final[:, None] * split[None, :] * rng.lognormal(0.0, 0.35, (n, len(split)))  # (n, counts)
    views_final = final * vpi * rng.lognormal(0.0, 0.4, n) if vpi else np.zeros(n)
    text_idx = rng.integers(0, len(_TEXTS), n)

    # per snapshot
    post, day, page = sk.post, sk.day, sk.page
    pull_ts = day * DAY - WIB + sk.pull_offset
    fetch = pull_ts + page * PAGE_GAP_S
    g = _growth(fetch - sk.t[post], tau1)
    snap = np.floor(comp[post] * g[:, None]).astype(np.int64)
    views = np.floor(views_final[post] * g).astype(np.int64)

    w = _Writer(a)
    ids, dyn = _post_strings(a, p, n, sk, rng, kind, kinds, text_idx, collab)
    m = len(post)
    page_ids = [ids[i] for i in post.tolist()]  # per snapshot: the platform id of its post

    if p == "instagram":
        hidden = rng.random(n) < a.hide_likes
        snap[:, 0] = np.where(hidden[post], 0, np.maximum(snap[:, 0], 1))
    if p == "facebook":
        recs = dyn(snap)
    elif p == "x":
        imp = np.floor(final[post] * g * 60.0 * rng.lognormal(0.0, 0.3, m)).astype(np.int64) + snap.sum(axis=1)
        bm = np.floor(snap[:, 0] * 0.05).astype(np.int64)
        recs = dyn(snap, imp, bm, views)
    elif p == "youtube":
        no_comments = rng.random(n) < 0.02
        recs = dyn(snap, views, no_comments)
    elif p == "tiktok":
        recs = dyn(snap, views)
    else:
        recs = dyn(snap)

    # pages -> posts envelopes
    page_key = day * 100_000 + page
    bounds = np.flatnonzero(np.diff(page_key)) + 1
    starts = np.concatenate([[0], bounds]).tolist()
    ends = np.concatenate([bounds, [m]]).tolist() if m else []
    dup_days = set(sk.udays[sk.dup].tolist())
    conflict_days = set(sk.udays[sk.conflict].tolist())
    page_l = page.tolist()
    day_l = day.tolist()
    fetch_l = fetch.tolist()
    records = 0
    for s, e in zip(starts, ends, strict=False):  # no post: starts [0], ends []
        d, pg = day_l[s], page_l[s]
        last = e == m or day_l[e] != d
        line = _posts_envelope(a, d, pg, fetch_l[s], recs, page_ids, s, e, last, followers)
        w.add("posts", d, line)
        records += e - s
        if d in dup_days:
            w.add("posts", d, line)
            records += e - s
        if pg == 0 and d in conflict_days:
            # the first page pulled twice at the same time: one response was a stale cache with
            # a few interactions less (the methodology keeps the one with more interactions)
            stale = snap[s:e].copy()
            stale[:, 0] = np.maximum(stale[:, 0] - rng.integers(1, 6, e - s), 0)
            if p == "instagram":
                stale[:, 0] = np.where(snap[s:e, 0] == 0, 0, np.maximum(stale[:, 0], 1))
            if p == "facebook":
                alt = dyn(stale, sl=(s, e))
            elif p == "x":
                alt = dyn(stale, imp[s:e], bm[s:e], views[s:e], sl=(s, e))
            elif p == "youtube":
                alt = dyn(stale, views[s:e], no_comments, sl=(s, e))
            elif p == "tiktok":
                alt = dyn(stale, views[s:e], sl=(s, e))
            else:
                alt = dyn(stale, sl=(s, e))
            line2 = _posts_envelope(a, d, pg, fetch_l[s], alt, page_ids, s, e, last, followers, offset=s)
            w.add("posts", d, line2)
            records += e - s

    profiles = _profiles(a, frame, sk, rng, followers, w, n)
    return w, records, profiles
