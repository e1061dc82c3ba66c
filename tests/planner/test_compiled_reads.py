"""The compiled read path answers exactly as the resolvers do.

The test app runs compiled reads in verify mode (``tests/conftest.py``): a planable query is
answered by both paths and a difference fails the request with INTERNAL. Here a generated
corpus of queries over the demo portfolio, for each of its organisations and an outsider,
is first checked to be planable at all (so the comparison is not vacuous), then sent.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.principal import Principal
from auth.scopes import ALL_SCOPES
from db.enums import CredentialKind
from portal.app import create_app
from portal.settings import Settings
from schema import build_schema
from schema.planner import plan
from schema.planner.compiler import NotPlanable
from tests.builders import World, gid, gql

DEMO_SLUGS = (
    "helix-pharma",
    "nordic-biotech",
    "aurora-university",
    "st-elms-hospital",
    "clinreach-cro",
)

PLANS_OF_ALLIANCE = "query($id: ID!) { alliance(id: $id) { plans { id contributions { id } } } }"

CONTRIBUTION_FIELDS = [
    "id",
    "kind",
    "description",
    "quantity",
    "unit",
    "periodStart",
    "periodEnd",
    "status",
    "visibility",
    "version",
    "createdAt",
    "__typename",
    "organisation { id slug name kind country }",
    "valuation { amount currency }",
    "valuationHiddenReason",
    "mine: organisation { name }",
    "worth: valuation { currency }",
]
PLAN_FIELDS = [
    "id",
    "title",
    "summary",
    "body",
    "status",
    "visibility",
    "version",
    "approvedVersion",
    "createdAt",
    "updatedAt",
    "owner { name slug }",
]
ALLIANCE_FIELDS = [
    "id",
    "name",
    "purpose",
    "strategy",
    "vision",
    "status",
    "startsOn",
    "endsOn",
    "version",
    "createdAt",
    "updatedAt",
]


def _pick(rng: random.Random, fields: list[str], most: int = 6) -> str:
    return " ".join(rng.sample(fields, rng.randint(1, min(most, len(fields)))))


MEETING_PAGE = """query($id: ID!) { node(id: $id) { ... on Meeting {
  id title kind status startsAt endsAt location agendaDeadline version createdAt
  committee { id name tier mandate }
  agendaItems { id position title kind description }
  minutes { id status version visibility circulatedAt objectionDeadline approvedAt body }
  decisions { id text procedure status outcome quorumMet votesFor votesAgainst votesAbstain
    closesAt closedAt createdAt votes { id choice veto castAt organisation { name } } }
} } }"""

MEETINGS = "{ alliances { nodes { committees { meetings { id } } } } }"


def corpus(
    alliance_id: str, plan_id: str, contribution_id: str, meeting_ids: Sequence[str] = ()
) -> list[tuple[str, dict[str, Any]]]:
    """Deterministic queries over every planned root, field, relation and page."""
    rng = random.Random(20261204)
    queries: list[tuple[str, dict[str, Any]]] = [
        (
            "query($id: ID!) { alliance(id: $id) { id name status plans { id title status"
            " contributions { id kind quantity unit status organisation { id name } } } } }",
            {"id": alliance_id},
        ),
        (
            "query($id: ID!) { node(id: $id) { ... on Plan { id title summary status visibility"
            " version createdAt updatedAt owner { id name } } } }",
            {"id": plan_id},
        ),
        (
            "query($id: ID!) { contributions(alliance: $id, filter: {kinds: [CASH]}, first: 100)"
            " { edges { cursor node { id kind description quantity unit createdAt"
            " valuation { amount currency } valuationHiddenReason organisation { name } } }"
            " pageInfo { hasNextPage endCursor } } }",
            {"id": alliance_id},
        ),
        (
            "query($id: ID!) { node(id: $id) { __typename id ...C } }"
            " fragment C on Contribution { kind valuation { amount } }",
            {"id": contribution_id},
        ),
        (
            "{ contributions(first: 3) { nodes { id } pageInfo { hasPreviousPage startCursor } } }",
            {},
        ),
        ("{ contributions(first: 0) { edges { cursor } pageInfo { hasNextPage endCursor } } }", {}),
        (
            "query($k: [ContributionKind!]) { contributions(filter: {kinds: $k, statuses:"
            " [PLEDGED, COMMITTED, DELIVERED]}) { __typename edges { __typename node { id } } } }",
            {"k": ["PERSONNEL", "EQUIPMENT"]},
        ),
        ("{ viewer { userId credentialKind scopes organisation { id name slug } } }", {}),
        (
            "{ viewer { organisation { name } } alliances(first: 20) { edges { node { id name"
            " status plans { id title status } } } } }",
            {},
        ),
        (
            "{ alliances(first: 1) { edges { cursor node { id name } } pageInfo { hasNextPage"
            " hasPreviousPage startCursor endCursor } } }",
            {},
        ),
        ("{ alliances(orderBy: CREATED_AT_DESC) { nodes { name plans { title } } } }", {}),
        (
            "query($id: ID!) { plans(alliance: $id, first: 4) { edges { cursor node { id title"
            " status updatedAt owner { name } } } pageInfo { hasNextPage endCursor } } }",
            {"id": alliance_id},
        ),
        (
            "query($id: ID!) { plans(alliance: $id, filter: {statuses: [DRAFT, APPROVED]}) {"
            " nodes { title contributions { kind } } } }",
            {"id": alliance_id},
        ),
        ("{ alliances(filter: {statuses: [ACTIVE, FORMING]}) { edges { cursor } } }", {}),
    ]
    queries += [(MEETING_PAGE, {"id": meeting_id}) for meeting_id in meeting_ids]
    for _ in range(12):
        queries.append(
            (
                "query($id: ID!) { a: alliance(id: $id) { "
                + _pick(rng, ALLIANCE_FIELDS)
                + " plans { "
                + _pick(rng, PLAN_FIELDS)
                + " contributions { "
                + _pick(rng, CONTRIBUTION_FIELDS)
                + " } } } }",
                {"id": alliance_id},
            )
        )
        queries.append(
            (
                "query($id: ID!) { node(id: $id) { __typename ... on Contribution { "
                + _pick(rng, CONTRIBUTION_FIELDS, 10)
                + " } ... on Plan { "
                # aliased: the two fragments' fields of one name would conflict
                + " ".join(
                    f"plan{i}: {field}"
                    for i, field in enumerate(rng.sample(PLAN_FIELDS, rng.randint(1, 6)))
                )
                + " } } }",
                {"id": rng.choice([plan_id, contribution_id, alliance_id])},
            )
        )
        queries.append(
            (
                f"{{ c: contributions(first: {rng.randint(1, 7)}) {{ edges {{ cursor node {{ "
                + _pick(rng, CONTRIBUTION_FIELDS)
                + " } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }",
                {},
            )
        )
    return queries


def _meeting_ids(found: dict[str, Any]) -> list[str]:
    ids = [
        meeting["id"]
        for alliance in found["data"]["alliances"]["nodes"]
        for committee in alliance["committees"]
        for meeting in committee["meetings"]
    ]
    assert len(ids) >= 3, found
    return ids


def _is_planned(query: str, variables: dict[str, Any], settings: Settings) -> bool:
    schema = build_schema(settings)
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    principal = Principal(
        organisation_id=None,  # type: ignore[arg-type]
        user_id=None,
        credential_kind=CredentialKind.API_TOKEN,
        credential_id=None,
        scopes=ALL_SCOPES,
    )
    try:
        plan(schema._schema, operation, fragments, variables, principal)
    except NotPlanable:
        return False
    return True


async def test_every_query_of_the_corpus_is_planned_and_answers_as_the_resolvers(
    client: httpx.AsyncClient, world: World, portfolio: dict[str, Any], settings: Settings
) -> None:
    orgs = portfolio["orgs"]
    helix_token = await world.token(orgs["helix-pharma"])
    alliance_id = gid("Alliance", portfolio["alliance"])
    page = await gql(client, helix_token, PLANS_OF_ALLIANCE, {"id": alliance_id})
    plans = [p for p in page["data"]["alliance"]["plans"] if p["contributions"]]
    found = await gql(client, helix_token, MEETINGS)
    meetings = _meeting_ids(found)
    queries = corpus(alliance_id, plans[0]["id"], plans[0]["contributions"][0]["id"], meetings)
    for query, variables in queries:
        assert _is_planned(query, variables, settings), query

    outsider = await world.organisation("outsider")
    readers = [*orgs.values(), outsider]
    answered = 0
    for org, (query, variables) in itertools.product(readers, queries):
        token = await world.token(org)
        result = await gql(client, token, query, variables)
        assert "errors" not in result, (org.slug, query, result)
        answered += 1
    assert answered == len(readers) * len(queries)


PAGES = {
    "plans": "query($after: String, $alliance: ID!) { plans(alliance: $alliance, first: 2,"
    " after: $after) { edges { cursor node { id title } } pageInfo { hasNextPage endCursor } } }",
    "contributions": "query($after: String) { contributions(first: 3, after: $after) {"
    " edges { cursor node { id createdAt } } pageInfo { hasNextPage endCursor } } }",
    "alliances": "query($after: String) { alliances(first: 1, after: $after) {"
    " edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage endCursor } } }",
}


@pytest.mark.parametrize("listing", list(PAGES))
async def test_paging_with_cursors_is_planned_and_answers_as_the_resolvers(
    listing: str,
    client: httpx.AsyncClient,
    world: World,
    portfolio: dict[str, Any],
    settings: Settings,
) -> None:
    """Every page of a list, each after the last one's cursor, names with quotes and
    letters beyond ASCII included (cursors carry them as PostgreSQL writes UTF-8)."""
    helix = portfolio["orgs"]["helix-pharma"]
    for name in ('Zürich \u2013 Ōsaka "Allianz"', "Ångström Consortium", "back\\slash"):
        await world.alliance(helix, name=name)
    token = await world.token(helix)
    query, after, seen = PAGES[listing], None, 0
    extra = {"alliance": gid("Alliance", portfolio["alliance"])} if "$alliance" in query else {}
    while True:
        variables = {"after": after, **extra}
        assert _is_planned(query, variables, settings)
        page = await gql(client, token, query, variables)
        assert "errors" not in page, page
        connection = page["data"][listing]
        seen += len(connection["edges"])
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen >= 4


async def test_served_compiled_the_whole_response_is_the_resolvers_response(
    server_engine: AsyncEngine, world: World, portfolio: dict[str, Any], settings: Settings
) -> None:
    """With compiled reads on, the body (data spliced in as PostgreSQL wrote it, and
    extensions.cost with its actual count) equals the resolvers' body, for every reader."""
    apps = {
        mode: create_app(settings.model_copy(update={"compiled_reads": mode}), server_engine)
        for mode in ("on", "off")
    }
    orgs = portfolio["orgs"]
    alliance_id = gid("Alliance", portfolio["alliance"])
    token = await world.token(orgs["helix-pharma"])
    async with _client(apps["off"]) as off:
        page = await gql(off, token, PLANS_OF_ALLIANCE, {"id": alliance_id})
        meetings = _meeting_ids(await gql(off, token, MEETINGS))
    plans = [p for p in page["data"]["alliance"]["plans"] if p["contributions"]]
    queries = corpus(alliance_id, plans[0]["id"], plans[0]["contributions"][0]["id"], meetings)
    readers = [*orgs.values(), await world.organisation("outsider")]
    async with _client(apps["on"]) as on, _client(apps["off"]) as off:
        for org in readers:
            token = await world.token(org)
            for query, variables in queries:
                body = {"query": query, "variables": variables}
                headers = {"authorization": f"Bearer {token}"}
                served = await on.post("/graphql", json=body, headers=headers)
                resolved = await off.post("/graphql", json=body, headers=headers)
                assert served.status_code == resolved.status_code == 200
                assert served.headers["content-type"] == resolved.headers["content-type"]
                assert served.json() == resolved.json(), (org.slug, query)
                assert "errors" not in served.json()
                # asked again, it is a shortcut's (no pipeline): the same response, byte
                # for byte
                again = await on.post("/graphql", json=body, headers=headers)
                assert again.status_code == 200
                assert again.headers["content-type"] == served.headers["content-type"]
                assert again.content == served.content, (org.slug, query)


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://portal.test")
