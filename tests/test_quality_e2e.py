"""End to end through the Dagster path (`gsm materialize` = runs.pipeline.run_edition): the award
computed from the damaged corpus equals the award computed from the same files with the bad
records removed by hand. Bad records change nothing but the quarantine.

Two whole (tiny) awards through Dagster and dbt, about a minute: it is the issue's
"the bad-input corpus passes end to end", so it runs in every `make test`."""

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.test_quality_corpus import BAD, EXPECTED, _page

pytestmark = pytest.mark.e2e  # runs real Dagster jobs or dbt builds

REGISTRY = """institutions:
  - id: contoh
    name: Contoh Kementerian
    cluster: kementerian
    accounts:
      - {platform: facebook, account_id: "100064500000001"}
      - {platform: instagram, account_id: "17841400000000001"}
      - {platform: x, account_id: "1234567890"}
      - {platform: youtube, account_id: "UCabcdefghijklmnopqrstuv"}
      - {platform: tiktok, account_id: "contohkementerian"}
  - id: lain
    name: Kementerian Lain
    cluster: kementerian
    accounts:
      - {platform: facebook, account_id: "200000000000002"}
"""
EDITIONS = (
    'editions:\n  - {id: "2025", start: 2024-10-01, end: 2025-10-01, clusters: [kementerian], '
    "platforms: [facebook, instagram, x, youtube, tiktok]}\n"
)


def other_institution() -> str:
    """Clean posts and a profile of a second institution, so the rankings have someone to rank against."""
    posts = [
        {
            "id": f"200000000000002_{n}",
            "created_time": f"2025-02-{n + 1:02d}T08:00:00+0000",
            "reactions": {"summary": {"total_count": 50 + n}},
            "comments": {"summary": {"total_count": 3}},
        }
        for n in range(6)
    ]
    envelopes = [
        {
            "platform": "facebook",
            "kind": "posts",
            "account_id": "200000000000002",
            "fetched_at": "2025-03-02T08:00:00+07:00",
            "request": {},
            "response": {"data": posts},
        },
        {
            "platform": "facebook",
            "kind": "profile",
            "account_id": "200000000000002",
            "fetched_at": "2025-01-01T08:00:00+07:00",
            "request": {},
            "response": {"followers_count": 90000},
        },
    ]
    return "\n".join(json.dumps(e) for e in envelopes) + "\n"


def without_bad_records(name: str) -> str:
    """The file with every record the corpus test expects quarantined taken out by hand: whole
    lines for envelope-level damage and for a profile's bad follower count, the follower count
    out of an Instagram posts page, single posts out of their page."""
    quarantined = EXPECTED[name].quarantined
    out = []
    for number, text in enumerate((BAD / name).read_text(encoding="utf-8").split("\n"), start=1):
        if not text.strip():
            continue
        marks = {pos: reason for (line, pos), reason in quarantined.items() if line == number}
        if marks:
            if None in marks:  # the whole envelope
                continue
            envelope = json.loads(text)
            if envelope.get("kind") == "profile":  # its one follower count
                continue
            followers = [pos for pos, reason in marks.items() if "follower" in reason]
            if followers:  # the follower count inside an Instagram posts page: its posts stay
                del envelope["response"]["business_discovery"]["followers_count"]
            page = _page(envelope)
            for pos in sorted((pos for pos in marks if pos not in followers), reverse=True):
                del page[pos]
            text = json.dumps(envelope)
        out.append(text)
    return "\n".join(out) + "\n"


def award(base: Path, input_dir: Path) -> tuple[list[dict], dict]:
    """`gsm materialize --source files` in its own GSM_HOME; the rankings and reconciliation."""
    from gsm_platform.accounting import counts
    from gsm_platform.rankings import ranking_rows
    from gsm_platform.runs.pipeline import run_edition
    from gsm_platform.warehouse import connect

    home = base / "home"
    os.environ.update(
        {"GSM_HOME": str(home), "GSM_WAREHOUSE": str(home / "warehouse.duckdb"), "DAGSTER_HOME": str(home / "dagster")}
    )
    (base / "registry.yaml").write_text(REGISTRY)
    (base / "editions.yaml").write_text(EDITIONS)
    run_edition("2025", "files", str(input_dir), str(base / "registry.yaml"), str(base / "editions.yaml"), quiet=True)
    with connect(read_only=True) as conn:
        rows = ranking_rows(conn, "2025")
        posts = counts(conn).posts  # post records of the whole landing
    return rows, {
        "raw_records": posts.read,
        "clean": posts.kept,
        "duplicates": posts.duplicates,
        "quarantined": posts.quarantined,
    }


def test_bad_records_do_not_change_the_rankings(tmp_path, monkeypatch):
    for var in ("GSM_HOME", "GSM_WAREHOUSE", "DAGSTER_HOME"):
        monkeypatch.setenv(var, os.environ.get(var, ""))  # restored after the test
    names = sorted(EXPECTED)
    damaged, repaired = tmp_path / "damaged" / "input", tmp_path / "repaired" / "input"
    for folder in (damaged, repaired):
        folder.mkdir(parents=True)
        (folder / "other_institution.jsonl").write_text(other_institution())
    for name in names:
        shutil.copy(BAD / name, damaged / name)
        (repaired / name).write_text(without_bad_records(name))

    rows_damaged, recon_damaged = award(tmp_path / "damaged", damaged)
    rows_repaired, recon_repaired = award(tmp_path / "repaired", repaired)

    assert rows_damaged and {r["institution_id"] for r in rows_damaged} == {"contoh", "lain"}
    assert rows_damaged == rows_repaired
    assert recon_damaged["clean"] == recon_repaired["clean"]
    assert recon_repaired["quarantined"] == 0 and recon_damaged["quarantined"] > 0
