"""Reading the envelopes of landed files, with bounded memory whatever the input.

A `.jsonl` / `.jsonl.gz` file is one envelope per line, a `.json` file one envelope. Gzip is
decompressed as a stream, a line at a time, never read whole (a 1 MiB `.jsonl.gz` that expands
to 1 GiB held 4.5 GB at once before). Two bounds, set in the environment:

- GSM_MAX_ENVELOPE_BYTES (default 32 MiB): one line, or one `.json` file. Recorded API pages
  are tens of KB (the largest seen, an X timeline page, 30 KB; the demo's largest line 9 KB),
  so the bound is ~1,000x what a page needs; a 200 MB line ran DuckDB out of memory in
  cleaning. A longer line is not read: it is skipped in 1 MiB steps and indexed as a refusal
  that cleaning quarantines with the file, line, size and bound.
- GSM_MAX_FILE_BYTES (default 4 GiB): the decompressed content of one file. Past it the rest
  of the file is not read (one refusal at the line where it passes, quarantined the same way).

The landed file keeps every byte either way (it is the audit trail). A refused line stays
quarantined, visible in `gsm quality`; landed files are indexed once, so reading it needs the
raised bound and the data landed into a new GSM_HOME.
"""

from __future__ import annotations

import gzip
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ENVELOPE_SUFFIXES = (".jsonl.gz", ".jsonl", ".json")
# envelope text per batch pushed into DuckDB: bounds memory at any scale (a file may span batches)
BATCH_BYTES = 256 << 20
DEFAULT_MAX_ENVELOPE_BYTES = 32 << 20
DEFAULT_MAX_FILE_BYTES = 4 << 30
SKIP_STEP = 1 << 20
# The text indexed for a refused line: not JSON (so nothing parses it as data), recognised by
# cleaning, which quarantines it with the reason that follows the prefix.
REFUSED_PREFIX = "gsm:refused: "


def _bound(variable: str, default: int) -> int:
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{variable} must be a whole number of bytes (got {value!r})") from None
    if number < 1024:
        raise ValueError(f"{variable} must be at least 1024 bytes (got {number})")
    return number


def max_envelope_bytes() -> int:
    return _bound("GSM_MAX_ENVELOPE_BYTES", DEFAULT_MAX_ENVELOPE_BYTES)


def max_file_bytes() -> int:
    return _bound("GSM_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)


def is_envelope_file(name: str) -> bool:
    return name.endswith(ENVELOPE_SUFFIXES)


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def _refusal(line_bytes: int, line_bound: int) -> str:
    return (
        f"{REFUSED_PREFIX}line is {line_bytes:,} bytes, above the bound of {line_bound:,} "
        "(GSM_MAX_ENVELOPE_BYTES): not read, it stays in the landed file"
    )


def _file_refusal(file_bound: int) -> str:
    return (
        f"{REFUSED_PREFIX}the file's decompressed content passes the bound of {file_bound:,} bytes "
        "(GSM_MAX_FILE_BYTES) at this line: this line and the rest of the file are not read, "
        "they stay in the landed file"
    )


def read_envelopes(
    path: Path, line_bound: int | None = None, file_bound: int | None = None
) -> Iterator[tuple[int, str]]:
    """(1-based line, text) of each envelope of a landed file; a line above the bound comes as
    a refusal text (REFUSED_PREFIX ...). Blank lines are skipped, their numbers kept. At most
    line_bound + 1 bytes of the file are held at once."""
    line_bound = line_bound or max_envelope_bytes()
    file_bound = file_bound or max_file_bytes()
    with _open(path) as f:
        if path.name.endswith(".json"):  # one envelope, however many lines it spans
            data = f.read(line_bound + 1)
            if len(data) > line_bound:
                size = len(data) + sum(len(chunk) for chunk in iter(lambda: f.read(SKIP_STEP), b""))
                yield 1, _refusal(size, line_bound)
            elif data.strip():
                yield 1, data.decode("utf-8", errors="replace").strip()
            return
        number = total = 0
        while raw := f.readline(line_bound + 1):
            number += 1
            total += len(raw)
            if len(raw) > line_bound and not raw.endswith(b"\n"):  # longer than the bound: skip the rest of it
                size, ended = len(raw), False
                while not ended and (chunk := f.readline(SKIP_STEP)):
                    size += len(chunk)
                    ended = chunk.endswith(b"\n")
                total += size - len(raw)
                if total > file_bound:
                    yield number, _file_refusal(file_bound)
                    return
                yield number, _refusal(size - ended, line_bound)
                continue
            if total > file_bound:
                yield number, _file_refusal(file_bound)
                return
            text = raw.decode("utf-8", errors="replace").rstrip("\n").rstrip("\r")
            if text.strip():
                yield number, text


@dataclass
class Batch:
    """Envelope lines for DuckDB, and the files whose last line is in this batch, each with the
    number of envelopes it had (counted here, as read: the count the landing check compares
    with raw.envelopes)."""

    frame: pd.DataFrame
    completed: list[tuple[str, int]]
    open_file: str | None  # a file whose lines continue in the next batch


def batches(home: Path, paths: Iterable[str], batch_bytes: int | None = None) -> Iterator[Batch]:
    """The envelope lines of the landed files (paths relative to home), in batches of about
    batch_bytes of text. A file larger than a batch spans several."""
    limit = batch_bytes or BATCH_BYTES
    names: list[str] = []
    lines: list[int] = []
    texts: list[str] = []
    completed: list[tuple[str, int]] = []
    size = 0
    for rel in paths:
        count = 0
        for number, text in read_envelopes(home / rel):
            names.append(rel)
            lines.append(number)
            texts.append(text)
            size += len(text)
            count += 1
            if size >= limit:
                yield Batch(pd.DataFrame({"source_file": names, "source_line": lines, "text": texts}), completed, rel)
                names, lines, texts, completed, size = [], [], [], [], 0
        completed.append((rel, count))
    if names or completed:
        yield Batch(pd.DataFrame({"source_file": names, "source_line": lines, "text": texts}), completed, None)


def prefetched(items: Iterator) -> Iterator:
    """The items, the next one read (gunzip, line split) by a thread while DuckDB parses the
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
            for item in items:
                if not offer(item):
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
