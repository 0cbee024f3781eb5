"""Who may open the warehouse file now: readers never break writers.

DuckDB allows one read-write process *or* many read-only ones: a reader (`gsm quality`, `gsm
rankings`, a sensor) holding the file made a writer's connect fail ("step landing failed"),
and dbt, started by a writer, fails the same way. Two layers:

- The gate, an advisory lock on `<warehouse>.gate` (flock): a writer takes it exclusively for
  as long as it writes (a step's connection, or a whole `dbt build`), a reader shares it for
  as long as it reads. Readers that come while a writer holds it, or waits for it, wait behind
  it: a steady stream of readers can no longer starve a writer (measured: back-to-back `gsm
  quality` beside `gsm materialize` kept dbt out for 10 minutes without the gate, each dbt
  start losing the race for the file).
- Under it, DuckDB's own lock, for processes outside the gate (a person's `duckdb` shell):
  connecting retries while DuckDB's lock error names another pid.

Both wait up to a bound, saying once on the terminal who holds the warehouse: a writer
GSM_WAREHOUSE_WAIT_SECONDS (default 600: a reader's `gsm report` at award scale takes about a
minute), a reader GSM_READ_WAIT_SECONDS (default 60: a writer's step holds the file up to about
a minute at award scale). Then WarehouseBusy says in one line what holds it.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

DEFAULT_WRITE_WAIT_SECONDS = 600.0
DEFAULT_READ_WAIT_SECONDS = 60.0
POLL_SECONDS = 0.2
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")

T = TypeVar("T")


class WarehouseBusy(RuntimeError):
    """Another process held the warehouse for longer than the wait bound."""


def wait_seconds(read_only: bool) -> float:
    variable, default = (
        ("GSM_READ_WAIT_SECONDS", DEFAULT_READ_WAIT_SECONDS)
        if read_only
        else ("GSM_WAREHOUSE_WAIT_SECONDS", DEFAULT_WRITE_WAIT_SECONDS)
    )
    value = os.environ.get(variable, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{variable} must be a number of seconds (got {value!r})") from None


def _bound_words(read_only: bool, wait: float) -> str:
    return f"{'GSM_READ_WAIT_SECONDS' if read_only else 'GSM_WAREHOUSE_WAIT_SECONDS'}={wait:g} s"


def lock_holder(exc: BaseException) -> int | None:
    """The pid DuckDB names in its "Could not set lock" error, or None for another error."""
    match = _LOCK_HOLDER.search(str(exc))
    return int(match.group(2)) if match and "Could not set lock" in str(exc) else None


def gate_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".gate")


def gate_holders(path: Path) -> list[tuple[int, str]]:
    """(pid, "writing" | "reading") of the processes holding the gate, from /proc/locks
    (Linux); [] where it cannot be known."""
    try:
        inode = os.stat(path).st_ino
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    holders = []
    for line in lines:
        fields = line.split()
        if "->" in fields or len(fields) < 6 or fields[1] != "FLOCK":
            continue
        if fields[5].rsplit(":", 1)[-1] == str(inode) and fields[4].lstrip("-").isdigit() and int(fields[4]) > 0:
            holders.append((int(fields[4]), "writing" if fields[3] == "WRITE" else "reading"))
    return sorted(set(holders))


def _describe_holders(holders: list[tuple[int, str]], me: int) -> str:
    from gsm_platform import processes

    others = [(pid, what) for pid, what in holders if pid != me]
    if not others:
        return "another process"
    return "; ".join(f"{processes.describe(pid)} ({what})" for pid, what in others[:3])


@contextmanager
def gate(warehouse: Path, exclusive: bool, wait: float | None = None) -> Iterator[None]:
    """Hold the warehouse's gate (exclusive: to write; shared: to read) for the block."""
    from gsm_platform import terminal

    read_only = not exclusive
    bound = wait_seconds(read_only) if wait is None else wait
    path = gate_path(warehouse)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o664)
    except OSError:
        if exclusive:
            raise
        try:  # a reader without write access to GSM_HOME (an auditor's copy): flock works read-only too
            fd = os.open(path, os.O_RDONLY)
        except OSError:  # no gate there at all: DuckDB's own lock is the only one
            yield
            return
    try:
        deadline = time.monotonic() + bound
        said = False
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holders = _describe_holders(gate_holders(path), os.getpid())
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"the warehouse is busy: {warehouse} is held by {holders}; try again when it "
                        f"is done (waited {_bound_words(read_only, bound)})"
                    ) from None
                if not said:
                    terminal.say(f"waiting for the warehouse: {warehouse.name} is held by {holders}")
                    said = True
                time.sleep(POLL_SECONDS)
        yield
    finally:
        os.close(fd)  # releases the lock


def retry_while_locked(open_file: Callable[[], T], warehouse: Path, read_only: bool, wait: float | None) -> T:
    """open_file(), again while DuckDB says another process holds the file (outside the gate:
    a person's duckdb shell), saying once who, up to the bound; then WarehouseBusy."""
    import duckdb

    from gsm_platform import processes, terminal

    bound = wait_seconds(read_only) if wait is None else wait
    deadline = time.monotonic() + bound
    said = None
    while True:
        try:
            return open_file()
        except duckdb.IOException as exc:
            pid = lock_holder(exc)
            if pid is None:
                raise
            holder = processes.describe(pid)
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"the warehouse is busy: {warehouse} is held by {holder} "
                    f"({'writing' if read_only else 'reading or writing'}); try again when it is done "
                    f"(waited {_bound_words(read_only, bound)})"
                ) from None
            if said != pid:
                terminal.say(f"waiting for the warehouse: {warehouse.name} is held by {holder}")
                said = pid
            time.sleep(0.5)
