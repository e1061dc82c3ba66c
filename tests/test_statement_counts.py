"""Nested lists cost a bounded number of SQL statements, whatever their length."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.builders import World, gql

DEEP = """
{ alliances(first: 50) { edges { node { name
    members(first: 50) { edges { node { role organisation { slug name } } } } } } } }
"""


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_alliances_members_organisations_in_constant_statements(
    client: httpx.AsyncClient, engine: AsyncEngine, world: World
) -> None:
    lead = await world.organisation("lead")
    token = await world.token(lead)
    partners = [await world.organisation(f"partner-{i}") for i in range(6)]

    await world.alliance(lead, *partners[:2], name="A0")
    await gql(client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting(engine) as small:
        first = await gql(client, token, DEEP)
    for i in range(1, 6):
        await world.alliance(lead, *partners, name=f"A{i}")
    with counting(engine) as large:
        second = await gql(client, token, DEEP)

    assert len(first["data"]["alliances"]["edges"]) == 1
    assert len(second["data"]["alliances"]["edges"]) == 6
    edges = second["data"]["alliances"]["edges"]
    assert sum(len(edge["node"]["members"]["edges"]) for edge in edges) == 38
    assert len(large) == len(small), "\n".join(large)
    # tenant context, authentication, alliances, members of all alliances, organisations
    assert len(small) == 6, "\n".join(small)
