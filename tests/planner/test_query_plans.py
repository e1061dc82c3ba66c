"""Every statement of the benchmark pages reads tenant tables through an index.

With sequential scans priced out (``enable_seqscan = off``), PostgreSQL still reads a
table whole (a sequential scan, or an index scan with no index condition) only where no
index can serve the statement's filter: on the few rows of a test that is the one signal
of a missing index, whatever the size of the data. Each page is
checked on both paths: the compiled statement, and every statement the resolvers send.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse
from sqlalchemy import Engine, event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.principal import Principal
from auth.scopes import ALL_SCOPES
from db.enums import CredentialKind
from db.session import tenant_session
from portal.settings import Settings
from schema import build_schema
from schema.planner import plan
from tests.builders import World, gid, gql

PAGES = {
    "plan by id": "query($plan: ID!) { node(id: $plan) { ... on Plan { id title summary status"
    " visibility version createdAt updatedAt owner { id name } } } }",
    "alliance page": "query($alliance: ID!) { alliance(id: $alliance) { id name status plans {"
    " id title status contributions { id kind quantity unit status organisation { id name } }"
    " } } }",
    "cash contributions": "query($alliance: ID!) { contributions(alliance: $alliance, filter:"
    " {kinds: [CASH]}, first: 100) { edges { cursor node { id kind description quantity unit"
    " createdAt valuation { amount currency } valuationHiddenReason organisation { name } } }"
    " pageInfo { hasNextPage endCursor } } }",
    "meeting page": "query($meeting: ID!) { node(id: $meeting) { ... on Meeting { id title kind"
    " status startsAt endsAt location agendaDeadline committee { id name tier } agendaItems {"
    " id position title kind description } minutes { id status version visibility"
    " circulatedAt approvedAt body } decisions { id text procedure status outcome quorumMet"
    " votesFor votesAgainst votesAbstain closedAt votes { choice castAt organisation { name }"
    " } } } } }",
    "dashboard": "{ viewer { organisation { name } } alliances(first: 20) { edges { node { id"
    " name status plans { id title status } } } } }",
}


def _scans(node: dict[str, Any]) -> Iterator[str]:
    """The relations read whole: by a sequential scan, or by an index scan without an index
    condition (what the planner falls back to when no index serves a filter)."""
    kind = node.get("Node Type")
    if kind == "Seq Scan" or (
        kind in {"Index Scan", "Index Only Scan"} and "Index Cond" not in node
    ):
        yield node["Relation Name"]
    for child in node.get("Plans", []):
        yield from _scans(child)


async def _sequential_scans(
    world: World, organisation_id: uuid.UUID, statement: str, params: Any
) -> set[str]:
    """The tenant tables ``statement`` scans sequentially, run as ``organisation_id``."""
    async with tenant_session(world.sessions, organisation_id) as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        tenant_tables = set(
            await session.scalars(
                text(
                    "SELECT relname FROM pg_class WHERE relrowsecurity"
                    " AND relnamespace = 'public'::regnamespace"
                )
            )
        )
        connection = await session.connection()
        driver: Any = (await connection.get_raw_connection()).driver_connection
        explain = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "
        found = await driver.fetchval(explain + statement, *params)
        await session.rollback()
    document = json.loads(found) if isinstance(found, str) else found
    return set(_scans(document[0]["Plan"])) & tenant_tables


@pytest.fixture
async def pages(
    client: httpx.AsyncClient, world: World, portfolio: dict[str, Any]
) -> dict[str, tuple[str, dict[str, Any]]]:
    helix = portfolio["orgs"]["helix-pharma"]
    token = await world.token(helix)
    alliance_id = gid("Alliance", portfolio["alliance"])
    found = await gql(
        client,
        token,
        "query($id: ID!) { alliance(id: $id) { plans { id } committees { meetings { id } } } }",
        {"id": alliance_id},
    )
    alliance = found["data"]["alliance"]
    meetings = [m["id"] for c in alliance["committees"] for m in c["meetings"]]
    variables = {
        "alliance": alliance_id,
        "plan": alliance["plans"][0]["id"],
        "meeting": meetings[0],
    }
    return {
        name: (query, {k: v for k, v in variables.items() if f"${k}" in query})
        for name, query in PAGES.items()
    }


@pytest.mark.parametrize("page", list(PAGES))
async def test_the_compiled_statement_of_a_page_scans_no_tenant_table(
    page: str,
    world: World,
    portfolio: dict[str, Any],
    pages: dict[str, tuple[str, dict[str, Any]]],
    settings: Settings,
) -> None:
    query, variables = pages[page]
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    helix = portfolio["orgs"]["helix-pharma"]
    principal = Principal(
        organisation_id=helix.id,
        user_id=None,
        credential_kind=CredentialKind.API_TOKEN,
        credential_id=None,
        scopes=ALL_SCOPES,
    )
    statement = plan(build_schema(settings)._schema, operation, fragments, variables, principal)
    scans = await _sequential_scans(world, helix.id, statement.sql, statement.params)
    assert not scans, f"{page}: sequential scans of {scans}"


def _positional(statement: str, parameters: Any) -> tuple[str, tuple[Any, ...]]:
    """asyncpg's form of a statement SQLAlchemy sent (it already numbers ``$n``)."""
    return statement, tuple(parameters or ())


@pytest.mark.parametrize("page", list(PAGES))
async def test_every_resolver_statement_of_a_page_scans_no_tenant_table(
    page: str,
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    world: World,
    portfolio: dict[str, Any],
    pages: dict[str, tuple[str, dict[str, Any]]],
) -> None:
    query, variables = pages[page]
    helix = portfolio["orgs"]["helix-pharma"]
    token = await world.token(helix)
    sent: list[tuple[str, tuple[Any, ...]]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "set_config" not in statement:
            sent.append(_positional(statement, parameters))

    # the resolvers' own statements: with compiled reads off for this app
    event.listen(Engine, "before_cursor_execute", record)
    try:
        result = await gql(client, token, query, variables)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    assert "errors" not in result, result
    assert sent, "the page sent no statement"
    for statement, params in sent:
        scans = await _sequential_scans(world, helix.id, statement, params)
        assert not scans, f"{page}: sequential scans of {scans} in\n{statement}"


async def test_the_check_sees_a_filter_no_index_serves(
    world: World, portfolio: dict[str, Any]
) -> None:
    # organisations by country: neither the filter nor the policy (own, or sharing an
    # alliance) is an index condition, so the table is read whole
    helix = portfolio["orgs"]["helix-pharma"]
    statement = "SELECT id FROM public.organisations WHERE country = $1"
    scans = await _sequential_scans(world, helix.id, statement, ("CH",))
    assert scans == {"organisations"}
