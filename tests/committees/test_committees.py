"""Committees, seats, representatives and governance rules over GraphQL: who may set up the
governance structure, what bad input gets, who sees what, and statement counts.

The cast: helix leads "Alliance" and chairs its steering committee. Under the steering
committee sits the tactical "Research board", chaired by basel, with cairo as secretary,
delta as member and essen as observer; fjord is a member without any seat. dover leads an
alliance of its own and is an outsider to helix's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.scopes import Scope
from db.enums import CommitteeTier, DecisionProcedure, SeatRole, UserRole, VoteChoice
from db.governance import (
    Committee,
    Decision,
    GovernanceRules,
    Seat,
    SeatRepresentative,
    Vote,
)
from db.models import AuditEntry, Event
from db.unit_of_work import Actor, act_as
from tests.builders import Org, World, counting, gid, gql, succeeded, top_level_codes, user_errors

USER_ERRORS = "userErrors { field message code }"
COMMITTEE = (
    "committee { id name tier mandate quorum majority vetoAllowed version "
    "parent { id name } alliance { name } }"
)
SEAT = (
    "seat { id role voting organisation { slug } committee { name } "
    "representatives { userId displayName email } }"
)
PAYLOADS = {
    "createCommittee": ("CreateCommitteeInput", COMMITTEE),
    "updateCommittee": ("UpdateCommitteeInput", COMMITTEE),
    "assignSeat": ("AssignSeatInput", SEAT),
    "updateSeat": ("UpdateSeatInput", SEAT),
    "removeSeat": ("RemoveSeatInput", "removedSeatId committee { name seats { role } }"),
    "setSeatRepresentatives": ("SetSeatRepresentativesInput", SEAT),
    "updateGovernanceRules": (
        "UpdateGovernanceRulesInput",
        "governanceRules { ordinaryNoticeDays objectionPeriodDays tacticalResponseDays version "
        "alliance { name } }",
    ),
}
MUTATIONS = {
    name: f"""
