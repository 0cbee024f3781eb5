"""The entry point: `generate(out_dir, scale, seed)` plans the accounts, calibrates them to the
post record target and writes each account's files (one worker process per CPU, up to 4, at
large scales), then reports what it wrote."""

from __future__ import annotations

import datetime as dt
import gzip
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from gsm_platform import registry as registry_module
from gsm_platform.registry import Edition, Registry, load_editions, load_registry
from gsm_platform.sources.demo.activity import _Account, _accounts_for, _assign_traits, _calibrate, _Frame, _frame
from gsm_platform.sources.demo.metrics import _account_data
from gsm_platform.sources.demo.registry import (
    AWARD_EDITION,
    EARLIER_EDITION,
    _award_editions,
    _award_registry,
    _demo_merger_text,
    _earlier_edition_text,
    _trimmed_registry_text,
)

AWARD_RECORDS = 6_036_434  # post records of the 2020 edition: scale "award" (k = 1)
QUICK_RECORDS = 240_000  # scale "quick": small enough for a whole pipeline run in a minute or two
# the demo's earlier edition: a quarter of the quick one. Measured (a loaded machine, noisy): its
# 25,000 files cost make demo as much CPU as the latest edition's (landing and cleaning are per file)
EARLIER_RECORDS = 60_000


@dataclass(frozen=True)
class GenerateReport:
    institutions: int
    accounts: int
    envelopes: int
    post_records: int
    profile_records: int
    files: int
    bytes: int


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


def _write_edition(
    reg: Registry, edition: Edition, seed: int, target: int, input_dir: Path, workers: int | None, earlier: bool = False
) -> tuple[int, list[int]]:
    """Plan an edition's accounts, calibrate them to `target` post records and write their files:
    (accounts, [envelopes, post records, profile records, files, bytes]).

    earlier: the demo's earlier edition, drawn with the same seed so that each account keeps its
    traits (how active, hidden counts, late onboarding), with post ids of their own (id space 1).
    The accounts onboarded late (first pulled after the latest edition's cutoff) were not tracked
    then: they have no pull in it. The methodology takes a post's audience from the latest
    follower snapshot at or before it, else the earliest after it: a snapshot of theirs in the
    earlier edition would have become the audience of their posts in the latest one."""
    frame = _frame(edition, seed)
    accounts = _accounts_for(reg, edition, frame)
    if not accounts:
        raise ValueError(f"edition {edition.id}: the registry has no account on its platforms in its clusters")
    mean_posts = target / 3.9 / max(1, len(accounts))
    _assign_traits(accounts, seed, mean_posts)
    if earlier:
        accounts = [a for a in accounts if not a.late]
        for a in accounts:
            a.id_space = 1
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
                totals = [x + y for x, y in zip(totals, res, strict=True)]
    else:
        for job in jobs:
            totals = [x + y for x, y in zip(totals, _write_account(job), strict=True)]
    return len(accounts), totals


def _fetch_month(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).strftime("%Y-%m")


def _add_earlier_edition(out_dir: Path, latest: Edition, seed: int) -> Edition:
    """Append the demo's earlier edition to out_dir/editions.yaml; refuse one whose data would
    share a fetch month with the latest edition's (it would re-clean, and could change, them)."""
    path = out_dir / "editions.yaml"
    with path.open("a", encoding="utf-8") as f:
        f.write(_earlier_edition_text(list(latest.clusters)))
    earlier = load_editions(path).get(EARLIER_EDITION["id"])
    last = _fetch_month(_frame(earlier, seed).last_pull_day)
    first = _fetch_month(_frame(latest, seed).post_day0)
    if not last < first:
        raise ValueError(f"the earlier edition's last pulls ({last}) reach the latest edition's first ({first})")
    return earlier


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


def generate(
    out_dir: Path,
    scale: str | float = "quick",
    seed: int = 20250101,
    *,
    max_institutions: int | None = None,
    records: int | None = None,
    registry_path: Path | None = None,
    editions_path: Path | None = None,
    workers: int | None = None,
    outlook_demo: bool = False,
) -> GenerateReport:
    """Write out_dir/registry.yaml, out_dir/editions.yaml and out_dir/input/ (envelopes).

    scale: "quick" (default registry and editions, latest edition, ~240k post records),
    "award" (= 1.0) or a number k (2020-shaped registry of 249 institutions and at least
    ceil(6,036,434 * k) post records). Optional, mostly for tests: max_institutions cuts
    the registry, records overrides the post record target, registry_path/editions_path
    replace the shipped defaults for "quick", workers sets the number of processes.
    outlook_demo (with "quick"): what the GSM Outlook's demo needs beyond the award's: a demo
    edition the year before (registry.EARLIER_EDITION, appended to editions.yaml; EARLIER_RECORDS
    post records, or a quarter of `records`) in out_dir/earlier/input/ (landed before the latest
    edition's), for --compare; and a merger inside the latest window (registry.DEMO_MERGER,
    appended to registry.yaml).
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

    n_accounts, totals = _write_edition(reg, edition, seed, target, input_dir, workers)
    if outlook_demo:
        if mode != "quick" or registry_path is not None or editions_path is not None or max_institutions is not None:
            raise ValueError("the outlook's demo goes with scale 'quick' on the shipped registry and editions, uncut")
        with (out_dir / "registry.yaml").open("a", encoding="utf-8") as f:  # written after the plans: no file changes
            f.write(_demo_merger_text())
        load_registry(out_dir / "registry.yaml")
        earlier = _add_earlier_edition(out_dir, edition, seed)
        earlier_input = out_dir / "earlier" / "input"
        if earlier_input.exists():
            shutil.rmtree(earlier_input)  # only what an earlier run of this generator wrote
        earlier_input.mkdir(parents=True)
        earlier_target = EARLIER_RECORDS if records is None else max(1, int(records) // 4)
        more = _write_edition(reg, earlier, seed, earlier_target, earlier_input, workers, earlier=True)[1]
        totals = [x + y for x, y in zip(totals, more, strict=True)]
    envelopes, post_records, profile_records, files, size = totals
    for name in ("registry.yaml", "editions.yaml"):
        files += 1
        size += (out_dir / name).stat().st_size
    return GenerateReport(
        institutions=len(reg.institutions),
        accounts=n_accounts,
        envelopes=envelopes,
        post_records=post_records,
        profile_records=profile_records,
        files=files,
        bytes=size,
    )
