"""The entry point: `generate(out_dir, scale, seed)` plans the accounts, calibrates them to the
post record target and writes each account's files (one worker process per CPU, up to 4, at
large scales), then reports what it wrote."""

from __future__ import annotations

import gzip
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from gsm_platform import registry as registry_module
from gsm_platform.registry import load_editions, load_registry
from gsm_platform.sources.demo.activity import _Account, _accounts_for, _assign_traits, _calibrate, _Frame, _frame
from gsm_platform.sources.demo.metrics import _account_data
from gsm_platform.sources.demo.registry import AWARD_EDITION, _award_editions, _award_registry, _trimmed_registry_text

AWARD_RECORDS = 6_036_434  # post records of the 2020 edition: scale "award" (k = 1)
QUICK_RECORDS = 240_000  # scale "quick": small enough for a whole pipeline run in a minute or two


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
) -> GenerateReport:
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
                totals = [x + y for x, y in zip(totals, res, strict=True)]
    else:
        for job in jobs:
            totals = [x + y for x, y in zip(totals, _write_account(job), strict=True)]
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