mutation Run($input: {input_type}!) {{
  {name}(input: $input) {{ {selection} {USER_ERRORS} }}
}}
"""
    for name, (input_type, selection) in PAYLOADS.items()
}

COMMITTEES = """
query Committees(
  $alliance: ID!, $filter: CommitteeFilter, $first: Int, $after: String,
  $orderBy: CommitteeOrder! = CREATED_AT
) {
  committees(alliance: $alliance, filter: $filter, first: $first, after: $after,
             orderBy: $orderBy) {
    nodes {
      id name tier parent { name } children { name }
      seats { role voting organisation { slug } representatives { displayName email } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
RULES = """
query Rules($alliance: ID!) {
  governanceRules(alliance: $alliance) {
    ordinaryNoticeDays extraordinaryNoticeDays agendaDeadlineDays objectionPeriodDays
    operationalResponseDays tacticalResponseDays strategicResponseDays version
  }
}
"""
NODE = """
query Node($id: ID!) {
  node(id: $id) {
    id
    ... on Committee { name tier }
    ... on Seat { role organisation { slug } committee { name } }
  }
}
"""
REMOVE_MEMBER = f"""
mutation Remove($input: RemoveMemberInput!) {{
  removeMember(input: $input) {{ membership {{ leftAt }} {USER_ERRORS} }}
}}
"""


@dataclass
class Cast:
    world: World
    client: httpx.AsyncClient
    orgs: dict[str, Org]
    alliance_id: uuid.UUID
    steering_id: uuid.UUID
    board_id: uuid.UUID
    seats: dict[str, uuid.UUID]
    """The board's seats by organisation slug, and "steering" for helix's chair seat."""

    @property
    def alliance(self) -> str:
        return gid("Alliance", self.alliance_id)

    @property
    def steering(self) -> str:
        return gid("Committee", self.steering_id)

    @property
    def board(self) -> str:
        return gid("Committee", self.board_id)

    def seat(self, name: str) -> str:
        return gid("Seat", self.seats[name])

    def organisation(self, slug: str) -> str:
        return gid("Organisation", self.orgs[slug].id)

    def user(self, slug: str, role: UserRole = UserRole.MEMBER) -> str:
        return str(self.orgs[slug].users[role])

    async def token(self, who: str) -> str:
        """A token of ``<org>`` or ``<org>-<role>`` (admin when no role is given)."""
        slug, _, role = who.partition("-")
        return await self.world.token(self.orgs[slug], role=UserRole(role or "admin"))

    async def run(self, who: str | None, mutation: str, **input_: Any) -> dict[str, Any]:
        token = await self.token(who) if who else None
        return await self.run_with(token, mutation, **input_)

    async def run_with(self, token: str | None, mutation: str, **input_: Any) -> dict[str, Any]:
        return await gql(self.client, token, MUTATIONS[mutation], {"input": input_})

    async def ok(self, who: str, mutation: str, **input_: Any) -> dict[str, Any]:
        body = await self.run(who, mutation, **input_)
        return succeeded(body, mutation)

    async def query(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        body = await gql(self.client, await self.token(who), query, variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
async def cast(client: httpx.AsyncClient, world: World) -> Cast:
    slugs = ("helix", "basel", "cairo", "delta", "essen", "fjord", "dover")
    orgs = {slug: await world.organisation(slug) for slug in slugs}
    alliance_id = await world.alliance(
        orgs["helix"], *(orgs[s] for s in ("basel", "cairo", "delta", "essen", "fjord"))
    )
    await world.alliance(orgs["dover"], name="Dover's own")
    steering_id = await world.steering(alliance_id)
    board_id = await world.committee(
        alliance_id, steering_id, CommitteeTier.TACTICAL, "Research board"
    )
    seats = {
        slug: await world.seat(board_id, orgs[slug], role, voting=role is not SeatRole.OBSERVER)
        for slug, role in (
            ("basel", SeatRole.CHAIR),
            ("cairo", SeatRole.SECRETARY),
            ("delta", SeatRole.MEMBER),
            ("essen", SeatRole.OBSERVER),
        )
    }
    async with world.sessions() as session:
        seats["steering"] = (
            await session.scalars(select(Seat.id).where(Seat.committee_id == steering_id))
        ).one()
    return Cast(world, client, orgs, alliance_id, steering_id, board_id, seats)


async def state(world: World) -> tuple[Any, ...]:
    """Every row this area owns, and how many events and audit entries exist."""
    async with world.sessions() as session:
        rows = []
        for model in (Committee, Seat, SeatRepresentative, GovernanceRules):
            columns = list(model.__table__.columns)
            found = await session.execute(select(*columns).order_by(*columns))
            rows.append([tuple(row) for row in found])
        # tokens made for the requests, and their first use, are not this area's changes
        events = await session.scalar(
            select(func.count()).select_from(Event).where(Event.object_type != "ApiToken")
        )
        audit = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.object_type != "ApiToken")
        )
        return (*rows, events, audit)


async def name_representatives(world: World, seat_id: uuid.UUID, *users: uuid.UUID) -> None:
    """Name representatives directly (set-up, not the API under test)."""
    async with world.sessions() as session, session.begin():
        seat = await session.get(Seat, seat_id)
        assert seat is not None
        act_as(session, Actor.operator(seat.organisation_id))
        for user_id in users:
            session.add(
                SeatRepresentative(alliance_id=seat.alliance_id, seat_id=seat_id, user_id=user_id)
            )


async def cast_vote(world: World, seat_id: uuid.UUID) -> None:
    """A written-procedure decision on the seat's committee with the seat's vote (set-up)."""
    async with world.sessions() as session, session.begin():
        seat = await session.get(Seat, seat_id)
        assert seat is not None
        act_as(session, Actor.operator(seat.organisation_id))
        decision = Decision(
            id=uuid.uuid4(),
            alliance_id=seat.alliance_id,
            committee_id=seat.committee_id,
            procedure=DecisionProcedure.WRITTEN,
            text="Adopt the data management plan",
        )
        session.add(decision)
        await session.flush()
        session.add(
            Vote(
                alliance_id=seat.alliance_id,
                decision_id=decision.id,
                seat_id=seat_id,
                organisation_id=seat.organisation_id,
                choice=VoteChoice.FOR,
            )
        )


# --- who may set up the governance structure ------------------------------------------------

MANAGEMENT = [
    "createCommittee",
    "updateCommittee",
    "assignSeat",
    "updateSeat",
    "removeSeat",
    "updateGovernanceRules",
]
TARGETS = {
    "createCommittee": ("alliance", "Alliance"),
    "updateCommittee": ("committee", "Committee"),
    "assignSeat": ("committee", "Committee"),
    "updateSeat": ("seat", "Seat"),
    "removeSeat": ("seat", "Seat"),
    "updateGovernanceRules": ("alliance", "Alliance"),
}
"""The input field naming the object each mutation acts on, and that object's type."""


def management_request(cast: Cast, mutation: str) -> dict[str, Any]:
    requests: dict[str, dict[str, Any]] = {
        "createCommittee": {
            "alliance": cast.alliance,
            "parent": cast.board,
            "name": "Data work package",
            "tier": "OPERATIONAL",
        },
        "updateCommittee": {"committee": cast.board, "version": 1, "name": "Science board"},
        "assignSeat": {
            "committee": cast.board,
            "organisation": cast.organisation("fjord"),
            "role": "MEMBER",
        },
        "updateSeat": {"seat": cast.seat("delta"), "role": "OBSERVER"},
        "removeSeat": {"seat": cast.seat("delta")},
        "updateGovernanceRules": {
            "alliance": cast.alliance,
            "version": 1,
            "ordinaryNoticeDays": 21,
        },
    }
    return requests[mutation]


REFUSED = [
    pytest.param("basel", ("userError", "FORBIDDEN"), id="chair"),
    pytest.param("cairo", ("userError", "FORBIDDEN"), id="secretary"),
    pytest.param("delta", ("userError", "FORBIDDEN"), id="member"),
    pytest.param("essen", ("userError", "FORBIDDEN"), id="observer"),
    pytest.param("fjord", ("userError", "FORBIDDEN"), id="unseated-member"),
    pytest.param("dover", ("userError", "NOT_FOUND"), id="outsider"),
    pytest.param("helix-member", ("userError", "FORBIDDEN"), id="lead-without-admin"),
    pytest.param("helix-viewer", ("top-level", "FORBIDDEN"), id="lead-without-write-scope"),
]


@pytest.mark.parametrize("mutation", MANAGEMENT)
@pytest.mark.parametrize(("who", "refusal"), REFUSED)
async def test_only_the_lead_organisations_admins_set_up_governance(
    cast: Cast, mutation: str, who: str, refusal: tuple[str, str]
) -> None:
    request = management_request(cast, mutation)
    before = await state(cast.world)

    body = await cast.run(who, mutation, **request)

    kind, code = refusal
    if kind == "top-level":
        assert body["data"] is None
        assert top_level_codes(body) == [code]
    else:
        errors = user_errors(body, mutation)
        assert [c for _, c in errors] == [code]
        if code == "NOT_FOUND":  # exactly what an object nobody has answers
            field, type_name = TARGETS[mutation]
            assert errors == [(field, code)]
            missing = await cast.run(
                who, mutation, **request | {field: gid(type_name, uuid.uuid4())}
            )
            assert body == missing
    assert await state(cast.world) == before

    await cast.ok("helix", mutation, **request)
    assert await state(cast.world) != before


@pytest.mark.parametrize("mutation", MANAGEMENT)
async def test_a_lead_token_without_governance_write_is_refused_at_the_top(
    cast: Cast, mutation: str
) -> None:
    token = await cast.world.token(
        cast.orgs["helix"],
        scopes=frozenset({Scope.ADMIN, Scope.ALLIANCES_READ, Scope.GOVERNANCE_READ}),
    )
    before = await state(cast.world)

    body = await cast.run_with(token, mutation, **management_request(cast, mutation))

    assert body["data"] is None
    assert top_level_codes(body) == ["FORBIDDEN"]
    assert "governance:write" in body["errors"][0]["message"]
    assert await state(cast.world) == before


# --- committees -------------------------------------------------------------------------------


async def test_the_lead_builds_a_committee_tree(cast: Cast) -> None:
    tactical = await cast.ok(
        "helix",
        "createCommittee",
        alliance=cast.alliance,
        parent=cast.steering,
        name="  Clinical board ",
        tier="TACTICAL",
        mandate="Runs the clinical studies",
        quorum=0.5,
        majority="QUALIFIED",
        vetoAllowed=True,
    )
    board = tactical["committee"]
    assert board | {"id": None} == {
        "id": None,
        "name": "Clinical board",
        "tier": "TACTICAL",
        "mandate": "Runs the clinical studies",
        "quorum": 0.5,
        "majority": "QUALIFIED",
        "vetoAllowed": True,
        "version": 1,
        "parent": {"id": cast.steering, "name": "Steering Committee"},
        "alliance": {"name": "Alliance"},
    }
    operational = await cast.ok(
        "helix",
        "createCommittee",
        alliance=cast.alliance,
        parent=board["id"],
        name="Site operations",
        tier="OPERATIONAL",
    )
    assert operational["committee"] | {"id": None} == {
        "id": None,
        "name": "Site operations",
        "tier": "OPERATIONAL",
        "mandate": "",
        "quorum": 0.667,
        "majority": "SIMPLE",
        "vetoAllowed": False,
        "version": 1,
        "parent": {"id": board["id"], "name": "Clinical board"},
        "alliance": {"name": "Alliance"},
    }
    # an operational committee may also answer to the steering committee directly
    await cast.ok(
        "helix",
        "createCommittee",
        alliance=cast.alliance,
        parent=cast.steering,
        name="Data office",
        tier="OPERATIONAL",
    )

    listed = await cast.query("delta", COMMITTEES, alliance=cast.alliance)
    nodes = listed["committees"]["nodes"]
    assert [(n["name"], n["tier"], n["parent"] and n["parent"]["name"]) for n in nodes] == [
        ("Steering Committee", "STRATEGIC", None),
        ("Research board", "TACTICAL", "Steering Committee"),
        ("Clinical board", "TACTICAL", "Steering Committee"),
        ("Site operations", "OPERATIONAL", "Clinical board"),
        ("Data office", "OPERATIONAL", "Steering Committee"),
    ]
    assert [c["name"] for c in nodes[0]["children"]] == [
        "Research board",
        "Clinical board",
        "Data office",
    ]
    assert [c["name"] for c in nodes[2]["children"]] == ["Site operations"]


async def test_the_committee_list_filters_orders_and_pages(cast: Cast) -> None:
    for name in ("Beta", "Alpha"):
        await cast.world.committee(cast.alliance_id, cast.board_id, name=name)

    def names(data: dict[str, Any]) -> list[str]:
        return [node["name"] for node in data["committees"]["nodes"]]

    tactical = await cast.query(
        "essen", COMMITTEES, alliance=cast.alliance, filter={"tiers": ["TACTICAL", "STRATEGIC"]}
    )
    assert names(tactical) == ["Steering Committee", "Research board"]
    under_board = await cast.query(
        "essen", COMMITTEES, alliance=cast.alliance, filter={"parent": cast.board}
    )
    assert names(under_board) == ["Beta", "Alpha"]
    by_name = await cast.query("essen", COMMITTEES, alliance=cast.alliance, orderBy="NAME")
    assert names(by_name) == ["Alpha", "Beta", "Research board", "Steering Committee"]

    first = await cast.query("essen", COMMITTEES, alliance=cast.alliance, first=3)
    assert names(first) == ["Steering Committee", "Research board", "Beta"]
    assert first["committees"]["pageInfo"]["hasNextPage"] is True
    rest = await cast.query(
        "essen",
        COMMITTEES,
        alliance=cast.alliance,
        first=3,
        after=first["committees"]["pageInfo"]["endCursor"],
    )
    assert names(rest) == ["Alpha"]
    assert rest["committees"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("who", ["helix", "basel", "cairo", "delta", "essen", "fjord"])
async def test_every_member_sees_the_whole_structure(cast: Cast, who: str) -> None:
    await name_representatives(cast.world, cast.seats["basel"], cast.orgs["basel"].admin)

    data = await cast.query(who, COMMITTEES, alliance=cast.alliance)

    steering, board = data["committees"]["nodes"]
    assert steering["seats"] == [
        {"role": "CHAIR", "voting": True, "organisation": {"slug": "helix"}, "representatives": []}
    ]
    assert [(s["role"], s["voting"], s["organisation"]["slug"]) for s in board["seats"]] == [
        ("CHAIR", True, "basel"),
        ("SECRETARY", True, "cairo"),
        ("MEMBER", True, "delta"),
        ("OBSERVER", False, "essen"),
    ]
    # partners see the name; the e-mail address only the representative's own organisation
    assert board["seats"][0]["representatives"] == [
        {"displayName": "basel admin", "email": "admin@basel.test" if who == "basel" else None}
    ]
    node = await cast.query(who, NODE, id=cast.seat("cairo"))
    assert node["node"] == {
        "id": cast.seat("cairo"),
        "role": "SECRETARY",
        "organisation": {"slug": "cairo"},
        "committee": {"name": "Research board"},
    }
    rules = await cast.query(who, RULES, alliance=cast.alliance)
    assert rules["governanceRules"] == {
        "ordinaryNoticeDays": 14,
        "extraordinaryNoticeDays": 7,
        "agendaDeadlineDays": 3,
        "objectionPeriodDays": 15,
        "operationalResponseDays": 10,
        "tacticalResponseDays": 20,
        "strategicResponseDays": 30,
        "version": 1,
    }


async def test_an_outsider_sees_nothing_exactly_as_if_it_did_not_exist(cast: Cast) -> None:
    nowhere = gid("Alliance", uuid.uuid4())
    for query, variables in (
        (COMMITTEES, {"alliance": cast.alliance}),
        (RULES, {"alliance": cast.alliance}),
        (NODE, {"id": cast.board}),
        (NODE, {"id": cast.seat("basel")}),
    ):
        seen = await cast.query("dover", query, **variables)
        missing = await cast.query(
            "dover",
            query,
            **{k: nowhere if k == "alliance" else gid("Seat", uuid.uuid4()) for k in variables},
        )
        assert seen == missing
    assert (await cast.query("dover", COMMITTEES, alliance=cast.alliance))["committees"][
        "nodes"
    ] == []
    assert (await cast.query("dover", RULES, alliance=cast.alliance)) == {"governanceRules": None}
    # an ID of another type names nothing
    wrong_type = await cast.query("helix", COMMITTEES, alliance=cast.board)
    assert wrong_type["committees"]["nodes"] == []


async def test_reading_needs_the_governance_read_scope(cast: Cast) -> None:
    token = await cast.world.token(cast.orgs["helix"], scopes=frozenset({Scope.ALLIANCES_READ}))

    for query in (COMMITTEES, RULES):
        body = await gql(cast.client, token, query, {"alliance": cast.alliance})
        assert body["data"] in (None, {"governanceRules": None})
        assert top_level_codes(body) == ["FORBIDDEN"]
    for node_id in (cast.board, cast.seat("basel")):
        body = await gql(cast.client, token, NODE, {"id": node_id})
        assert body == {"data": {"node": None}}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"tier": "STRATEGIC"}, ("tier", "BAD_USER_INPUT"), id="second-steering"),
        pytest.param(
            {"tier": "TACTICAL", "parent": "BOARD"}, ("parent", "BAD_USER_INPUT"), id="same-tier"
        ),
        pytest.param(
            {"tier": "TACTICAL", "parent": "OPERATIONAL"},
            ("parent", "BAD_USER_INPUT"),
            id="parent-of-lower-tier",
        ),
        pytest.param(
            {"parent": "OTHER-ALLIANCE"}, ("parent", "BAD_USER_INPUT"), id="parent-elsewhere"
        ),
        pytest.param({"parent": "DOVER"}, ("parent", "NOT_FOUND"), id="parent-out-of-sight"),
        pytest.param({"parent": "SEAT"}, ("parent", "NOT_FOUND"), id="parent-of-another-type"),
        pytest.param({"parent": "not an id"}, ("parent", "BAD_USER_INPUT"), id="malformed-id"),
        pytest.param({"name": "   "}, ("name", "BAD_USER_INPUT"), id="blank-name"),
        pytest.param({"name": "x" * 201}, ("name", "BAD_USER_INPUT"), id="long-name"),
        pytest.param({"quorum": 0}, ("quorum", "BAD_USER_INPUT"), id="quorum-zero"),
        pytest.param({"quorum": 0.0004}, ("quorum", "BAD_USER_INPUT"), id="quorum-rounds-to-0"),
        pytest.param({"quorum": 1.01}, ("quorum", "BAD_USER_INPUT"), id="quorum-above-one"),
        pytest.param({"mandate": "x" * 20_001}, ("mandate", "BAD_USER_INPUT"), id="long-mandate"),
    ],
)
async def test_create_committee_refuses_bad_input_and_changes_nothing(
    cast: Cast, changes: dict[str, Any], expected: tuple[str, str]
) -> None:
    other_alliance = await cast.world.alliance(cast.orgs["helix"], name="Second")
    operational = await cast.world.committee(cast.alliance_id, cast.board_id, name="Ops")
    stand_ins = {
        "BOARD": cast.board,
        "OPERATIONAL": gid("Committee", operational),
        "OTHER-ALLIANCE": gid("Committee", await cast.world.steering(other_alliance)),
        "DOVER": gid(
            "Committee",
            await cast.world.steering(await cast.world.alliance(cast.orgs["dover"], name="Third")),
        ),
        "SEAT": cast.seat("basel"),
    }
    changes = {k: stand_ins.get(v, v) if isinstance(v, str) else v for k, v in changes.items()}
    request = {
        "alliance": cast.alliance,
        "parent": cast.board,
        "name": "Working group",
        "tier": "OPERATIONAL",
    }
    before = await state(cast.world)

    body = await cast.run("helix", "createCommittee", **request | changes)

    assert user_errors(body, "createCommittee") == [expected]
    assert body["data"]["createCommittee"]["committee"] is None
    assert await state(cast.world) == before


async def test_update_committee_with_optimistic_concurrency(cast: Cast) -> None:
    first = await cast.ok(
        "helix",
        "updateCommittee",
        committee=cast.board,
        version=1,
        name="Science board",
        quorum=0.6666,
        vetoAllowed=True,
    )
    assert first["committee"] | {"id": None, "parent": None, "alliance": None} == {
        "id": None,
        "name": "Science board",
        "tier": "TACTICAL",
        "mandate": "",
        "quorum": 0.667,
        "majority": "SIMPLE",
        "vetoAllowed": True,
        "version": 2,
        "parent": None,
        "alliance": None,
    }
    before = await state(cast.world)

    stale = await cast.run("helix", "updateCommittee", committee=cast.board, version=1, name="X")
    assert user_errors(stale, "updateCommittee") == [("version", "CONFLICT")]
    bad = await cast.run("helix", "updateCommittee", committee=cast.board, version=2, quorum=2.0)
    assert user_errors(bad, "updateCommittee") == [("quorum", "BAD_USER_INPUT")]
    assert await state(cast.world) == before

    second = await cast.ok(
        "helix", "updateCommittee", committee=cast.steering, version=1, mandate="Everything"
    )
    assert (second["committee"]["name"], second["committee"]["mandate"]) == (
        "Steering Committee",
        "Everything",
    )


# --- seats ------------------------------------------------------------------------------------


async def test_the_lead_seats_members_with_default_votes(cast: Cast) -> None:
    member = await cast.ok(
        "helix",
        "assignSeat",
        committee=cast.steering,
        organisation=cast.organisation("fjord"),
        role="MEMBER",
    )
    assert member["seat"] | {"id": None} == {
        "id": None,
        "role": "MEMBER",
        "voting": True,
        "organisation": {"slug": "fjord"},
        "committee": {"name": "Steering Committee"},
        "representatives": [],
    }
    observer = await cast.ok(
        "helix",
        "assignSeat",
        committee=cast.steering,
        organisation=cast.organisation("delta"),
        role="OBSERVER",
    )
    assert (observer["seat"]["role"], observer["seat"]["voting"]) == ("OBSERVER", False)
    secretary = await cast.ok(
        "helix",
        "assignSeat",
        committee=cast.steering,
        organisation=cast.organisation("basel"),
        role="SECRETARY",
        voting=False,
    )
    assert (secretary["seat"]["role"], secretary["seat"]["voting"]) == ("SECRETARY", False)

    data = await cast.query("fjord", COMMITTEES, alliance=cast.alliance)
    steering = data["committees"]["nodes"][0]
    assert [(s["role"], s["organisation"]["slug"]) for s in steering["seats"]] == [
        ("CHAIR", "helix"),
        ("SECRETARY", "basel"),
        ("MEMBER", "fjord"),
        ("OBSERVER", "delta"),
    ]


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        pytest.param(
            {"organisation": "fjord", "role": "CHAIR"}, ("role", "CONFLICT"), id="second-chair"
        ),
        pytest.param(
            {"organisation": "fjord", "role": "SECRETARY"},
            ("role", "CONFLICT"),
            id="second-secretary",
        ),
        pytest.param(
            {"organisation": "delta", "role": "OBSERVER"},
            ("organisation", "CONFLICT"),
            id="second-seat-of-an-organisation",
        ),
        pytest.param(
            {"organisation": "dover", "role": "MEMBER"},
            ("organisation", "BAD_USER_INPUT"),
            id="organisation-outside-the-alliance",
        ),
        pytest.param(
            {"organisation": "NOBODY", "role": "MEMBER"},
            ("organisation", "BAD_USER_INPUT"),
            id="organisation-that-does-not-exist",
        ),
        pytest.param(
            {"organisation": "FORMER", "role": "MEMBER"},
            ("organisation", "BAD_USER_INPUT"),
            id="former-member",
        ),
        pytest.param(
            {"organisation": "ALLIANCE", "role": "MEMBER"},
            ("organisation", "NOT_FOUND"),
            id="id-of-another-type",
        ),
        pytest.param(
            {"organisation": "fjord", "role": "OBSERVER", "voting": True},
            ("voting", "BAD_USER_INPUT"),
            id="voting-observer",
        ),
        pytest.param(
            {"organisation": "fjord", "role": "MEMBER", "committee": "NOWHERE"},
            ("committee", "NOT_FOUND"),
            id="unknown-committee",
        ),
    ],
)
async def test_assign_seat_refuses_bad_input_and_changes_nothing(
    cast: Cast, request_: dict[str, Any], expected: tuple[str, str]
) -> None:
    stand_ins = {
        "NOBODY": gid("Organisation", uuid.uuid4()),
        "ALLIANCE": cast.alliance,
        "FORMER": cast.organisation("fjord"),
    }
    if request_["organisation"] == "FORMER":
        await _remove_member(cast, "fjord")
    slug = request_["organisation"]
    request = request_ | {
        "organisation": stand_ins.get(slug) or cast.organisation(slug),
        "committee": gid("Committee", uuid.uuid4())
        if request_.get("committee") == "NOWHERE"
        else cast.board,
    }
    before = await state(cast.world)

    body = await cast.run("helix", "assignSeat", **request)

    assert user_errors(body, "assignSeat") == [expected]
    assert body["data"]["assignSeat"]["seat"] is None
    assert await state(cast.world) == before


