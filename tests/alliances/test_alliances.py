"""Alliances over GraphQL: founding, the charter, who sees what, and the alliance list.

Every request goes through the ASGI app with a real API token; every check of stored
state reads the database through the superuser session.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from auth.scopes import Scope
from db.enums import UserRole
from db.models import Alliance, AuditEntry, Event, Membership
from tests.builders import Org, World, gid, gql

ALLIANCE_FIELDS = "id name purpose strategy vision status startsOn endsOn version"
USER_ERRORS = "userErrors { field message code }"

CREATE = f"""
mutation Create($input: CreateAllianceInput!) {{
  createAlliance(input: $input) {{
    alliance {{
      {ALLIANCE_FIELDS}
      members {{ nodes {{ role leftAt organisation {{ slug }} }} }}
    }}
    {USER_ERRORS}
  }}
}}
"""

UPDATE = f"""
mutation Update($input: UpdateAllianceCharterInput!) {{
  updateAllianceCharter(input: $input) {{
    alliance {{ {ALLIANCE_FIELDS} }}
    {USER_ERRORS}
  }}
}}
"""

LEAVE = f"""
mutation Leave($alliance: ID!) {{
  leaveAlliance(input: {{ alliance: $alliance }}) {{
    membership {{ id leftAt }}
    {USER_ERRORS}
  }}
}}
"""

ALLIANCES = """
query List(
  $first: Int, $after: String, $last: Int, $before: String,
  $filter: AllianceFilter, $orderBy: AllianceOrder! = NAME
) {
  alliances(
    first: $first, after: $after, last: $last, before: $before,
    filter: $filter, orderBy: $orderBy
  ) {
    edges { cursor node { id name status } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

ALLIANCE = f"query One($id: ID!) {{ alliance(id: $id) {{ {ALLIANCE_FIELDS} }} }}"
NODE = "query Node($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"


# --- helpers --------------------------------------------------------------------------


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def names(client: httpx.AsyncClient, token: str, **variables: Any) -> list[str]:
    body = await gql(client, token, ALLIANCES, {"first": 100, **variables})
    assert "errors" not in body, body
    return [edge["node"]["name"] for edge in body["data"]["alliances"]["edges"]]


async def charter_version(world: World, alliance_id: uuid.UUID) -> int:
    alliance = await world.get(Alliance, alliance_id)
    return int(alliance.version)


async def update_charter(
    client: httpx.AsyncClient, token: str, alliance_id: uuid.UUID, **fields: Any
) -> dict[str, Any]:
    body = await gql(
        client, token, UPDATE, {"input": {"alliance": gid("Alliance", alliance_id), **fields}}
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["updateAllianceCharter"]
    return payload


async def set_status(
    client: httpx.AsyncClient, world: World, token: str, alliance_id: uuid.UUID, status: str
) -> None:
    version = await charter_version(world, alliance_id)
    payload = await update_charter(client, token, alliance_id, version=version, status=status)
    assert payload["userErrors"] == [], payload


def cursor(*parts: Any) -> str:
    """A cursor as the server encodes one, for forging."""
    raw = json.dumps(list(parts), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- createAlliance -------------------------------------------------------------------


@pytest.mark.parametrize("role", [UserRole.ADMIN, UserRole.MEMBER])
async def test_create_alliance_makes_the_caller_its_lead(
    client: httpx.AsyncClient, world: World, role: UserRole
) -> None:
    helix = await world.organisation("helix")
    token = await world.token(helix, role=role)

    body = await gql(
        client,
        token,
        CREATE,
        {
            "input": {
                "name": "  Oncology Consortium  ",
                "purpose": "Find targets",
                "strategy": "Share cohorts",
                "vision": "Cure",
                "startsOn": "2025-01-01",
                "endsOn": "2027-12-31",
            }
        },
    )

    assert "errors" not in body, body
    payload = body["data"]["createAlliance"]
    assert payload["userErrors"] == []
    alliance = payload["alliance"]
    assert alliance | {"id": None} == {
        "id": None,
        "name": "Oncology Consortium",
        "purpose": "Find targets",
        "strategy": "Share cohorts",
        "vision": "Cure",
        "status": "FORMING",
        "startsOn": "2025-01-01",
        "endsOn": "2027-12-31",
        "version": 1,
        "members": {"nodes": [{"role": "LEAD", "leftAt": None, "organisation": {"slug": "helix"}}]},
    }
    alliance_id = uuid.UUID(base64.b64decode(alliance["id"]).decode().split(":", 1)[1])
    assert alliance["id"] == gid("Alliance", alliance_id)

    stored = await world.get(Alliance, alliance_id)
    assert stored.created_by_organisation_id == helix.id
    async with world.sessions() as session:
        memberships = (
            await session.scalars(select(Membership).where(Membership.alliance_id == alliance_id))
        ).all()
    assert [(m.organisation_id, m.role.value, m.left_at) for m in memberships] == [
        (helix.id, "lead", None)
    ]

    assert await names(client, token) == ["Oncology Consortium"]
    one = await gql(client, token, ALLIANCE, {"id": alliance["id"]})
    assert one["data"]["alliance"]["name"] == "Oncology Consortium"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"name": ""}, "name", id="empty-name"),
        pytest.param({"name": "   "}, "name", id="blank-name"),
        pytest.param({"name": "x" * 201}, "name", id="name-too-long"),
        pytest.param({"purpose": "x" * 20_001}, "purpose", id="purpose-too-long"),
        pytest.param(
            {"startsOn": "2025-06-01", "endsOn": "2025-05-31"}, "endsOn", id="ends-before-start"
        ),
    ],
)
async def test_create_alliance_refuses_bad_input_and_creates_nothing(
    client: httpx.AsyncClient, world: World, fields: dict[str, Any], field: str
) -> None:
    helix = await world.organisation("helix")
    token = await world.token(helix)
    events_before = await world.count(Event)
    audits_before = await world.count(AuditEntry)

    body = await gql(client, token, CREATE, {"input": {"name": "Valid", **fields}})

    assert "errors" not in body, body
    payload = body["data"]["createAlliance"]
    assert payload["alliance"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, "BAD_USER_INPUT")]
    assert payload["userErrors"][0]["message"]
    assert await world.count(Alliance) == 0
    assert await world.count(Membership) == 0
    assert await world.count(Event) == events_before
    assert await world.count(AuditEntry) == audits_before
    assert await names(client, token) == []


