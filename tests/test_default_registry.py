"""The shipped default registry and editions files load, and cover what the award needs."""

from __future__ import annotations

from collections import Counter

import pytest

from gsm_platform.registry import (
    DEFAULT_EDITIONS,
    DEFAULT_REGISTRY,
    load_editions,
    load_registry,
)
from gsm_platform.vocabulary import CLUSTERS


@pytest.fixture(scope="module")
def registry():
    return load_registry(DEFAULT_REGISTRY)


@pytest.fixture(scope="module")
def editions():
    return load_editions(DEFAULT_EDITIONS)


def _all_accounts(registry):
    """Every (institution id, account) pair, institution and leader accounts alike."""
    for inst in registry.institutions:
        for acc in inst.accounts:
            yield inst.id, acc
        for leader in inst.leaders:
            for acc in leader.accounts:
                yield inst.id, acc


def test_registry_size_and_clusters(registry):
    assert len(registry.institutions) >= 200
    counts = Counter(inst.cluster for inst in registry.institutions)
    assert set(counts) == set(CLUSTERS), counts
    assert counts["pemprov"] == 38  # all of Indonesia's provinces since the 2022 Papua splits
    assert registry.version


def test_every_cluster_of_every_edition_has_institutions(registry, editions):
    counts = Counter(inst.cluster for inst in registry.institutions)
    for ed in editions.editions:
        for cluster in ed.clusters:
            assert counts[cluster] >= 10, (ed.id, cluster, counts[cluster])


def test_editions_are_the_two_known_ones(editions):
    assert [e.id for e in editions.editions] == ["2020", "2025"]
    assert editions.get("2025").platforms == ("facebook", "instagram", "x", "youtube", "tiktok")
    assert "tiktok" not in editions.get("2020").platforms
    assert editions.latest().id == "2025"
    for ed in editions.editions:
        assert (ed.end - ed.start).days in (365, 366)


def test_account_ids_unique_per_platform(registry):
    seen: dict[tuple[str, str], str] = {}
    for owner, acc in _all_accounts(registry):
        key = (acc.platform, acc.account_id)
        assert key not in seen, f"{key} is claimed by {seen[key]} and {owner}"
        seen[key] = owner


def test_every_institution_has_an_account(registry):
    missing = [inst.id for inst in registry.institutions if not inst.accounts]
    assert not missing


def test_account_pooling_case_exists(registry):
    pooled = [
        inst.id
        for inst in registry.institutions
        if any(n > 1 for n in Counter(acc.platform for acc in inst.accounts).values())
    ]
    assert pooled


def test_lifecycle_and_leaders_exist_and_point_to_institutions(registry):
    ids = {inst.id for inst in registry.institutions}
    inst_events = [ev for inst in registry.institutions for ev in inst.lifecycle]
    account_events = [ev for _, acc in _all_accounts(registry) for ev in acc.lifecycle]
    assert inst_events
    assert any(ev.event == "renamed" and ev.previous_name for ev in account_events)
    for ev in inst_events + account_events:
        assert ev.into is None or ev.into in ids
    assert any(inst.leaders for inst in registry.institutions)