async def _remove_member(cast: Cast, slug: str) -> None:
    membership = gid(
        "Membership", await cast.world.membership_id(cast.alliance_id, cast.orgs[slug])
    )
    body = await gql(
        cast.client,
        await cast.token("helix"),
        REMOVE_MEMBER,
        {"input": {"membership": membership}},
    )
    assert "errors" not in body, body
    assert body["data"]["removeMember"]["userErrors"] == [], body


async def test_roles_change_hands_only_explicitly(cast: Cast) -> None:
    # delta takes the board's chair from basel, who stays as a voting member
    taken = await cast.run("helix", "updateSeat", seat=cast.seat("delta"), role="CHAIR")
    assert user_errors(taken, "updateSeat") == [("role", "CONFLICT")]
    handed = await cast.ok(
        "helix", "updateSeat", seat=cast.seat("delta"), role="CHAIR", handOver=True
    )
    assert (handed["seat"]["role"], handed["seat"]["voting"]) == ("CHAIR", True)
    data = await cast.query("basel", NODE, id=cast.seat("basel"))
    assert data["node"]["role"] == "MEMBER"

    # a new organisation takes the secretary's role on assignment
    await cast.ok(
        "helix",
        "assignSeat",
        committee=cast.board,
        organisation=cast.organisation("fjord"),
        role="SECRETARY",
        handOver=True,
    )
    board = (await cast.query("helix", COMMITTEES, alliance=cast.alliance))["committees"]["nodes"][
        1
    ]
    assert [(s["role"], s["organisation"]["slug"]) for s in board["seats"]] == [
        ("CHAIR", "delta"),
        ("SECRETARY", "fjord"),
        ("MEMBER", "basel"),
        ("MEMBER", "cairo"),
        ("OBSERVER", "essen"),
    ]