async def test_create_alliance_needs_alliances_write(
    client: httpx.AsyncClient, world: World
) -> None:
    helix = await world.organisation("helix")
    viewer = await world.token(helix, role=UserRole.VIEWER)
    read_only = await world.token(helix, scopes=frozenset({Scope.ALLIANCES_READ, Scope.ADMIN}))

    for refused in (viewer, read_only):
        body = await gql(client, refused, CREATE, {"input": {"name": "Not allowed"}})
        assert body["data"] is None
        assert error_codes(body) == ["FORBIDDEN"]
    assert await world.count(Alliance) == 0

    writer = await world.token(helix, role=UserRole.MEMBER)
    body = await gql(client, writer, CREATE, {"input": {"name": "Allowed"}})
    assert body["data"]["createAlliance"]["userErrors"] == []
    assert await names(client, viewer) == ["Allowed"]  # a viewer still reads


# --- who sees which alliance ----------------------------------------------------------


async def test_alliances_lists_only_those_the_organisation_is_a_current_member_of(
    client: httpx.AsyncClient, world: World
) -> None:
    helix, basel, cairo, dover = [
        await world.organisation(slug) for slug in ("helix", "basel", "cairo", "dover")
    ]
    await world.alliance(helix, basel, name="Shared")
    await world.alliance(helix, name="Helix only")
    await world.alliance(dover, name="Dover only")
    tokens = {org.slug: await world.token(org) for org in (helix, basel, cairo, dover)}

    assert await names(client, tokens["helix"]) == ["Helix only", "Shared"]
    assert await names(client, tokens["basel"]) == ["Shared"]
    assert await names(client, tokens["cairo"]) == []
    assert await names(client, tokens["dover"]) == ["Dover only"]
    # a search for another tenant's alliance by name finds nothing either
    assert await names(client, tokens["cairo"], filter={"search": "only"}) == []

    shared = await gql(client, tokens["basel"], ALLIANCES, {"first": 10})
    shared_id = shared["data"]["alliances"]["edges"][0]["node"]["id"]
    left = await gql(client, tokens["basel"], LEAVE, {"alliance": shared_id})
    assert left["data"]["leaveAlliance"]["userErrors"] == [], left
    assert left["data"]["leaveAlliance"]["membership"]["leftAt"] is not None

    assert await names(client, tokens["basel"]) == []
    one = await gql(client, tokens["basel"], ALLIANCE, {"id": shared_id})
    assert one == {"data": {"alliance": None}}
    assert await names(client, tokens["helix"]) == ["Helix only", "Shared"]


