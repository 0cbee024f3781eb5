"""The activity model of the accounts: an edition's time frame and pull calendar, the accounts
of its clusters and platforms with their traits (activity, dormant, late, hidden counts), and
each account's skeleton (when it posts, which pull sees which post), calibrated so that the
post records reach the target."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from gsm_platform.registry import Edition, Registry
from gsm_platform.sources.demo.seeds import _h64, _rng
from gsm_platform.vocabulary import WIB_OFFSET_SECONDS

DAY = 86_400
WIB = WIB_OFFSET_SECONDS  # the day numbers below are WIB days: shift UTC seconds by this
PAGE_SIZE = {"facebook": 100, "instagram": 100, "x": 100, "youtube": 50, "tiktok": 100}
# youtube channels that hide their subscriber count (no audience: the parser quarantines
# their profile envelopes and their posts have no er); 0 turns them off
YT_HIDDEN_SUBSCRIBERS_SHARE = 0.03
MIN_ACTIVE_POSTS = 12  # an account that is not dormant posts at least this many times a window


@dataclass(frozen=True)
class _Frame:
    """An edition's window as WIB day numbers (days since 1970-01-01) and its pull calendar."""

    start_day: int
    end_day: int
    outage: tuple[int, ...]

    @property
    def post_day0(self) -> int:  # posts from two weeks before the window (seen by early pulls)
        return self.start_day - 14

    @property
    def post_day1(self) -> int:  # exclusive: posts until two days after the end
        return self.end_day + 2

    @property
    def settle_day(self) -> int:  # the settle pull, inside end + settle_days (7)
        return self.end_day + 3

    @property
    def backfill_day(self) -> int:  # late-onboarded accounts: first pulled after the cutoff
        return self.end_day + 20

    @property
    def last_pull_day(self) -> int:  # daily pulls continue past the cutoff
        return self.end_day + 37

    def profile_days(self) -> np.ndarray:
        weekly = np.arange(self.start_day, self.last_pull_day + 1, 7, dtype=np.int64)
        return np.concatenate([[self.start_day - 3], weekly])