async def test_votes_follow_the_role(cast: Cast) -> None:
    observer = await cast.ok("helix", "updateSeat", seat=cast.seat("delta"), role="OBSERVER")
    assert (observer["seat"]["role"], observer["seat"]["voting"]) == ("OBSERVER", False)
    refused = await cast.run("helix", "updateSeat", seat=cast.seat("delta"), voting=True)
    assert user_errors(refused, "updateSeat") == [("voting", "BAD_USER_INPUT")]
    member = await cast.ok("helix", "updateSeat", seat=cast.seat("delta"), role="MEMBER")
    assert (member["seat"]["role"], member["seat"]["voting"]) == ("MEMBER", True)
    silent = await cast.ok("helix", "updateSeat", seat=cast.seat("delta"), voting=False)
    assert (silent["seat"]["role"], silent["seat"]["voting"]) == ("MEMBER", False)
    secretary = await cast.ok(
        "helix", "updateSeat", seat=cast.seat("delta"), role="SECRETARY", handOver=True
    )
    assert (secretary["seat"]["role"], secretary["seat"]["voting"]) == ("SECRETARY", False)


async def test_the_steering_committee_always_keeps_its_chair(cast: Cast) -> None:
    before = await state(cast.world)
    removed = await cast.run("helix", "removeSeat", seat=cast.seat("steering"))
    assert user_errors(removed, "removeSeat") == [("seat", "BAD_USER_INPUT")]
    demoted = await cast.run("helix", "updateSeat", seat=cast.seat("steering"), role="MEMBER")
    assert user_errors(demoted, "updateSeat") == [("role", "BAD_USER_INPUT")]
    assert await state(cast.world) == before

    # handing the chair over is the way: the old chair stays as a member and may then go
    await cast.ok(
        "helix",
        "assignSeat",
        committee=cast.steering,
        organisation=cast.organisation("basel"),
        role="CHAIR",
        handOver=True,
    )
    gone = await cast.ok("helix", "removeSeat", seat=cast.seat("steering"))
    assert gone["removedSeatId"] == cast.seat("steering")
    assert gone["committee"] == {"name": "Steering Committee", "seats": [{"role": "CHAIR"}]}
    # other committees may be left without a chair
    await cast.ok("helix", "removeSeat", seat=cast.seat("basel"))


