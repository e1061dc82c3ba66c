"""The house's rules, read from the source: dependencies point one way and no module
imports itself round in a circle.

Every ``import`` counts, at module level or inside a function (a function-local import
hides a cycle, it does not remove it); imports under ``if TYPE_CHECKING:`` are for
annotations only and do not count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGES = ("portal", "schema", "auth", "db")
SHELL = {"portal.app", "portal.cli", "portal.__main__"}
"""The only modules that wire the layers together (they may import ``schema``)."""

LAYERS = {"db": 0, "auth": 1, "portal": 2, "schema": 3}
"""Lower layers never import higher ones; the shell sits above them all."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _WithoutTypeChecking(ast.NodeTransformer):
    def visit_If(self, node: ast.If) -> ast.AST:
        if _is_type_checking(node):
            node.body = [ast.Pass()]
        self.generic_visit(node)
        return node


def _imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """Names of project modules ``module`` imports at run time."""
    for node in ast.walk(_WithoutTypeChecking().visit(tree)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            yield origin
            # ``from package import module`` imports the module
            yield from (f"{origin}.{alias.name}" for alias in node.names)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        targets = set()
        for name in _imported(tree, module, path.name == "__init__.py"):
            if name in MODULES and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


GRAPH = _graph()


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_graph_sees_the_project() -> None:
    """Guards the test itself: it must read the real modules and their imports."""
    assert {"portal.plans.service", "schema.plans.types", "auth.policy", "db.session"} <= set(GRAPH)
    assert "auth.policy" in GRAPH["portal.kernel.audience"]


def test_no_module_imports_itself_round_a_circle() -> None:
    assert _cycles(GRAPH) == []


@pytest.mark.parametrize("module", sorted(set(MODULES) - SHELL))
def test_imports_point_down(module: str) -> None:
    """db ← auth ← portal ← schema; only the shell (app, cli) wires schema to the server."""
    layer = LAYERS[module.split(".")[0]]
    upward = sorted(
        target
        for target in GRAPH[module]
        if target in SHELL or LAYERS[target.split(".")[0]] > layer
    )
    assert upward == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("portal.kernel")))
def test_the_kernel_imports_no_area(module: str) -> None:
    """Shared mechanisms know nothing of the areas that use them."""
    areas = sorted(
        t for t in GRAPH[module] if t.startswith("portal.") and not t.startswith("portal.kernel")
    )
    assert areas == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("schema.kernel")))
def test_the_schema_kernel_imports_no_area(module: str) -> None:
    areas = sorted(
        t for t in GRAPH[module] if t.startswith("schema.") and not t.startswith("schema.kernel")
    )
    assert areas == []
