"""The bench's floors and the phase log, on a few hand-written landed files: both floors count
every post record of every landed file (gzip, plain lines, a whole-file .json envelope, a page in
Instagram's business_discovery shape) and skip a line that is not JSON; a phase is recorded
only when GSM_PHASE_LOG names a file, also when its block raises."""

from __future__ import annotations

import gzip
import json

import duckdb
import pytest

from gsm_platform import phases
from gsm_platform.bench import breakdown, floors


def _envelope(platform: str, kind: str, response: dict) -> str:
    return json.dumps(
        {
            "platform": platform,
            "kind": kind,
            "account_id": "a1",
            "fetched_at": "2020-03-02T10:00:00+07:00",
            "response": response,
        }
    )


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    fb = root / "files" / "facebook" / "2020-03"
    fb.mkdir(parents=True)
    lines = [
        _envelope("facebook", "posts", {"data": [{"id": "1"}, {"id": "2"}, {"id": "3"}]}),
        _envelope("facebook", "profile", {"id": "p", "followers_count": 5}),
    ]
    with gzip.open(fb / "posts-1.jsonl.gz", "wt") as f:
        f.write("\n".join(lines) + "\n")
    x = root / "files" / "x" / "2020-03"
    x.mkdir(parents=True)
    (x / "posts-2.jsonl").write_text(
        _envelope("x", "posts", {"data": [{"id": "9"}, {"id": "8"}]}) + "\n{not json\n", encoding="utf-8"
    )
    ig = root / "files" / "instagram" / "2020-03"
    ig.mkdir(parents=True)
    page = {"business_discovery": {"media": {"data": [{"id": str(i)} for i in range(4)]}}}
    (ig / "page.json").write_text(json.dumps(json.loads(_envelope("instagram", "posts", page)), indent=2))
    (ig / "posts-3.jsonl").write_text(_envelope("instagram", "posts", {"data": [{"id": "7"}]}) + "\n")
    return root


def test_bare_pass_counts_every_post_record_of_every_landed_file(landing):
    counts = floors.bare_pass(duckdb.connect(), landing)
    assert counts == {
        "facebook": {"envelopes": 2, "post_records": 3},
        "instagram": {"envelopes": 2, "post_records": 5},
        "x": {"envelopes": 1, "post_records": 2},
        "(none)": {"envelopes": 1, "post_records": 0},  # the line that is not JSON: read, no post
    }


def test_typed_pass_finds_each_platforms_files_at_any_depth(landing):
    # the .json envelope is read by the bare pass only: the typed pass reads newline-delimited files
    assert floors.typed_pass(duckdb.connect(), landing) == {"facebook": 3, "instagram": 1, "x": 2}


def test_bare_pass_of_an_empty_landing_is_empty(tmp_path):
    assert floors.bare_pass(duckdb.connect(), tmp_path) == {}


def test_phases_are_recorded_only_when_asked(tmp_path, monkeypatch):
    log = tmp_path / "phases.jsonl"
    monkeypatch.delenv(phases.ENV, raising=False)
    with phases.phase("off"):
        pass
    assert not log.exists()
    monkeypatch.setenv(phases.ENV, str(log))
    with pytest.raises(ZeroDivisionError), phases.phase("clean/parse/x/json"):
        1 / 0  # noqa: B018
    clock = phases.Clock()
    for _ in range(3):
        with clock.running():
            sum(range(1000))
    clock.record("landing/copy_hash", files=3)
    summed = breakdown.read_phases(log)
    assert set(summed) == {"clean/parse/x/json", "landing/copy_hash"}
    assert summed["landing/copy_hash"]["times"] == 3
    assert summed["clean/parse/x/json"]["times"] == 1
    assert all(row["wall_s"] >= 0 and row["cpu_s"] >= 0 for row in summed.values())


