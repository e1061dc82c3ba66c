"""The IP register over HTTP: assets, owners, visibility and access requests.

The cast, in one alliance led by helix: helix registers the assets (and chairs the steering
committee, as lead); basel is a partner seated on the IP working group; cairo and dover are
partners without a seat; gdansk leads an alliance of its own and is an outsider here. Two
more tokens of helix lack a scope: a viewer's (no ip:write) and an alliances:read-only one
(not even ip:read).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.scopes import Scope
from db.enums import AccessRequestStatus, IpKind, SeatRole, UserRole, Visibility
from db.governance import VisibilityGrant
from db.models import AuditEntry
from db.portfolio import IdempotencyKey, IpAccessRequest, IpAsset, IpAssetOwner, Plan
from db.session import tenant_session
from db.unit_of_work import Actor, act_as
from portal import ip_assets
from tests.builders import Org, World, counting, db_id, gid, gql

USER_ERRORS = "userErrors { field message code }"
ASSET_FIELDS = """id kind title description licenceTerms planId visibility version createdAt
  visibilityCommittee { id } owners { slug } audience { slug }"""
REQUEST_FIELDS = """id purpose status answer answeredAt createdAt
  asset { id title } requester { slug } answeredBy { slug }"""

DOCS = {
    "registerIpAsset": f"""
mutation M($input: RegisterIpAssetInput!) {{
  registerIpAsset(input: $input) {{ ipAsset {{ {ASSET_FIELDS} }} {USER_ERRORS} }}
}}""",
    "updateIpAsset": f"""
mutation M($input: UpdateIpAssetInput!) {{
  updateIpAsset(input: $input) {{ ipAsset {{ {ASSET_FIELDS} }} {USER_ERRORS} }}
}}""",
    "addIpOwner": f"""
mutation M($input: AddIpOwnerInput!) {{
  addIpOwner(input: $input) {{ ipAsset {{ id version }} {USER_ERRORS} }}
}}""",
    "removeIpOwner": f"""
mutation M($input: RemoveIpOwnerInput!) {{
  removeIpOwner(input: $input) {{ ipAsset {{ id version }} {USER_ERRORS} }}
}}""",
    "requestIpAccess": f"""
mutation M($input: RequestIpAccessInput!) {{
  requestIpAccess(input: $input) {{ ipAccessRequest {{ {REQUEST_FIELDS} }} {USER_ERRORS} }}
}}""",
    "answerIpAccessRequest": f"""
mutation M($input: AnswerIpAccessRequestInput!) {{
  answerIpAccessRequest(input: $input) {{ ipAccessRequest {{ {REQUEST_FIELDS} }} {USER_ERRORS} }}
}}""",
    "withdrawIpAccessRequest": f"""
