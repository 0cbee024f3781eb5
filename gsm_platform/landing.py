"""Landing: what a source read is copied into GSM_HOME/landing verbatim and read-only, once,
with a sha256 per file, and its envelopes are indexed (file, line, platform, kind, fetch
time) in `raw.envelopes` before anything parses their bodies."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import queue
import shutil
import stat
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import duckdb
import pandas as pd

from gsm_platform.parsing import wib
from gsm_platform.registry import file_sha256

ENVELOPE_SUFFIXES = (".jsonl.gz", ".jsonl", ".json")
# lines per batch pushed into DuckDB: bounds memory at any scale
BATCH_BYTES = 256 << 20


@dataclass(frozen=True)
class LandedFile:
    path: str  # relative to GSM_HOME
    sha256: str
    bytes: int
    original_path: str


def envelope_files(root: Path) -> list[Path]:
    """Every envelope file under root, any folder layout, in a stable order."""
    if not root.is_dir():
        raise FileNotFoundError(f"input directory {root} does not exist")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(ENVELOPE_SUFFIXES))


def _landed_name(rel: Path, sha: str) -> Path:
    for suffix in ENVELOPE_SUFFIXES:
        if rel.name.endswith(suffix):
            return rel.with_name(f"{rel.name[: -len(suffix)]}.{sha[:12]}{suffix}")
    return rel.with_name(f"{rel.name}.{sha[:12]}")


def land_directory(conn: duckdb.DuckDBPyConnection, input_dir: Path, home: Path, source: str) -> list[LandedFile]:
    """Copy every envelope file of input_dir into home/landing/<source>/ that is not landed yet
    (by content hash); return the newly landed files. Landed files are never overwritten."""
    known = {row[0] for row in conn.execute("SELECT sha256 FROM clean.landed_files").fetchall()}
    landed: list[LandedFile] = []
    for src in envelope_files(input_dir):
        sha = file_sha256(src)
        if sha in known:
            continue
        rel = Path("landing") / source / src.relative_to(input_dir)
        dest = home / rel
        if dest.exists():  # same name, other content: keep both, never overwrite
            rel = _landed_name(rel, sha)
            dest = home / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        shutil.copyfile(src, tmp)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, dest)
        known.add(sha)
        landed.append(LandedFile(rel.as_posix(), sha, dest.stat().st_size, str(src)))
    if landed:
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        frame = pd.DataFrame(
            {
                "path": [f.path for f in landed],
                "sha256": [f.sha256 for f in landed],
                "bytes": [f.bytes for f in landed],
                "source": source,
                "original_path": [f.original_path for f in landed],
                "landed_at": now,
            }
        )
        conn.execute(
            "INSERT INTO clean.landed_files SELECT path, sha256, bytes, source, original_path, landed_at, NULL FROM frame"
        )
    return landed


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(1-based line, text) of each envelope in a landed file. A `.json` file is one envelope
    (line 1, however many lines it spans); `.jsonl[.gz]` is one envelope per line."""
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            data = f.read()
    else:
        data = path.read_bytes()
    text = data.decode("utf-8", errors="replace")
    if path.name.endswith(".json"):
        if text.strip():
            yield 1, text.strip()
        return
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield number, line.rstrip("\r")


def _prefetched(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The batches, the next one read (gunzip, line split) by a thread while DuckDB parses the
    current one: DuckDB releases the GIL. At most three batches are alive at once."""
    ready: queue.Queue = queue.Queue(maxsize=1)
    done = object()
    stop = threading.Event()

    def offer(item) -> bool:
        """Hand item to the consumer; False once the consumer has stopped."""
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not offer(batch):
                    return
            offer(done)
        except BaseException as exc:  # re-raised in the consumer, with its traceback
            offer(exc)

    worker = threading.Thread(target=produce, name="landing-reader", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _batches(home: Path, files: Iterable[LandedFile | str]) -> Iterator[pd.DataFrame]:
    names: list[str] = []
    lines: list[int] = []
    texts: list[str] = []
    size = 0
    for f in files:
        rel = f.path if isinstance(f, LandedFile) else f
        for number, text in read_lines(home / rel):
            names.append(rel)
            lines.append(number)
            texts.append(text)
            size += len(text)
        if size >= BATCH_BYTES:
            yield pd.DataFrame({"source_file": names, "source_line": lines, "text": texts})
            names, lines, texts, size = [], [], [], 0
    if names:
        yield pd.DataFrame({"source_file": names, "source_line": lines, "text": texts})


# The envelope header, parsed once here; bodies are parsed by the platform parsers.
HEADER_TYPE = '{"platform":"VARCHAR","kind":"VARCHAR","account_id":"VARCHAR","fetched_at":"VARCHAR"}'


def index_envelopes(conn: duckdb.DuckDBPyConnection, home: Path, files: Iterable[LandedFile | str]) -> int:
    """Append every envelope line of the given landed files to raw.envelopes. A line that is
    not JSON still gets a row (platform etc. NULL) so the cleaned layer quarantines it."""
    total = 0
    for batch in _prefetched(_batches(home, files)):
        conn.register("envelope_batch", batch)
        conn.execute(
            f"""
            INSERT INTO raw.envelopes
            SELECT source_file, source_line,
                   h.platform, h.kind, h.account_id,
                   {wib("h.fetched_at")} AS fetched_at,
                   CAST({wib("h.fetched_at")} AS DATE),
                   text
            FROM (SELECT *, try(from_json(text, '{HEADER_TYPE}')) AS h FROM envelope_batch)
            """
        )
        conn.unregister("envelope_batch")
        total += len(batch)
    return total


def register_landed(conn: duckdb.DuckDBPyConnection, home: Path, paths: Iterable[Path], source: str) -> list[LandedFile]:
    """Record files a source wrote straight into the landing folder (the api pulls)."""
    known = {row[0] for row in conn.execute("SELECT path FROM clean.landed_files").fetchall()}
    new: list[LandedFile] = []
    for p in sorted(paths):
        rel = p.resolve().relative_to(home).as_posix()
        if rel in known:
            continue
        os.chmod(p, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        new.append(LandedFile(rel, file_sha256(p), p.stat().st_size, str(p)))
    if new:
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        frame = pd.DataFrame(
            {"path": [f.path for f in new], "sha256": [f.sha256 for f in new], "bytes": [f.bytes for f in new],
             "source": source, "original_path": [f.original_path for f in new], "landed_at": now}
        )
        conn.execute("INSERT INTO clean.landed_files SELECT path, sha256, bytes, source, original_path, landed_at, NULL FROM frame")
    return new