def test_the_peak_is_placed_in_the_first_phase_that_reached_it(tmp_path):
    log = tmp_path / "phases.jsonl"
    rows = [("landing/index", 900), ("clean/parse/x/json", 3100), ("clean/dedupe", 3100), ("dbt/build", 3000)]
    log.write_text(
        "".join(json.dumps({"phase": p, "wall_s": 1, "cpu_s": 1, "pid": 7, "maxrss_mib": m}) + "\n" for p, m in rows)
    )
    assert breakdown.peak_phase(log) == {"phase": "clean/parse/x/json", "maxrss_gib": round(3100 / 1024, 3)}
    assert breakdown.peak_phase(tmp_path / "none.jsonl") is None


def test_the_report_prints_the_headline_the_breakdown_and_memory():
    from gsm_platform.bench import judge, report_lines

    phases_ = {
        "runs/definitions": {"wall_s": 5.0, "cpu_s": 4.0, "children_cpu_s": 0.0, "times": 1},
        "landing/index": {"wall_s": 10.0, "cpu_s": 8.0, "children_cpu_s": 0.0, "times": 2},
        "clean/parse/x": {"wall_s": 6.0, "cpu_s": 5.0, "children_cpu_s": 0.0, "times": 1},
        "clean/parse/x/posts": {"wall_s": 4.0, "cpu_s": 3.0, "children_cpu_s": 0.0, "times": 1},
        "dbt/build": {"wall_s": 20.0, "cpu_s": 2.0, "children_cpu_s": 15.0, "times": 1},
        "checks/clean/post_snapshots/great_expectations_suite": {
            "wall_s": 3.0,
            "cpu_s": 2.0,
            "children_cpu_s": 0.0,
            "times": 1,
        },
        "gx/clean.post_snapshots/validate": {"wall_s": 2.5, "cpu_s": 1.5, "children_cpu_s": 0.0, "times": 1},
    }
    dbt = {
        "elapsed_s": 12.0,
        "models_s": 9.0,
        "models": {"int_post_snapshots_selected": 6.0},
        "tests": {"count": 3, "seconds": 2.0, "slowest": []},
    }
    run = {"job": "clean", "wall_s": 30.0, "steps": {"cleaned": 25.0}, "events": 40}
    result = {
        "scale": "award",
        "edition": "2020",
        "cpus": 2,
        "duckdb_memory_limit": "3.5GB",
        "full": {
            "post_records": 100,
            "envelopes": 10,
            "seconds": 60.0,
            "records_per_s": 2,
            "cpu_seconds": 50.0,
            "peak_tree_rss_gib": 1.0,
        },
        "bare_pass": {"seconds": 10.0, "cpu_seconds": 8.0, "cpu_ratio_end_to_end": 6.25},
        "typed_pass": {"seconds": 20.0, "cpu_seconds": 16.0},
        "ratio_end_to_end_over_bare_pass": 6.0,
        "ratio_end_to_end_over_typed_pass": 3.0,
        "peak_gib": 1.0,
        "self_maxrss_gib": 1.0,
        "children_maxrss_gib": 0.5,
        "incremental_day": {"seconds": 3.0, "share_of_full": 0.05, "rebuilt": [], "editions": []},
        "day_that_changes_the_edition": {"seconds": 9.0, "share_of_full": 0.15, "award_s": 6.0},
        "breakdown": {
            "phases": phases_,
            "runs": [run],
            "dbt": dbt,
            "dagster_events": {"events": 40, "wall_s": 1.0, "cpu_s": 0.5},
            "peak_reached_in": {"phase": "clean/parse/x/json", "maxrss_gib": 1.0},
        },
    }
    result.update(judge(result))
    assert result["targets_met"] == {
        "ratio_to_bare_pass": False,
        "peak_memory": True,
        "incremental_day": True,
        "ratio_stretch": False,
    }
    text = "\n".join(report_lines(result))
    assert "end to end / bare pass = 6.0x" in text
    assert "end to end / typed pass = 3.0x" in text
    assert "peak reached in     clean/parse/x/json" in text
    for row in (
        "definitions before the runs",
        "indexing: gunzip",
        "parse x, all of it",
        "dbt build",
        "int_post_snapshots_selected",
        "GX validate",
        "end to end outside the runs",
        "40 events",
    ):
        assert row in text, row
    assert "clean/parse/x " not in text  # a platform's whole parse is shown once, under the parse rows