Lookup = tuple[
    str, Callable[[list[str]], dict[str, Any]], Callable[[dict[str, Any]], dict[str, Any] | None]
]
LOOKUPS: dict[str, Lookup] = {
    "alliance": (ALLIANCE, lambda ids: {"id": ids[0]}, lambda data: data["alliance"]),
    "node": (NODE, lambda ids: {"id": ids[0]}, lambda data: data["node"]),
    "nodes": (NODES, lambda ids: {"ids": ids}, lambda data: data["nodes"][0]),
}


@pytest.mark.parametrize("lookup", sorted(LOOKUPS))
async def test_another_tenants_alliance_answers_like_a_missing_one(
    client: httpx.AsyncClient, world: World, lookup: str
) -> None:
    helix, basel = await world.organisation("helix"), await world.organisation("basel")
    alliance_id = await world.alliance(helix, name="Private")
    query, variables, found = LOOKUPS[lookup]
    foreign = gid("Alliance", alliance_id)
    missing = gid("Alliance", uuid.uuid4())

    outsider = await world.token(basel)
    answer_foreign = await gql(client, outsider, query, variables([foreign]))
    answer_missing = await gql(client, outsider, query, variables([missing]))
    assert "errors" not in answer_foreign, answer_foreign
    assert found(answer_foreign["data"]) is None
    assert answer_foreign == answer_missing

    member = await world.token(helix)
    answer_member = await gql(client, member, query, variables([foreign]))
    visible = found(answer_member["data"])
    assert visible is not None
    assert visible["id"] == foreign


async def test_nodes_keeps_order_and_nulls_what_is_not_visible(
    client: httpx.AsyncClient, world: World
) -> None:
    helix, basel = await world.organisation("helix"), await world.organisation("basel")
    own = await world.alliance(helix, name="Own")
    foreign = await world.alliance(basel, name="Foreign")
    ids = [
        gid("Alliance", foreign),
        gid("Alliance", own),
        gid("Alliance", uuid.uuid4()),
        gid("Organisation", helix.id),
        gid("Organisation", basel.id),
    ]
    body = await gql(client, await world.token(helix), NODES, {"ids": ids})
    assert body == {
        "data": {
            "nodes": [
                None,
                {"__typename": "Alliance", "id": ids[1]},
                None,
                {"__typename": "Organisation", "id": ids[3]},
                None,
            ]
        }
    }


@pytest.mark.parametrize("type_name", ["Membership", "Organisation"])
async def test_node_hides_memberships_and_organisations_of_foreign_alliances(
    client: httpx.AsyncClient, world: World, type_name: str
) -> None:
    helix, basel, cairo = [await world.organisation(s) for s in ("helix", "basel", "cairo")]
    alliance_id = await world.alliance(helix, basel)
    object_id = (
        await world.membership_id(alliance_id, basel) if type_name == "Membership" else basel.id
    )
    wanted = gid(type_name, object_id)

    outsider = await gql(client, await world.token(cairo), NODE, {"id": wanted})
    missing = await gql(
        client, await world.token(cairo), NODE, {"id": gid(type_name, uuid.uuid4())}
    )
    assert outsider == missing == {"data": {"node": None}}

    member = await gql(client, await world.token(helix), NODE, {"id": wanted})
    assert member == {"data": {"node": {"__typename": type_name, "id": wanted}}}


async def test_former_member_no_longer_sees_the_alliance_or_its_memberships(
    client: httpx.AsyncClient, world: World
) -> None:
    helix, basel, cairo = [await world.organisation(s) for s in ("helix", "basel", "cairo")]
    alliance_id = await world.alliance(helix, basel, cairo)
    cairo_membership = gid("Membership", await world.membership_id(alliance_id, cairo))
    token = await world.token(basel)
    before = await gql(
        client, token, NODES, {"ids": [gid("Alliance", alliance_id), cairo_membership]}
    )
    assert [n and n["__typename"] for n in before["data"]["nodes"]] == ["Alliance", "Membership"]

    left = await gql(client, token, LEAVE, {"alliance": gid("Alliance", alliance_id)})
    assert left["data"]["leaveAlliance"]["userErrors"] == []

    after = await gql(
        client, token, NODES, {"ids": [gid("Alliance", alliance_id), cairo_membership]}
    )
    assert after == {"data": {"nodes": [None, None]}}


