"""The embedded default source `demo`: a seeded, deterministic generator of landed envelopes.

`generate(out_dir, scale, seed)` writes

    out_dir/registry.yaml    who is tracked
    out_dir/editions.yaml    what is awarded
    out_dir/input/<platform>/<YYYY-MM of fetch>/<kind>-<account_id>.jsonl.gz

and the envelopes have exactly the contract of RAW_FORMAT.md: one API response body per
envelope, in the body shapes the platforms document (the same shapes the parsers read).

Scales
- "quick": the shipped default registry and editions files, copied unchanged; data for the
  latest edition only (institutions of its clusters, accounts on its platforms), about
  240k post records so the whole pipeline runs in a minute or two.
- "award" (= 1.0) or a number k: shaped like the 2020 edition: a generated registry of 249
  institutions (34 kementerian, 50 lembaga, 34 pemprov, 131 bumn; real names of the default
  registry where it has them, numbered synthetic ones where not), each with a facebook,
  instagram, x and youtube account, one edition "2020", and at least ceil(6,036,434 * k)
  post records (the count of the real 2020 edition).

What the data exercises (METHODOLOGY.md): posting habits from about a post a week to about
ten a day per institution, weeks-long gaps, dormant accounts with fewer than ten posts,
accounts of institutions created or retired inside the window posting only while they
exist; per-account media mixes; log-normal follower sizes and engagement that differ
strongly per account; followers that grow over the year; hidden likes (instagram
like_count 0, youtube channels without likeCount) and hidden youtube subscriber counts;
several snapshots per post with growing counts (the daily pull of the day after
publication, ~7 and ~30 days later, a settle pull 3 days after the edition end, pulls
that continue past the settle cutoff); a few pipeline outage days; a few accounts first
pulled 20 days after the edition end (late snapshots); a few posts pages landed twice
(byte-identical) and a few pulled twice at the same time with different counts (a stale
response with fewer interactions); posts
just before the window start and just after its end; instagram pages in the Business
Discovery form (with followers_count); facebook shares absent when zero; youtube counts as
strings; tiktok create_time in unix seconds with numeric ids; x includes.media with
view_count on videos; weekly profile envelopes per account plus one before the window.

Determinism: the same arguments give byte-identical files. Every random draw comes from a
numpy Generator seeded from `seed` and a blake2b hash of (purpose, platform, account id),
never Python's hash(); files are written in a fixed order, gzip headers carry mtime 0 and
no file name, JSON keys have a fixed order and no wall-clock time is written anywhere.
Memory is bounded by one account's data (one worker process per CPU, up to 4, at large
scales), so k = 10 streams out like k = 1.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gsm_platform import registry as registry_module
from gsm_platform.registry import Edition, Registry, load_editions, load_registry

__all__ = ["generate", "GenerateReport", "AWARD_RECORDS", "QUICK_RECORDS", "ACCOUNT_IDS_NOTE"]

AWARD_RECORDS = 6_036_434  # post records of the 2020 edition: scale "award" (k = 1)
QUICK_RECORDS = 240_000  # scale "quick": small enough for a whole pipeline run in a minute or two
AWARD_CLUSTERS = {"kementerian": 34, "lembaga": 50, "pemprov": 34, "bumn": 131}  # 249 institutions
AWARD_PLATFORMS = ("facebook", "instagram", "x", "youtube")
AWARD_EDITION = {
    "id": "2020",
    "name": "GSM Award 2020",
    "start": "2019-10-01",
    "end": "2020-10-01",
    "clusters": ["kementerian", "lembaga", "pemprov", "bumn"],
    "platforms": list(AWARD_PLATFORMS),
    "methodology": "v1",
}
ACCOUNT_IDS_NOTE = (
    "The account ids and handles in this file are the demo generator's synthetic ids "
    "(gsm generate), not the institutions' real accounts."
)
SYNTHETIC_NAMES = {
    "kementerian": "Kementerian Sintetis {:02d}",
    "lembaga": "Lembaga Sintetis {:02d}",
    "pemprov": "Provinsi Sintetis {:02d}",
    "ptn": "Universitas Sintetis {:02d}",
    "bumn": "BUMN Sintetis {:03d}",
}

DAY = 86_400
WIB = 7 * 3600  # Asia/Jakarta offset, seconds
PAGE_SIZE = {"facebook": 100, "instagram": 100, "x": 100, "youtube": 50, "tiktok": 100}
PAGE_GAP_S = 3  # seconds between two pages of one pull
# youtube channels that hide their subscriber count (no audience: the parser quarantines
# their profile envelopes and their posts have no er); 0 turns them off
YT_HIDDEN_SUBSCRIBERS_SHARE = 0.03
MIN_ACTIVE_POSTS = 12  # an account that is not dormant posts at least this many times a window
_SEP = (",", ":")


@dataclass(frozen=True)
class GenerateReport:
    institutions: int
    accounts: int
    envelopes: int
    post_records: int
    profile_records: int
    files: int
    bytes: int


# --------------------------------------------------------------------------- seeds


def _h64(*parts: object) -> int:
    """A stable 64-bit hash of the parts (blake2b; never Python's salted hash())."""
    text = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def _rng(seed: int, *parts: object) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFFFFFFFFFF, _h64(*parts)]))


