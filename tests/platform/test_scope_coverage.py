"""Default deny: every way into the schema says which scope it needs.

Walks the built schema: each root field and mutation declares ``Needs``; each node type
declares the scope it is read under; a field of a node type that leads into another area
declares that area's scope; a list (connection) of nodes is only ever returned by a field
declared with the nodes' scope. A new field that forgets fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.types.base import (
    StrawberryList,
    StrawberryObjectDefinition,
    StrawberryOptional,
    get_object_definition,
)
from strawberry.types.field import StrawberryField
from strawberry.types.lazy_type import LazyType

from portal.settings import Settings
from schema import build_schema
from schema.kernel.nodes import AreaNode
from schema.kernel.scopes import declared_scope

SCHEMA = build_schema(Settings())
ROOTS = ("Query", "Mutation")


def _unwrapped(kind: Any) -> Any:
    while isinstance(kind, StrawberryOptional | StrawberryList):
        kind = kind.of_type
    return kind.resolve_type() if isinstance(kind, LazyType) else kind


def _definitions() -> dict[str, Any]:
    found = {}
    for name in SCHEMA._schema.type_map:
        definition = SCHEMA.get_type_by_name(name)
        if (
            isinstance(definition, StrawberryObjectDefinition)
            and get_object_definition(definition.origin) is not None
            and not definition.is_input
            and not definition.is_interface
        ):
            found[name] = definition
    return found


DEFINITIONS = _definitions()


def _fields(type_name: str) -> list[StrawberryField]:
    return list(DEFINITIONS[type_name].fields)


def _node_type(field: StrawberryField) -> type[AreaNode] | None:
    target = _unwrapped(field.type)
    return target if isinstance(target, type) and issubclass(target, AreaNode) else None


def _connection_node(field: StrawberryField) -> type[AreaNode] | None:
    """The node type of a connection a field returns, if it returns one."""
    target = _unwrapped(field.type)
    definition = get_object_definition(target)
    if definition is None or not definition.name.endswith("Connection"):
        return None
    edges = next(f for f in definition.fields if f.python_name == "edges")
    edge = get_object_definition(_unwrapped(edges.type), strict=True)
    node = next(f for f in edge.fields if f.name == "node")
    return _node_type(node)


def test_the_walk_sees_the_schema() -> None:
    """Guards the test itself: it reads the real types and their fields."""
    assert {"Query", "Mutation", "Plan", "Committee", "Contribution"} <= set(DEFINITIONS)
    assert any(_node_type(f) for f in _fields("Plan"))


@pytest.mark.parametrize(
    ("root", "field"),
    [(root, f.name) for root in ROOTS for f in _fields(root)],
)
def test_every_root_field_and_mutation_declares_its_scope(root: str, field: str) -> None:
    found = next(f for f in _fields(root) if f.name == field)
    assert declared_scope(found) is not None, f"{root}.{field} declares no scope (Needs)"


def _node_types() -> list[type[AreaNode]]:
    origins = [d.origin for d in DEFINITIONS.values()]
    return sorted(
        (o for o in origins if isinstance(o, type) and issubclass(o, AreaNode)),
        key=lambda o: o.__name__,
    )


def test_every_node_type_is_an_area_node() -> None:
    """Each Relay node type names its read scope and loader (``AreaNode``)."""
    from strawberry import relay

    plain = sorted(
        d.name
        for d in DEFINITIONS.values()
        if isinstance(d.origin, type)
        and issubclass(d.origin, relay.Node)
        and not issubclass(d.origin, AreaNode)
    )
    assert plain == []


@pytest.mark.parametrize("node", _node_types(), ids=lambda n: n.__name__)
def test_every_node_type_declares_its_read_scope(node: type[AreaNode]) -> None:
    assert "read_scope" in vars(node), f"{node.__name__} does not declare read_scope"


def _crossings() -> list[tuple[str, str]]:
    pairs = []
    for node in _node_types():
        definition = get_object_definition(node, strict=True)
        for field in definition.fields:
            target = _node_type(field) or _connection_node(field)
            if target is not None and target.read_scope not in (None, node.read_scope):
                pairs.append((node.__name__, field.name))
    return pairs


@pytest.mark.parametrize(("node", "field"), _crossings())
def test_a_field_into_another_area_declares_that_areas_scope(node: str, field: str) -> None:
    found = next(f for f in _fields(node) if f.name == field)
    target = _node_type(found) or _connection_node(found)
    needs = declared_scope(found)
    assert needs is not None
    assert target is not None
    assert needs.scope == target.read_scope


def test_connections_are_returned_only_under_their_nodes_scope() -> None:
    wrong = []
    for name, definition in DEFINITIONS.items():
        owner = definition.origin
        for field in definition.fields:
            node = _connection_node(field)
            if node is None or node.read_scope is None:
                continue
            needs = declared_scope(field)
            inherited = getattr(owner, "read_scope", None)
            if (needs.scope if needs else inherited) != node.read_scope:
                wrong.append(f"{name}.{field.name}")
    assert wrong == []