@pytest.mark.parametrize("lookup", sorted(LOOKUPS))
@pytest.mark.parametrize(
    "bad_id",
    [
        pytest.param("not an id!", id="not-base64"),
        pytest.param(base64.b64encode(b"no colon").decode(), id="no-type"),
        pytest.param(base64.b64encode(b"Alliance:not-a-uuid").decode(), id="not-a-uuid"),
    ],
)
async def test_malformed_id_is_bad_user_input(
    client: httpx.AsyncClient, world: World, lookup: str, bad_id: str
) -> None:
    helix = await world.organisation("helix")
    query, variables, found = LOOKUPS[lookup]
    body = await gql(client, await world.token(helix), query, variables([bad_id]))
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    if lookup == "nodes":  # a non-null list: the error nulls the whole response
        assert body["data"] is None
    else:
        assert found(body["data"]) is None


async def test_id_of_another_type_names_nothing(client: httpx.AsyncClient, world: World) -> None:
    helix = await world.organisation("helix")
    alliance_id = await world.alliance(helix)
    membership_gid = gid("Membership", await world.membership_id(alliance_id, helix))
    body = await gql(client, await world.token(helix), ALLIANCE, {"id": membership_gid})
    assert body == {"data": {"alliance": None}}


# --- updateAllianceCharter ------------------------------------------------------------


async def test_lead_updates_the_charter_and_the_version_increments(
    client: httpx.AsyncClient, world: World
) -> None:
    helix = await world.organisation("helix")
    alliance_id = await world.alliance(helix, name="Old name")
    token = await world.token(helix, role=UserRole.MEMBER)  # alliances:write is enough

    first = await update_charter(
        client,
        token,
        alliance_id,
        version=1,
        name=" New name ",
        status="ACTIVE",
        startsOn="2025-01-01",
    )
    assert first["userErrors"] == []
    assert first["alliance"] | {"id": None} == {
        "id": None,
        "name": "New name",
        "purpose": "Old name purpose",  # omitted fields stay as they were
        "strategy": "",
        "vision": "",
        "status": "ACTIVE",
        "startsOn": "2025-01-01",
        "endsOn": None,
        "version": 2,
    }

    second = await update_charter(client, token, alliance_id, version=2, vision="Cures")
    assert second["userErrors"] == []
    assert (second["alliance"]["version"], second["alliance"]["vision"]) == (3, "Cures")
    assert second["alliance"]["name"] == "New name"

    stored = await world.get(Alliance, alliance_id)
    assert (stored.version, stored.name, stored.vision) == (3, "New name", "Cures")


async def test_stale_version_conflicts_and_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    helix = await world.organisation("helix")
    alliance_id = await world.alliance(helix, name="Original")
    token = await world.token(helix)
    assert (await update_charter(client, token, alliance_id, version=1, name="Edited"))[
        "userErrors"
    ] == []
    events_before = await world.count(Event)

    stale = await update_charter(client, token, alliance_id, version=1, name="Overwritten")

    assert stale["alliance"] is None
    assert [(e["field"], e["code"]) for e in stale["userErrors"]] == [("version", "CONFLICT")]
    stored = await world.get(Alliance, alliance_id)
    assert (stored.name, stored.version) == ("Edited", 2)
    assert await world.count(Event) == events_before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"name": ""}, "name", id="empty-name"),
        pytest.param({"endsOn": "2024-12-31"}, "endsOn", id="ends-before-stored-start"),
        pytest.param(
            {"startsOn": "2026-01-01", "endsOn": "2025-01-01"}, "endsOn", id="ends-before-start"
        ),
    ],
)
async def test_update_charter_refuses_bad_input(
    client: httpx.AsyncClient, world: World, fields: dict[str, Any], field: str
) -> None:
    helix = await world.organisation("helix")
    alliance_id = await world.alliance(helix, name="Original")
    token = await world.token(helix)
    dated = await update_charter(client, token, alliance_id, version=1, startsOn="2025-01-01")
    assert dated["userErrors"] == []

    refused = await update_charter(client, token, alliance_id, version=2, **fields)

    assert refused["alliance"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(field, "BAD_USER_INPUT")]
    stored = await world.get(Alliance, alliance_id)
    assert (stored.name, stored.version, stored.ends_on) == ("Original", 2, None)