# --------------------------------------------------------------------------- time frame


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


# --------------------------------------------------------------------------- account plan


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
            out.append(a)
    return out


def _quota(accounts: list[_Account], seed: int, trait: str, share: float, min_pool: int) -> set[int]:
    """A share of the accounts, picked by a stable hash (at least one when the pool is big enough)."""
    n = len(accounts)
    k = int(round(share * n))
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
    yt_subs = _quota(yt, seed, "yt-hide-subscribers", YT_HIDDEN_SUBSCRIBERS_SHARE, 15 if YT_HIDDEN_SUBSCRIBERS_SHARE else 10**9)
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


# --------------------------------------------------------------------------- skeleton
# The skeleton of an account: when it posts, and which pull sees which post. It is drawn
# from its own generator so the calibration pass and the writing pass draw the same one.

_HOURS = np.array([0.2, 0.1, 0.05, 0.05, 0.2, 0.6, 1.2, 2.2, 3.0, 3.2, 3.0, 2.6,
                   2.1, 2.5, 2.7, 2.5, 2.2, 1.9, 2.0, 2.6, 2.4, 1.7, 0.9, 0.4])


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
                a.n_posts = 0 if days <= 0 else max(MIN_ACTIVE_POSTS, int(round(a.activity * f * days)))
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


# --------------------------------------------------------------------------- text helpers

MESSAGES = [
    "Layanan publik kini lebih cepat dan mudah diakses",
    "Sosialisasi program prioritas pemerintah",
    "Rapat koordinasi lintas sektor hari ini",
    "Infografis capaian kinerja triwulan",
    "Siaran pers: perkembangan terbaru",
    "Kunjungan kerja ke daerah",
    "Pengumuman seleksi penerimaan pegawai",
    "Tips aman bertransaksi digital",
    "Cek fakta: informasi yang beredar tidak benar",
    "Webinar literasi digital untuk masyarakat",
    "Penyaluran bantuan tahap berikutnya dimulai",
    "Jadwal layanan selama libur panjang",
    "Penandatanganan nota kesepahaman",
    "Laporan realisasi anggaran",
    "Peluncuran aplikasi layanan terpadu",
    "Dialog interaktif bersama warga",
    "Pameran produk UMKM daerah",
    "Imbauan kewaspadaan cuaca ekstrem",
    "Selamat memperingati hari besar nasional",
    "Konferensi pers bersama pimpinan",
    "Kolaborasi untuk Indonesia maju",
    "Ayo ikut survei kepuasan layanan",
    "Edukasi: kenali hak dan kewajiban Anda",
    "Penghargaan untuk inovasi pelayanan",
]
TAGS = ["", " #IndonesiaMaju", " #PelayananPublik", " #GerakBersama", " #InfoResmi", " #BanggaBuatanIndonesia"]
_TEXTS = [json.dumps(m + t, ensure_ascii=False) for m in MESSAGES for t in TAGS]  # JSON string literals
_B64 = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))


def _iso(t: np.ndarray) -> list[str]:
    """UTC 'YYYY-MM-DDTHH:MM:SS' of unix seconds."""
    return np.datetime_as_string(t.astype("datetime64[s]"), unit="s").tolist()


def _wib_iso(ts: int) -> str:
    return str(np.datetime64(ts + WIB, "s")) + "+07:00"


