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


def test_sensor_requests_one_backfill_per_due_edition(defs, gsm_home, monkeypatch):
    # the shipped editions: 2020 = [2019-10-01, 2020-10-01), 2025 = [2024-10-01, 2025-10-01); settle_days 7
    with dg.instance_for_test() as instance:
        _landed_months(instance, "2019-01-01", "2026-01-01")  # landed before: more months than an edition reads
        before = _evaluate(defs, instance, monkeypatch, dt.date(2020, 10, 8))  # the cutoff day itself
        assert isinstance(before, dg.SkipReason)
        assert "2020 on 2020-10-09" in before.skip_message

        after = _evaluate(defs, instance, monkeypatch, dt.date(2020, 10, 9))
        assert isinstance(after, dg.SensorResult)
        assert len(after.run_requests) == 1
        request = after.run_requests[0]
        assert request.requires_backfill_daemon()
        assert request.tags[backfill.BACKFILL_TAG] == "2020"
        subset = request.asset_graph_subset
        assert {LANDING_KEY} <= set(subset.non_partitioned_asset_keys)
        months = sorted(subset.partitions_subsets_by_asset_key[POSTS_KEY].get_partition_keys())
        # the landed months of start - 31 days .. end + settle_days (2019-08-31 .. 2020-10-08)
        assert months[0] == "2019-08-01" and months[-1] == "2020-10-01" and len(months) == 15
        assert sorted(subset.partitions_subsets_by_asset_key[RAW_KEYS["x"]].get_partition_keys()) == months
        assert list(subset.partitions_subsets_by_asset_key[RANKINGS_KEY].get_partition_keys()) == ["2020"]
        dbt_keys = [k for k in subset.partitions_subsets_by_asset_key if k.path[0] == "marts"]
        assert dbt_keys, "the dbt marts are part of the backfill"
        assert json.loads(after.cursor) == ["2020"]
        assert after.dynamic_partitions_requests[0].partition_keys == ["2020"]

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


def test_sensor_skips_an_edition_already_materialized(defs, gsm_home, monkeypatch):
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("edition", ["2020"])
        instance.report_runless_asset_event(dg.AssetMaterialization(RANKINGS_KEY, partition="2020"))
        result = _evaluate(defs, instance, monkeypatch, dt.date(2021, 1, 1))
        assert isinstance(result, dg.SkipReason)


def test_an_edition_with_no_landed_month_is_landed_first(defs, gsm_home, monkeypatch):
    """Fetch months are the landing's dynamic partitions: with none of the edition's landed yet,
    the sensor asks for a landing run, and for the backfill once the landing registered them."""
    with dg.instance_for_test() as instance:
        _landed_months(instance, "2024-08-01", "2024-09-01")  # another edition's months only
        first = _evaluate(defs, instance, monkeypatch, dt.date(2020, 10, 9))
        (landing,) = first.run_requests
        assert not landing.requires_backfill_daemon() and set(landing.asset_selection) >= {LANDING_KEY}
        assert json.loads(first.cursor) == []  # the edition is asked for again at the next tick
        _landed_months(instance, "2020-01-01", "2020-03-01")
        second = _evaluate(defs, instance, monkeypatch, dt.date(2020, 10, 10), cursor=first.cursor)
        (backfill,) = second.run_requests
        assert backfill.requires_backfill_daemon()
        assert sorted(backfill.asset_graph_subset.partitions_subsets_by_asset_key[POSTS_KEY].get_partition_keys()) == [
            "2020-01-01",
            "2020-02-01",
            "2020-03-01",
        ]


def test_fetch_days_stop_at_today():
    from gsm_platform.registry import DEFAULT_EDITIONS, load_editions

    edition = load_editions(DEFAULT_EDITIONS).get("2025")
    assert backfill.edition_fetch_days(edition, 7) == (dt.date(2024, 8, 31), dt.date(2025, 10, 8))
    assert backfill.edition_fetch_days(edition, 7, today=dt.date(2025, 10, 3))[1] == dt.date(2025, 10, 3)


def test_the_sensor_daemon_accepts_the_backfill_request(defs, gsm_home, monkeypatch):
    """The daemon evaluates a sensor through evaluate_tick, which refuses a backfill request of
    assets outside the sensor's asset selection (found when the daemon first ran the sensor)."""
    from gsm_platform.resources import GsmInputs

    monkeypatch.setattr(sensors, "_today", lambda: dt.date(2020, 10, 9))
    sensor = defs.resolve_sensor_def(sensors.YEARLY_BACKFILL_SENSOR)
    with dg.instance_for_test() as instance:
        _landed_months(instance, "2019-09-01", "2020-10-01")
        context = dg.build_sensor_context(instance=instance, definitions=defs, resources={"inputs": GsmInputs()})
        data = sensor.evaluate_tick(context)
    assert len(data.run_requests) == 1
    assert data.run_requests[0].requires_backfill_daemon()
    assert data.run_requests[0].tags[backfill.BACKFILL_TAG] == "2020"
