"""`gsm update` on a copy of the small materialized edition: one more day of pulls is landed and
cleaned; the edition is rebuilt only when that day holds a snapshot it can use, and a forced
rebuild proves the skipped one would have changed nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from gsm_platform.bench import write_next_day
from tests.e2e import home_variables_restored, use_home

pytestmark = pytest.mark.e2e  # runs real Dagster jobs or dbt builds

EDITION = "2025"
SELECTED = (
    "SELECT * FROM main.int_post_snapshots_selected WHERE edition_id = '2025' ORDER BY platform, account_id, post_id"
)


@pytest.fixture(scope="module")
def home(small_edition, tmp_path_factory):
    """A copy of the materialized GSM_HOME, so the session's edition stays as it was built."""
    copy = tmp_path_factory.mktemp("update") / "home"
    shutil.copytree(small_edition.home, copy, ignore=shutil.ignore_patterns("duckdb_tmp", "*.tmp"))
    with home_variables_restored():
        use_home(copy)
        yield copy


def _query(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def _award_runs(home: Path) -> int:
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        return len(instance.get_runs(filters=dg.RunsFilter(job_name="award")))


def _update_with(home: Path, new_input: Path) -> dict:
    from gsm_platform.resources import save_inputs, saved_inputs
    from gsm_platform.runs.pipeline import run_update

    save_inputs(dataclasses.replace(saved_inputs(), input_dir=str(new_input)))
    return run_update(quiet=True)


def _late_post_envelope(home: Path, fetched_at: dt.datetime) -> dict:
    """An Instagram page fetched on `fetched_at` with one post published inside the window
    that no earlier pull saw: its only snapshot is after the cutoff (a late snapshot)."""
    [(text, start)] = _query(
        home,
        """
        SELECT e.text, ed.start_date FROM raw.envelopes e
        JOIN registry.editions ed ON ed.edition_id = '2025'
        WHERE e.platform = 'instagram' AND e.kind = 'posts' AND e.fetch_date >= ed.start_date
          AND e.fetch_date < ed.end_date
        ORDER BY e.source_file, e.source_line LIMIT 1""",
    )
    env = json.loads(text)
    published = start + dt.timedelta(days=30)
    env["response"]["data"] = [
        env["response"]["data"][0] | {"id": "late-post-never-seen", "timestamp": f"{published}T03:00:00+0000"}
    ]
    env["response"].get("paging", {}).pop("next", None)
    env["fetched_at"] = fetched_at.isoformat()
    return env


def test_a_day_after_the_cutoff_leaves_the_edition_standing(home, tmp_path):
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        day, written = write_next_day(conn, tmp_path / "next-day")
    [(cutoff,)] = _query(home, "SELECT snapshot_cutoff_at FROM main.int_edition_params WHERE edition_id = '2025'")
    assert written > 0 and day > cutoff.date()
    before_selected = _query(home, SELECTED)
    before_export = (home / "exports" / EDITION / "rankings.json").read_text()
    award_runs = _award_runs(home)

    summary = _update_with(home, tmp_path / "next-day")

    assert summary["fetch_months"] == [f"{day:%Y-%m}-01"]
    [decision] = summary["editions"]
    assert decision["edition"] == EDITION and decision["changed"] is False, decision
    assert decision["late_posts"] == 0 and decision["follower_accounts"] == 0
    assert summary["rebuilt"] == [] and _award_runs(home) == award_runs
    # the day was cleaned ...
    assert (
        _query(
            home,
            f"""SELECT (SELECT count(*) FROM clean.post_snapshots WHERE fetch_date = DATE '{day}')
                                 + (SELECT count(*) FROM clean.follower_snapshots WHERE fetch_date = DATE '{day}')""",
        )[0][0]
        > 0
    )
    # ... and the decision is in the instance, on the edition's rankings partition
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        [observed] = instance.fetch_observations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("rankings"), asset_partitions=[EDITION]), limit=1
        ).records
        metadata = observed.asset_observation.metadata
        assert metadata["changed"].value is False and f"{day:%Y-%m}" in metadata["fetch_months"].value

    # the proof: a forced rebuild chooses the same snapshots and exports the same rankings
    from assets.jobs import AWARD_JOB
    from gsm_platform.runs.launch import execute as _execute

    with dg.DagsterInstance.get() as instance:
        _execute(
            AWARD_JOB,
            home / "logs" / "forced.log",
            instance=instance,
            partition_key=EDITION,
        )
    assert _query(home, SELECTED) == before_selected
    assert (home / "exports" / EDITION / "rankings.json").read_text() == before_export


def test_a_late_snapshot_after_the_cutoff_rebuilds_the_edition(home, tmp_path):
    [(last,)] = _query(home, "SELECT max(fetch_date) FROM raw.envelopes")
    fetched = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(9, 30), dt.timezone(dt.timedelta(hours=7)))
    folder = tmp_path / "late" / "instagram" / f"{fetched:%Y-%m}"
    folder.mkdir(parents=True)
    (folder / "late.jsonl").write_text(json.dumps(_late_post_envelope(home, fetched)) + "\n")
    award_runs = _award_runs(home)

    summary = _update_with(home, tmp_path / "late")

    [decision] = summary["editions"]
    assert decision["changed"] is True and decision["late_posts"] == 1, decision
    assert summary["rebuilt"] == [EDITION] and _award_runs(home) == award_runs + 1
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        (award, *_) = instance.get_runs(filters=dg.RunsFilter(job_name="award"), limit=1)
    # the run the built_edition_updates sensor would request (its tag, its run key's edition), executed
    assert award.tags["gsm/update"] == decision["reason"][:200] and award.tags["dagster/partition"] == EDITION
    [(late,)] = _query(
        home,
        "SELECT late_snapshot FROM main.int_post_snapshots_selected "
        "WHERE edition_id = '2025' AND post_id = 'late-post-never-seen'",
    )
    assert late is True