def _youtube_ids(acc_num: int, n: int) -> list[str]:
    x = (np.uint64(acc_num) << np.uint64(32)) | np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):  # splitmix64 finaliser: a bijection, so ids stay unique
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    digits = np.empty((n, 11), dtype=np.int64)
    for k in range(10):
        digits[:, k] = ((x >> np.uint64(58 - 6 * k)) & np.uint64(63)).astype(np.int64)
    digits[:, 10] = ((x & np.uint64(15)) << np.uint64(2)).astype(np.int64)
    return np.ascontiguousarray(_B64[digits]).view("<U11").ravel().tolist()


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=12).digest()).decode()


def _graph_version(day: int) -> str:
    year = 1970 + day // 365
    return "v8.0" if year <= 2020 else ("v12.0" if year <= 2022 else "v21.0")


def _yt_duration(sec: int) -> str:
    h, rem = divmod(sec, 3600)
    m, s = divmod(rem, 60)
    return "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s or not (h or m) else "")


def _sig3(v: int) -> int:
    """YouTube shows subscriber counts rounded to three significant figures."""
    if v < 1000:
        return v
    p = 10 ** (len(str(v)) - 3)
    return (v // p) * p


def _dumps(obj: object) -> str:
    return json.dumps(obj, separators=_SEP, ensure_ascii=False)


# --------------------------------------------------------------------------- metrics


MEDIA = {
    "facebook": (("photo", "album", "video", "link", None), (0.42, 0.12, 0.16, 0.15, 0.15), (1.0, 1.25, 1.1, 0.35, 0.5)),
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


class _Writer:
    """Envelope lines of one account, grouped into files by (kind, fetch month)."""

    def __init__(self, a: _Account):
        self.a = a
        self.files: dict[tuple[str, str], list[str]] = {}
        self.json_files: list[tuple[str, str]] = []  # (name, text) of single-envelope .json files
        self.envelopes = 0

    def add(self, kind: str, day: int, line: str) -> None:
        month = str(np.datetime64(int(day), "D"))[:7]
        self.files.setdefault((kind, month), []).append(line)
        self.envelopes += 1


def _envelope(a: _Account, kind: str, fetched: int, request: str, body: str) -> str:
    return (f'{{"platform":"{a.platform}","kind":"{kind}","account_id":{json.dumps(a.account_id)},'
            f'"fetched_at":"{_wib_iso(fetched)}","request":{request},"response":{body}}}')


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
        return np.floor(f0 * (1.0 + growth * (np.asarray(ts, dtype=np.float64) - start_ts) / (365.0 * DAY))).astype(np.int64)

    er = PLATFORM_ER[p] * rng.lognormal(0.0, 0.8)
    tau1 = 1.2 * rng.lognormal(0.0, 0.3)
    kinds, base_p, base_mult = MEDIA[p]
    mix = rng.dirichlet(np.array(base_p) * 6.0 + 0.05) if len(kinds) > 1 else np.ones(1)
    mult = np.array(base_mult) * rng.lognormal(0.0, 0.45, len(kinds))
    vpi = {"youtube": 30.0, "tiktok": 15.0, "x": 40.0}.get(p, 0.0) * rng.lognormal(0.0, 0.5)

    kind = rng.choice(len(kinds), size=n, p=mix) if len(kinds) > 1 else np.zeros(n, dtype=np.int64)
    viral = np.where(rng.random(n) < 0.002, rng.uniform(10, 50, n), 1.0)
    final = followers(sk.t) * er * mult[kind] * rng.lognormal(0.0, 0.9, n) * viral  # final interactions
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
    ids, dyn = _post_strings(a, p, n, sk, rng, kind, kinds, text_idx)
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
    for s, e in zip(starts, ends):
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


def _post_strings(a: _Account, p: str, n: int, sk: _Skeleton, rng: np.random.Generator, kind: np.ndarray,
                  kinds: tuple, text_idx: np.ndarray):
    """(platform id per post, function building each snapshot's record strings)."""
    iso = _iso(sk.t)
    texts = [_TEXTS[i] for i in text_idx.tolist()]
    num = a.num
    post = sk.post
    kind_l = kind.tolist()

    if p == "facebook":
        base = 10**15 + _h64("fb", a.account_id) % 10**15
        att = [f',"attachments":{{"data":[{{"media_type":"{k}"}}]}}' if k else "" for k in kinds]
        author = f'"from":{{"name":{json.dumps(a.name, ensure_ascii=False)},"id":{json.dumps(a.account_id)}}}'
        statics = [f'{{"id":"{a.account_id}_{base + i}","created_time":"{iso[i]}+0000","message":{texts[i]},'
                   f'{author}{att[kind_l[i]]}' for i in range(n)]

        def dyn(snap, sl=None):
            idx = post if sl is None else post[sl[0]:sl[1]]
            out = []
            for i, (r, c, s) in zip(idx.tolist(), snap.tolist()):
                sh = f',"shares":{{"count":{s}}}' if s > 0 else ""
                out.append(f'{statics[i]},"reactions":{{"data":[],"summary":{{"total_count":{r}}}}},'
                           f'"comments":{{"data":[],"summary":{{"total_count":{c}}}}}{sh}}}')
            return out
        return [f"{a.account_id}_{base + i}" for i in range(n)], dyn

    if p == "instagram":
        reels_from = _day_number(dt.date(2020, 8, 5)) * DAY  # Reels launched in Indonesia in 2020
        reels = (rng.random(n) < rng.uniform(0.5, 0.95)) & (sk.t >= reels_from)
        ids = (17_900_000_000_000_000 + num * 10**8 + np.arange(n, dtype=np.int64)).tolist()
        reels_l = reels.tolist()
        # Business Discovery returns the username of others' media; the media edge of one's own
        # account returns the owner
        author = (f',"username":{json.dumps(a.handle)}' if a.ig_discovery
                  else f',"owner":{{"id":{json.dumps(a.account_id)}}}')
        statics = []
        for i in range(n):
            k = kinds[kind_l[i]]
            prod = "REELS" if (k == "VIDEO" and reels_l[i]) else "FEED"
            statics.append(f'{{"id":"{ids[i]}","timestamp":"{iso[i]}+0000","media_type":"{k}",'
                           f'"media_product_type":"{prod}","caption":{texts[i]}{author}')

        def dyn(snap, sl=None):
            idx = post if sl is None else post[sl[0]:sl[1]]
            return [f'{statics[i]},"like_count":{lk},"comments_count":{c}}}' for i, (lk, c) in zip(idx.tolist(), snap.tolist())]
        return [str(v) for v in ids], dyn

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
                media = [f'{{"media_key":"{keys[0]}","type":"video","duration_ms":{dur[i]},"public_metrics":{{"view_count":']
            att = f',"attachments":{{"media_keys":{_dumps(keys)}}}' if keys else ""
            statics.append(f'{{"id":"{tid[i]}","author_id":{json.dumps(a.account_id)},"created_at":"{iso[i]}.000Z",'
                           f'"text":{texts[i]}{att}')
            media_static.append(media)
        is_video = [kinds[k] == "video" for k in kind_l]

        def dyn(snap, imp, bm, views, sl=None):
            idx = post if sl is None else post[sl[0]:sl[1]]
            out = []
            for i, (lk, rp, rt, q), im, b, v in zip(idx.tolist(), snap.tolist(), imp.tolist(), bm.tolist(), views.tolist()):
                rec = (f'{statics[i]},"public_metrics":{{"retweet_count":{rt},"reply_count":{rp},"like_count":{lk},'
                       f'"quote_count":{q},"bookmark_count":{b},"impression_count":{max(im, v)}}}}}')
                media = media_static[i]
                if is_video[i]:
                    media = [media[0] + f"{v}}}}}"]
                out.append((rec, media))
            return out
        return [str(v) for v in tid], dyn

    if p == "youtube":
        vids = _youtube_ids(num, n)
        shorts = rng.random(n) < rng.uniform(0.1, 0.6)
        secs = np.where(shorts, rng.integers(15, 61, n), rng.integers(90, 3 * 3600, n)).tolist()
        titles = [(("Shorts: " if s else "") + json.loads(t)) for s, t in zip(shorts.tolist(), texts)]
        statics = [f'{{"kind":"youtube#video","id":"{vids[i]}","snippet":{{"publishedAt":"{iso[i]}Z",'
                   f'"channelId":{json.dumps(a.account_id)},"title":{_dumps(titles[i])}}},'
                   f'"contentDetails":{{"duration":"{_yt_duration(secs[i])}"}}' for i in range(n)]
        hide = a.yt_hide_likes

        def dyn(snap, views, no_comments, sl=None):
            idx = post if sl is None else post[sl[0]:sl[1]]
            nc = no_comments.tolist()
            out = []
            for i, (lk, c), v in zip(idx.tolist(), snap.tolist(), views.tolist()):
                like = "" if hide else f'"likeCount":"{lk}",'
                com = "" if nc[i] else f',"commentCount":"{c}"'
                out.append(f'{statics[i]},"statistics":{{"viewCount":"{max(v, lk + c)}",{like}"favoriteCount":"0"{com}}}}}')
            return out
        return vids, dyn

    # tiktok
    ids = ((sk.t << 32) | ((num & 0xFFFF) << 16) | (np.arange(n) & 0xFFFF)).tolist()
    durs = rng.integers(8, 181, n).tolist()
    t_l = sk.t.tolist()
    user = json.dumps(a.account_id)
    statics = [f'{{"id":{ids[i]},"create_time":{t_l[i]},"username":{user},"video_duration":{durs[i]}' for i in range(n)]

    def dyn(snap, views, sl=None):
        idx = post if sl is None else post[sl[0]:sl[1]]
        return [f'{statics[i]},"view_count":{max(v, lk)},"like_count":{lk},"comment_count":{c},"share_count":{s}}}'
                for i, (lk, c, s), v in zip(idx.tolist(), snap.tolist(), views.tolist())]
    return [str(v) for v in ids], dyn


FB_FIELDS = ("id,created_time,message,from,attachments{media_type},reactions.summary(total_count),"
             "comments.summary(total_count),shares")
IG_FIELDS = "id,timestamp,media_type,media_product_type,like_count,comments_count,caption"
X_PARAMS = {"tweet.fields": "author_id,created_at,public_metrics,attachments", "expansions": "attachments.media_keys",
            "media.fields": "type,duration_ms,public_metrics", "max_results": "100"}
TT_FIELDS = "id,create_time,username,view_count,like_count,comment_count,share_count,video_duration"
IG_COLLECTOR = "17841400000000099"  # the instagram account the Business Discovery queries run as


def _posts_envelope(a: _Account, d: int, pg: int, fetched: int, recs: list, ids: list, s: int, e: int,
                    last: bool, fol_at, offset: int = 0) -> str:
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
            media = "media" + (f".after({cur})" if pg else "") + "{" + IG_FIELDS + ",username}"
            params = {"fields": f"business_discovery.username({a.handle}){{followers_count,media_count,{media}}}"}
            req = _dumps({"endpoint": f"/{_graph_version(d)}/{IG_COLLECTOR}", "params": params})
            fol = int(fol_at(fetched))
            paging = "" if last else f',"paging":{{"cursors":{{"after":"{nxt}"}}}}'
            body = (f'{{"business_discovery":{{"id":{json.dumps(a.account_id)},"followers_count":{fol},'
                    f'"media":{{"data":[{",".join(part)}]{paging}}}}}}}')
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
        req = _dumps({"endpoint": "/youtube/v3/videos", "params": {"part": "snippet,statistics,contentDetails", "id": vid_ids}})
        body = (f'{{"kind":"youtube#videoListResponse","etag":"{_cursor("etag", a.account_id, d, pg, offset)[:27]}",'
                f'"items":[{",".join(part)}],"pageInfo":{{"totalResults":{len(part)},"resultsPerPage":{len(part)}}}}}')
    else:  # tiktok
        params = {"fields": TT_FIELDS, "max_count": "100"}
        if pg:
            params["cursor"] = str(pg * 100)
        req = _dumps({"endpoint": "/v2/research/video/query/", "params": params})
        log_id = str(np.datetime64(fetched + WIB, "s")).replace("-", "").replace(":", "").replace("T", "")
        search_id = 7_000_000_000_000_000_000 + _h64("search", a.account_id, d) % 10**18
        body = (f'{{"data":{{"videos":[{",".join(part)}],"cursor":{(pg + 1) * 100},"has_more":{"false" if last else "true"},'
                f'"search_id":"{search_id}"}},"error":{{"code":"ok","message":"","log_id":"{log_id}"}}}}')
    return _envelope(a, "posts", fetched, req, body)


def _profiles(a: _Account, frame: _Frame, sk: _Skeleton, rng: np.random.Generator, followers, w: _Writer, n: int) -> int:
    p = a.platform
    days = np.array([frame.backfill_day]) if a.late else frame.profile_days()
    ts = days * DAY - WIB + sk.pull_offset - 60
    fol = followers(ts).tolist()
    posted = np.searchsorted(sk.t, ts).tolist()  # posts made so far in the data (plus a history)
    history = int(rng.integers(50, 8000))
    name = json.dumps(a.name, ensure_ascii=False)
    handle = json.dumps(a.handle, ensure_ascii=False)
    acc = json.dumps(a.account_id)
    count = 0
    for d, t, f, k in zip(days.tolist(), ts.tolist(), fol, posted):
        v = _graph_version(d)
        media_count = history + k
        if p == "facebook":
            req = _dumps({"endpoint": f"/{v}/{a.account_id}", "params": {"fields": "id,name,followers_count,fan_count"}})
            body = f'{{"id":{acc},"name":{name},"followers_count":{f},"fan_count":{int(f * 0.96)}}}'
        elif p == "instagram":
            req = _dumps({"endpoint": f"/{v}/{a.account_id}", "params": {"fields": "id,username,followers_count,media_count"}})
            body = f'{{"id":{acc},"username":{handle},"followers_count":{f},"media_count":{media_count}}}'
        elif p == "x":
            req = _dumps({"endpoint": f"/2/users/{a.account_id}", "params": {"user.fields": "public_metrics"}})
            body = (f'{{"data":{{"id":{acc},"name":{name},"username":{handle},"public_metrics":{{"followers_count":{f},'
                    f'"following_count":{100 + a.num % 700},"tweet_count":{media_count * 3},"listed_count":{f // 900}}}}}}}')
        elif p == "youtube":
            req = _dumps({"endpoint": "/youtube/v3/channels", "params": {"part": "statistics", "id": a.account_id}})
            subs = "" if a.yt_hide_subs else f'"subscriberCount":"{_sig3(f)}",'
            body = (f'{{"kind":"youtube#channelListResponse","items":[{{"kind":"youtube#channel","id":{acc},'
                    f'"statistics":{{"viewCount":"{f * 40 + media_count * 900}",{subs}'
                    f'"hiddenSubscriberCount":{"true" if a.yt_hide_subs else "false"},"videoCount":"{media_count}"}}}}]}}')
        else:
            req = _dumps({"endpoint": "/v2/research/user/info/",
                          "params": {"fields": "display_name,follower_count,following_count,likes_count,video_count"}})
            log_id = str(np.datetime64(t + WIB, "s")).replace("-", "").replace(":", "").replace("T", "")
            body = (f'{{"data":{{"display_name":{name},"follower_count":{f},"following_count":{a.num % 50},'
                    f'"likes_count":{f * 20},"video_count":{media_count}}},"error":{{"code":"ok","message":"","log_id":"{log_id}"}}}}')
        line = _envelope(a, "profile", t, req, body)
        if a.special == "json" and count == 0:
            stamp = str(np.datetime64(int(d), "D")).replace("-", "")
            month = str(np.datetime64(int(d), "D"))[:7]
            w.json_files.append((f"{month}/profile-{a.account_id}-{stamp}.json",
                                 json.dumps(json.loads(line), indent=2, ensure_ascii=False) + "\n"))
            w.envelopes += 1
        else:
            w.add("profile", d, line)
        count += 1
    return count


# --------------------------------------------------------------------------- writing


def _write_account(job: tuple[_Account, _Frame, int, str]) -> tuple[int, int, int, int, int]:
    a, frame, seed, input_dir = job
    root = Path(input_dir) / a.platform
    w, records, profiles = _account_data(a, frame, seed)
    files = 0
    size = 0
    last_posts_month = max((m for k, m in w.files if k == "posts"), default=None)
    for (kind, month), lines in sorted(w.files.items()):
        folder = root / month
        folder.mkdir(parents=True, exist_ok=True)
        data = ("\n".join(lines) + "\n").encode("utf-8")
        if a.special == "jsonl" and kind == "posts" and month == last_posts_month:
            path = folder / f"{kind}-{a.account_id}.jsonl"
        else:
            path = folder / f"{kind}-{a.account_id}.jsonl.gz"
            data = gzip.compress(data, compresslevel=5, mtime=0)
        path.write_bytes(data)
        files += 1
        size += len(data)
    for rel, text in w.json_files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.encode("utf-8")
        path.write_bytes(data)
        files += 1
        size += len(data)
    return w.envelopes, records, profiles, files, size


# --------------------------------------------------------------------------- registries


def _yaml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _award_registry(max_institutions: int | None) -> tuple[str, Registry]:
    """The 2020-shaped registry: real names of the default registry where it has them."""
    by_cluster: dict[str, list] = {c: [] for c in AWARD_CLUSTERS}
    default = registry_module.DEFAULT_REGISTRY
    if default.exists():
        edition_start = dt.date(2019, 10, 1)
        edition_end = dt.date(2020, 10, 1)
        for inst in load_registry(default).institutions:
            if inst.cluster not in by_cluster:
                continue
            existed = all(not (ev.event == "created" and ev.date > edition_start)
                          and not (ev.event in ("retired", "merged") and ev.date < edition_end) for ev in inst.lifecycle)
            by_cluster[inst.cluster].append((0 if existed else 1, len(by_cluster[inst.cluster]), inst))
    sizes = dict(AWARD_CLUSTERS)
    if max_institutions is not None and max_institutions < sum(sizes.values()):
        total = sum(sizes.values())
        m = max(len(sizes), int(max_institutions))
        sizes = {c: max(1, (n * m) // total) for c, n in AWARD_CLUSTERS.items()}
        for c in sorted(AWARD_CLUSTERS, key=lambda c: -AWARD_CLUSTERS[c]):
            if sum(sizes.values()) >= m:
                break
            sizes[c] += 1
    institutions: list[tuple[str, str, str, dict[str, str]]] = []  # id, name, cluster, handles
    used: set[str] = set()
    for cluster, size in sizes.items():
        real = [inst for _, _, inst in sorted(by_cluster[cluster], key=lambda r: (r[0], r[1]))][:size]
        for inst in real:
            handles = {}
            for acc in inst.accounts:
                if acc.platform in AWARD_PLATFORMS and acc.handle and acc.platform not in handles:
                    handles[acc.platform] = acc.handle
            institutions.append((inst.id, inst.name, cluster, handles))
            used.add(inst.id)
        k = 0
        while len(real) + k < size:
            k += 1
            name = SYNTHETIC_NAMES[cluster].format(len(real) + k)
            iid = name.lower().replace(" ", "-")
            if iid in used:
                continue
            used.add(iid)
            institutions.append((iid, name, cluster, {}))
    lines = [
        "# Demo registry written by the demo generator (gsm generate), shaped like the 2020 edition:",
        f"# {len(institutions)} institutions, each with a facebook, instagram, x and youtube account.",
        "# Institution names are real where the default registry has them, numbered synthetic otherwise.",
        f"# {ACCOUNT_IDS_NOTE}",
        "",
        'version: "demo-award"',
        "",
        "institutions:",
    ]
    for n, (iid, name, cluster, handles) in enumerate(institutions, start=1):
        base = iid.replace("-", "")[:24]
        ids = {
            "facebook": f"1000645{n:08d}",
            "instagram": f"178414{n:011d}",
            "x": str(1_100_000_000 + n * 3571),
            "youtube": "UC" + base64.urlsafe_b64encode(hashlib.blake2b(f"yt|{iid}".encode(), digest_size=16).digest()).decode()[:22],
        }
        lines += [f"  - id: {iid}", f"    name: {_yaml_str(name)}", f"    cluster: {cluster}", "    accounts:"]
        for platform in AWARD_PLATFORMS:
            handle = handles.get(platform, base if platform != "x" else base[:15])
            lines.append(f"      - {{platform: {platform}, account_id: {_yaml_str(ids[platform])}, handle: {_yaml_str(handle)}}}")
    text = "\n".join(lines) + "\n"
    return text, Registry.model_validate(_yaml_load(text))


def _yaml_load(text: str) -> object:
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _award_editions() -> str:
    e = AWARD_EDITION
    return "\n".join([
        "# Demo editions written by the demo generator (gsm generate): the 2020 edition's shape.",
        "# The window is [start, end), dates at 00:00 Asia/Jakarta.",
        "",
        "editions:",
        f'  - id: "{e["id"]}"',
        f"    name: {_yaml_str(e['name'])}",
        f"    start: {e['start']}",
        f"    end: {e['end']}",
        f"    clusters: [{', '.join(e['clusters'])}]",
        f"    platforms: [{', '.join(e['platforms'])}]",
        f"    methodology: {e['methodology']}",
    ]) + "\n"


def _trimmed_registry_text(reg: Registry, max_institutions: int) -> tuple[str, Registry]:
    """The first institutions of each cluster, taken in turn, so a cut registry keeps every cluster."""
    data = reg.model_dump(mode="json", exclude_defaults=True)
    by_cluster: dict[str, list[dict]] = {}
    for inst in data["institutions"]:
        by_cluster.setdefault(inst["cluster"], []).append(inst)
    queues = list(by_cluster.values())
    kept: list[dict] = []
    while len(kept) < max_institutions and any(queues):
        for queue in queues:
            if queue and len(kept) < max_institutions:
                kept.append(queue.pop(0))
    data["institutions"] = kept
    header = (f"# The default registry cut by the demo generator to {max_institutions} institutions "
              "(the first of each cluster in turn).\n")
    text = header + json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    return text, Registry.model_validate(data)


# --------------------------------------------------------------------------- entry point


def _parse_scale(scale: str | float) -> tuple[str, float]:
    if isinstance(scale, str):
        s = scale.strip().lower()
        if s == "quick":
            return "quick", 0.0
        if s == "award":
            return "award", 1.0
        try:
            k = float(s)
        except ValueError:
            raise ValueError(f"scale must be 'quick', 'award' or a positive number (got {scale!r})") from None
    else:
        k = float(scale)
    if not math.isfinite(k) or k <= 0:
        raise ValueError(f"scale must be a positive number (got {scale!r})")
    return "award", k


def generate(out_dir: Path, scale: str | float = "quick", seed: int = 20250101, *,
             max_institutions: int | None = None, records: int | None = None,
             registry_path: Path | None = None, editions_path: Path | None = None,
             workers: int | None = None) -> GenerateReport:
    """Write out_dir/registry.yaml, out_dir/editions.yaml and out_dir/input/ (envelopes).

    scale: "quick" (default registry and editions, latest edition, ~240k post records),
    "award" (= 1.0) or a number k (2020-shaped registry of 249 institutions and at least
    ceil(6,036,434 * k) post records). Optional, mostly for tests: max_institutions cuts
    the registry, records overrides the post record target, registry_path/editions_path
    replace the shipped defaults for "quick", workers sets the number of processes.
    """
    mode, k = _parse_scale(scale)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    input_dir = out_dir / "input"
    if input_dir.exists():
        shutil.rmtree(input_dir)  # only what an earlier run of this generator wrote
    input_dir.mkdir()

    if mode == "quick":
        reg_src = Path(registry_path or registry_module.DEFAULT_REGISTRY)
        eds_src = Path(editions_path or registry_module.DEFAULT_EDITIONS)
        reg = load_registry(reg_src)
        eds = load_editions(eds_src)
        if max_institutions is not None and max_institutions < len(reg.institutions):
            text, reg = _trimmed_registry_text(reg, max_institutions)
            (out_dir / "registry.yaml").write_text(text, encoding="utf-8")
            load_registry(out_dir / "registry.yaml")
        else:
            shutil.copyfile(reg_src, out_dir / "registry.yaml")
        shutil.copyfile(eds_src, out_dir / "editions.yaml")
        edition = eds.latest()
        target = QUICK_RECORDS if records is None else int(records)
    else:
        text, reg = _award_registry(max_institutions)
        (out_dir / "registry.yaml").write_text(text, encoding="utf-8")
        (out_dir / "editions.yaml").write_text(_award_editions(), encoding="utf-8")
        edition = load_editions(out_dir / "editions.yaml").get(AWARD_EDITION["id"])
        target = math.ceil(AWARD_RECORDS * k) if records is None else int(records)

    frame = _frame(edition, seed)
    accounts = _accounts_for(reg, edition, frame)
    if not accounts:
        raise ValueError(f"edition {edition.id}: the registry has no account on its platforms in its clusters")
    mean_posts = target / 3.9 / max(1, len(accounts))
    _assign_traits(accounts, seed, mean_posts)
    _calibrate(accounts, frame, seed, target)
    # a couple of files in the other two envelope file forms the reader supports
    for a in accounts[:2]:
        a.special = "json"
    for a in [a for a in accounts[2:] if a.n_posts > 0 and not a.dormant and not a.late][:2]:
        a.special = "jsonl"

    jobs = [(a, frame, seed, str(input_dir)) for a in accounts]
    n_workers = workers if workers is not None else (min(4, os.cpu_count() or 1) if target >= 1_000_000 else 1)
    totals = [0, 0, 0, 0, 0]
    if n_workers > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            for res in pool.map(_write_account, jobs, chunksize=2):
                totals = [x + y for x, y in zip(totals, res)]
    else:
        for job in jobs:
            totals = [x + y for x, y in zip(totals, _write_account(job))]
    envelopes, post_records, profile_records, files, size = totals
    for name in ("registry.yaml", "editions.yaml"):
        files += 1
        size += (out_dir / name).stat().st_size
    return GenerateReport(
        institutions=len(reg.institutions),
        accounts=len(accounts),
        envelopes=envelopes,
        post_records=post_records,
        profile_records=profile_records,
        files=files,
        bytes=size,
    )
