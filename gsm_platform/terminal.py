"""What `gsm` says on the terminal while a run's output (Dagster's, dbt's) goes to the log
file: `say` writes to the terminal's stderr that runs.output_to keeps aside, else to stderr
(never stdout: `gsm rankings --format json | jq` never gets a waiting message in its JSON)."""

from __future__ import annotations

import os
import sys

_fd: int | None = None


def use(fd: int | None) -> None:
    """Set (or, with None, forget) the descriptor of the terminal kept aside."""
    global _fd
    _fd = fd


def say(message: str) -> None:
    line = (message.rstrip("\n") + "\n").encode(errors="replace")
    if _fd is not None:
        try:
            os.write(_fd, line)
            return
        except OSError:
            pass
    sys.stderr.flush()
    try:
        os.write(sys.stderr.fileno(), line)
    except (OSError, ValueError):
        pass
