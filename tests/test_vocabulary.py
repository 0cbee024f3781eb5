"""The domain vocabulary lives in gsm_platform/vocabulary.py; dbt holds a copy in its vars.
These tests fail when one side changes and the other does not, and when a list of the
vocabulary is written out again somewhere else (the grep of "no constant written twice")."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
import yaml

from gsm_platform import vocabulary
from tests.dbt_support import DBT, DBT_PROJECT, ROOT

DBT_PROJECT_YML = DBT_PROJECT / "dbt_project.yml"
BEGIN, END = "  # -- vocabulary: begin\n", "  # -- vocabulary: end\n"

# an accepted_values test on a column of this name must list exactly this vocabulary
COLUMN_VOCABULARY = {
    "platform": vocabulary.PLATFORMS,
    "cluster": vocabulary.CLUSTERS,
    "media_kind": vocabulary.MEDIA_KINDS,
    "origin": vocabulary.FOLLOWER_ORIGINS,
    "account_role": vocabulary.ACCOUNT_ROLES,
}


def test_dbt_vars_are_the_python_vocabulary():
    text = DBT_PROJECT_YML.read_text()
    block = text[text.index(BEGIN) + len(BEGIN) : text.index(END)]
    assert block == vocabulary.dbt_vars_block(), (
        "dbt_project.yml's vocabulary vars differ from gsm_platform/vocabulary.py: "
        "paste the output of `python -m gsm_platform.vocabulary` between the vocabulary markers"
    )
    dbt_vars = yaml.safe_load(text)["vars"]
    for name, values in vocabulary.dbt_vars().items():
        assert dbt_vars[name] == values, name


def test_vocabulary_is_consistent():
    assert vocabulary.CATEGORIES == (*vocabulary.PLATFORM_CATEGORIES, "best_account")
    for values in vocabulary.dbt_vars().values():
        assert not isinstance(values, list) or len(set(values)) == len(values)
    assert vocabulary.WIB.utcoffset(None).total_seconds() == vocabulary.WIB_OFFSET_SECONDS == 7 * 3600


def _quoted_lists(values: tuple[str, ...]) -> list[re.Pattern[str]]:
    """The ways a list of these values is written out in Python, SQL or YAML: the values quoted
    (single or double) and separated by commas, in the vocabulary's order."""
    return [re.compile(r"\s*,\s*".join(re.escape(f"{q}{v}{q}") for v in values)) for q in ("'", '"')]


def test_no_vocabulary_list_is_written_twice():
    """The grep behind "one place per constant": no file of the platform but the vocabulary
    module and dbt_project.yml's vars spells out a whole list. Tests are not searched: they
    write the values they expect on purpose (tests/oracle.py, the independent oracle, must not
    share the code it checks)."""
    allowed = {ROOT / "gsm_platform" / "vocabulary.py", DBT_PROJECT_YML}
    files = [
        p
        for folder in ("gsm_platform", "assets", "checks", "dbt_project")
        for p in (ROOT / folder).rglob("*")
        if p.suffix in {".py", ".sql", ".yml", ".yaml"} and p not in allowed and "target" not in p.parts
    ]
    repeated = []
    for name, values in vocabulary.dbt_vars().items():
        if not isinstance(values, list):
            continue
        patterns = _quoted_lists(tuple(values))
        for path in files:
            text = path.read_text(encoding="utf-8")
            if any(p.search(text) for p in patterns):
                repeated.append(f"{path.relative_to(ROOT)}: {name}")
    assert not repeated, f"vocabulary lists written again outside gsm_platform/vocabulary.py: {repeated}"


@pytest.fixture(scope="module")
def compiled_manifest(tmp_path_factory) -> dict:
    """dbt's manifest after compiling the accepted_values tests and rankings."""
    tmp_path = tmp_path_factory.mktemp("dbt_compile")
    env = {**os.environ, "GSM_WAREHOUSE": str(tmp_path / "w.duckdb"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run(
        [str(DBT), "compile", "--quiet", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)]
        + ["--select", "test_name:accepted_values rankings", "--vars", '{"edition_id": "vocabulary"}']
        + ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=DBT_PROJECT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return json.loads((tmp_path / "target" / "manifest.json").read_text())


@pytest.mark.e2e
def test_dbt_tests_render_the_vocabulary(compiled_manifest):
    """dbt's own compile: every accepted_values test on a vocabulary column (and on category)
    checks the Python vocabulary, and the rankings model unions one mart per category."""
    manifest = compiled_manifest
    checked: dict[str, int] = {}
    for node in manifest["nodes"].values():
        if (node.get("test_metadata") or {}).get("name") != "accepted_values":
            continue
        column = node["column_name"]
        model = node["attached_node"].split(".")[-1]
        if column == "category":
            # the per-platform categories in int_platform_scores, all five elsewhere
            expected = vocabulary.PLATFORM_CATEGORIES if model == "int_platform_scores" else vocabulary.CATEGORIES
        elif column in COLUMN_VOCABULARY:
            expected = COLUMN_VOCABULARY[column]
        else:
            continue
        listed = re.search(r"not in \((.*?)\)", node["compiled_code"], re.S)
        assert listed, f"{model}.{column}: no list in {node['compiled_code']}"
        values = tuple(v.strip().strip("'") for v in listed.group(1).split(","))
        assert values == expected, f"{model}.{column}: {values}"
        checked[column] = checked.get(column, 0) + 1
    assert set(checked) == {*COLUMN_VOCABULARY, "category"}, checked
    assert checked["cluster"] >= 10, checked
    rankings = manifest["nodes"]["model.gsm_award.rankings"]
    assert sorted(r["name"] for r in rankings["refs"]) == sorted(vocabulary.CATEGORIES)
    for category in vocabulary.CATEGORIES:
        assert f"'{category}' as category" in rankings["compiled_code"], category


@pytest.mark.e2e
def test_marts_have_contracts_and_the_rules_have_unit_tests(compiled_manifest):
    """Every mart and outlook table is built under an enforced contract with a type for each column,
    and the percentile and tie rules have dbt unit tests (dbt_project/models/*/_*__models.yml)."""
    marts = [n for n in compiled_manifest["nodes"].values() if n["resource_type"] == "model" and "marts" in n["fqn"]]
    assert {n["name"] for n in marts} >= {*vocabulary.CATEGORIES, "rankings", "score_components"}
    for node in marts:
        assert node["config"]["contract"]["enforced"], node["name"]
        assert node["columns"] and all(c.get("data_type") for c in node["columns"].values()), node["name"]
    # and the GSM Outlook's published tables (gsm outlook, the jury packet)
    outlook = {n["name"]: n for n in compiled_manifest["nodes"].values() if n["resource_type"] == "model"}
    for name in ("outlook_activity", "outlook_churn", "outlook_collaboration", "outlook_top_posts"):
        node = outlook[name]
        assert node["config"]["contract"]["enforced"], name
        assert node["columns"] and all(c.get("data_type") for c in node["columns"].values()), name
    unit_models = {u["model"] for u in compiled_manifest["unit_tests"].values()}
    assert unit_models >= {"int_platform_scores", "most_active"}
