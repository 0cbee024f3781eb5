"""Deterministic fault injection for the crash tests (tests/test_crash_*.py).

GSM_FAULT=<point>[:<n>][:<action>] makes the process fail the n-th time (default the first) it
passes the named point: action `kill` (default) sends itself SIGKILL, as `kill -9` or the OOM
killer would; `enospc` raises the OSError of a full disk; `hang` sleeps there for good (a
step that holds the warehouse, for the tests of waiting and of Ctrl-C). Without GSM_FAULT a point costs one
environment lookup. Points: landing.copy (a file half copied), landing.index (files copied,
their index not committed), cleaning (a slice parsed, not committed), dbt (dbt running),
rankings.export (the edition's export being written).
"""

from __future__ import annotations

import errno
import os
import signal
import time
from collections import Counter

_passed: Counter[str] = Counter()


def point(name: str) -> None:
    spec = os.environ.get("GSM_FAULT")
    if not spec:
        return
    wanted, _, rest = spec.partition(":")
    if wanted != name:
        return
    nth, action = 1, "kill"
    for part in filter(None, rest.split(":")):
        if part.isdigit():
            nth = int(part)
        else:
            action = part
    _passed[name] += 1
    if _passed[name] != nth:
        return
    if action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), f"(injected at {name})")
    if action == "hang":
        while True:
            time.sleep(3600)
    os.kill(os.getpid(), signal.SIGKILL)
