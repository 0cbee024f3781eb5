"""Every registered account is an asset of its own (assets/accounts.py): its key, its metadata,
the editions it feeds, and which registry the definitions read (the copy the `registry` asset
last loaded, else the shipped default)."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from assets.accounts import (
    account_key,
    account_specs,
    feeds,
    keep_in_use,
    platform_key,
    registered_accounts,
    registry_in_use,
)
from gsm_platform.registry import DEFAULT_EDITIONS, DEFAULT_REGISTRY, load_editions, load_registry

REGISTRY_YAML = """
institutions:
  - id: kemenkeu
    name: Kementerian Keuangan
    cluster: kementerian
    lifecycle:
      - {date: 2024-10-21, event: renamed, previous_name: "Kemenkeu <lama>"}
    accounts:
      - {platform: x, account_id: "111", handle: kemenkeu}
      - {platform: youtube, account_id: "UC/odd id", handle: kemenkeuri}
    leaders:
      - name: Menteri Keuangan
        accounts:
          - {platform: x, account_id: "222", handle: menkeu}
          - {platform: x, account_id: "111", handle: kemenkeu}
  - id: itb
    name: Institut Teknologi Bandung
    cluster: ptn
    accounts:
      - platform: instagram
        account_id: "333"
        lifecycle: [{date: 2024-01-02, event: created}]
"""

EDITIONS_YAML = """
editions:
  - {id: "2025", start: 2025-01-01, end: 2025-12-31, clusters: [kementerian], platforms: [x, youtube]}
  - {id: "2024", start: 2024-01-01, end: 2024-12-31, clusters: [kementerian, ptn], platforms: [x]}
