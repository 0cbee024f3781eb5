"""How the platforms write what the generator emits: post texts, times, ids, cursors, API
versions, durations, rounded counts, compact JSON; the envelope line; and one account's lines
grouped into files by kind and fetch month."""

from __future__ import annotations

import base64
import hashlib
import json

import numpy as np

from gsm_platform.sources.demo.activity import WIB, _Account

_SEP = (",", ":")


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
    return base64.urlsafe_b64encode(
        hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=12).digest()
    ).decode()


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
    return (
        f'{{"platform":"{a.platform}","kind":"{kind}","account_id":{json.dumps(a.account_id)},'
        f'"fetched_at":"{_wib_iso(fetched)}","request":{request},"response":{body}}}'
    )
