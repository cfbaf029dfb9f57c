"""The package's layout: stages import only downward, and no module imports itself in a circle.

Every ``import`` and ``from ... import`` statement counts, those inside functions included.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest

import matching

PACKAGE = Path(matching.__file__).resolve().parent

#: Stages from the bottom up; a module may import its own stage and the stages before it.
#: Top-level modules (api, cli, the facades) may import anything.
STAGES = ("errors", "_version", "_numeric", "files", "cohort", "scoring", "solvers", "report", "review",
          "checkpoint", "groups", "program")
#: Stages that may not import each other although neither is below the other (the wings).
WINGS = {"checkpoint", "groups"}
#: The ledger is a facade over the public entry points: it may call ``matching.api``.
FACADES = {"program": {"matching.api"}}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """Every module of the package that ``path`` imports, wherever the statement stands."""
    current = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(current, path.name == "__init__.py", node)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                       for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != current and target.startswith("matching"):
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative-safe sizes)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _is_package_init_of(a: str, b: str) -> bool:
    """``a`` is the ``__init__`` of a package that holds ``b`` (re-exports are not cycles)."""
    return b.startswith(a + ".")


def test_no_import_cycles_between_modules():
    graph = import_graph()
    # A package's __init__ re-exporting its own modules is not a module importing itself.
    pruned = {a: {b for b in bs if not _is_package_init_of(a, b) and not _is_package_init_of(b, a)}
              for a, bs in graph.items()}
    assert cycles(pruned) == []


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_stages_import_only_stages_below():
    graph = import_graph()
    wrong = []
    for module, targets in graph.items():
        mine = stage_of(module)
        if mine is None:
            continue
        for target in targets:
            theirs = stage_of(target)
            if theirs is None:
                if target != "matching" and target not in FACADES.get(mine, ()):
                    wrong.append(f"{module} -> {target} (a top-level module)")
                continue
            if STAGES.index(theirs) > STAGES.index(mine) or (theirs != mine and {mine, theirs} <= WINGS):
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_ortools_only_in_solvers():
    users = [module_name(p) for p in PACKAGE.rglob("*.py")
             if "ortools" in p.read_text(encoding="utf-8") and "import" in p.read_text(encoding="utf-8")
             and any(isinstance(n, (ast.Import, ast.ImportFrom)) and "ortools" in ast.dump(n)
                     for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))))]
    assert users and all(u.startswith("matching.solvers") for u in users)


def test_top_level_holds_at_most_a_dozen_modules_and_no_module_is_over_400_lines():
    top = [p.name for p in PACKAGE.iterdir() if p.suffix == ".py"]
    assert len(top) <= 12, top
    long = {module_name(p): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}


def test_the_cycle_checker_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_documented_paths_keep_working():
    from matching.export import read_back, write_csv  # noqa: F401
    from matching.privacy import diversity_table  # noqa: F401

    assert matching.export.read_back is read_back
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import importlib
        import sys

        sys.modules.pop("matching.goals", None)
        goals = importlib.import_module("matching.goals")
    assert any(issubclass(w.category, DeprecationWarning) and "matching.cohort.goals" in str(w.message)
               for w in caught)
    assert goals.parse_goals is matching.cohort.goals.parse_goals


@pytest.mark.parametrize("name", matching.__all__)
def test_every_public_name_resolves(name):
    assert getattr(matching, name) is not None