@pytest.mark.parametrize(
    ("who", "code"),
    [
        pytest.param("partner-admin", "FORBIDDEN", id="partner-admin"),
        pytest.param("partner-member", "FORBIDDEN", id="partner-member"),
        pytest.param("outsider", "NOT_FOUND", id="outsider"),
    ],
)
async def test_only_the_lead_updates_the_charter(
    client: httpx.AsyncClient, world: World, who: str, code: str
) -> None:
    helix, basel, cairo = [await world.organisation(s) for s in ("helix", "basel", "cairo")]
    alliance_id = await world.alliance(helix, basel, name="Original")
    principals: dict[str, tuple[Org, UserRole]] = {
        "partner-admin": (basel, UserRole.ADMIN),
        "partner-member": (basel, UserRole.MEMBER),
        "outsider": (cairo, UserRole.ADMIN),
    }
    org, role = principals[who]
    token = await world.token(org, role=role)

    refused = await update_charter(client, token, alliance_id, version=1, name="Hijacked")

    assert refused["alliance"] is None
    assert [e["code"] for e in refused["userErrors"]] == [code]
    assert (await world.get(Alliance, alliance_id)).name == "Original"
    if code == "NOT_FOUND":  # existence is secret: exactly like an alliance nobody has
        missing = await update_charter(client, token, uuid.uuid4(), version=1, name="Hijacked")
        assert refused == missing

    lead = await update_charter(
        client, await world.token(helix), alliance_id, version=1, name="Renamed"
    )
    assert lead["userErrors"] == []
    assert lead["alliance"]["name"] == "Renamed"


async def test_update_charter_without_alliances_write_is_forbidden(
    client: httpx.AsyncClient, world: World
) -> None:
    helix = await world.organisation("helix")
    alliance_id = await world.alliance(helix, name="Original")
    variables = {"input": {"alliance": gid("Alliance", alliance_id), "version": 1, "name": "X"}}

    body = await gql(client, await world.token(helix, role=UserRole.VIEWER), UPDATE, variables)
    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    assert (await world.get(Alliance, alliance_id)).version == 1

    body = await gql(client, await world.token(helix, role=UserRole.MEMBER), UPDATE, variables)
    assert body["data"]["updateAllianceCharter"]["alliance"]["name"] == "X"


async def test_not_found_alliance_names_the_input_field(
    client: httpx.AsyncClient, world: World
) -> None:
    """userErrors.field names the input field at fault; the input calls it ``alliance``."""
    helix = await world.organisation("helix")
    token = await world.token(helix)
    missing = await update_charter(client, token, uuid.uuid4(), version=1, name="X")
    wrong_type = await gql(
        client,
        token,
        UPDATE,
        {"input": {"alliance": gid("Membership", uuid.uuid4()), "version": 1, "name": "X"}},
    )
    assert [(e["field"], e["code"]) for e in missing["userErrors"]] == [("alliance", "NOT_FOUND")]
    assert wrong_type["data"]["updateAllianceCharter"] == missing


# --- the alliance list: keyset pagination, ordering, filters --------------------------

CREATED = ["Echo", "Bravo", "Alpha", "Delta", "Bravo", "Charlie"]


async def _six_alliances(world: World) -> tuple[Org, dict[str, list[str]]]:
    """Six alliances of one organisation (two share a name); the expected id orders."""
    helix, other = await world.organisation("helix"), await world.organisation("other")
    await world.alliance(other, name="Bravo")  # another tenant's, never listed
    created = [(name, await world.alliance(helix, name=name)) for name in CREATED]
    by_name = sorted(created, key=lambda item: (item[0], item[1]))
    return helix, {
        "NAME": [gid("Alliance", i) for _, i in by_name],
        "CREATED_AT_DESC": [gid("Alliance", i) for _, i in reversed(created)],
    }