def test_nothing_new_changes_nothing(home):
    from gsm_platform.runs.pipeline import run_update

    summary = run_update(quiet=True)
    [decision] = summary["editions"]
    assert summary["fetch_months"] == [] and summary["rebuilt"] == []
    assert decision["changed"] is False and decision["fetch_months"] == ""


def test_a_changed_registry_file_rebuilds_the_edition(home, tmp_path):
    from gsm_platform.resources import save_inputs, saved_inputs
    from gsm_platform.runs.pipeline import run_update

    inputs = saved_inputs()
    registry = tmp_path / "registry.yaml"
    registry.write_text(Path(inputs.registry_path).read_text() + "# corrected by the registry's owner\n")
    save_inputs(dataclasses.replace(inputs, registry_path=str(registry)))
    award_runs = _award_runs(home)

    summary = run_update(quiet=True)

    [decision] = summary["editions"]
    assert decision["changed"] is True and "registry file changed" in decision["reason"], decision
    assert summary["rebuilt"] == [EDITION] and _award_runs(home) == award_runs + 1


def test_the_sensor_rebuilds_an_edition_changed_by_months_cleaned_from_the_ui(home, tmp_path):
    """Months cleaned by runs launched elsewhere (the UI): the sensor asks the same question
    and requests the award run of each edition that changed, once."""
    from assets.jobs import CLEAN_JOB, INGEST_JOB
    from assets.partitions import month_key
    from assets.sensors import EDITION_UPDATES_SENSOR as SENSOR_NAME
    from gsm_platform.definitions import build_definitions
    from gsm_platform.resources import GsmInputs, Warehouse, save_inputs, saved_inputs
    from gsm_platform.runs.launch import execute as _execute

    [(last,)] = _query(home, "SELECT max(fetch_date) FROM raw.envelopes")
    fetched = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(9, 30), dt.timezone(dt.timedelta(hours=7)))
    folder = tmp_path / "late" / "instagram" / f"{fetched:%Y-%m}"
    folder.mkdir(parents=True)
    envelope = _late_post_envelope(home, fetched)
    envelope["response"]["data"][0]["id"] = "late-post-seen-by-the-sensor"
    (folder / "late.jsonl").write_text(json.dumps(envelope) + "\n")
    save_inputs(dataclasses.replace(saved_inputs(), input_dir=str(tmp_path / "late")))
    defs = build_definitions()  # the UI's reload: the saved inputs are its defaults
    ui_config = GsmInputs.saved().resolved().run_config()  # what the launchpad shows
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    with dg.DagsterInstance.get() as instance:

        def tick(cursor=None):
            context = dg.build_sensor_context(
                instance=instance,
                definitions=defs,
                cursor=cursor,
                resources={"warehouse": Warehouse(), "inputs": GsmInputs.saved()},
            )
            with dg.partition_loading_context(dynamic_partitions_store=instance):  # as the daemon does
                return sensor.evaluate_tick(context)

        quiet = tick()
        assert quiet.run_requests == [] and quiet.cursor  # every edition stands: nothing cleaned since
        _execute(INGEST_JOB, home / "logs" / "ui.log", instance=instance, run_config=ui_config)
        _execute(
            CLEAN_JOB,
            home / "logs" / "ui.log",
            instance=instance,
            partition_key=month_key(fetched.date()),
            run_config=ui_config,
        )
        data = tick(quiet.cursor)
        assert [r.partition_key for r in data.run_requests] == [EDITION] and sensor.job_name == "award"
        assert data.run_requests[0].run_config == ui_config  # the inputs ride in each request
        assert tick(data.cursor).skip_message.startswith("no fetch month cleaned")


def test_the_sensor_waits_while_a_run_holds_the_warehouse(home):
    import subprocess
    import sys

    from assets.sensors import EDITION_UPDATES_SENSOR as SENSOR_NAME
    from gsm_platform.definitions import build_definitions
    from gsm_platform.resources import GsmInputs, Warehouse

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)",
            str(home / "warehouse.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        defs = build_definitions()
        with dg.DagsterInstance.get() as instance:
            context = dg.build_sensor_context(
                instance=instance,
                definitions=defs,
                cursor="0",
                resources={"warehouse": Warehouse(), "inputs": GsmInputs()},
            )
            with dg.partition_loading_context(dynamic_partitions_store=instance):
                data = defs.resolve_sensor_def(SENSOR_NAME).evaluate_tick(context)
        assert data.run_requests == [] and "busy" in data.skip_message
    finally:
        holder.kill()
        holder.wait()


def test_gsm_update_input_switches_the_home_to_those_files(home, tmp_path, capsys):
    from gsm_platform.cli import main
    from gsm_platform.resources import saved_inputs

    (tmp_path / "new").mkdir()
    assert main(["update", "--input", str(tmp_path / "new")]) == 0
    out = capsys.readouterr().out
    assert "[1/3] landing (files)" in out and "[2/3] nothing new to clean" in out and "\nrebuilt: " in out
    inputs = saved_inputs()
    assert inputs.source == "files" and inputs.input_dir == str((tmp_path / "new").resolve())
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        (ingest, *_) = instance.get_runs(filters=dg.RunsFilter(job_name="ingest"), limit=1)
    assert ingest.run_config == inputs.run_config()  # the run was given the switched inputs, shown in its config
