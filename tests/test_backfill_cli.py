"""`gsm backfill --edition ID`: every run it launches is recorded in GSM_HOME's instance with
the gsm/backfill tag (the pipeline itself is runs.pipeline.run_edition's, covered by the end-to-end tests)."""

from __future__ import annotations

import dagster as dg
import pytest

from gsm_platform import cli
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

    def fake_run_edition(edition_id, source, input_dir, registry, editions, quiet=False):
        home = pipeline.prepare_environment()
        seen.update(edition=edition_id, source=source, registry=registry, editions=editions)
        instance = dg.DagsterInstance.get()
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
    assert launch.RUN_TAGS == {}  # only that command's runs are tagged
    runs = dg.DagsterInstance.get().get_runs(filters=dg.RunsFilter(tags={"gsm/backfill": "2025"}))
    assert sorted(r.tags["step"] for r in runs) == ["award", "clean", "ingest"]
    assert len({r.tags["gsm/backfill_id"] for r in runs}) == 1
    assert "in 3 Dagster runs tagged gsm/backfill=2025" in capsys.readouterr().out
