"""What each dbt test guards, in words, as the description of its Dagster asset check.

dagster-dbt gives a dbt test's check the description in the test's `meta.description` and
nothing else, so the 127 tests of the project showed no description in the UI. A test's own
YAML `description` (dbt 1.9+) or `meta.description` wins; otherwise the description is made from
the generic test's name and arguments (the project's tests/generic/ and dbt's four), with the
tested column's own description from the model's YAML. The words avoid `<...>`: the UI renders
descriptions as markdown and eats anything that looks like an HTML tag.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from typing import Any

from gsm_platform.vocabulary import dbt_vars


def _ref(value: object) -> str:
    """`ref('stg_registry__editions')` as the model's name."""
    text = str(value)
    return text[5:-2] if text.startswith("ref('") and text.endswith("')") else text


_VAR = re.compile(r"^\{\{\s*var\('(\w+)'\)\s*\}\}$")


def _list(value: object) -> str:
    """A list argument in words; `{{ var('clusters') }}` (the manifest keeps a test's arguments
    unrendered) as the vocabulary's values, which tests/test_vocabulary.py holds equal to dbt's."""
    var = _VAR.match(value.strip()) if isinstance(value, str) else None
    if var and var.group(1) in dbt_vars():
        value = dbt_vars()[var.group(1)]
    return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)


GUARDS: dict[str, Callable[[dict], str]] = {
    "not_null": lambda k: f"`{k['column_name']}` is never null.",
    "unique": lambda k: f"`{k['column_name']}` is unique: no row is counted twice.",
    "accepted_values": lambda k: f"`{k['column_name']}` is one of: {_list(k['values'])}.",
    "relationships": lambda k: (
        f"every `{k['column_name']}` exists as `{k['field']}` of {_ref(k['to'])}: no row refers to something the "
        "registry does not know."
    ),
    "not_null_columns": lambda k: f"none of these columns is null: {_list(k['columns'])}.",
    "unique_combination": lambda k: (
        f"one row per ({_list(k['combination_of_columns'])}): no duplicate that would count twice in a score."
    ),
    "expression_is_true": lambda k: f"every row satisfies `{k['expression']}`.",
    "group_sum_equals": lambda k: (
        f"`{k['column_name']}` sums to {k['expected']} (within {k.get('tolerance', 0)}) per "
        f"({_list(k['group_by'])}): the weights are complete."
    ),
    "score_between_0_and_100": lambda k: f"`{k['column_name']}` lies between 0 and 100 (METHODOLOGY: scores).",
    "rows_per_group": lambda k: (
        f"exactly {k['expected']} rows per ({_list(k['group_by'])}): every category present, none twice."
    ),
    "ranks_are_1_to_n": lambda k: (
        f"`{k['column_name']}` runs 1..n without gap inside each ({_list(k['group_by'])}), ties broken."
    ),
    "weighted_components_sum_to_score": lambda k: (
        f"the weighted components add up to the score of {_ref(k['scores_model'])} per ({_list(k['keys'])}), "
        f"within {k.get('tolerance', 0)}: the score an auditor recomputes is the one ranked."
    ),
}


def dbt_test_description(test: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """The description of a dbt test's check: what it guards, and on which model and column."""
    own = (test.get("description") or "").strip() or (test.get("meta") or {}).get("description")
    severity = str((test.get("config") or {}).get("severity") or "error").lower()
    blocks = "Blocks the build when it fails." if severity == "error" else "Warns, never blocks."
    if own:
        return f"{_safe(own)} {blocks}"
    metadata = test.get("test_metadata") or {}
    name = metadata.get("name")
    kwargs = {k: v for k, v in (metadata.get("kwargs") or {}).items() if k != "model"}
    model = test.get("attached_node") or next(iter((test.get("depends_on") or {}).get("nodes") or []), "")
    model_name = str(model).split(".")[-1]
    if name in GUARDS:
        try:
            what = GUARDS[name](kwargs)
        except KeyError:
            what = f"dbt test {name} with {kwargs}."
    elif name:
        what = f"dbt test {name} with {kwargs}."
    else:  # a singular test: its SQL's leading comment says what it guards
        comment = " ".join(
            line.strip()[2:].strip()
            for line in itertools.takewhile(
                lambda x: x.strip().startswith("--"), (test.get("raw_code") or "").strip().splitlines()
            )
        )
        what = f"{comment or 'the query of tests/' + str(test.get('name')) + '.sql'} (no row may come back)."
    column = test.get("column_name")
    column_doc = ""
    if column and model in manifest.get("nodes", {}):
        doc = ((manifest["nodes"][model].get("columns") or {}).get(column) or {}).get("description")
        column_doc = f" (`{column}`: {doc.strip().rstrip('.')}.)" if doc else ""
    return _safe(f"dbt test on {model_name}: {what}{column_doc} {blocks}")


def _safe(text: str) -> str:
    """No `<` that markdown would read as an HTML tag (`a <> b`, `<edition>`)."""
    return re.sub(r"<(?=[A-Za-z/!?])", "\u2039", text.replace("<>", "\u2260").replace("<=", "\u2264"))
