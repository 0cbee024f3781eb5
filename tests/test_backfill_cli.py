"""`gsm backfill --edition ID`: every run it launches is recorded in GSM_HOME's instance with
the gsm/backfill tag (the pipeline itself is runs.pipeline.run_edition's, covered by the end-to-end tests)."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from gsm_platform import cli
from gsm_platform.resources import GsmInputs
from gsm_platform.runs import launch, pipeline

pytestmark = pytest.mark.e2e  # runs real Dagster jobs or dbt builds


@dg.op
def _noop() -> int:
    return 1


@dg.job
def _tiny():
    _noop()


tiny_defs = dg.Definitions(jobs=[_tiny])


def _tiny_repository():
    from pathlib import Path

    from dagster._core.code_pointer import ModuleCodePointer
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    return ReconstructableRepository(ModuleCodePointer(__name__, "tiny_defs", str(Path(__file__).parents[1])))


def test_gsm_backfill_tags_every_run(gsm_home, monkeypatch, capsys):
    seen = {}

    def fake_run_edition(edition_id, source, input_dir, registry, editions, quiet=False, plan=None):
        home = pipeline.prepare_environment()
        seen.update(edition=edition_id, source=source, registry=registry, editions=editions)
        instance = dg.DagsterInstance.get()
        _land_months(instance, "2024-01-01", "2026-03-01")  # more months than the edition reads
        seen["months"] = plan(instance, GsmInputs().resolved())
        for step in ("ingest", "clean", "award"):
            launch.execute(
                "_tiny",
                home / "logs" / "test.log",
                instance=instance,
                tags={"step": step},
                repository=_tiny_repository(),
            )
        return {"home": str(home), "fetch_months": ["2024-08-01", "2025-10-01"], "run_id": "", "log": ""}

    monkeypatch.setattr(pipeline, "run_edition", fake_run_edition)
    assert cli.main(["backfill", "--edition", "2025"]) == 0
    assert seen["edition"] == "2025" and seen["source"] == "demo"  # no config.json: the defaults
    # the months of the yearly sensor's request for the edition: 2024-08-31 .. 2025-10-08 (end + settle days)
    assert seen["months"][0] == "2024-08-01" and seen["months"][-1] == "2025-10-01" and len(seen["months"]) == 15
    assert launch.RUN_TAGS == {}  # only that command's runs are tagged
    runs = dg.DagsterInstance.get().get_runs(filters=dg.RunsFilter(tags={"gsm/backfill": "2025"}))
    assert sorted(r.tags["step"] for r in runs) == ["award", "clean", "ingest"]
    assert len({r.tags["gsm/backfill_id"] for r in runs}) == 1
    assert "in 3 Dagster runs tagged gsm/backfill=2025" in capsys.readouterr().out


def _months(first: str, last: str) -> list[str]:
    months, day = [], dt.date.fromisoformat(first)
    while f"{day:%Y-%m-%d}" <= last:
        months.append(f"{day:%Y-%m}-01")
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _land_months(instance, first: str, last: str) -> None:
    instance.add_dynamic_partitions("fetch_month", _months(first, last))


def test_gsm_backfill_builds_the_sensors_request_and_refuses_what_it_refuses(gsm_home, monkeypatch):
    """The same function decides for the sensor and for `gsm backfill`: an edition whose window has
    a month with no landed envelope is refused with the sensor's reason, before any cleaning."""
    from assets.backfill import plan_edition_backfill
    from gsm_platform.registry import DEFAULT_EDITIONS, RegistryError, load_editions

    def fake_run_edition(edition_id, source, input_dir, registry, editions, quiet=False, plan=None):
        pipeline.prepare_environment()
        instance = dg.DagsterInstance.get()
        _land_months(instance, "2025-01-01", "2025-10-01")  # 2024-10 .. 2024-12 of the window missing
        return plan(instance, GsmInputs().resolved())

    monkeypatch.setattr(pipeline, "run_edition", fake_run_edition)
    with pytest.raises(RegistryError, match=r"edition 2025 not launched: .* 3 month\(s\)"):
        pipeline.run_backfill("2025", None, None, None, None)
    # once the window is landed, the same function makes the request, tagged as the sensor's
    edition = load_editions(DEFAULT_EDITIONS).get("2025")
    request = plan_edition_backfill(
        edition, 7, _months("2024-08-01", "2025-10-01"), dt.date(2026, 1, 1), GsmInputs().resolved()
    )
    assert not isinstance(request, str) and request.tags == {"gsm/backfill": "2025"}