mutation M($input: WithdrawIpAccessRequestInput!) {{
  withdrawIpAccessRequest(input: $input) {{ ipAccessRequest {{ id status }} {USER_ERRORS} }}
}}""",
}
ASSETS = """
query Q($alliance: ID!, $filter: IpAssetFilter, $first: Int, $after: String,
         $orderBy: IpAssetOrder! = TITLE) {
  ipAssets(alliance: $alliance, filter: $filter, first: $first, after: $after,
           orderBy: $orderBy) {
    edges { node { id title } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""
REQUESTS = f"""
query Q($alliance: ID!, $filter: IpAccessRequestFilter) {{
  ipAccessRequests(alliance: $alliance, filter: $filter) {{
    edges {{ node {{ {REQUEST_FIELDS} }} }}
  }}
}}
"""
NODE = f"""
query N($id: ID!) {{
  node(id: $id) {{
    __typename
    ... on IpAsset {{ title accessRequests {{ id requester {{ slug }} }} }}
    ... on IpAccessRequest {{ {REQUEST_FIELDS} }}
  }}
}}
"""


@dataclass
class Cast:
    world: World
    alliance: uuid.UUID
    working_group: uuid.UUID
    orgs: dict[str, Org]
    tokens: dict[str, str]

    def org(self, name: str) -> Org:
        return self.orgs[name]

    @property
    def alliance_gid(self) -> str:
        return gid("Alliance", self.alliance)


@pytest.fixture
async def cast(world: World) -> Cast:
    orgs = {name: await world.organisation(name) for name in ("helix", "basel", "cairo", "dover")}
    orgs["gdansk"] = await world.organisation("gdansk")
    alliance = await world.alliance(
        orgs["helix"], orgs["basel"], orgs["cairo"], orgs["dover"], name="Helix"
    )
    await world.alliance(orgs["gdansk"], name="Gdansk's own")
    working_group = await world.committee(
        alliance, await world.steering(alliance), name="IP working group"
    )
    await world.seat(working_group, orgs["basel"], SeatRole.MEMBER)
    tokens = {name: await world.token(org) for name, org in orgs.items()}
    tokens["viewer"] = await world.token(orgs["helix"], role=UserRole.VIEWER)
    tokens["alliances_only"] = await world.token(
        orgs["helix"], scopes=frozenset({Scope.ALLIANCES_READ})
    )
    return Cast(world, alliance, working_group, orgs, tokens)


async def call(
    client: httpx.AsyncClient, token: str, name: str, input: dict[str, Any]
) -> dict[str, Any]:
    """Run a mutation; returns its payload (or the whole body when it failed at top level)."""
    body = await gql(client, token, DOCS[name], {"input": input})
    if body.get("errors"):
        return body
    payload: dict[str, Any] = body["data"][name]
    return payload


def top_level_code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


def error_code(payload: dict[str, Any]) -> tuple[str | None, str]:
    (error,) = payload["userErrors"]
    return error["field"], error["code"]


async def register(
    client: httpx.AsyncClient, cast: Cast, by: str = "helix", **fields: Any
) -> dict[str, Any]:
    """Register an asset through the API; returns it (the registration must succeed)."""
    payload = await call(
        client,
        cast.tokens[by],
        "registerIpAsset",
        {"alliance": cast.alliance_gid, "kind": "BACKGROUND", "title": "Assay", **fields},
    )
    assert payload["userErrors"] == [], payload
    asset: dict[str, Any] = payload["ipAsset"]
    return asset


async def request_access(
    client: httpx.AsyncClient, cast: Cast, asset: dict[str, Any], by: str = "cairo"
) -> dict[str, Any]:
    payload = await call(
        client, cast.tokens[by], "requestIpAccess", {"asset": asset["id"], "purpose": "Screening"}
    )
    assert payload["userErrors"] == [], payload
    request: dict[str, Any] = payload["ipAccessRequest"]
    return request


async def listed(client: httpx.AsyncClient, token: str, cast: Cast, **variables: Any) -> list[str]:
    body = await gql(client, token, ASSETS, {"alliance": cast.alliance_gid, **variables})
    assert "errors" not in body, body
    return [edge["node"]["title"] for edge in body["data"]["ipAssets"]["edges"]]


async def node(client: httpx.AsyncClient, token: str, global_id: str) -> Any:
    body = await gql(client, token, NODE, {"id": global_id})
    assert "errors" not in body, body
    return body["data"]["node"]


async def owner_slugs(cast: Cast, asset_id: str) -> set[str]:
    async with cast.world.sessions() as session:
        rows = await session.scalars(
            select(IpAssetOwner.organisation_id).where(IpAssetOwner.ip_asset_id == db_id(asset_id))
        )
        by_id = {org.id: name for name, org in cast.orgs.items()}
        return {by_id[row] for row in rows}


async def add_plan(
    cast: Cast, owner: str, alliance: uuid.UUID | None = None, *, hidden: bool = False
) -> str:
    """A plan made directly (set-up; plans have their own tests); ``hidden`` shows it to its
    owner only (visibility ORGANISATIONS with nobody listed)."""
    org = cast.org(owner)
    plan = Plan(
        id=uuid.uuid4(),
        alliance_id=alliance or cast.alliance,
        owner_organisation_id=org.id,
        visibility=Visibility.ORGANISATIONS if hidden else Visibility.ALLIANCE,
    )
    async with cast.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(org.id))
        session.add(plan)
    return gid("Plan", plan.id)


# --- registering and reading ---------------------------------------------------------------


async def test_registering_an_asset_records_owners_and_reads_back(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    plan = await add_plan(cast, "basel")
    asset = await register(
        client,
        cast,
        kind="FOREGROUND",
        title="  Antibody library  ",
        description="Phage display library",
        licenceTerms="Non-exclusive, royalty-free for research",
        plan=plan,
        coOwners=["basel", "helix"],
    )

    assert asset["kind"] == "FOREGROUND"
    assert asset["title"] == "Antibody library"
    assert asset["planId"] == plan
    assert asset["visibility"] == "ALLIANCE"
    assert asset["version"] == 1
    assert {o["slug"] for o in asset["owners"]} == {"basel", "helix"}
    assert asset["audience"] is None
    assert await listed(client, cast.tokens["dover"], cast) == ["Antibody library"]
    found = await node(client, cast.tokens["cairo"], asset["id"])
    assert found == {"__typename": "IpAsset", "title": "Antibody library", "accessRequests": []}
    async with cast.world.sessions() as session:
        actions = set(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.object_id == db_id(asset["id"]))
            )
        )
    assert actions == {"ipasset.created"}


async def test_plan_id_is_shown_only_to_those_who_see_the_plan(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    hidden_plan = await add_plan(cast, "helix", hidden=True)
    asset = await register(client, cast, plan=hidden_plan)
    query = "query N($id: ID!) { node(id: $id) { ... on IpAsset { planId } } }"

    for reader, expected in (("cairo", None), ("viewer", hidden_plan), ("helix", hidden_plan)):
        body = await gql(client, cast.tokens[reader], query, {"id": asset["id"]})
        assert body["data"]["node"]["planId"] == expected, reader


VISIBILITIES: dict[str, dict[str, Any]] = {
    "for the alliance": {"visibility": "ALLIANCE"},
    "for the working group": {"visibility": "COMMITTEE"},
    "for basel": {"visibility": "ORGANISATIONS", "audience": ["basel"]},
    "for the owners": {"visibility": "ORGANISATIONS", "audience": []},
}


@pytest.mark.parametrize(
    ("reader", "expected"),
    [
        pytest.param("helix", set(VISIBILITIES), id="owner-sees-all"),
        pytest.param(
            "basel",
            {"for the alliance", "for the working group", "for basel"},
            id="seated-and-listed",
        ),
        pytest.param("cairo", {"for the alliance"}, id="member-without-seat-or-listing"),
        pytest.param("gdansk", set(), id="non-member"),
    ],
)
async def test_an_asset_is_seen_by_its_audience_and_owners_only(
    client: httpx.AsyncClient, cast: Cast, reader: str, expected: set[str]
) -> None:
    assets = {}
    for title, visibility in VISIBILITIES.items():
        if visibility["visibility"] == "COMMITTEE":
            visibility = {**visibility, "visibilityCommittee": gid("Committee", cast.working_group)}
        assets[title] = await register(client, cast, title=title, **visibility)
    token = cast.tokens[reader]

    assert set(await listed(client, token, cast)) == expected
    random_id = await node(client, token, gid("IpAsset", uuid.uuid4()))
    assert random_id is None
    for title, asset in assets.items():
        found = await node(client, token, asset["id"])
        if title in expected:
            assert found["title"] == title
        else:  # answers exactly like an asset that does not exist
            assert found == random_id


async def test_a_committee_only_asset_appears_once_the_reader_gets_a_seat(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    asset = await register(
        client,
        cast,
        title="Cell line",
        visibility="COMMITTEE",
        visibilityCommittee=gid("Committee", cast.working_group),
    )
    assert asset["visibilityCommittee"] == {"id": gid("Committee", cast.working_group)}
    assert await listed(client, cast.tokens["cairo"], cast) == []
    assert await node(client, cast.tokens["cairo"], asset["id"]) is None

    await cast.world.seat(cast.working_group, cast.org("cairo"), SeatRole.OBSERVER)

    assert await listed(client, cast.tokens["cairo"], cast) == ["Cell line"]
    assert (await node(client, cast.tokens["cairo"], asset["id"]))["title"] == "Cell line"


async def test_reading_needs_ip_read(client: httpx.AsyncClient, cast: Cast) -> None:
    asset = await register(client, cast)
    token = cast.tokens["alliances_only"]

    body = await gql(client, token, ASSETS, {"alliance": cast.alliance_gid})
    assert top_level_code(body) == "FORBIDDEN"
    body = await gql(client, token, REQUESTS, {"alliance": cast.alliance_gid})
    assert top_level_code(body) == "FORBIDDEN"
    assert await node(client, token, asset["id"]) is None
    # the viewer's token reads
    assert await listed(client, cast.tokens["viewer"], cast) == ["Assay"]


async def test_filters_orderings_and_pages(client: httpx.AsyncClient, cast: Cast) -> None:
    plan = await add_plan(cast, "helix")
    hidden_plan = await add_plan(cast, "helix", hidden=True)
    await register(client, cast, title="Beta", kind="FOREGROUND", plan=plan)
    await register(client, cast, by="basel", title="Alpha", description="a crystal structure")
    await register(client, cast, title="Gamma", coOwners=["basel"], plan=hidden_plan)
    token = cast.tokens["cairo"]
    basel = gid("Organisation", cast.org("basel").id)

    assert await listed(client, token, cast) == ["Alpha", "Beta", "Gamma"]
    assert await listed(client, token, cast, orderBy="CREATED_AT_DESC") == [
        "Gamma",
        "Alpha",
        "Beta",
    ]
    assert await listed(client, token, cast, filter={"kinds": ["FOREGROUND"]}) == ["Beta"]
    assert await listed(client, token, cast, filter={"ownerOrganisation": basel}) == [
        "Alpha",
        "Gamma",
    ]
    assert await listed(client, token, cast, filter={"plan": plan}) == ["Beta"]
    # a plan cairo cannot see matches nothing, so filtering reveals nothing about it
    assert await listed(client, token, cast, filter={"plan": hidden_plan}) == []
    assert await listed(client, cast.tokens["helix"], cast, filter={"plan": hidden_plan}) == [
        "Gamma"
    ]
    assert await listed(client, token, cast, filter={"search": "CRYSTAL"}) == ["Alpha"]
    assert await listed(client, token, cast, filter={"search": "%"}) == []

    body = await gql(client, token, ASSETS, {"alliance": cast.alliance_gid, "first": 2})
    page = body["data"]["ipAssets"]
    assert [e["node"]["title"] for e in page["edges"]] == ["Alpha", "Beta"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await listed(client, token, cast, first=2, after=page["pageInfo"]["endCursor"])
    assert rest == ["Gamma"]
    # an ID of another type names nothing; a random alliance has no assets
    assert await listed(client, token, cast, filter={"plan": basel}) == []
    body = await gql(client, token, ASSETS, {"alliance": gid("Alliance", uuid.uuid4())})
    assert body["data"]["ipAssets"]["edges"] == []


# --- registering: refusals -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        pytest.param({"title": "  "}, "title", "BAD_USER_INPUT", id="empty-title"),
        pytest.param({"title": "x" * 201}, "title", "BAD_USER_INPUT", id="long-title"),
        pytest.param(
            {"visibility": "COMMITTEE"},
            "visibilityCommittee",
            "BAD_USER_INPUT",
            id="committee-visibility-without-committee",
        ),
        pytest.param(
            {"visibilityCommittee": "WG"},
            "visibilityCommittee",
            "BAD_USER_INPUT",
            id="committee-without-committee-visibility",
        ),
        pytest.param(
            {"visibility": "COMMITTEE", "visibilityCommittee": "OTHER"},
            "visibilityCommittee",
            "NOT_FOUND",
            id="committee-of-an-alliance-not-seen",
        ),
        pytest.param(
            {"audience": ["basel"]},
            "audience",
            "BAD_USER_INPUT",
            id="organisations-without-organisations-visibility",
        ),
        pytest.param(
            {"visibility": "ORGANISATIONS", "audience": ["gdansk"]},
            "audience",
            "BAD_USER_INPUT",
            id="audience-not-a-member",
        ),
        pytest.param(
            {"visibility": "ORGANISATIONS", "audience": ["nobody-at-all"]},
            "audience",
            "BAD_USER_INPUT",
            id="audience-unknown-like-non-member",
        ),
        pytest.param({"coOwners": ["gdansk"]}, "coOwners", "BAD_USER_INPUT", id="owner-outsider"),
        pytest.param({"plan": "HIDDEN"}, "plan", "NOT_FOUND", id="plan-not-visible"),
        pytest.param({"plan": "RANDOM"}, "plan", "NOT_FOUND", id="plan-unknown"),
        pytest.param({"plan": "ELSEWHERE"}, "plan", "BAD_USER_INPUT", id="plan-other-alliance"),
        pytest.param({"alliance": "OUTSIDER"}, "alliance", "NOT_FOUND", id="not-a-member"),
        pytest.param(
            {"alliance": "RANDOM_ALLIANCE"}, "alliance", "NOT_FOUND", id="no-such-alliance"
        ),
    ],
)
async def test_registering_refuses_bad_input_and_creates_nothing(
    client: httpx.AsyncClient, cast: Cast, fields: dict[str, Any], field: str, code: str
) -> None:
    world = cast.world
    other = await world.alliance(cast.org("helix"), cast.org("basel"), name="Second")
    gdansk_alliance = await world.alliance(cast.org("gdansk"), name="Third")
    substitutes = {
        "WG": gid("Committee", cast.working_group),
        "OTHER": gid("Committee", await world.steering(gdansk_alliance)),
        "HIDDEN": await add_plan(cast, "basel", hidden=True),
        "RANDOM": gid("Plan", uuid.uuid4()),
        "ELSEWHERE": await add_plan(cast, "helix", other),
        "OUTSIDER": gid("Alliance", gdansk_alliance),
        "RANDOM_ALLIANCE": gid("Alliance", uuid.uuid4()),
    }
    fields = {k: substitutes.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
    payload = await call(
        client,
        cast.tokens["helix"],
        "registerIpAsset",
        {"alliance": cast.alliance_gid, "kind": "BACKGROUND", "title": "Assay", **fields},
    )

    assert payload["ipAsset"] is None
    assert error_code(payload) == (field, code)
    assert await cast.world.count(IpAsset) == 0
    assert await cast.world.count(IpAssetOwner) == 0
    assert await cast.world.count(VisibilityGrant) == 0


async def test_registering_is_idempotent_under_a_key(client: httpx.AsyncClient, cast: Cast) -> None:
    first = await register(client, cast, idempotencyKey="reg-1", coOwners=["basel"])
    again = await register(client, cast, idempotencyKey="reg-1", coOwners=["basel"])
    assert again["id"] == first["id"]
    assert await cast.world.count(IpAsset) == 1

    payload = await call(
        client,
        cast.tokens["helix"],
        "registerIpAsset",
        {
            "alliance": cast.alliance_gid,
            "kind": "BACKGROUND",
            "title": "Other",
            "idempotencyKey": "reg-1",
        },
    )
    assert payload["ipAsset"] is None
    assert error_code(payload) == ("idempotencyKey", "CONFLICT")
    # another organisation's key space is its own
    other = await register(client, cast, by="basel", idempotencyKey="reg-1")
    assert other["id"] != first["id"]
    assert await cast.world.count(IpAsset) == 2
    assert await cast.world.count(IdempotencyKey) == 2


@pytest.mark.parametrize("name", sorted(DOCS))
async def test_every_mutation_needs_ip_write(
    client: httpx.AsyncClient, cast: Cast, name: str
) -> None:
    asset = await register(client, cast)
    request = await request_access(client, cast, asset)
    requester = name in {"requestIpAccess", "withdrawIpAccessRequest"}
    viewer = await cast.world.token(
        cast.org("cairo" if requester else "helix"), role=UserRole.VIEWER
    )
    ref = {"asset": asset["id"], "version": 1}
    inputs = {
        "registerIpAsset": {"alliance": cast.alliance_gid, "kind": "BACKGROUND", "title": "X"},
        "updateIpAsset": {**ref, "title": "X"},
        "addIpOwner": {**ref, "organisationSlug": "basel"},
        "removeIpOwner": {**ref, "organisationSlug": "helix"},
        "requestIpAccess": {"asset": asset["id"], "purpose": "X"},
        "answerIpAccessRequest": {"request": request["id"], "decision": "GRANT", "answer": "X"},
        "withdrawIpAccessRequest": {"request": request["id"]},
    }

    body = await call(client, viewer, name, inputs[name])

    assert top_level_code(body) == "FORBIDDEN"
    stored = await cast.world.get(IpAsset, db_id(asset["id"]))
    assert (stored.title, stored.version) == ("Assay", 1)
    assert await owner_slugs(cast, asset["id"]) == {"helix"}
    assert await cast.world.count(IpAsset) == 1
    assert await cast.world.count(IpAccessRequest) == 1
    stored_request = await cast.world.get(IpAccessRequest, db_id(request["id"]))
    assert stored_request.status is AccessRequestStatus.PENDING


# --- editing and owners --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("editor", "code"),
    [
        pytest.param("helix", None, id="owner"),
        pytest.param("basel", None, id="co-owner"),
        pytest.param("cairo", "FORBIDDEN", id="member-not-owner"),
        pytest.param("dover", "NOT_FOUND", id="member-outside-the-audience"),
        pytest.param("gdansk", "NOT_FOUND", id="non-member"),
    ],
)
async def test_only_owners_edit_an_asset(
    client: httpx.AsyncClient, cast: Cast, editor: str, code: str | None
) -> None:
    asset = await register(
        client,
        cast,
        coOwners=["basel"],
        visibility="ORGANISATIONS",
        audience=["cairo"],
    )
    payload = await call(
        client,
        cast.tokens[editor],
        "updateIpAsset",
        {"asset": asset["id"], "version": 1, "title": "Renamed", "licenceTerms": "Exclusive"},
    )

    stored = await cast.world.get(IpAsset, db_id(asset["id"]))
    if code is None:
        assert payload["userErrors"] == []
        assert payload["ipAsset"]["title"] == "Renamed"
        assert payload["ipAsset"]["licenceTerms"] == "Exclusive"
        assert payload["ipAsset"]["version"] == stored.version == 2
    else:
        assert payload["ipAsset"] is None
        assert error_code(payload) == ("asset", code)
        assert (stored.title, stored.licence_terms, stored.version) == ("Assay", "", 1)
    if code == "NOT_FOUND":  # like an asset that does not exist
        random = await call(
            client,
            cast.tokens[editor],
            "updateIpAsset",
            {"asset": gid("IpAsset", uuid.uuid4()), "version": 1, "title": "Renamed"},
        )
        assert random == payload


async def test_a_stale_version_is_a_conflict(client: httpx.AsyncClient, cast: Cast) -> None:
    asset = await register(client, cast, coOwners=["basel"])
    first = await call(
        client,
        cast.tokens["basel"],
        "updateIpAsset",
        {"asset": asset["id"], "version": 1, "title": "B"},
    )
    assert first["userErrors"] == []

    stale = await call(
        client,
        cast.tokens["helix"],
        "updateIpAsset",
        {"asset": asset["id"], "version": 1, "title": "H"},
    )
    assert stale["ipAsset"] is None
    assert error_code(stale) == ("version", "CONFLICT")
    for name, extra in (("addIpOwner", "cairo"), ("removeIpOwner", "basel")):
        stale = await call(
            client,
            cast.tokens["helix"],
            name,
            {"asset": asset["id"], "version": 1, "organisationSlug": extra},
        )
        assert error_code(stale) == ("version", "CONFLICT"), name
    stored = await cast.world.get(IpAsset, db_id(asset["id"]))
    assert (stored.title, stored.version) == ("B", 2)
    assert await owner_slugs(cast, asset["id"]) == {"helix", "basel"}


async def test_changing_the_audience(client: httpx.AsyncClient, cast: Cast) -> None:
    asset = await register(client, cast, visibility="ORGANISATIONS", audience=["basel"])
    assert await listed(client, cast.tokens["cairo"], cast) == []

    widened = await call(
        client,
        cast.tokens["helix"],
        "updateIpAsset",
        {
            "asset": asset["id"],
            "version": 1,
            "visibility": "ORGANISATIONS",
            "audience": ["basel", "cairo"],
        },
    )
    assert widened["userErrors"] == []
    assert {o["slug"] for o in widened["ipAsset"]["audience"]} == {"basel", "cairo"}
    assert await listed(client, cast.tokens["cairo"], cast) == ["Assay"]

    narrowed = await call(
        client,
        cast.tokens["helix"],
        "updateIpAsset",
        {
            "asset": asset["id"],
            "version": 2,
            "visibility": "ORGANISATIONS",
            "audience": ["basel"],
        },
    )
    assert narrowed["userErrors"] == []
    assert {o["slug"] for o in narrowed["ipAsset"]["audience"]} == {"basel"}
    assert await listed(client, cast.tokens["cairo"], cast) == []
    without_visibility = await call(
        client,
        cast.tokens["helix"],
        "updateIpAsset",
        {"asset": asset["id"], "version": 3, "audience": ["basel", "cairo", "dover"]},
    )
    assert error_code(without_visibility) == ("visibility", "BAD_USER_INPUT")

    to_committee = await call(
        client,
        cast.tokens["helix"],
        "updateIpAsset",
        {
            "asset": asset["id"],
            "version": 3,
            "visibility": "COMMITTEE",
            "visibilityCommittee": gid("Committee", cast.working_group),
        },
    )
    assert to_committee["userErrors"] == []
    assert to_committee["ipAsset"]["audience"] is None
    assert await listed(client, cast.tokens["cairo"], cast) == []
    assert await listed(client, cast.tokens["basel"], cast) == ["Assay"]
    assert await listed(client, cast.tokens["helix"], cast) == ["Assay"]  # owners always


async def test_adding_and_removing_owners(client: httpx.AsyncClient, cast: Cast) -> None:
    # owners only: an owner removed loses sight of the asset
    asset = await register(client, cast, visibility="ORGANISATIONS", audience=[])
    ref = {"asset": asset["id"]}

    by_outsider = await call(
        client,
        cast.tokens["basel"],
        "addIpOwner",
        {**ref, "version": 1, "organisationSlug": "basel"},
    )
    assert error_code(by_outsider) == ("asset", "NOT_FOUND")
    for slug, field, code in (
        ("gdansk", "organisationSlug", "BAD_USER_INPUT"),
        ("helix", "organisationSlug", "CONFLICT"),
    ):
        payload = await call(
            client,
            cast.tokens["helix"],
            "addIpOwner",
            {**ref, "version": 1, "organisationSlug": slug},
        )
        assert error_code(payload) == (field, code), slug
    last = await call(
        client,
        cast.tokens["helix"],
        "removeIpOwner",
        {**ref, "version": 1, "organisationSlug": "helix"},
    )
    assert error_code(last) == ("organisationSlug", "BAD_USER_INPUT")
    assert await owner_slugs(cast, asset["id"]) == {"helix"}

    added = await call(
        client,
        cast.tokens["helix"],
        "addIpOwner",
        {**ref, "version": 1, "organisationSlug": "basel"},
    )
    assert added["ipAsset"]["version"] == 2
    assert await listed(client, cast.tokens["basel"], cast) == ["Assay"]
    not_owner = await call(
        client,
        cast.tokens["basel"],
        "removeIpOwner",
        {**ref, "version": 2, "organisationSlug": "cairo"},
    )
    assert error_code(not_owner) == ("organisationSlug", "BAD_USER_INPUT")

    # basel, now an owner, removes helix; helix no longer sees the asset at all
    removed = await call(
        client,
        cast.tokens["basel"],
        "removeIpOwner",
        {**ref, "version": 2, "organisationSlug": "helix"},
    )
    assert removed["userErrors"] == []
    assert await owner_slugs(cast, asset["id"]) == {"basel"}
    assert await listed(client, cast.tokens["helix"], cast) == []
    again = await call(
        client, cast.tokens["helix"], "updateIpAsset", {**ref, "version": 3, "title": "Mine"}
    )
    assert error_code(again) == ("asset", "NOT_FOUND")


async def test_a_visible_non_owner_cannot_change_owners(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    asset = await register(client, cast)
    # cairo sees the asset: making itself an owner, or ousting helix, is forbidden
    for name, slug in (("addIpOwner", "cairo"), ("removeIpOwner", "helix")):
        payload = await call(
            client,
            cast.tokens["cairo"],
            name,
            {"asset": asset["id"], "version": 1, "organisationSlug": slug},
        )
        assert error_code(payload) == ("asset", "FORBIDDEN"), name
    assert await owner_slugs(cast, asset["id"]) == {"helix"}


# --- access requests -----------------------------------------------------------------------


async def test_access_request_granted_by_an_owner(client: httpx.AsyncClient, cast: Cast) -> None:
    asset = await register(client, cast, coOwners=["basel"])
    request = await request_access(client, cast, asset)
    assert request["status"] == "PENDING"
    assert request["requester"] == {"slug": "cairo"}
    assert (request["answer"], request["answeredBy"], request["answeredAt"]) == (None, None, None)
    assert request["asset"]["id"] == asset["id"]

    payload = await call(
        client,
        cast.tokens["basel"],
        "answerIpAccessRequest",
        {"request": request["id"], "decision": "GRANT", "answer": "Granted under the CA terms"},
    )

    assert payload["userErrors"] == []
    answered = payload["ipAccessRequest"]
    assert answered["status"] == "GRANTED"
    assert answered["answer"] == "Granted under the CA terms"
    assert answered["answeredBy"] == {"slug": "basel"}
    assert answered["answeredAt"] is not None
    stored = await cast.world.get(IpAccessRequest, db_id(request["id"]))
    assert stored.answered_by_user_id == cast.org("basel").admin
    # the requester reads the answer
    seen = await node(client, cast.tokens["cairo"], request["id"])
    assert (seen["status"], seen["answeredBy"]) == ("GRANTED", {"slug": "basel"})
    # answered is final
    for name, token, input in (
        ("answerIpAccessRequest", "helix", {"decision": "REFUSE", "answer": "No"}),
        ("withdrawIpAccessRequest", "cairo", {}),
    ):
        late = await call(client, cast.tokens[token], name, {"request": request["id"], **input})
        assert error_code(late) == ("request", "CONFLICT"), name


@pytest.mark.parametrize(
    ("answerer", "code"),
    [
        pytest.param("cairo", "FORBIDDEN", id="the-requester-itself"),
        pytest.param("dover", "NOT_FOUND", id="third-member-not-party"),
        pytest.param("gdansk", "NOT_FOUND", id="non-member"),
        pytest.param("helix", None, id="owner"),
    ],
)
async def test_only_owners_answer_requests(
    client: httpx.AsyncClient, cast: Cast, answerer: str, code: str | None
) -> None:
    asset = await register(client, cast)
    request = await request_access(client, cast, asset)
    input = {"request": request["id"], "decision": "REFUSE", "answer": "Reserved for now"}

    payload = await call(client, cast.tokens[answerer], "answerIpAccessRequest", input)

    stored = await cast.world.get(IpAccessRequest, db_id(request["id"]))
    if code is None:
        assert payload["ipAccessRequest"]["status"] == "REFUSED"
        assert stored.status is AccessRequestStatus.REFUSED
        return
    assert error_code(payload) == ("request", code)
    assert (stored.status, stored.answer, stored.answered_at) == (
        AccessRequestStatus.PENDING,
        "",
        None,
    )
    if code == "NOT_FOUND":
        random = await call(
            client,
            cast.tokens[answerer],
            "answerIpAccessRequest",
            {**input, "request": gid("IpAccessRequest", uuid.uuid4())},
        )
        assert random == payload


async def test_a_requester_that_became_an_owner_still_cannot_answer_itself(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    asset = await register(client, cast)
    request = await request_access(client, cast, asset)
    await call(
        client,
        cast.tokens["helix"],
        "addIpOwner",
        {"asset": asset["id"], "version": 1, "organisationSlug": "cairo"},
    )
    payload = await call(
        client,
        cast.tokens["cairo"],
        "answerIpAccessRequest",
        {"request": request["id"], "decision": "GRANT", "answer": "Sure"},
    )
    assert error_code(payload) == ("request", "FORBIDDEN")


async def test_an_answer_needs_a_text(client: httpx.AsyncClient, cast: Cast) -> None:
    asset = await register(client, cast)
    request = await request_access(client, cast, asset)
    empty = await call(
        client,
        cast.tokens["helix"],
        "answerIpAccessRequest",
        {"request": request["id"], "decision": "GRANT", "answer": " "},
    )
    assert error_code(empty) == ("answer", "BAD_USER_INPUT")
    stored = await cast.world.get(IpAccessRequest, db_id(request["id"]))
    assert stored.status is AccessRequestStatus.PENDING


@pytest.mark.parametrize(
    ("requester", "visibility", "field", "code"),
    [
        pytest.param("gdansk", {}, "asset", "NOT_FOUND", id="non-member"),
        pytest.param(
            "dover",
            {"visibility": "ORGANISATIONS", "audience": ["cairo"]},
            "asset",
            "NOT_FOUND",
            id="member-outside-the-audience",
        ),
        pytest.param(
            "cairo", {"visibility": "COMMITTEE"}, "asset", "NOT_FOUND", id="member-without-seat"
        ),
        pytest.param("helix", {}, "asset", "BAD_USER_INPUT", id="an-owner"),
        pytest.param("cairo", {"purpose": ""}, "purpose", "BAD_USER_INPUT", id="no-purpose"),
    ],
)
async def test_requesting_access_refusals(
    client: httpx.AsyncClient,
    cast: Cast,
    requester: str,
    visibility: dict[str, Any],
    field: str,
    code: str,
) -> None:
    purpose = visibility.pop("purpose", "Screening")
    if visibility.get("visibility") == "COMMITTEE":
        visibility["visibilityCommittee"] = gid("Committee", cast.working_group)
    asset = await register(client, cast, **visibility)
    input = {"asset": asset["id"], "purpose": purpose}

    payload = await call(client, cast.tokens[requester], "requestIpAccess", input)

    assert payload["ipAccessRequest"] is None
    assert error_code(payload) == (field, code)
    assert await cast.world.count(IpAccessRequest) == 0
    if code == "NOT_FOUND":
        random = await call(
            client,
            cast.tokens[requester],
            "requestIpAccess",
            {**input, "asset": gid("IpAsset", uuid.uuid4())},
        )
        assert random == payload


async def test_one_pending_request_per_organisation_and_asset(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    asset = await register(client, cast)
    first = await request_access(client, cast, asset)
    second = await call(
        client, cast.tokens["cairo"], "requestIpAccess", {"asset": asset["id"], "purpose": "Again"}
    )
    assert error_code(second) == ("asset", "CONFLICT")
    assert await cast.world.count(IpAccessRequest) == 1
    # another organisation may ask at the same time
    await request_access(client, cast, asset, by="dover")

    by_owner = await call(
        client, cast.tokens["helix"], "withdrawIpAccessRequest", {"request": first["id"]}
    )
    assert error_code(by_owner) == ("request", "FORBIDDEN")
    by_third = await call(
        client, cast.tokens["dover"], "withdrawIpAccessRequest", {"request": first["id"]}
    )
    assert error_code(by_third) == ("request", "NOT_FOUND")
    withdrawn = await call(
        client, cast.tokens["cairo"], "withdrawIpAccessRequest", {"request": first["id"]}
    )
    assert withdrawn["ipAccessRequest"]["status"] == "WITHDRAWN"
    # withdrawn is no longer pending: a new request is welcome
    await request_access(client, cast, asset)
    assert await cast.world.count(IpAccessRequest) == 3


async def test_requesting_access_is_idempotent_under_a_key(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    asset = await register(client, cast)
    input = {"asset": asset["id"], "purpose": "Screening", "idempotencyKey": "req-1"}
    first = await call(client, cast.tokens["cairo"], "requestIpAccess", input)
    replay = await call(client, cast.tokens["cairo"], "requestIpAccess", input)
    assert replay["userErrors"] == []  # not the one-pending-request conflict
    assert replay["ipAccessRequest"]["id"] == first["ipAccessRequest"]["id"]

    changed = await call(client, cast.tokens["cairo"], "requestIpAccess", {**input, "purpose": "X"})
    assert error_code(changed) == ("idempotencyKey", "CONFLICT")
    assert await cast.world.count(IpAccessRequest) == 1


async def test_a_third_organisation_never_sees_someone_elses_request(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    asset = await register(client, cast)
    request = await request_access(client, cast, asset)
    variables = {"alliance": cast.alliance_gid}

    def ids(body: dict[str, Any]) -> list[str]:
        return [edge["node"]["id"] for edge in body["data"]["ipAccessRequests"]["edges"]]

    for party in ("helix", "cairo"):
        assert ids(await gql(client, cast.tokens[party], REQUESTS, variables)) == [request["id"]]
    for outsider in ("dover", "gdansk"):
        assert ids(await gql(client, cast.tokens[outsider], REQUESTS, variables)) == []
        assert await node(client, cast.tokens[outsider], request["id"]) is None
    # dover sees the asset, but not cairo's request on it
    seen = await node(client, cast.tokens["dover"], asset["id"])
    assert seen["accessRequests"] == []
    seen = await node(client, cast.tokens["helix"], asset["id"])
    assert seen["accessRequests"] == [{"id": request["id"], "requester": {"slug": "cairo"}}]
    # and the database agrees (row-level security), whatever the application asks
    dover = cast.org("dover").id
    async with tenant_session(cast.world.sessions, dover) as session, session.begin():
        assert list(await session.scalars(select(IpAccessRequest))) == []


async def test_access_request_directions_and_filters(client: httpx.AsyncClient, cast: Cast) -> None:
    helix_asset = await register(client, cast, title="Helix's")
    cairo_asset = await register(client, cast, by="cairo", title="Cairo's")
    incoming = await request_access(client, cast, helix_asset, by="cairo")
    outgoing = await request_access(client, cast, cairo_asset, by="helix")
    await call(
        client,
        cast.tokens["cairo"],
        "answerIpAccessRequest",
        {"request": outgoing["id"], "decision": "GRANT", "answer": "Welcome"},
    )

    async def ids(token: str, **filter: Any) -> list[str]:
        body = await gql(
            client, cast.tokens[token], REQUESTS, {"alliance": cast.alliance_gid, "filter": filter}
        )
        return [edge["node"]["id"] for edge in body["data"]["ipAccessRequests"]["edges"]]

    assert await ids("helix") == [outgoing["id"], incoming["id"]]  # newest first
    assert await ids("helix", direction="INCOMING") == [incoming["id"]]
    assert await ids("helix", direction="OUTGOING") == [outgoing["id"]]
    assert await ids("cairo", direction="INCOMING") == [outgoing["id"]]
    assert await ids("helix", statuses=["PENDING"]) == [incoming["id"]]
    assert await ids("helix", statuses=["GRANTED", "REFUSED"]) == [outgoing["id"]]
    assert await ids("helix", asset=cairo_asset["id"]) == [outgoing["id"]]
    assert await ids("helix", asset=gid("Plan", uuid.uuid4())) == []


async def test_the_domain_takes_the_clock(cast: Cast) -> None:
    """Time comes from the caller: the demo and tests set it."""
    world = cast.world
    registered_at = dt.datetime(2031, 1, 2, 9, 0, tzinfo=dt.UTC)
    answered_at = registered_at + dt.timedelta(days=3)
    helix, cairo = world.principal(cast.org("helix")), world.principal(cast.org("cairo"))

    async with tenant_session(world.sessions, helix.organisation_id) as session, session.begin():
        act_as(session, Actor.of(helix))
        asset = await ip_assets.register_ip_asset(
            session,
            helix,
            cast.alliance,
            kind=IpKind.BACKGROUND,
            title="Clocked",
            now=registered_at,
        )
    async with tenant_session(world.sessions, cairo.organisation_id) as session, session.begin():
        act_as(session, Actor.of(cairo))
        request = await ip_assets.request_ip_access(
            session, cairo, asset.id, purpose="Timing", now=registered_at
        )
    async with tenant_session(world.sessions, helix.organisation_id) as session, session.begin():
        act_as(session, Actor.of(helix))
        await ip_assets.answer_ip_access_request(
            session,
            helix,
            request.id,
            decision=ip_assets.AccessDecision.GRANT,
            answer="Yes",
            now=answered_at,
        )

    stored_asset = await world.get(IpAsset, asset.id)
    stored_request = await world.get(IpAccessRequest, request.id)
    assert stored_asset.created_at == registered_at
    assert (stored_request.created_at, stored_request.answered_at) == (registered_at, answered_at)


# --- statement counts ----------------------------------------------------------------------

DEEP = """
query Q($alliance: ID!) {
  ipAssets(alliance: $alliance, first: 50) { edges { node {
    title owners { slug name }
    accessRequests { status requester { slug } answeredBy { slug } }
  } } }
}
"""


STATEMENT_BOUND = 9


async def test_assets_owners_and_requests_in_constant_statements(
    client: httpx.AsyncClient, engine: AsyncEngine, cast: Cast
) -> None:
    token = cast.tokens["helix"]
    variables = {"alliance": cast.alliance_gid}

    async def populate(titles: list[str]) -> None:
        for title in titles:
            asset = await register(client, cast, title=title, coOwners=["basel", "dover"])
            request = await request_access(client, cast, asset, by="cairo")
            await call(
                client,
                token,
                "answerIpAccessRequest",
                {"request": request["id"], "decision": "GRANT", "answer": "ok"},
            )
            await request_access(client, cast, asset, by="cairo")

    await populate(["A0"])
    await gql(client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        first = await gql(client, token, DEEP, variables)
    await populate([f"A{i}" for i in range(1, 6)])
    with counting() as large:
        second = await gql(client, token, DEEP, variables)

    assert "errors" not in second, second
    assert len(first["data"]["ipAssets"]["edges"]) == 1
    edges = second["data"]["ipAssets"]["edges"]
    assert len(edges) == 6
    assert sum(len(edge["node"]["owners"]) for edge in edges) == 18
    assert sum(len(edge["node"]["accessRequests"]) for edge in edges) == 12
    # tenant context and authentication (3), assets, owners, access requests, and the
    # organisations in at most three batches (owners; requesters and answerers, which
    # usually share one): the same bound for one asset and for six with three times the rows
    for statements in (small, large):
        assert len(statements) <= STATEMENT_BOUND, "\n".join(statements)
