"""The lineage reaches every source account, both ways, on a materialized edition: each account
is upstream of `rankings`, carries its pull history as observations, and the rankings partition
lists every ranked institution with its scores and accounts (recomputed here from the warehouse)."""

from __future__ import annotations

import dagster as dg
import duckdb

from assets.accounts import account_key, registered_accounts, registry_in_use
from gsm_platform.vocabulary import CATEGORIES


def _institution_accounts(warehouse) -> dict[str, set[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            """SELECT a.institution_id, a.platform, a.account_id FROM registry.accounts a
               JOIN registry.edition_platforms p USING (platform)
               WHERE p.edition_id = '2025' AND a.role = 'institution'"""
        ).fetchall()
        ranked = {
            r[0] for r in conn.execute("SELECT institution_id FROM main.rankings WHERE edition_id = '2025'").fetchall()
        }
    out: dict[str, set[str]] = {i: set() for i in ranked}
    for inst, platform, account_id in rows:
        if inst in ranked:
            out[inst].add(f"{platform}:{account_id}")
    return out


def test_every_account_of_the_registry_in_use_is_upstream_of_rankings(small_edition, monkeypatch):
    from gsm_platform.definitions import build_definitions

    monkeypatch.setenv("GSM_HOME", str(small_edition.home))
    in_use = registry_in_use()
    # the registry asset kept the registry it loaded: the definitions now show its accounts
    assert in_use.registry_path == small_edition.home / "registry" / "registry.yaml"
    accounts = registered_accounts(in_use.registry)
    graph = build_definitions().resolve_asset_graph()
    upstream = graph.get(dg.AssetKey("rankings")).parent_keys
    seen, frontier = set(upstream), list(upstream)
    while frontier:
        for parent in graph.get(frontier.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    assert {a.key for a in accounts} <= seen
    assert sum(1 for k in graph.get_all_asset_keys() if k.path[0] == "accounts") == len(accounts)


def test_the_rankings_partition_lists_each_institution_with_scores_and_accounts(small_edition):
    expected = _institution_accounts(small_edition.home / "warehouse.duckdb")
    with dg.DagsterInstance.from_config(str(small_edition.home / "dagster")) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey("rankings"))
    metadata = event.asset_materialization.metadata
    records = metadata["institutions"].records
    assert {r.data["institution_id"] for r in records} == set(expected)
    for r in records:
        listed = {part.split(" ")[0] for part in r.data["accounts"].split("; ")}
        assert listed == expected[r.data["institution_id"]], r.data["institution_id"]
        assert any(r.data[c] != "-" for c in CATEGORIES)
    # the nominees show ids and accounts, not only names and scores
    nominees = metadata["nominees"].value
    some = next(r for r in records if r.data["nominee_in"] != "-")
    assert f"`{some.data['institution_id']}`" in nominees
    assert next(iter(expected[some.data["institution_id"]])) in nominees


def test_each_account_with_data_has_its_pull_history(small_edition):
    with duckdb.connect(str(small_edition.home / "warehouse.duckdb"), read_only=True) as conn:
        landed = {
            (p, a): n
            for p, a, n in conn.execute(
                """SELECT e.platform, e.account_id, count(*) FROM raw.envelopes e
                   WHERE (platform, account_id) IN (SELECT (platform, account_id) FROM registry.accounts)
                   GROUP BY ALL"""
            ).fetchall()
        }
    assert landed
    with dg.DagsterInstance.from_config(str(small_edition.home / "dagster")) as instance:
        for (platform, account_id), envelopes in sorted(landed.items())[:10]:
            records = instance.fetch_observations(account_key(platform, account_id), limit=10).records
            assert records, f"no observation of {platform}:{account_id}"
            md = records[0].asset_observation.metadata
            total = sum(r.asset_observation.metadata["envelopes_landed"].value for r in records)
            assert total == envelopes  # one clean of the edition's months: its envelopes, each counted once
            assert {"posts", "follower_snapshots", "quarantined_records", "last_fetch"} <= set(md)
