"""Imports never run back up the layers, and no module imports itself through others.

The layers, bottom to top (README, Layout):

  library    gsm_platform/ (registry, landing, parsing, warehouse, resources, sources, ...)
  checks     checks/: the check functions, the suites, their Dagster wrappers
  assets     assets/: the Dagster assets, jobs, partitions, sensors
  audit      gsm_platform/audit/: explain, report, jury, quality (runs the check functions)
  entry      gsm_platform/definitions.py, gsm_platform/runs/, gsm_platform/cli.py, gsm_platform/bench/

Read from the source (imports inside functions included), without importing anything."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gsm_platform", "assets", "checks")
LAYERS = ("library", "checks", "assets", "audit", "entry")
# what each layer may import besides its own layer and the ones below it, read bottom up;
# `assets` and `checks` are siblings in Dagster's eyes: neither imports the other
MAY_NOT_IMPORT = {"checks": {"assets"}, "assets": {"checks"}}
MAX_LINES = 500


def module_names() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def layer(module: str) -> str:
    if module.startswith("checks"):
        return "checks"
    if module.startswith("assets"):
        return "assets"
    if module.startswith("gsm_platform.audit"):
        return "audit"
    if module.startswith(("gsm_platform.runs", "gsm_platform.cli", "gsm_platform.definitions", "gsm_platform.bench")):
        return "entry"
    return "library"


def imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules `module` imports: `from package import submodule` counts as the
    submodule (not the package), `from module import name` as the module."""
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source not in known:
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                out.add(sub if sub in known else source)
    return out - {module}


def graph() -> dict[str, set[str]]:
    known = module_names()
    return {m: imports(m, p, known) for m, p in known.items()}


def test_imports_never_run_back_up_the_layers():
    wrong = []
    for module, targets in sorted(graph().items()):
        mine = layer(module)
        for target in sorted(targets):
            theirs = layer(target)
            if LAYERS.index(theirs) > LAYERS.index(mine) or theirs in MAY_NOT_IMPORT.get(mine, ()):
                wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    edges = graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges[module]):
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target) :] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


def test_no_module_over_500_lines():
    long = {m: n for m, p in module_names().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_the_layers_are_read_from_real_imports():
    """The graph is not empty: the checks read real edges (a parser change would hide them)."""
    edges = graph()
    assert "gsm_platform.warehouse.connection" in edges["gsm_platform.resources"] | edges["gsm_platform.warehouse"]
    assert "assets.partitions" in edges["gsm_platform.runs.months"]
    assert layer("gsm_platform.runs.months") == "entry" and layer("gsm_platform.landing") == "library"
