"""Helpers for tests that build a warehouse from envelopes without Dagster."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from gsm_platform import landing, warehouse
from gsm_platform.methodology import METHODOLOGY_FILE, load_methodology
from gsm_platform.parsing import cleaning
from gsm_platform.registry import load_editions, load_registry
from gsm_platform.registry_tables import write_registry_tables

SAMPLE_ACCOUNTS = {
    "facebook": "100064500000001",
    "instagram": "17841400000000001",
    "x": "1234567890",
    "youtube": "UCabcdefghijklmnopqrstuv",
    "tiktok": "contohkementerian",
}


def sample_registry(path: Path) -> Path:
    accounts = "\n".join(f'      - {{platform: {p}, account_id: "{a}"}}' for p, a in SAMPLE_ACCOUNTS.items())
    path.write_text(
        "institutions:\n  - id: contoh\n    name: Contoh Kementerian\n    cluster: kementerian\n"
        f"    accounts:\n{accounts}\n"
    )
    return path


def sample_editions(path: Path) -> Path:
    path.write_text(
        'editions:\n  - {id: "2025", start: 2024-10-01, end: 2025-10-01, clusters: [kementerian], '
        "platforms: [facebook, instagram, x, youtube, tiktok]}\n"
    )
    return path


def build_clean(home: Path, input_dir: Path, registry: Path, editions: Path, months: list[dt.date] | None = None):
    """Registry, landing and cleaning of the given fetch months (default: every fetch month that
    holds envelopes, as the pipeline cleans them), without Dagster."""
    conn = warehouse.connect(home / "warehouse.duckdb")
    write_registry_tables(
        conn,
        load_registry(registry),
        load_editions(editions),
        load_methodology(),
        {"registry": registry, "editions": editions, "methodology": METHODOLOGY_FILE},
    )
    landing.land_directory(conn, input_dir, home, "files")
    recon = cleaning.clean_months(conn, fetch_months(conn) if months is None else months)
    return conn, recon


def fetch_months(conn) -> list[dt.date]:
    """First days of the fetch months that hold indexed envelopes."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT CAST(date_trunc('month', fetch_date) AS DATE) FROM raw.envelopes "
            "WHERE fetch_date IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]


def write_jsonl(path: Path, envelopes: list[dict | str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(e if isinstance(e, str) else json.dumps(e) for e in envelopes) + "\n")
    return path


FIXTURES_SAMPLES = Path(__file__).parent / "fixtures" / "samples"