@pytest.mark.parametrize("order_by", ["NAME", "CREATED_AT_DESC"])
async def test_alliances_pages_forwards_and_backwards_without_gaps(
    client: httpx.AsyncClient, world: World, order_by: str
) -> None:
    helix, expected_orders = await _six_alliances(world)
    expected = expected_orders[order_by]
    token = await world.token(helix)

    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    after = None
    while True:
        body = await gql(
            client, token, ALLIANCES, {"first": 2, "after": after, "orderBy": order_by}
        )
        assert "errors" not in body, body
        connection = body["data"]["alliances"]
        pages.append(connection["pageInfo"])
        seen += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert len(pages) < 10
    assert seen == expected
    assert [(p["hasNextPage"], p["hasPreviousPage"]) for p in pages] == [
        (True, False),
        (True, True),
        (False, True),
    ]

    # the same walk in pages of two, starting from the end
    seen = []
    pages = []
    before = None
    while True:
        body = await gql(
            client, token, ALLIANCES, {"last": 2, "before": before, "orderBy": order_by}
        )
        assert "errors" not in body, body
        connection = body["data"]["alliances"]
        edges = connection["edges"]
        assert connection["pageInfo"]["startCursor"] == edges[0]["cursor"]
        assert connection["pageInfo"]["endCursor"] == edges[-1]["cursor"]
        pages.append(connection["pageInfo"])
        seen = [edge["node"]["id"] for edge in edges] + seen
        if not connection["pageInfo"]["hasPreviousPage"]:
            break
        before = connection["pageInfo"]["startCursor"]
        assert len(pages) < 10
    assert seen == expected
    assert [(p["hasNextPage"], p["hasPreviousPage"]) for p in pages] == [
        (False, True),
        (True, True),
        (True, False),
    ]


async def test_alliances_page_between_two_cursors(client: httpx.AsyncClient, world: World) -> None:
    helix, expected_orders = await _six_alliances(world)
    expected = expected_orders["NAME"]
    token = await world.token(helix)
    everything = await gql(client, token, ALLIANCES, {"first": 100})
    cursors = [edge["cursor"] for edge in everything["data"]["alliances"]["edges"]]
    assert [e["node"]["id"] for e in everything["data"]["alliances"]["edges"]] == expected
    assert everything["data"]["alliances"]["pageInfo"]["hasNextPage"] is False

    body = await gql(
        client, token, ALLIANCES, {"first": 10, "after": cursors[0], "before": cursors[4]}
    )
    assert [e["node"]["id"] for e in body["data"]["alliances"]["edges"]] == expected[1:4]

    empty = await gql(client, token, ALLIANCES, {"first": 2, "after": cursors[-1]})
    assert empty["data"]["alliances"]["edges"] == []
    assert empty["data"]["alliances"]["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }


async def test_alliances_default_page_is_the_first_twenty(
    client: httpx.AsyncClient, world: World
) -> None:
    helix = await world.organisation("helix")
    for number in range(21):
        await world.alliance(helix, name=f"Alliance {number:02}")
    body = await gql(client, await world.token(helix), ALLIANCES)
    connection = body["data"]["alliances"]
    assert [e["node"]["name"] for e in connection["edges"]] == [
        f"Alliance {n:02}" for n in range(20)
    ]
    assert connection["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param({"first": 101}, id="first-101"),
        pytest.param({"last": 101}, id="last-101"),
        pytest.param({"first": -1}, id="first-negative"),
        pytest.param({"first": 2, "last": 2}, id="first-and-last"),
        pytest.param({"first": 2, "after": "garbage"}, id="garbage-after"),
        pytest.param({"last": 2, "before": "garbage"}, id="garbage-before"),
        pytest.param({"first": 2, "after": cursor("name", "Alpha")}, id="too-few-values"),
        pytest.param({"first": 2, "after": cursor("name", "Alpha", "nope")}, id="bad-uuid"),
        pytest.param({"first": 2, "after": cursor("name", 7, str(uuid.uuid4()))}, id="bad-type"),
        pytest.param({"first": 2, "after": base64.b64encode(b"\xff\xfe").decode()}, id="binary"),
        pytest.param({"first": 2, "after": cursor({"name": "Alpha"})}, id="json-object"),
        pytest.param(
            {"first": 2, "orderBy": "CREATED_AT_DESC", "after": "NAME-CURSOR"},
            id="cursor-of-name-order-with-created-order",
        ),
        pytest.param(
            {"first": 2, "orderBy": "NAME", "after": "CREATED-CURSOR"},
            id="cursor-of-created-order-with-name-order",
        ),
        pytest.param({"first": 2, "after": "MEMBERS-CURSOR"}, id="cursor-of-members"),
    ],
)
async def test_alliances_refuses_bad_page_arguments(
    client: httpx.AsyncClient, world: World, arguments: dict[str, Any]
) -> None:
    helix = await world.organisation("helix")
    await world.alliance(helix, name="Alpha")
    await world.alliance(helix, name="Bravo")
    token = await world.token(helix)
    real = await gql(
        client,
        token,
        "query { byName: alliances(first: 1) { pageInfo { endCursor } }"
        " byCreated: alliances(first: 1, orderBy: CREATED_AT_DESC) { pageInfo { endCursor } }"
        " alliance: alliances(first: 1) { nodes { members(first: 1) { pageInfo { endCursor } } } }"
        " }",
    )
    data = real["data"]
    substitutes = {
        "NAME-CURSOR": data["byName"]["pageInfo"]["endCursor"],
        "CREATED-CURSOR": data["byCreated"]["pageInfo"]["endCursor"],
        "MEMBERS-CURSOR": data["alliance"]["nodes"][0]["members"]["pageInfo"]["endCursor"],
    }
    variables = {
        k: substitutes.get(v, v) if isinstance(v, str) else v for k, v in arguments.items()
    }

    body = await gql(client, token, ALLIANCES, variables)

    assert body["data"] is None, body
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_forged_cursor_with_a_naive_time_reads_as_utc(
    client: httpx.AsyncClient, world: World
) -> None:
    """A hand-made cursor is only a position: it may not fail the request."""
    helix = await world.organisation("helix")
    await world.alliance(helix, name="Alpha")
    token = await world.token(helix)
    answers = [
        await gql(
            client,
            token,
            ALLIANCES,
            {
                "first": 2,
                "orderBy": "CREATED_AT_DESC",
                "after": cursor(
                    "created_desc", f"2999-01-01T00:00:00{zone}", str(uuid.UUID(int=0))
                ),
            },
        )
        for zone in ("", "+00:00")
    ]
    assert "errors" not in answers[0], answers[0]
    assert answers[0] == answers[1]
    assert [e["node"]["name"] for e in answers[0]["data"]["alliances"]["edges"]] == ["Alpha"]