async def test_remove_seat_takes_its_representatives_along(cast: Cast) -> None:
    delta = cast.orgs["delta"]
    await name_representatives(
        cast.world, cast.seats["delta"], delta.admin, delta.users[UserRole.MEMBER]
    )
    async with cast.world.sessions() as session:
        last = await session.scalar(select(func.max(Event.position)))

    payload = await cast.ok("helix", "removeSeat", seat=cast.seat("delta"))

    assert payload["removedSeatId"] == cast.seat("delta")
    assert [s["role"] for s in payload["committee"]["seats"]] == ["CHAIR", "SECRETARY", "OBSERVER"]
    assert await cast.world.get(Seat, cast.seats["delta"]) is None
    async with cast.world.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SeatRepresentative)) == 0
        kinds = (
            await session.scalars(
                select(Event.type).where(Event.position > last, Event.object_type != "ApiToken")
            )
        ).all()
    assert sorted(kinds) == [
        "seat.deleted",
        "seatrepresentative.deleted",
        "seatrepresentative.deleted",
    ]
    assert (await cast.query("delta", NODE, id=cast.seat("delta"))) == {"node": None}


async def test_a_seat_that_has_voted_is_kept_for_the_record(cast: Cast) -> None:
    await cast_vote(cast.world, cast.seats["delta"])
    before = await state(cast.world)

    body = await cast.run("helix", "removeSeat", seat=cast.seat("delta"))

    assert user_errors(body, "removeSeat") == [("seat", "CONFLICT")]
    assert await state(cast.world) == before
    observer = await cast.ok("helix", "updateSeat", seat=cast.seat("delta"), role="OBSERVER")
    assert observer["seat"]["voting"] is False


