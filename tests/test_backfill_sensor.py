"""The yearly edition backfill sensor, evaluated before and after an edition's end + settle days."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg
import pytest

from assets import backfill, sensors
from assets.cleaned import POSTS_KEY
from assets.rankings import RANKINGS_KEY
from assets.raw import LANDING_KEY, RAW_KEYS

pytestmark = pytest.mark.e2e  # runs real Dagster jobs or dbt builds


@pytest.fixture(scope="module")
def defs():
    from gsm_platform.definitions import build_definitions

    return build_definitions()


def _evaluate(defs, instance, monkeypatch, today: dt.date, cursor: str | None = None):
    monkeypatch.setattr(sensors, "_today", lambda: today)
    from gsm_platform.resources import GsmInputs

    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources={"inputs": GsmInputs()}
    )
    return sensors.yearly_edition_backfill(context)


def _landed_months(instance, first: str, last: str) -> list[str]:
    """Registers every fetch month first .. last as the landing would, and returns them."""
    months, day = [], dt.date.fromisoformat(first)
    while f"{day:%Y-%m-%d}" <= last:
        months.append(f"{day:%Y-%m}-01")
        day = (day + dt.timedelta(days=32)).replace(day=1)
    instance.add_dynamic_partitions("fetch_month", months)
    return months


def _months_of(request) -> list[str]:
    return [f"{m}-01" for m in request.run_config["ops"]["request_edition_backfill"]["config"]["fetch_months"]]


def test_sensor_requests_one_backfill_per_due_edition(defs, gsm_home, monkeypatch):
    # the shipped editions: 2020 = [2019-10-01, 2020-10-01), 2025 = [2024-10-01, 2025-10-01); settle_days 7
    with dg.instance_for_test() as instance:
        _landed_months(instance, "2019-01-01", "2026-01-01")  # landed before: more months than an edition reads
        before = _evaluate(defs, instance, monkeypatch, dt.date(2020, 10, 8))  # the cutoff day itself
        assert isinstance(before, dg.SkipReason)
        assert "2020 on 2020-10-09" in before.skip_message

        after = _evaluate(defs, instance, monkeypatch, dt.date(2020, 10, 9))
        assert isinstance(after, dg.SensorResult)
        (request,) = after.run_requests
        # an ordinary run of the job that submits the backfill: the UI's preview shows it and its
        # "Apply requests" launches it as it is (a backfill request would launch an unpartitioned run)
        assert not request.requires_backfill_daemon() and request.job_name == backfill.EDITION_BACKFILL_JOB
        assert request.tags[backfill.BACKFILL_TAG] == "2020"
        months = _months_of(request)
        # the landed months of start - 31 days .. end + settle_days (2019-08-31 .. 2020-10-08)
        assert months[0] == "2019-08-01" and months[-1] == "2020-10-01" and len(months) == 15
        assert json.loads(after.cursor) == ["2020"]

        # requested once: the next evaluations skip it until the next edition is due
        again = _evaluate(defs, instance, monkeypatch, dt.date(2021, 3, 1), cursor=after.cursor)
        assert isinstance(again, dg.SkipReason)
        assert "2025 on 2025-10-09" in again.skip_message
        assert isinstance(
            _evaluate(defs, instance, monkeypatch, dt.date(2025, 10, 8), cursor=after.cursor), dg.SkipReason
        )
        later = _evaluate(defs, instance, monkeypatch, dt.date(2025, 10, 9), cursor=after.cursor)
        assert [r.tags[backfill.BACKFILL_TAG] for r in later.run_requests] == ["2025"]
        assert json.loads(later.cursor) == ["2020", "2025"]


def test_the_request_run_submits_the_edition_backfill(defs, gsm_home, monkeypatch):
    """What the daemon and the UI's apply both launch: a run of edition_backfill, whose step
    submits the asset backfill of the edition (registry, landing, raw + cleaned over its months,
    dbt + rankings of the edition) to the instance. Executed as gsm executes runs: a run of the
    workspace's job, as the run worker the daemon or the UI launches would."""
    from gsm_platform.resources import GsmInputs
    from gsm_platform.runs.launch import execute
    from gsm_platform.runs.pipeline import prepare_environment

    prepare_environment()
    with dg.DagsterInstance.get() as instance:
        _landed_months(instance, "2019-01-01", "2026-01-01")
        (request,) = _evaluate(defs, instance, monkeypatch, dt.date(2020, 10, 9)).run_requests
        result = execute(
            request.job_name, gsm_home / "test.log", instance, tags=request.tags, run_config=request.run_config
        )
        assert result.success
        (submitted,) = instance.get_backfills()
        assert submitted.tags[backfill.BACKFILL_TAG] == "2020"
        # the inputs the sensor read ride in the request and on to every run of the backfill
        inputs = GsmInputs().resolved().run_config()
        assert request.run_config["resources"] == inputs["resources"]
        assert submitted.run_config == inputs
        subset = submitted.asset_backfill_data.target_subset
        assert {LANDING_KEY} <= set(subset.non_partitioned_asset_keys)
        by_key = subset.partitions_subsets_by_asset_key
        assert sorted(by_key[POSTS_KEY].get_partition_keys()) == _months_of(request)
        assert sorted(by_key[RAW_KEYS["x"]].get_partition_keys()) == _months_of(request)
        assert list(by_key[RANKINGS_KEY].get_partition_keys()) == ["2020"]
        assert [k for k in by_key if k.path[0] == "marts"], "the dbt marts are part of the backfill"
        outlook = [k for k in by_key if k.path[0] == "outlook"]
        assert outlook, "and the edition's GSM Outlook"
        assert all(list(by_key[k].get_partition_keys()) == ["2020"] for k in outlook)
        assert instance.has_dynamic_partition("edition", "2020")