async def test_alliances_filter_by_status_and_search(
    client: httpx.AsyncClient, world: World
) -> None:
    helix, other = await world.organisation("helix"), await world.organisation("other")
    token = await world.token(helix)
    ids = {
        name: await world.alliance(helix, name=name)
        for name in ("Oncology Forming", "Oncology Active", "Cardio Active", "Rare_Disease 100%")
    }
    await world.alliance(other, name="Oncology Foreign")
    await set_status(client, world, token, ids["Oncology Active"], "ACTIVE")
    await set_status(client, world, token, ids["Cardio Active"], "ACTIVE")
    await set_status(client, world, token, ids["Rare_Disease 100%"], "CLOSED")

    assert await names(client, token, filter={"statuses": ["ACTIVE"]}) == [
        "Cardio Active",
        "Oncology Active",
    ]
    assert await names(client, token, filter={"statuses": ["FORMING", "CLOSED"]}) == [
        "Oncology Forming",
        "Rare_Disease 100%",
    ]
    assert await names(client, token, filter={"statuses": ["CLOSING"]}) == []
    assert await names(client, token, filter={"search": "ONCOLOGY"}) == [
        "Oncology Active",
        "Oncology Forming",
    ]
    # the builder's purpose is "<name> purpose": search covers the purpose too
    assert len(await names(client, token, filter={"search": "purpose"})) == 4
    assert await names(client, token, filter={"search": "oncology", "statuses": ["ACTIVE"]}) == [
        "Oncology Active"
    ]
    # LIKE wildcards are literal characters
    assert await names(client, token, filter={"search": "100%"}) == ["Rare_Disease 100%"]
    assert await names(client, token, filter={"search": "e_d"}) == ["Rare_Disease 100%"]
    assert await names(client, token, filter={"search": "%"}) == ["Rare_Disease 100%"]
    assert await names(client, token, filter={"search": "o_c"}) == []
    assert await names(client, token, filter={"search": "\\"}) == []
    # empty filters narrow nothing
    assert len(await names(client, token, filter={"statuses": [], "search": ""})) == 4


async def test_filtered_list_pages_within_the_filter(
    client: httpx.AsyncClient, world: World
) -> None:
    helix = await world.organisation("helix")
    token = await world.token(helix)
    for name in ("Alpha", "Bravo", "Charlie", "Delta", "Echo"):
        alliance_id = await world.alliance(helix, name=name)
        if name != "Charlie":
            await set_status(client, world, token, alliance_id, "ACTIVE")

    filter_ = {"statuses": ["ACTIVE"]}
    first = await gql(client, token, ALLIANCES, {"first": 2, "filter": filter_})
    page = first["data"]["alliances"]
    assert [e["node"]["name"] for e in page["edges"]] == ["Alpha", "Bravo"]
    second = await gql(
        client,
        token,
        ALLIANCES,
        {"first": 2, "filter": filter_, "after": page["pageInfo"]["endCursor"]},
    )
    page = second["data"]["alliances"]
    assert [e["node"]["name"] for e in page["edges"]] == ["Delta", "Echo"]
    assert page["pageInfo"]["hasNextPage"] is False


