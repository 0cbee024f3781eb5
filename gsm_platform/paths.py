"""Where state lives. `GSM_HOME` selects the state folder (default `.gsm/` in the checkout)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


class OutsideHome(ValueError):
    """A path built from a name (an edition id...) would leave GSM_HOME."""


def gsm_home() -> Path:
    return Path(os.environ.get("GSM_HOME") or PROJECT_ROOT / ".gsm").resolve()


def under_home(*parts: str | Path, home: Path | None = None) -> Path:
    """home/part/part/..., the one way a path is made from a name that came from outside (an
    edition id from a YAML file or the command line): refused unless it stays inside home,
    symbolic links of the existing part of the path followed. Ids are validated before they
    get here (registry.check_edition_id); this is the second line, for every other caller."""
    base = (home or gsm_home()).resolve()
    for part in parts:
        text = str(part)
        if not text or "\0" in text or Path(text).is_absolute():
            raise OutsideHome(f"{text!r} cannot name a path inside {base} (empty, absolute or with a NUL byte)")
    target = base.joinpath(*parts)
    if not target.resolve().is_relative_to(base):
        raise OutsideHome(f"{'/'.join(map(str, parts))!r} leads outside {base}: refused")
    return target


def landing_dir(home: Path | None = None) -> Path:
    return (home or gsm_home()) / "landing"


def warehouse_path(home: Path | None = None) -> Path:
    return (home or gsm_home()) / "warehouse.duckdb"


def dagster_home(home: Path | None = None) -> Path:
    return (home or gsm_home()) / "dagster"


def run_config_path(home: Path | None = None) -> Path:
    """The inputs of the last `gsm materialize` (registry, editions, source, input folder,
    edition): the command line's memory for `gsm update`/`backfill`, and the defaults the
    definitions offer the UI's launchpad. No run reads it: runs get their inputs as run config."""
    return (home or gsm_home()) / "config.json"


def demo_input_dir(home: Path | None = None) -> Path:
    """Where the `demo` source writes its generated envelopes before they are landed."""
    return (home or gsm_home()) / "sources" / "demo" / "input"


def write_text_aside(target: Path, text: str) -> None:
    """Writes `text` beside `target` and renames it over: a crash or a full disk never leaves a
    reader half a page (the old file stays whole until the rename)."""
    part = target.with_name(f".{target.name}.part")
    try:
        part.write_text(text, encoding="utf-8")
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