def test_an_edition_whose_window_is_not_landed_is_skipped_with_the_reason(defs, gsm_home, monkeypatch):
    """The demo has no fetch day of edition 2020: a backfill of it could only fail (or rank an
    empty year). It is not launched, the tick says why, and the cursor leaves it for later."""
    with dg.instance_for_test() as instance:
        _landed_months(instance, "2024-08-01", "2025-10-01")  # edition 2025's months only
        result = _evaluate(defs, instance, monkeypatch, dt.date(2026, 1, 1))
        assert [r.tags[backfill.BACKFILL_TAG] for r in result.run_requests] == ["2025"]
        assert json.loads(result.cursor) == ["2025"]
        alone = _evaluate(defs, instance, monkeypatch, dt.date(2026, 1, 2), cursor=result.cursor)
        assert isinstance(alone, dg.SkipReason)
        assert "edition 2020 not launched: no landed envelope fetched in 12 month(s)" in alone.skip_message
        assert "2019-10-01, 2019-11-01, 2019-12-01 ..." in alone.skip_message
        # once its months are landed, it is requested
        _landed_months(instance, "2019-10-01", "2020-09-01")
        landed = _evaluate(defs, instance, monkeypatch, dt.date(2026, 1, 3), cursor=result.cursor)
        assert [r.tags[backfill.BACKFILL_TAG] for r in landed.run_requests] == ["2020"]


def test_sensor_skips_an_edition_already_materialized(defs, gsm_home, monkeypatch):
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("edition", ["2020"])
        instance.report_runless_asset_event(dg.AssetMaterialization(RANKINGS_KEY, partition="2020"))
        result = _evaluate(defs, instance, monkeypatch, dt.date(2021, 1, 1))
        assert isinstance(result, dg.SkipReason)


def test_a_home_with_nothing_landed_lands_first(defs, gsm_home, monkeypatch):
    """Fetch months are the landing's dynamic partitions: with none registered, the sensor asks
    for one landing run (a run key per edition: the daemon launches it once), and for the
    backfill once the landing registered the months."""
    with dg.instance_for_test() as instance:
        first = _evaluate(defs, instance, monkeypatch, dt.date(2020, 10, 9))
        (landing,) = first.run_requests
        assert landing.job_name == "ingest" and landing.run_key == "landing-for-2020"
        assert landing.run_config["resources"]["inputs"]["config"]["source"] == "demo"  # the inputs it reads
        assert json.loads(first.cursor) == []  # the edition is asked for again at the next tick
        _landed_months(instance, "2019-08-01", "2020-10-01")
        second = _evaluate(defs, instance, monkeypatch, dt.date(2020, 10, 10), cursor=first.cursor)
        (request,) = second.run_requests
        assert request.job_name == backfill.EDITION_BACKFILL_JOB and len(_months_of(request)) == 15


def test_fetch_days_stop_at_today():
    from gsm_platform.registry import DEFAULT_EDITIONS, load_editions

    edition = load_editions(DEFAULT_EDITIONS).get("2025")
    assert backfill.edition_fetch_days(edition, 7) == (dt.date(2024, 8, 31), dt.date(2025, 10, 8))
    assert backfill.edition_fetch_days(edition, 7, today=dt.date(2025, 10, 3))[1] == dt.date(2025, 10, 3)


def test_the_sensor_daemon_accepts_the_request(defs, gsm_home, monkeypatch):
    """The daemon evaluates a sensor through evaluate_tick, which refuses a request of a job the
    sensor does not target."""
    from gsm_platform.resources import GsmInputs

    monkeypatch.setattr(sensors, "_today", lambda: dt.date(2020, 10, 9))
    sensor = defs.resolve_sensor_def(sensors.YEARLY_BACKFILL_SENSOR)
    with dg.instance_for_test() as instance:
        _landed_months(instance, "2019-09-01", "2020-10-01")
        context = dg.build_sensor_context(instance=instance, definitions=defs, resources={"inputs": GsmInputs()})
        data = sensor.evaluate_tick(context)
    (request,) = data.run_requests
    assert request.job_name == backfill.EDITION_BACKFILL_JOB and request.tags[backfill.BACKFILL_TAG] == "2020"