# --- nested members -------------------------------------------------------------------

MEMBERS_OF_ALL = """
query Members($first: Int, $after: String) {
  alliances(first: 10) {
    nodes {
      name
      members(first: $first, after: $after) {
        edges { cursor node { role organisation { slug } } }
        pageInfo { hasNextPage hasPreviousPage endCursor }
      }
    }
  }
}
"""

MEMBERS_OF_ONE = """
query Members($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  alliance(id: $id) {
    members(first: $first, after: $after, last: $last, before: $before) {
      edges { node { role organisation { slug } } }
      pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
    }
  }
}
"""


async def test_members_paginate_per_alliance(client: httpx.AsyncClient, world: World) -> None:
    helix, basel, cairo, dover, essen = [
        await world.organisation(s) for s in ("helix", "basel", "cairo", "dover", "essen")
    ]
    big = await world.alliance(helix, basel, cairo, dover, name="Big")
    await world.alliance(helix, essen, name="Small")
    await world.alliance(basel, name="Solo")
    token = await world.token(helix)

    body = await gql(client, token, MEMBERS_OF_ALL, {"first": 2})
    assert "errors" not in body, body
    listed = {
        node["name"]: (
            [
                (e["node"]["organisation"]["slug"], e["node"]["role"])
                for e in node["members"]["edges"]
            ],
            node["members"]["pageInfo"]["hasNextPage"],
            node["members"]["pageInfo"]["hasPreviousPage"],
        )
        for node in body["data"]["alliances"]["nodes"]
    }
    assert listed == {
        "Big": ([("helix", "LEAD"), ("basel", "PARTNER")], True, False),
        "Small": ([("helix", "LEAD"), ("essen", "PARTNER")], False, False),
    }

    end = body["data"]["alliances"]["nodes"][0]["members"]["pageInfo"]["endCursor"]
    body = await gql(
        client, token, MEMBERS_OF_ONE, {"id": gid("Alliance", big), "first": 2, "after": end}
    )
    page = body["data"]["alliance"]["members"]
    assert [e["node"]["organisation"]["slug"] for e in page["edges"]] == ["cairo", "dover"]
    assert (page["pageInfo"]["hasNextPage"], page["pageInfo"]["hasPreviousPage"]) == (False, True)

    body = await gql(client, token, MEMBERS_OF_ONE, {"id": gid("Alliance", big), "last": 3})
    page = body["data"]["alliance"]["members"]
    assert [e["node"]["organisation"]["slug"] for e in page["edges"]] == ["basel", "cairo", "dover"]
    assert (page["pageInfo"]["hasNextPage"], page["pageInfo"]["hasPreviousPage"]) == (False, True)
    body = await gql(
        client,
        token,
        MEMBERS_OF_ONE,
        {"id": gid("Alliance", big), "last": 3, "before": page["pageInfo"]["startCursor"]},
    )
    page = body["data"]["alliance"]["members"]
    assert [e["node"]["organisation"]["slug"] for e in page["edges"]] == ["helix"]
    assert (page["pageInfo"]["hasNextPage"], page["pageInfo"]["hasPreviousPage"]) == (True, False)


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param({"first": 101}, id="first-101"),
        pytest.param({"first": 2, "after": "garbage"}, id="garbage-cursor"),
        pytest.param({"first": 2, "after": "ALLIANCE-CURSOR"}, id="cursor-of-alliances"),
    ],
)
async def test_members_refuse_bad_page_arguments(
    client: httpx.AsyncClient, world: World, arguments: dict[str, Any]
) -> None:
    helix = await world.organisation("helix")
    alliance_id = await world.alliance(helix)
    token = await world.token(helix)
    listed = await gql(client, token, ALLIANCES, {"first": 1})
    alliance_cursor = listed["data"]["alliances"]["pageInfo"]["endCursor"]
    variables = {"id": gid("Alliance", alliance_id)} | {
        k: alliance_cursor if v == "ALLIANCE-CURSOR" else v for k, v in arguments.items()
    }

    body = await gql(client, token, MEMBERS_OF_ONE, variables)

    assert error_codes(body) == ["BAD_USER_INPUT"], body
    assert body["data"] == {"alliance": None} or body["data"] is None
