"""The house's rules, read from the code itself: layers, one wiring place, no package cycle.

Layers from the bottom: ``config`` -> ``sync`` -> ``connectors`` -> ``bots`` -> ``hub``. A module
may import its own package and the ones below it, never one above (type-only imports and
imports inside functions included: they are dependencies all the same).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.helpers import REPO

LAYERS = ("config", "sync", "connectors", "bots", "hub")


def product_modules() -> Iterator[tuple[Path, ast.Module]]:
    for package in LAYERS:
        for path in sorted((REPO / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def imported_packages(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the module, wherever it stands."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def test_no_import_runs_up_a_layer() -> None:
    upward = []
    for path, tree in product_modules():
        own = LAYERS.index(path.relative_to(REPO).parts[0])
        for line, package in imported_packages(tree):
            if package in LAYERS and LAYERS.index(package) > own:
                upward.append(f"{path.relative_to(REPO)}:{line} imports {package}")
    assert upward == []


def test_no_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = {name: set() for name in LAYERS}
    for path, tree in product_modules():
        own = path.relative_to(REPO).parts[0]
        edges[own] |= {p for _line, p in imported_packages(tree) if p in LAYERS and p != own}

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})) for nxt in edges[start])

    assert [name for name in LAYERS if reaches(name, name)] == []


def calls_named(tree: ast.Module, name: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if called == name:
                return True
    return False


def test_connectors_are_built_in_one_module() -> None:
    """Only the wiring module makes connector contexts or looks classes up in the registry."""
    builders = {str(path.relative_to(REPO)) for path, tree in product_modules()
                if calls_named(tree, "ConnectorContext") or calls_named(tree, "connector_class")}
    assert builders == {"hub/runtime.py"}



def test_bots_know_no_connector() -> None:
    """The bots get chat front-ends from the connectors (``sync.chat``), never name one."""
    named = [f"{path.relative_to(REPO)}:{line}" for path, tree in product_modules()
             if path.relative_to(REPO).parts[0] == "bots"
             for line, package in imported_packages(tree) if package == "connectors"]
    assert named == []