async def test_removing_a_member_removes_its_seats_and_representatives(cast: Cast) -> None:
    delta = cast.orgs["delta"]
    await cast.world.seat(cast.steering_id, delta, SeatRole.MEMBER)
    await name_representatives(cast.world, cast.seats["delta"], delta.admin)

    await _remove_member(cast, "delta")

    async with cast.world.sessions() as session:
        held = await session.scalar(
            select(func.count()).select_from(Seat).where(Seat.organisation_id == delta.id)
        )
        named = await session.scalar(select(func.count()).select_from(SeatRepresentative))
    assert (held, named) == (0, 0)
    data = await cast.query("helix", COMMITTEES, alliance=cast.alliance)
    slugs = [s["organisation"]["slug"] for c in data["committees"]["nodes"] for s in c["seats"]]
    assert "delta" not in slugs
    # and it can no longer be seated
    again = await cast.run(
        "helix",
        "assignSeat",
        committee=cast.board,
        organisation=cast.organisation("delta"),
        role="MEMBER",
    )
    assert user_errors(again, "assignSeat") == [("organisation", "BAD_USER_INPUT")]


# --- representatives --------------------------------------------------------------------------


async def test_an_organisations_admins_name_its_representatives(cast: Cast) -> None:
    basel = cast.orgs["basel"]
    payload = await cast.ok(
        "basel",
        "setSeatRepresentatives",
        seat=cast.seat("basel"),
        users=[cast.user("basel"), cast.user("basel", UserRole.ADMIN), cast.user("basel")],
    )
    assert payload["seat"]["representatives"] == [
        {"userId": str(basel.admin), "displayName": "basel admin", "email": "admin@basel.test"},
        {
            "userId": str(basel.users[UserRole.MEMBER]),
            "displayName": "basel member",
            "email": "member@basel.test",
        },
    ]
    # fellow members see the names; replacing the list keeps exactly the given people
    replaced = await cast.ok(
        "basel", "setSeatRepresentatives", seat=cast.seat("basel"), users=[cast.user("basel")]
    )
    assert [r["displayName"] for r in replaced["seat"]["representatives"]] == ["basel member"]
    data = await cast.query("essen", COMMITTEES, alliance=cast.alliance)
    board = data["committees"]["nodes"][1]
    # essen sees basel's representative by name, not by e-mail address
    assert board["seats"][0]["representatives"] == [{"displayName": "basel member", "email": None}]
    # the lead may clear them, but not name them
    before = await state(cast.world)
    named = await cast.run(
        "helix", "setSeatRepresentatives", seat=cast.seat("basel"), users=[cast.user("basel")]
    )
    assert user_errors(named, "setSeatRepresentatives") == [("users", "FORBIDDEN")]
    assert await state(cast.world) == before
    cleared = await cast.ok("helix", "setSeatRepresentatives", seat=cast.seat("basel"), users=[])
    assert cleared["seat"]["representatives"] == []


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        pytest.param("basel-member", ("userError", "FORBIDDEN"), id="own-org-without-admin"),
        pytest.param("cairo", ("userError", "FORBIDDEN"), id="secretary-of-the-committee"),
        pytest.param("fjord", ("userError", "FORBIDDEN"), id="unseated-member"),
        pytest.param("dover", ("userError", "NOT_FOUND"), id="outsider"),
        pytest.param("basel-viewer", ("top-level", "FORBIDDEN"), id="own-org-without-write"),
    ],
)
async def test_only_the_seats_organisations_admins_name_representatives(
    cast: Cast, who: str, refusal: tuple[str, str]
) -> None:
    request = {"seat": cast.seat("basel"), "users": [cast.user("basel")]}
    before = await state(cast.world)

    body = await cast.run(who, "setSeatRepresentatives", **request)

    kind, code = refusal
    if kind == "top-level":
        assert body["data"] is None
        assert top_level_codes(body) == [code]
    else:
        assert [c for _, c in user_errors(body, "setSeatRepresentatives")] == [code]
    if code == "NOT_FOUND":
        missing = await cast.run(
            who, "setSeatRepresentatives", **request | {"seat": gid("Seat", uuid.uuid4())}
        )
        assert body == missing
    assert await state(cast.world) == before

    await cast.ok("basel", "setSeatRepresentatives", **request)


