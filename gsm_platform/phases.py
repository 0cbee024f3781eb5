"""Wall and CPU seconds of the named phases of a run (landing's copy and hash, its indexing,
each platform's parse, the dedupe, each check...), for the breakdown `make bench` prints.

Off unless GSM_PHASE_LOG names a file: a phase then appends one JSON line to it (name, wall
and CPU seconds, the CPU of the child processes waited for meanwhile, which is how dbt's CPU is
counted, and the process's peak RSS so far). Off, a phase costs two environment reads. A file, not memory, so that a
phase is recorded whatever process runs the step (the bench's own, or a run worker).

CPU is the process's (`time.process_time`: every thread, DuckDB's workers included), so two
phases that overlap in two threads of one process (landing's reader and DuckDB) each count
the other's CPU too; the phases that overlap say so in their names' docs.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "GSM_PHASE_LOG"


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def _children_cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def record(name: str, wall_s: float, cpu_s: float, children_cpu_s: float = 0.0, **info) -> None:
    """Append one phase to the log (nothing when it is off)."""
    path = os.environ.get(ENV)
    if not path:
        return
    line = {"phase": name, "wall_s": round(wall_s, 4), "cpu_s": round(cpu_s, 4), "pid": os.getpid()}
    # the process's high-water mark so far (KiB on Linux): the first phase that raises it to its
    # final value is where the run's peak memory was reached
    line["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    if children_cpu_s:
        line["children_cpu_s"] = round(children_cpu_s, 4)
    line.update(info)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


class Clock:
    """Wall and CPU accumulated over many short stretches (a file copied, a batch indexed),
    recorded once: one line per phase, not one per file."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.count = 0

    @contextmanager
    def running(self) -> Iterator[None]:
        if not enabled():
            yield
            return
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu
            self.count += 1

    def record(self, name: str, **info) -> None:
        if self.count:
            record(name, self.wall, self.cpu, times=self.count, **info)


@contextmanager
def phase(name: str, **info) -> Iterator[None]:
    """Time the block as the phase `name` (recorded also when the block raises)."""
    if not enabled():
        yield
        return
    wall, cpu, kids = time.perf_counter(), time.process_time(), _children_cpu()
    try:
        yield
    finally:
        record(name, time.perf_counter() - wall, time.process_time() - cpu, _children_cpu() - kids, **info)