def _day_number(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _frame(edition: Edition, seed: int) -> _Frame:
    s, e = _day_number(edition.start), _day_number(edition.end)
    rng = _rng(seed, "outage", edition.id)
    candidates = np.array([d for d in range(s + 5, e - 5) if (d - s) % 7 != 0], dtype=np.int64)
    n_out = min(4, max(0, len(candidates) // 60))
    outage = tuple(sorted(int(d) for d in rng.choice(candidates, size=n_out, replace=False))) if n_out else ()
    return _Frame(s, e, outage)


@dataclass
class _Account:
    num: int  # index in the plan: feeds the synthetic post ids
    platform: str
    account_id: str
    handle: str
    name: str
    cluster: str
    institution_id: str
    activity: float = 0.0  # relative posting rate (before calibration)
    dormant: bool = False
    dormant_posts: int = 0
    late: bool = False
    hide_likes: float = 0.0  # instagram: share of posts with hidden likes
    yt_hide_likes: bool = False
    yt_hide_subs: bool = False
    ig_discovery: bool = False
    active_days: tuple[int, int] = (0, 0)  # [first, last) WIB day the account can post
    n_posts: int = 0
    special: str = ""  # "json": first profile as a single-envelope .json; "jsonl": settle month uncompressed
    # the GSM Outlook: the institution's leader account on this platform (an institution account's
    # posts made with the leader name it), and the handle the profile showed before a rename
    leader_handle: str = ""
    leader_id: str = ""
    previous_handle: str = ""
    renamed_day: int = 0  # WIB day number from which the profile shows `handle`
    # 0 for the latest edition's data; an earlier demo edition's accounts draw their post ids from
    # space 1 (posts.py), so the two editions' posts never share an id
    id_space: int = 0


def _accounts_for(reg: Registry, edition: Edition, frame: _Frame) -> list[_Account]:
    out: list[_Account] = []
    seen: set[tuple[str, str]] = set()
    for inst in reg.institutions:
        if inst.cluster not in edition.clusters:
            continue
        lo, hi = frame.post_day0, frame.post_day1
        for ev in inst.lifecycle:
            if ev.event == "created":
                lo = max(lo, _day_number(ev.date))
            elif ev.event in ("retired", "merged"):
                hi = min(hi, _day_number(ev.date))
        accs = [(a, inst.name) for a in inst.accounts]
        accs += [(a, leader.name) for leader in inst.leaders for a in leader.accounts]
        leader_of = {a.platform: a for leader in inst.leaders for a in leader.accounts}
        for acc, name in accs:
            if acc.platform not in edition.platforms or (acc.platform, acc.account_id) in seen:
                continue
            seen.add((acc.platform, acc.account_id))
            alo, ahi = lo, hi
            for ev in acc.lifecycle:
                if ev.event == "created":
                    alo = max(alo, _day_number(ev.date))
                elif ev.event in ("retired", "merged"):
                    ahi = min(ahi, _day_number(ev.date))
            handle = acc.handle or f"{inst.id.replace('-', '')}{acc.platform[:2]}"
            a = _Account(len(out), acc.platform, acc.account_id, handle, name, inst.cluster, inst.id)
            a.active_days = (alo, max(alo, ahi))
            leader = leader_of.get(acc.platform)
            if leader is not None and leader.account_id != acc.account_id:
                a.leader_handle = leader.handle or leader.account_id
                a.leader_id = leader.account_id
            for ev in acc.lifecycle:  # the registry's rename of the handle: the profile shows the old one before
                if ev.event == "renamed" and ev.previous_name:
                    a.previous_handle, a.renamed_day = ev.previous_name, _day_number(ev.date)
            out.append(a)
    return out


def _quota(accounts: list[_Account], seed: int, trait: str, share: float, min_pool: int) -> set[int]:
    """A share of the accounts, picked by a stable hash (at least one when the pool is big enough)."""
    n = len(accounts)
    k = round(share * n)
    if k == 0 and n >= min_pool:
        k = 1
    ranked = sorted(accounts, key=lambda a: (_h64(seed, trait, a.platform, a.account_id), a.num))
    return {a.num for a in ranked[:k]}


PLATFORM_ACTIVITY = {"facebook": 1.0, "instagram": 0.9, "x": 1.3, "youtube": 0.3, "tiktok": 0.55}


def _assign_traits(accounts: list[_Account], seed: int, mean_posts: float) -> None:
    # institution activity: log-uniform over a spread of ~70x (a post a week .. ten a day),
    # narrowed when the budget is small so that the least active still post MIN_ACTIVE_POSTS.
    spread = 70.0
    while spread > 2.0 and mean_posts * math.log(spread) / (spread - 1.0) < MIN_ACTIVE_POSTS:
        spread *= 0.9
    dormant = _quota(accounts, seed, "dormant", 0.03, 20)
    late = _quota(accounts, seed, "late", 0.015, 40)
    ig = [a for a in accounts if a.platform == "instagram"]
    yt = [a for a in accounts if a.platform == "youtube"]
    ig_hide = _quota(ig, seed, "ig-hide-likes", 0.15, 1)
    ig_bd = _quota(ig, seed, "ig-business-discovery", 0.35, 1)
    yt_hide = _quota(yt, seed, "yt-hide-likes", 0.10, 1)
    yt_subs = _quota(
        yt, seed, "yt-hide-subscribers", YT_HIDDEN_SUBSCRIBERS_SHARE, 15 if YT_HIDDEN_SUBSCRIBERS_SHARE else 10**9
    )
    for a in accounts:
        u_inst = _rng(seed, "institution", a.institution_id).random()
        noise = _rng(seed, "activity", a.platform, a.account_id).lognormal(0.0, 0.35)
        a.activity = float(math.exp(u_inst * math.log(spread)) * PLATFORM_ACTIVITY[a.platform] * noise)
        a.dormant = a.num in dormant
        if a.dormant:
            a.dormant_posts = int(_rng(seed, "dormant-posts", a.platform, a.account_id).integers(0, 10))
        a.late = a.num in late and not a.dormant
        if a.num in ig_hide:
            a.hide_likes = float(_rng(seed, "hide-share", a.account_id).uniform(0.3, 1.0))
        a.ig_discovery = a.num in ig_bd
        a.yt_hide_likes = a.num in yt_hide
        a.yt_hide_subs = a.num in yt_subs


# The skeleton of an account: when it posts, and which pull sees which post. It is drawn
# from its own generator so the calibration pass and the writing pass draw the same one.

_HOURS = np.array(
    [
        0.2,
        0.1,
        0.05,
        0.05,
        0.2,
        0.6,
        1.2,
        2.2,
        3.0,
        3.2,
        3.0,
        2.6,
        2.1,
        2.5,
        2.7,
        2.5,
        2.2,
        1.9,
        2.0,
        2.6,
        2.4,
        1.7,
        0.9,
        0.4,
    ]
)


@dataclass
class _Skeleton:
    t: np.ndarray  # publication, unix seconds (UTC), ascending, unique
    post: np.ndarray  # per snapshot: index into t
    day: np.ndarray  # per snapshot: WIB day of the pull
    page: np.ndarray  # per snapshot: page of that pull
    pull_offset: int  # seconds after 00:00 WIB of the account's daily pull
    udays: np.ndarray  # distinct pull days
    counts: np.ndarray  # snapshots per pull day
    dup: np.ndarray  # per pull day: pages landed twice (byte-identical)
    conflict: np.ndarray  # per pull day: first page pulled again at the same time, other counts

    def records(self, page_size: int) -> int:
        extra = int(self.counts[self.dup].sum()) + int(np.minimum(self.counts[self.conflict], page_size).sum())
        return len(self.post) + extra


def _skeleton(a: _Account, frame: _Frame, seed: int) -> _Skeleton:
    rng = _rng(seed, "skeleton", a.platform, a.account_id)
    pull_offset = 9 * 3600 + int(rng.integers(0, 3 * 3600))
    weekend = rng.uniform(0.25, 0.9)
    hours = _HOURS * rng.lognormal(0.0, 0.35, 24)
    n_gaps = int(rng.choice([0, 0, 0, 1, 2, 3]))
    gaps = [(int(rng.integers(0, 365)), int(rng.integers(14, 57))) for _ in range(n_gaps)]
    n = a.dormant_posts if a.dormant else a.n_posts

    d0, d1 = frame.post_day0, frame.post_day1
    days = np.arange(d0, d1, dtype=np.int64)
    w = np.where((days + 3) % 7 >= 5, weekend, 1.0)
    for g0, glen in gaps:
        w[g0 : g0 + glen] = 0.0
    lo, hi = a.active_days
    w[(days < lo) | (days >= hi)] = 0.0
    if w.sum() <= 0 or n <= 0:
        n = 0
        t = np.zeros(0, dtype=np.int64)
    else:
        cdf = np.cumsum(w / w.sum())
        d = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(days) - 1)
        hcdf = np.cumsum(hours / hours.sum())
        hour = np.minimum(np.searchsorted(hcdf, rng.random(n), side="right"), 23)
        tod = hour * 3600 + rng.integers(0, 3600, n)
        t = np.sort(days[d] * DAY + tod - WIB)
        # unique seconds: t[i] = max(t[i], t[i-1] + 1)
        idx = np.arange(n, dtype=np.int64)
        t = np.maximum.accumulate(t - idx) + idx

    D = (t + WIB) // DAY
    if a.late:
        post = np.arange(n, dtype=np.int64)
        day = np.full(n, frame.backfill_day, dtype=np.int64)
    else:
        j7 = rng.integers(-1, 2, n)
        j30 = rng.integers(-2, 3, n)
        settle = np.where(D >= frame.start_day, frame.settle_day, -1)
        cand = np.stack([D + 1, D + 7 + j7, D + 30 + j30, settle], axis=1).ravel()
        ok = (cand > 0) & (cand <= frame.last_pull_day)
        if frame.outage:
            ok &= ~np.isin(cand, np.array(frame.outage, dtype=np.int64))
        post = np.repeat(np.arange(n, dtype=np.int64), 4)[ok]
        day = cand[ok]
    order = np.lexsort((-t[post], day))  # by pull day, newest post first (as the APIs return)
    post, day = post[order], day[order]
    if len(post) > 1:
        keep = np.ones(len(post), dtype=bool)
        keep[1:] = (day[1:] != day[:-1]) | (post[1:] != post[:-1])
        post, day = post[keep], day[keep]
    udays, first, counts = np.unique(day, return_index=True, return_counts=True)
    pos = np.arange(len(day)) - np.repeat(first, counts)
    page = pos // PAGE_SIZE[a.platform]
    dup = rng.random(len(udays)) < 0.004
    conflict = rng.random(len(udays)) < 0.003
    return _Skeleton(t, post, day, page, pull_offset, udays, counts, dup, conflict)


def _calibrate(accounts: list[_Account], frame: _Frame, seed: int, target: int) -> int:
    """Set n_posts per account so the post records reach at least `target`; returns the total."""
    active = [a for a in accounts if not a.dormant]
    window_days = frame.end_day - frame.start_day
    total_activity = sum(a.activity for a in active) or 1.0
    factor = target / 3.9 / total_activity / window_days  # ~3.9 snapshots per post

    def span(a: _Account) -> float:
        lo, hi = max(a.active_days[0], frame.post_day0), min(a.active_days[1], frame.post_day1)
        return max(0, hi - lo) / (frame.post_day1 - frame.post_day0)

    def count(f: float) -> tuple[int, dict[int, int]]:
        per: dict[int, int] = {}
        for a in accounts:
            if not a.dormant:
                days = window_days * span(a)
                a.n_posts = 0 if days <= 0 else max(MIN_ACTIVE_POSTS, round(a.activity * f * days))
            per[a.num] = _skeleton(a, frame, seed).records(PAGE_SIZE[a.platform])
        return sum(per.values()), per

    total, per = count(factor)
    for _ in range(8):
        if total >= target:
            break
        factor *= (target / max(total, 1)) * 1.001 + 1e-9
        total, per = count(factor)
    # whatever is still missing goes to the most active accounts, one post at a time
    ranked = sorted(active, key=lambda a: (-a.activity, a.num))
    i = 0
    while total < target and ranked:
        a = ranked[i % len(ranked)]
        if a.n_posts > 0:
            a.n_posts += max(1, (target - total) // 4)
            new = _skeleton(a, frame, seed).records(PAGE_SIZE[a.platform])
            total += new - per[a.num]
            per[a.num] = new
        i += 1
        if i > 10 * len(ranked):
            raise RuntimeError("demo generator cannot reach its post record target (no account can post)")
    return total
