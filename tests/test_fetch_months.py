"""Every landed envelope is accounted for, whatever its fetch time: fetch months are dynamic
partitions the landing registers, runs follow Dagster's stored order of them, and the envelope
ledger (indexed = parsed + quarantined) fails when an envelope goes nowhere."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import dagster as dg
import pytest

from assets.partitions import month_runs, register_months
from checks import cleaned
from gsm_platform import accounting
from gsm_platform.parsing import cleaning, guard, records
from tests.support import FIXTURES_SAMPLES, SAMPLE_ACCOUNTS, build_clean, sample_editions, sample_registry, write_jsonl


def fb_page(fetched_at: str, post_id: str, published: str) -> dict:
    account = SAMPLE_ACCOUNTS["facebook"]
    return {
        "platform": "facebook",
        "kind": "posts",
        "account_id": account,
        "fetched_at": fetched_at,
        "request": {"endpoint": f"/v21.0/{account}/posts"},
        "response": {
            "data": [
                {
                    "id": f"{account}_{post_id}",
                    "created_time": published,
                    "from": {"id": account},
                    "reactions": {"summary": {"total_count": 7}},
                    "comments": {"summary": {"total_count": 1}},
                }
            ]
        },
    }


def fb_profile(fetched_at: str, followers: int) -> dict:
    account = SAMPLE_ACCOUNTS["facebook"]
    return {
        "platform": "facebook",
        "kind": "profile",
        "account_id": account,
        "fetched_at": fetched_at,
        "request": {},
        "response": {"id": account, "followers_count": followers},
    }


# ----------------------------------------------------------------------------- months and runs


def test_months_become_the_fewest_day_ranges():
    d = dt.date
    assert cleaning.month_ranges([d(2025, 4, 1), d(1999, 6, 1), d(2025, 3, 17), d(2025, 3, 1)]) == [
        (d(1999, 6, 1), d(1999, 7, 1)),
        (d(2025, 3, 1), d(2025, 5, 1)),
    ]
    assert cleaning.month_ranges([d(2024, 12, 1), d(2025, 1, 1)]) == [(d(2024, 12, 1), d(2025, 2, 1))]
    assert accounting.scope_of_months([d(2025, 4, 1), d(1999, 6, 1), d(2025, 3, 1)]).label == (
        "fetch months 1999-06, 2025-03 .. 2025-04 (and envelopes without a readable fetch time)"
    )


def test_runs_follow_the_stored_order_of_the_months():
    """A month landed late is added after its neighbours: a run's range is a slice of the stored
    order, so the months a command needs are cleaned in one run per stretch of that order."""
    with dg.instance_for_test() as instance:
        assert register_months(instance, ["2025-04-01", "2025-03-01"]) == ["2025-03-01", "2025-04-01"]
        assert register_months(instance, ["1999-06-01", "2025-03-01"]) == ["1999-06-01"]  # late, after the others
        assert instance.get_dynamic_partitions("fetch_month") == ["2025-03-01", "2025-04-01", "1999-06-01"]
        start, end = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
        assert month_runs(instance, ["1999-06-01", "2025-04-01"]) == [{start: "2025-04-01", end: "1999-06-01"}]
        assert month_runs(instance, ["1999-06-01", "2025-03-01"]) == [
            {start: "2025-03-01", end: "2025-03-01"},
            {start: "1999-06-01", end: "1999-06-01"},
        ]
        with pytest.raises(ValueError, match="2031-01-01"):
            month_runs(instance, ["2031-01-01"])


# ----------------------------------------------------------------------------- the envelope ledger


@pytest.fixture
def samples_input(tmp_path):
    shutil.copytree(FIXTURES_SAMPLES, tmp_path / "input")
    return tmp_path / "input", sample_registry(tmp_path / "r.yaml"), sample_editions(tmp_path / "e.yaml")


def test_an_envelope_that_goes_nowhere_fails_the_envelope_check(tmp_path, samples_input, monkeypatch):
    """A cleaning that silently skips the youtube envelopes: the post and profile ledgers still
    balance (they count only what was parsed), the envelope ledger does not."""
    parse_platform = records.parse_platform

    def parse_all_but_youtube(conn, platform, parser):
        if platform != "youtube":
            parse_platform(conn, platform, parser)

    monkeypatch.setattr(records, "parse_platform", parse_all_but_youtube)
    # the cleaning guard stops this loss before it is committed (tests/test_cleaning_guard.py);
    # here the check is tested on its own, as if the loss had got through
    monkeypatch.setattr(guard, "check_slice", lambda *args: None)
    conn, _ = build_clean(tmp_path / "home", *samples_input)
    assert conn.execute("SELECT count(*) FROM clean.post_snapshots WHERE platform = 'youtube'").fetchone()[0] == 0
    assert cleaned.reconciliation_balanced(conn).passed and cleaned.profile_reconciliation_balanced(conn).passed
    outcome = cleaned.envelopes_accounted_for(conn)
    assert not outcome.passed
    assert outcome.description.startswith("2 envelope(s) indexed but neither parsed nor quarantined")
    assert "first 2025-03-02 youtube: 2 indexed, 0 parsed, 0 quarantined" in outcome.description
    assert not accounting.counts(conn).envelopes.balanced


def test_a_fetch_month_never_cleaned_fails_the_envelope_check(tmp_path, samples_input):
    """The first version's loss: an envelope of a month no run cleaned (fetched before its fixed
    start date) was indexed and then nowhere. Its month's scope, or the whole landing, fails."""
    inp = samples_input[0]
    write_jsonl(inp / "old.jsonl", [fb_page("1999-06-01T09:00:00+07:00", "1999", "1999-05-30T01:00:00+0000")])
    conn, _ = build_clean(tmp_path / "home", *samples_input, months=[dt.date(2025, 3, 1)])
    assert cleaned.envelopes_accounted_for(conn, fetch_days=cleaning.month_ranges([dt.date(2025, 3, 1)])).passed
    outcome = cleaned.envelopes_accounted_for(conn)
    assert not outcome.passed and "first 1999-06-01 facebook: 1 indexed, 0 parsed, 0 quarantined" in outcome.description
    cleaning.clean_months(conn, [dt.date(1999, 6, 1)])
    assert cleaned.envelopes_accounted_for(conn).passed
    assert (
        conn.execute("SELECT count(*) FROM clean.post_snapshots WHERE fetch_date = DATE '1999-06-01'").fetchone()[0]
        == 1
    )


