"""What a run reads: the registry and editions files and the source of raw data.

`gsm materialize` records its choices in GSM_HOME/config.json so that runs started later
from the Dagster UI (schedules, backfills, re-materializations) use the same inputs."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from gsm_platform.paths import gsm_home, run_config_path
from gsm_platform.registry import DEFAULT_EDITIONS, DEFAULT_REGISTRY

SOURCES = ("demo", "files", "api")


class GsmInputs(dg.ConfigurableResource):
    """Empty fields fall back to GSM_HOME/config.json, then to the shipped defaults."""

    registry_path: str = ""
    editions_path: str = ""
    source: str = ""
    input_dir: str = ""

    def _saved(self) -> dict:
        path = run_config_path()
        return json.loads(path.read_text()) if path.exists() else {}

    def resolved(self) -> dict[str, str]:
        saved = self._saved()
        source = self.source or saved.get("source") or "demo"
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)} (got {source!r})")
        return {
            "registry_path": self.registry_path or saved.get("registry_path") or str(DEFAULT_REGISTRY),
            "editions_path": self.editions_path or saved.get("editions_path") or str(DEFAULT_EDITIONS),
            "source": source,
            "input_dir": self.input_dir or saved.get("input_dir") or str(demo_input_dir()),
            # the edition the `api` source pulls the window of (empty: the latest edition)
            "edition": saved.get("edition") or "",
        }


def demo_input_dir(home: Path | None = None) -> Path:
    """Where the `demo` source writes its generated envelopes before they are landed."""
    return (home or gsm_home()) / "sources" / "demo" / "input"


def save_inputs(values: dict[str, str]) -> None:
    path = run_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")
