"""Structural guarantees: migrations match the models, the exported schema matches the
code, every model is recorded by the unit of work, and scoping lives in one place."""

from __future__ import annotations

import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from db import identity
from db.models import AuditEntry, AuditHead, Base, CostSpent, Event
from db.persisted import PersistedDocument
from db.unit_of_work import TRACKED
from portal.settings import Settings
from schema import build_schema

ROOT = Path(__file__).parents[2]


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_create_exactly_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


def test_exported_schema_is_current() -> None:
    exported = (ROOT / "schema.graphql").read_text()
    assert exported == build_schema(Settings()).as_str() + "\n", (
        "schema.graphql is stale: run `portal schema export`"
    )


def test_every_model_is_tracked_by_the_unit_of_work() -> None:
    models = {mapper.class_ for mapper in Base.registry.mappers}
    # events and audit entries record changes; cost_spent is bookkeeping, written raw;
    # persisted documents are written with raw upserts (portal/persisted.py): the automatic
    # ones are a cache any request fills, recorded nowhere
    # the sign-in endpoints' bookkeeping (portal/signin) is written in the sign-in role, which
    # has no audit trail; domains are the operator's (portal org domain)
    untracked = {Event, AuditEntry, AuditHead, CostSpent, PersistedDocument} | {
        identity.OrganisationDomain,
        identity.SigninRequest,
        identity.AuthorizationCode,
        identity.RefreshToken,
        identity.SigningKey,
    }
    assert models - untracked == set(TRACKED)


def test_membership_filters_are_written_only_in_the_policy() -> None:
    """Scoping is decided in auth/policy.py; elsewhere a hand-written filter is a smell."""
    pattern = re.compile(r"Membership\.(organisation_id|left_at)\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("portal", "schema")
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_every_type_field_and_argument_is_documented() -> None:
    """The schema's descriptions are the API's documentation, rules included."""
    from graphql import (
        GraphQLEnumType,
        GraphQLInputObjectType,
        GraphQLInterfaceType,
        GraphQLObjectType,
    )

    schema = build_schema(Settings())._schema
    missing = []
    for name, kind in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            missing += [] if kind.description else [name]
            for field_name, field in kind.fields.items():
                missing += [] if field.description else [f"{name}.{field_name}"]
                for arg_name, arg in getattr(field, "args", {}).items():
                    missing += [] if arg.description else [f"{name}.{field_name}({arg_name})"]
        elif isinstance(kind, GraphQLEnumType):
            missing += [] if kind.description else [name]
    assert missing == []
