"""What Dagster sees of the project, held to a snapshot: every asset key with its group, kinds,
partitions and deps (and the pool of the op that makes it), every asset check with whether it
blocks, every job, sensor and resource key. These names are contracts (the UI, run history,
alerts, backfills and `gsm` refer to them), so a change of layout must leave the snapshot as it
is, and a change of contract shows up here as a diff of tests/fixtures/definitions_snapshot.json.

To accept a deliberate change: GSM_WRITE_SNAPSHOT=1 .venv/bin/python -m pytest
tests/test_definitions_snapshot.py, then review the diff of the JSON file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest

pytestmark = pytest.mark.e2e  # building the definitions runs `dbt parse` when the manifest is stale

SNAPSHOT = Path(__file__).parent / "fixtures" / "definitions_snapshot.json"


def _partitions(partitions_def: dg.PartitionsDefinition | None) -> str | None:
    if partitions_def is None:
        return None
    name = getattr(partitions_def, "name", None)
    return f"{type(partitions_def).__name__}:{name}" if name else type(partitions_def).__name__


def definitions_snapshot(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    pools = {
        key: assets_def.op.pool
        for assets_def in graph.assets_defs
        if assets_def.is_executable
        for key in assets_def.keys
    }
    assets = {
        spec.key.to_user_string(): {
            "group": spec.group_name,
            "kinds": sorted(spec.kinds),
            "partitions": _partitions(spec.partitions_def),
            "deps": sorted(dep.asset_key.to_user_string() for dep in spec.deps if dep.asset_key.path[0] != "accounts"),
            "pool": pools.get(spec.key),
        }
        for spec in defs.resolve_all_asset_specs()
        if spec.key.path[0] != "accounts"
    }
    # one asset per registered account (assets/accounts.py): held here as a count per platform, so that the
    # snapshot stays a contract of the layout, not a copy of the registry
    accounts: dict[str, int] = {}
    for spec in defs.resolve_all_asset_specs():
        if spec.key.path[0] == "accounts":
            name = f"accounts/{spec.key.path[1]}/* ({spec.group_name}, kinds {','.join(sorted(spec.kinds))})"
            accounts[name] = accounts.get(name, 0) + 1
    checks = {
        f"{key.asset_key.to_user_string()}:{key.name}": {"blocking": graph.get_check_spec(key).blocking}
        for key in graph.asset_check_keys
    }
    repository = defs.get_repository_def()
    return {
        "assets": dict(sorted(assets.items())),
        "account_assets": dict(sorted(accounts.items())),
        "checks": dict(sorted(checks.items())),
        "jobs": sorted(job.name for job in defs.resolve_all_job_defs()),
        "sensors": sorted(sensor.name for sensor in repository.sensor_defs),
        "schedules": sorted(schedule.name for schedule in repository.schedule_defs),
        "resources": sorted(defs.resources or {}),
    }


def test_the_definitions_match_the_snapshot(gsm_home):
    from gsm_platform.definitions import build_definitions

    current = definitions_snapshot(build_definitions())
    text = json.dumps(current, indent=1, sort_keys=True) + "\n"
    if os.environ.get("GSM_WRITE_SNAPSHOT"):
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists(), f"no snapshot at {SNAPSHOT}: run with GSM_WRITE_SNAPSHOT=1 once and review it"
    stored = json.loads(SNAPSHOT.read_text())
    for part in stored:
        assert current[part] == stored[part], f"the {part} of the definitions changed (see {SNAPSHOT.name})"
    assert current.keys() == stored.keys()


def test_the_snapshot_covers_every_layer():
    """The snapshot is not empty nor partial: it holds assets of every group the project has."""
    stored = json.loads(SNAPSHOT.read_text())
    groups = {a["group"] for a in stored["assets"].values()}
    assert {"registry", "raw", "cleaned", "staging", "intermediate", "marts", "award"} <= groups
    assert "rankings" in stored["assets"] and stored["assets"]["rankings"]["partitions"].endswith(":edition")
    assert stored["checks"] and stored["sensors"] == [
        "built_edition_updates",
        "outlook_after_update",
        "yearly_edition_backfill",
    ]
    assert {"ingest", "clean", "award"} <= set(stored["jobs"])


def test_every_description_renders_and_every_check_has_one(gsm_home):
    """The UI renders descriptions as markdown and eats what looks like an HTML tag (`<edition>`
    showed as "exports//"); every check, the dbt tests' included, says what it guards."""
    import re

    from gsm_platform.definitions import build_definitions

    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    tag = re.compile(r"<[A-Za-z/!?]")
    texts = {f"asset {s.key.to_user_string()}": s.description for s in defs.resolve_all_asset_specs()}
    texts.update(
        {
            f"check {k.asset_key.to_user_string()}:{k.name}": graph.get_check_spec(k).description
            for k in graph.asset_check_keys
        }
    )
    repository = defs.get_repository_def()
    texts.update({f"sensor {s.name}": s.description for s in repository.sensor_defs})
    texts.update({f"job {j.name}": j.description for j in defs.resolve_all_job_defs()})
    assert not [name for name, text in texts.items() if text and tag.search(text)]
    undescribed = [name for name, text in texts.items() if name.startswith("check ") and not (text or "").strip()]
    assert not undescribed, f"{len(undescribed)} checks without a description, e.g. {undescribed[:3]}"
    dbt_checks = [t for n, t in texts.items() if n.startswith("check ") and t and t.startswith("dbt test on ")]
    assert len(dbt_checks) > 100