"""


@pytest.fixture
def files(tmp_path):
    reg, eds = tmp_path / "registry.yaml", tmp_path / "editions.yaml"
    reg.write_text(REGISTRY_YAML)
    eds.write_text(EDITIONS_YAML)
    return reg, eds


def test_every_account_once_and_an_institution_account_wins_over_a_leader_listing(files):
    accounts = registered_accounts(load_registry(files[0]))
    by_id = {a.account_id: a for a in accounts}
    assert sorted(by_id) == ["111", "222", "333", "UC/odd id"]
    assert len(accounts) == 4
    assert by_id["111"].leader is None and by_id["222"].leader == "Menteri Keuangan"


def test_an_id_that_is_not_url_safe_gets_a_readable_key_that_no_other_id_shares():
    key = account_key("youtube", "UC/odd id")
    assert key.path[:2] == ["accounts", "youtube"] and "/" not in key.path[2] and " " not in key.path[2]
    assert key != account_key("youtube", "UC_odd_id") and key != account_key("youtube", "UC/odd  id")
    assert account_key("x", "111") == dg.AssetKey(["accounts", "x", "111"])


def test_feeds_only_the_editions_that_award_its_cluster_and_platform(files):
    eds = load_editions(files[1])
    by_id = {a.account_id: a for a in registered_accounts(load_registry(files[0]))}
    assert feeds(by_id["111"], eds) == ["2025", "2024"]
    assert feeds(by_id["UC/odd id"], eds) == ["2025"]
    assert feeds(by_id["333"], eds) == []  # ptn on instagram: no edition awards it
    assert feeds(by_id["222"], eds) == []  # a leader account is never scored


def test_an_account_spec_carries_what_an_auditor_needs(files, tmp_path):
    keep_in_use(*files, home=tmp_path / "home")
    specs = {s.key: s for s in account_specs(registry_in_use(tmp_path / "home"))}
    spec = specs[account_key("x", "111")]
    md = spec.metadata
    assert md["handle"] == "kemenkeu" and md["institution"] == "Kementerian Keuangan (kemenkeu)"
    assert md["cluster"] == "kementerian" and md["account_id"] == "111"
    assert "/assets/rankings?view=partitions&partition=2025" in md["feeds"].value
    lifecycle = md["lifecycle"].value
    assert "renamed" in lifecycle and "<" not in lifecycle  # a tag in a name never reaches the UI as HTML
    assert spec.group_name == "accounts_x"
    # the platform node sits between the accounts and raw/<platform>
    assert account_key("x", "111") in {d.asset_key for d in specs[platform_key("x")].deps}
    assert "<" not in spec.description


def test_the_registry_in_use_is_the_copy_last_loaded_else_the_default(files, tmp_path):
    home = tmp_path / "home"
    assert registry_in_use(home).registry_path == DEFAULT_REGISTRY
    assert registry_in_use(home).editions_path == DEFAULT_EDITIONS
    kept = keep_in_use(*files, home=home)
    assert (kept / "registry.yaml").read_bytes() == files[0].read_bytes()
    in_use = registry_in_use(home)
    assert len(registered_accounts(in_use.registry)) == 4
    # a copy edited by hand into something invalid fails loudly, naming the file
    (kept / "registry.yaml").write_text("institutions: [{id: X}]")
    with pytest.raises(ValueError, match=r"registry\.yaml"):
        registry_in_use(home)


def test_the_default_registry_has_an_asset_per_account(tmp_path):
    in_use = registry_in_use(tmp_path)  # empty home: the shipped default
    specs = account_specs(in_use)
    n = len(registered_accounts(in_use.registry))
    assert n > 1000
    assert sum(1 for s in specs if s.key.path[0] == "accounts") == n
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_a_run_observes_only_the_accounts_whose_numbers_changed():
    import datetime as dt

    import duckdb

    from assets.account_pulls import account_numbers, observations, record_numbers
    from gsm_platform.accounting import Scope
    from gsm_platform.warehouse.ddl import DDL

    conn = duckdb.connect()
    conn.execute(DDL)
    conn.execute(
        """CREATE OR REPLACE TABLE registry.accounts AS
           SELECT * FROM (VALUES ('x', '111'), ('x', '222'), ('x', '333')) t(platform, account_id)"""
    )

    def envelope(account_id: str, day: int) -> None:
        fetched = dt.datetime(2025, 1, day, 9)
        conn.execute(
            "INSERT INTO raw.envelopes (source_file, source_line, platform, kind, account_id, fetched_at, fetch_date,"
            " text) VALUES ('f', ?, 'x', 'posts', ?, ?, ?, '{}')",
            [day * 1000 + int(account_id), account_id, fetched, fetched.date()],
        )

    def changed(scope: Scope) -> list[tuple[str, str]]:
        numbers = account_numbers(conn, scope)
        return [(r.platform, r.account_id) for r in numbers[numbers["changed"]].itertuples()]

    for account_id, day in (("111", 2), ("111", 3), ("222", 2)):  # 333 has no data: never observed
        envelope(account_id, day)
    conn.execute(
        "INSERT INTO clean.follower_snapshots (platform, account_id, fetched_at, fetch_date, followers, origin,"
        " source_file, source_line) VALUES ('x', '222', TIMESTAMP '2025-01-02 09:00:00', DATE '2025-01-02', 7,"
        " 'profile', 'f', 1)"
    )
    scope, other = Scope("fetch months 2025-01", ((dt.date(2025, 1, 1), dt.date(2025, 2, 1)),)), Scope("other")
    assert changed(scope) == [("x", "111"), ("x", "222")]
    # killed before its observations were logged (numbers not recorded): the rerun observes them again
    assert changed(scope) == [("x", "111"), ("x", "222")]
    record_numbers(conn, scope, account_numbers(conn, scope))
    assert changed(scope) == []  # a re-clean that changed nothing
    assert changed(other) == [("x", "111"), ("x", "222")]  # another scope
    envelope("222", 4)
    assert changed(scope) == [("x", "222")]
    numbers = account_numbers(conn, scope)
    record_numbers(conn, scope, numbers)
    assert changed(scope) == []
    # the numbers are recorded exactly (NULLs, times), each count from its own table
    assert conn.execute(
        "SELECT account_id, envelopes, followers_last, first_fetch, last_fetch FROM clean.account_pulls ORDER BY 1"
    ).fetchall() == [
        ("111", 2, None, dt.datetime(2025, 1, 2, 9), dt.datetime(2025, 1, 3, 9)),
        ("222", 2, 7, dt.datetime(2025, 1, 2, 9), dt.datetime(2025, 1, 4, 9)),
    ]
    # an account the loaded definitions do not show is not observed (Dagster would show a stray asset)
    numbers["changed"] = True
    obs = observations(numbers, {account_key("x", "222")}, scope)
    assert [o.asset_key for o in obs] == [account_key("x", "222")]
    assert obs[0].metadata["envelopes_landed"].value == 2 and obs[0].metadata["followers_last"].value == 7
    assert obs[0].metadata["last_fetch"].value == "2025-01-04 09:00:00"
    [none] = observations(numbers, {account_key("x", "111")}, scope)
    assert none.metadata["followers_last"].value == "(no follower snapshot)"
