"""What `gsm` knows of other processes: alive or not, what command they run, their children.
Linux /proc first (a pid is reused: the start time tells a new process from the one that
was recorded); elsewhere only whether the pid exists."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

PROC = Path("/proc")


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 on (state, ppid, ... starttime at index 19); [] if none.
    The command name (field 2) is in parentheses and may hold spaces: split after it."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return []
    return stat[stat.rfind(")") + 2 :].split()


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or None."""
    fields = _stat(pid)
    return fields[19] if len(fields) > 19 else None


def alive(pid: int, started: str | None = None) -> bool:
    """Does the process run (and is it the one that started at `started`, when given)?"""
    if pid <= 0:
        return False
    if PROC.is_dir():
        fields = _stat(pid)
        if len(fields) <= 19 or fields[0] in ("Z", "X"):
            return False  # gone, or a zombie: finished, only waiting for its parent to read its status
        return started is None or fields[19] == started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def command(pid: int, limit: int = 80) -> str:
    """The command line of a process, as a person would recognise it ("gsm quality", "dagster
    dev ..."), cut to limit; "" when unknown."""
    try:
        argv = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    words = [a.decode(errors="replace") for a in argv if a]
    if len(words) > 1 and Path(words[0]).name.startswith("python"):
        words = words[1:]  # python .venv/bin/gsm quality -> gsm quality
        if words and words[0] == "-m" and len(words) > 1:
            words = words[1:]
    if words:
        words[0] = "gsm" if words[0] == "gsm_platform.cli" else Path(words[0]).name
    text = " ".join(words)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(pid: int) -> str:
    what = command(pid)
    return f"pid {pid}" + (f", {what}" if what else "")


def children(pid: int) -> list[int]:
    """Direct children of a process (from /proc; [] elsewhere)."""
    out = []
    for entry in PROC.glob("[0-9]*") if PROC.is_dir() else ():
        fields = _stat(int(entry.name))
        if len(fields) > 1 and fields[1] == str(pid):
            out.append(int(entry.name))
    return out


def stop_children(pid: int | None = None) -> list[int]:
    """SIGTERM the children of this process (dbt, a subprocess of a step) and theirs."""
    stopped = []
    for child in children(pid or os.getpid()):
        stopped += stop_children(child)
        try:
            os.kill(child, signal.SIGTERM)
            stopped.append(child)
        except OSError:
            pass
    return stopped


def host() -> str:
    return socket.gethostname()
