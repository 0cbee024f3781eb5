"""Where a pull writes: out_dir/<platform>/<account_id>/...

- `<kind>-<window or fetch stamp>.jsonl`: envelopes, one per line. Written to a hidden
  `.part` name and linked to the final name only when complete (a crash leaves no half
  `.jsonl`), never over an existing file (a taken name gets the fetch stamp, then -2, -3...).
- `posts-<start>_<end>.done`: JSON completion marker of an account's posts window.
- `posts-<start>_<end>.resume`: JSON state to continue an interrupted posts pull from.
Markers and resume files do not end in .json/.jsonl, so no envelope reader mistakes them for
data."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any, TextIO

_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]")


def safe_name(text: str) -> str:
    name = _UNSAFE.sub("_", text).lstrip(".")
    return name or "_"


def _link_no_clobber(tmp: Path, candidates: list[Path]) -> Path:
    for target in candidates:
        try:
            os.link(tmp, target)
        except FileExistsError:
            continue
        except OSError:  # no hard links here: check then rename (tiny race, single writer per account)
            if target.exists():
                continue
            os.replace(tmp, target)
            return target
        tmp.unlink()
        return target
    raise FileExistsError(f"no free file name among {candidates[0].name}...")


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class EnvelopeFile:
    """An envelope file being written; `close()` publishes it (or nothing, if empty)."""

    def __init__(self, directory: Path, stem: str, stamp: str):
        self.directory = directory
        self.stem = stem
        self.stamp = stamp
        self.count = 0
        self.tmp = directory / f".{stem}.{uuid.uuid4().hex[:8]}.part"
        self._fh: TextIO | None = None
        self.path: Path | None = None

    def add(self, envelope: dict[str, Any]) -> None:
        if self._fh is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            # held open across add() calls (one envelope each), closed by close()
            self._fh = open(self.tmp, "w", encoding="utf-8")  # noqa: SIM115
        self._fh.write(json.dumps(envelope, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._fh.flush()
        self.count += 1

    def close(self) -> Path | None:
        if self._fh is None:
            return self.path
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = None
        if self.count == 0:
            self.tmp.unlink(missing_ok=True)
            return None
        names = [f"{self.stem}.jsonl", f"{self.stem}.{self.stamp}.jsonl"]
        names += [f"{self.stem}.{self.stamp}-{n}.jsonl" for n in range(2, 1000)]
        if self.stem.endswith(self.stamp):
            names = [f"{self.stem}.jsonl"] + [f"{self.stem}-{n}.jsonl" for n in range(2, 1000)]
        self.path = _link_no_clobber(self.tmp, [self.directory / n for n in names])
        return self.path


class AccountStore:
    def __init__(self, out_dir: Path, platform: str, account_id: str, window_label: str, stamp: str):
        self.directory = Path(out_dir) / platform / safe_name(account_id)
        self.window_label = window_label
        self.stamp = stamp

    @property
    def marker(self) -> Path:
        return self.directory / f"posts-{self.window_label}.done"

    @property
    def resume_file(self) -> Path:
        return self.directory / f"posts-{self.window_label}.resume"

    def posts_file(self) -> EnvelopeFile:
        return EnvelopeFile(self.directory, f"posts-{self.window_label}", self.stamp)

    def profile_file(self) -> EnvelopeFile:
        return EnvelopeFile(self.directory, f"profile-{self.stamp}", self.stamp)

    def marker_exists(self, closed_only: bool = False) -> bool:
        """Is the posts window marked complete? With closed_only, only a marker written after
        the window had closed counts (a pull during the window misses what came later)."""
        if not closed_only:
            return self.marker.is_file()
        try:
            info = json.loads(self.marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(info, dict) and info.get("window_closed") is True

    def write_marker(self, info: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_json_atomic(self.marker, info)

    def load_resume(self, closed_only: bool = False) -> dict[str, Any] | None:
        """The saved state to continue from. With closed_only, a state saved while the window
        was still open is ignored (newer posts may have appeared above it since)."""
        try:
            data = json.loads(self.resume_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or (closed_only and data.get("window_closed") is False):
            return None
        state = data.get("state")
        return state if isinstance(state, dict) else None

    def save_resume(self, state: dict[str, Any], saved_at: dt.datetime, window_closed: bool) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_json_atomic(
            self.resume_file, {"state": state, "saved_at": saved_at.isoformat(), "window_closed": window_closed}
        )

    def clear_resume(self) -> None:
        self.resume_file.unlink(missing_ok=True)
