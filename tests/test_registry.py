"""Registry and editions validation: errors name the file, the entry and the field."""

import pytest

from gsm_platform.methodology import load_methodology
from gsm_platform.registry import RegistryError, load_editions, load_registry

GOOD = """
institutions:
  - id: kemenkeu
    name: Kementerian Keuangan
    cluster: kementerian
    accounts:
      - {platform: instagram, account_id: "17841400000000001", handle: kemenkeuri}
      - {platform: x, account_id: 1234567890, handle: KemenkeuRI}
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_good_registry_loads_and_numeric_ids_become_text(tmp_path):
    reg = load_registry(write(tmp_path, "registry.yaml", GOOD))
    assert reg.institutions[0].accounts[1].account_id == "1234567890"


def test_json_registry_loads(tmp_path):
    text = '{"institutions": [{"id": "bps", "name": "Badan Pusat Statistik", "cluster": "lembaga", "accounts": []}]}'
    assert load_registry(write(tmp_path, "registry.json", text)).institutions[0].id == "bps"


def test_unknown_cluster_names_file_entry_and_field(tmp_path):
    path = write(tmp_path, "registry.yaml", GOOD.replace("cluster: kementerian", "cluster: ministry"))
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    msg = str(err.value)
    assert str(path) in msg and "institutions[0] (kemenkeu)" in msg and "field 'cluster'" in msg and "ministry" in msg


def test_unknown_platform_names_account_field(tmp_path):
    path = write(tmp_path, "registry.yaml", GOOD.replace("platform: x", "platform: myspace"))
    with pytest.raises(RegistryError) as raised:
        load_registry(path)
    msg = str(raised.value)
    assert "institutions[0] (kemenkeu)" in msg and "accounts.1.platform" in msg


def test_account_claimed_by_two_institutions_is_rejected(tmp_path):
    text = (
        GOOD
        + """
  - id: kemenkeu2
    name: Kementerian Lain
    cluster: kementerian
    accounts:
      - {platform: x, account_id: "1234567890"}
"""
    )
    with pytest.raises(RegistryError) as raised:
        load_registry(write(tmp_path, "r.yaml", text))
    msg = str(raised.value)
    assert "already claimed by institution 'kemenkeu'" in msg and "institutions[1] (kemenkeu2)" in msg


def test_duplicate_institution_id_and_missing_name(tmp_path):
    text = GOOD + "\n  - id: kemenkeu\n    cluster: kementerian\n"
    with pytest.raises(RegistryError) as raised:
        load_registry(write(tmp_path, "r.yaml", text))
    msg = str(raised.value)
    assert "institutions[1] (kemenkeu)" in msg and "field 'name'" in msg


def test_invalid_yaml_names_line(tmp_path):
    with pytest.raises(RegistryError) as raised:
        load_registry(write(tmp_path, "r.yaml", "institutions: [\n {id: x\n"))
    msg = str(raised.value)
    assert "line" in msg and "r.yaml" in msg


def test_lifecycle_merge_must_name_an_institution(tmp_path):
    text = GOOD + "    lifecycle:\n      - {date: 2024-10-21, event: merged, into: nowhere}\n"
    with pytest.raises(RegistryError) as raised:
        load_registry(write(tmp_path, "r.yaml", text))
    msg = str(raised.value)
    assert "'nowhere' is not an institution id" in msg


def test_edition_window_and_fields(tmp_path):
    good = "editions:\n  - {id: 2025, start: 2024-10-01, end: 2025-10-01, clusters: [ptn], platforms: [tiktok]}\n"
    eds = load_editions(write(tmp_path, "e.yaml", good))
    assert eds.get("2025").methodology == "v1" and eds.latest().id == "2025"
    bad = good.replace("end: 2025-10-01", "end: 2024-01-01")
    with pytest.raises(RegistryError) as raised:
        load_editions(write(tmp_path, "e2.yaml", bad))
    msg = str(raised.value)
    assert "editions[0] (2025)" in msg and "must be after start" in msg
    with pytest.raises(RegistryError, match="known: 2025"):
        eds.get("1999")


def test_methodology_v1_constants():
    v1 = load_methodology().get("v1")
    assert (v1.settle_days, v1.min_posts, v1.nominees_per_category) == (7, 10, 5)
    assert v1.platform_weight_for(("facebook", "x")) == {"facebook": 0.5, "x": 0.5}
    with pytest.raises(RegistryError):
        load_methodology().get("v9")