@pytest.mark.parametrize(
    "users",
    [
        pytest.param(["HELIX-USER"], id="user-of-another-organisation"),
        pytest.param([str(uuid.uuid4())], id="unknown-user"),
        pytest.param(["not a uuid"], id="malformed"),
        pytest.param(["MANY"], id="too-many"),
    ],
)
async def test_representatives_must_be_the_seats_organisations_users(
    cast: Cast, users: list[str]
) -> None:
    if users == ["HELIX-USER"]:
        users = [cast.user("helix")]
    if users == ["MANY"]:
        users = [str(uuid.uuid4()) for _ in range(11)]
    before = await state(cast.world)

    body = await cast.run("basel", "setSeatRepresentatives", seat=cast.seat("basel"), users=users)

    assert user_errors(body, "setSeatRepresentatives") == [("users", "BAD_USER_INPUT")]
    assert await state(cast.world) == before


async def test_the_lead_names_its_own_representatives_like_any_organisation(cast: Cast) -> None:
    payload = await cast.ok(
        "helix",
        "setSeatRepresentatives",
        seat=cast.seat("steering"),
        users=[cast.user("helix", UserRole.ADMIN)],
    )
    assert [r["email"] for r in payload["seat"]["representatives"]] == ["admin@helix.test"]


# --- governance rules -------------------------------------------------------------------------