def test_a_fetch_time_after_the_landing_is_quarantined(tmp_path, samples_input):
    inp = samples_input[0]
    write_jsonl(inp / "future.jsonl", [fb_profile("2031-01-01T09:00:00+07:00", 5)])
    conn, _ = build_clean(tmp_path / "home", *samples_input)
    [(reason, kind)] = conn.execute("SELECT reason, record_kind FROM clean.quarantine").fetchall()
    assert kind == "envelope" and reason.startswith("fetched_at 2031-01-01 09:00 WIB is after the file was landed (")
    assert reason.endswith("WIB): the fetch time cannot be right")
    assert cleaned.envelopes_accounted_for(conn).passed and cleaned.profile_reconciliation_balanced(conn).passed


# ----------------------------------------------------------------------------- through Dagster


@pytest.mark.e2e
def test_an_envelope_of_any_year_is_cleaned_or_quarantined(tmp_path, capsys):
    """`gsm materialize --source files` with envelopes fetched in 1999, 2025 and 2031, then `gsm
    update` with one fetched in 2010 (a month landed late): every envelope is parsed or
    quarantined, and the checks of every run hold."""
    from gsm_platform.cli import main
    from gsm_platform.resources import save_inputs, saved_inputs
    from gsm_platform.runs.pipeline import run_update
    from gsm_platform.warehouse import connect
    from tests.e2e import home_variables_restored, use_home

    inp = tmp_path / "input"
    shutil.copytree(FIXTURES_SAMPLES, inp)
    write_jsonl(inp / "old.jsonl", [fb_page("1999-06-01T09:00:00+07:00", "1999", "1999-05-30T01:00:00+0000")])
    write_jsonl(inp / "future.jsonl", [fb_profile("2031-01-01T09:00:00+07:00", 5)])
    registry, editions = sample_registry(tmp_path / "r.yaml"), sample_editions(tmp_path / "e.yaml")
    with home_variables_restored():
        use_home(tmp_path / "home")
        code = main(
            [
                "materialize",
                "--edition",
                "2025",
                "--source",
                "files",
                "--input",
                str(inp),
                "--registry",
                str(registry),
                "--editions",
                str(editions),
            ]
        )
        out = capsys.readouterr().out
        assert code == 0
        assert "[2/4] raw pulls and cleaned snapshots of fetch months 1999-06, 2025-03, 2031-01 (1 run)" in out
        with dg.DagsterInstance.get() as instance:
            assert instance.get_dynamic_partitions("fetch_month") == ["1999-06-01", "2025-03-01", "2031-01-01"]
        with connect(read_only=True) as conn:
            assert cleaned.envelopes_accounted_for(conn).passed
            assert (
                conn.execute(
                    "SELECT count(*) FROM clean.post_snapshots WHERE fetch_date = DATE '1999-06-01'"
                ).fetchone()[0]
                == 1
            )
            assert (
                "after the file was landed"
                in conn.execute("SELECT reason FROM clean.quarantine WHERE fetch_date = DATE '2031-01-01'").fetchone()[
                    0
                ]
            )
            landed = accounting.counts(conn)
        assert (
            f"  envelopes: {landed.envelopes.read:,} indexed = {landed.envelopes.read - 1:,} parsed "
            "+ 1 quarantined whole (balanced)" in out
        )

        late = tmp_path / "late"
        write_jsonl(late / "2010.jsonl", [fb_page("2010-02-03T09:00:00+07:00", "2010", "2010-02-01T01:00:00+0000")])
        save_inputs(dataclasses.replace(saved_inputs(), input_dir=str(late)))
        summary = run_update(quiet=True)
        assert summary["fetch_months"] == ["2010-02-01"]
        with dg.DagsterInstance.get() as instance:
            assert instance.get_dynamic_partitions("fetch_month")[-1] == "2010-02-01"  # after 2031: landed late
            runs = [r for r in instance.get_runs() if r.job_name == "clean"]
            assert all(r.is_success for r in runs)
            assert runs[0].tags["dagster/asset_partition_range_start"] == "2010-02-01"  # newest first
        with connect(read_only=True) as conn:
            assert cleaned.envelopes_accounted_for(conn).passed
            assert accounting.counts(conn).envelopes.read == landed.envelopes.read + 1
            assert (
                conn.execute(
                    "SELECT count(*) FROM clean.post_snapshots WHERE fetch_date = DATE '2010-02-03'"
                ).fetchone()[0]
                == 1
            )
