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
    import duckdb

    from assets.account_pulls import changed_since_last_run, observations, record_numbers
    from gsm_platform.accounting import Scope
    from gsm_platform.warehouse.ddl import DDL

    conn = duckdb.connect()
    conn.execute(DDL)
    scope, other = Scope("fetch months 2025-01"), Scope("fetch months 2025-02")
    numbers = {("x", "111"): (3, 10, 8, 2, 500, 1, None, None), ("x", "222"): (1, 0, 0, 1, 7, 0, None, None)}
    assert changed_since_last_run(conn, scope, numbers) == [("x", "111"), ("x", "222")]
    # killed before its observations were logged (numbers not recorded): the rerun observes them again
    assert changed_since_last_run(conn, scope, numbers) == [("x", "111"), ("x", "222")]
    record_numbers(conn, scope, numbers)
    assert changed_since_last_run(conn, scope, numbers) == []  # a re-clean that changed nothing
    assert changed_since_last_run(conn, other, numbers) == [("x", "111"), ("x", "222")]  # another scope
    numbers[("x", "222")] = (2, 0, 0, 2, 9, 0, None, None)
    assert changed_since_last_run(conn, scope, numbers) == [("x", "222")]
    record_numbers(conn, scope, numbers)
    assert changed_since_last_run(conn, scope, numbers) == []
    # an account the loaded definitions do not show is not observed (Dagster would show a stray asset)
    obs = observations(numbers, [("x", "111"), ("x", "222")], {account_key("x", "222")}, scope)
    assert [o.asset_key for o in obs] == [account_key("x", "222")]
    assert obs[0].metadata["envelopes_landed"].value == 2 and obs[0].metadata["followers_last"].value == 9
