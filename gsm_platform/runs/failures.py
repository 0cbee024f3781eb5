"""Failures a person can act on, said in their words instead of a traceback: the full disk and
DuckDB out of memory. (A warehouse held by another process: warehouse.WarehouseBusy and
runs.recovery.PoolBusy say it themselves; a dead API endpoint: one line per platform in the pull
report, sources/api/pull.py.)

`advice(text)` recognises one in an error's text (a Python exception, or the message a
Dagster step failure or dbt carries) and returns what to say, else None."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from gsm_platform.paths import gsm_home
from gsm_platform.warehouse import DEFAULT_MEMORY_LIMIT, memory_limit

NO_SPACE = (
    "no space left on device",
    "database or disk is full",
    "disk quota exceeded",
    "[errno 28]",
    "could not write all bytes",
    "enospc",
)
OUT_OF_MEMORY = ("outofmemoryexception", "out of memory error", "failed to allocate")


def _free(home: Path) -> str:
    try:
        usage = shutil.disk_usage(home if home.exists() else home.parent)
    except OSError:
        return "free space unknown"
    return f"{usage.free / 2**20:,.0f} MiB free of {usage.total / 2**20:,.0f} MiB"


def _memory() -> str:
    try:
        return f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        return "unknown"


def is_no_space(text: str) -> bool:
    low = text.lower()
    if any(sign in low for sign in NO_SPACE):
        return True
    # SQLite says "disk I/O error" when a write fails for lack of space: believe it only then
    return "disk i/o error" in low and _nearly_full(gsm_home())


def _nearly_full(home: Path) -> bool:
    try:
        usage = shutil.disk_usage(home if home.exists() else home.parent)
    except OSError:
        return False
    return usage.free < 64 << 20


def advice(text: str) -> str | None:
    home = gsm_home()
    if is_no_space(text):
        return (
            f"no space left on device for GSM_HOME {home} ({_free(home)}). What was committed before stays "
            "(landed files with their envelopes, cleaned fetch months, built editions); the step that ran out "
            "was rolled back. Free some space (or point GSM_HOME / GSM_DUCKDB_TEMP_DIRECTORY at a larger disk) "
            "and run the same command again: it goes on from there"
        )
    low = text.lower()
    if any(sign in low for sign in OUT_OF_MEMORY):
        return (
            f"DuckDB ran out of memory at its limit GSM_DUCKDB_MEMORY_LIMIT={memory_limit()} "
            f"(default {DEFAULT_MEMORY_LIMIT}; this machine has {_memory()}). Nothing of the step was committed. "
            "Raise GSM_DUCKDB_MEMORY_LIMIT (or free memory) and run the same command again"
        )
    return None


def exception_text(exc: BaseException) -> str:
    """The text of an exception and of its causes (Dagster wraps the original error)."""
    parts, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {current}")
        if isinstance(current, OSError) and current.errno == errno.ENOSPC:
            parts.append("[Errno 28] No space left on device")
        current = current.__cause__ or current.__context__
    return "\n".join(parts)