async def test_the_lead_changes_the_rules_with_optimistic_concurrency(cast: Cast) -> None:
    payload = await cast.ok(
        "helix",
        "updateGovernanceRules",
        alliance=cast.alliance,
        version=1,
        ordinaryNoticeDays=21,
        objectionPeriodDays=0,
        tacticalResponseDays=365,
    )
    assert payload["governanceRules"] == {
        "ordinaryNoticeDays": 21,
        "objectionPeriodDays": 0,
        "tacticalResponseDays": 365,
        "version": 2,
        "alliance": {"name": "Alliance"},
    }
    before = await state(cast.world)
    for changes, expected in (
        ({"version": 1, "ordinaryNoticeDays": 7}, ("version", "CONFLICT")),
        ({"version": 2, "agendaDeadlineDays": -1}, ("agendaDeadlineDays", "BAD_USER_INPUT")),
        ({"version": 2, "strategicResponseDays": 366}, ("strategicResponseDays", "BAD_USER_INPUT")),
        ({"version": 2, "alliance": gid("Alliance", uuid.uuid4())}, ("alliance", "NOT_FOUND")),
    ):
        body = await cast.run(
            "helix", "updateGovernanceRules", **{"alliance": cast.alliance} | changes
        )
        assert user_errors(body, "updateGovernanceRules") == [expected]
    assert await state(cast.world) == before

    rules = await cast.query("fjord", RULES, alliance=cast.alliance)
    assert rules["governanceRules"]["ordinaryNoticeDays"] == 21
    assert rules["governanceRules"]["version"] == 2


async def test_a_closed_alliances_governance_no_longer_changes(cast: Cast) -> None:
    closed = await gql(
        cast.client,
        await cast.token("helix"),
        """mutation Close($input: UpdateAllianceCharterInput!) {
             updateAllianceCharter(input: $input) { userErrors { code } } }""",
        {"input": {"alliance": cast.alliance, "version": 1, "status": "CLOSED"}},
    )
    assert closed == {"data": {"updateAllianceCharter": {"userErrors": []}}}
    before = await state(cast.world)

    for mutation in MANAGEMENT:
        body = await cast.run("helix", mutation, **management_request(cast, mutation))
        field, _ = TARGETS[mutation]
        assert user_errors(body, mutation) == [(field, "BAD_USER_INPUT")], mutation
    named = await cast.run(
        "basel", "setSeatRepresentatives", seat=cast.seat("basel"), users=[cast.user("basel")]
    )
    assert user_errors(named, "setSeatRepresentatives") == [("seat", "BAD_USER_INPUT")]
    assert await state(cast.world) == before


# --- statement counts -------------------------------------------------------------------------

DEEP = """
query Deep($alliance: ID!) {
  committees(alliance: $alliance, first: 50) {
    nodes {
      name tier parent { name } children { name } alliance { name }
      seats {
        role voting organisation { slug name } committee { name }
        representatives { displayName email }
      }
    }
  }
}
"""


async def test_committees_seats_organisations_and_representatives_in_constant_statements(
    cast: Cast, engine: AsyncEngine
) -> None:
    token = await cast.token("essen")
    variables = {"alliance": cast.alliance}
    await gql(cast.client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        first = await gql(cast.client, token, DEEP, variables)

    members = [cast.orgs[s] for s in ("basel", "cairo", "delta", "essen", "fjord")]
    for i in range(5):
        committee = await cast.world.committee(
            cast.alliance_id, cast.board_id, name=f"Work package {i}"
        )
        for org in members:
            seat = await cast.world.seat(committee, org)
            await name_representatives(cast.world, seat, org.admin, org.users[UserRole.MEMBER])
    with counting() as large:
        second = await gql(cast.client, token, DEEP, variables)

    assert "errors" not in second, second
    assert len(first["data"]["committees"]["nodes"]) == 2
    nodes = second["data"]["committees"]["nodes"]
    assert len(nodes) == 7
    assert sum(len(s["representatives"]) for n in nodes for s in n["seats"]) == 50
    assert len(large) == len(small), "\n".join(large)
    # the request start (credential, role and tenant), then one statement per level:
    # committees (which also answer parents and seats' committees), children, alliance,
    # seats, organisations, representatives with their users
    assert len(small) == 7, "\n".join(small)
