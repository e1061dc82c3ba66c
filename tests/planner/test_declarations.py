"""The declarations the planner reads agree with the resolvers they stand beside."""

from __future__ import annotations

from graphql import GraphQLObjectType

from portal.settings import Settings
from schema import build_schema
from schema.kernel import sql
from schema.kernel.scopes import Needs
from schema.planner.compiler import table_of


def _declared(settings: Settings) -> list[tuple[str, str, sql.Planned, list[Needs]]]:
    schema = build_schema(settings)._schema
    found = []
    for type_name, type_ in schema.type_map.items():
        if not isinstance(type_, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in type_.fields.items():
            definition = field.extensions.get("strawberry-definition")
            declared = (getattr(definition, "metadata", None) or {}).get(sql.KEY)
            if isinstance(declared, sql.Planned):
                needs = [e for e in definition.extensions if isinstance(e, Needs)]
                found.append((type_name, field_name, declared, needs))
    return found


def test_every_declared_field_names_the_scope_its_resolver_needs(settings: Settings) -> None:
    """A field whose resolver answers otherwise without a scope (``Needs``) must say so in
    its declaration, or the compiled path would answer what the resolver withholds."""
    declared = _declared(settings)
    assert len(declared) > 60
    for type_name, field_name, planned, needs in declared:
        wanted = needs[0].scope if needs else None
        assert planned.scope == wanted, f"{type_name}.{field_name}"


def test_every_relation_leads_to_a_type_with_a_table(settings: Settings) -> None:
    schema = build_schema(settings)._schema
    for type_name, field_name, planned, _needs in _declared(settings):
        declaration = planned.declaration
        if isinstance(declaration, sql.ToOne | sql.ToMany):
            target = schema.get_type(declaration.type_name)
            assert isinstance(target, GraphQLObjectType), f"{type_name}.{field_name}"
            if not (isinstance(declaration, sql.ToOne) and declaration.table):
                assert table_of(target).name, f"{type_name}.{field_name}"
