"""Membership of alliances over GraphQL: admitting, removing, leaving, handing over the
lead; who may do each; and the events and tamper-evident audit trail every change leaves.

The cast: helix leads "Alliance" with partners basel and cairo; dover leads an alliance
of its own and is an outsider to helix's; essen belongs to no alliance and is the one
being invited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from strawberry import relay

from db.enums import CredentialKind, UserRole
from db.models import ApiToken, AuditEntry, Event, Membership
from db.session import tenant_session
from db.unit_of_work import verify_chain
from tests.builders import Org, World, gid, gql, succeeded, top_level_codes, user_errors

USER_ERRORS = "userErrors { field message code }"
MEMBERSHIP = "membership { id role commitment leftAt organisation { slug } }"

MUTATIONS = {
    name: f"""
mutation Run($input: {input_type}!) {{
  {name}(input: $input) {{ {MEMBERSHIP} {USER_ERRORS} }}
}}
"""
    for name, input_type in (
        ("addMember", "AddMemberInput"),
        ("removeMember", "RemoveMemberInput"),
        ("leaveAlliance", "LeaveAllianceInput"),
        ("transferLead", "TransferLeadInput"),
    )
}
MUTATIONS["updateAllianceCharter"] = f"""
mutation Run($input: UpdateAllianceCharterInput!) {{
  updateAllianceCharter(input: $input) {{ alliance {{ id status version }} {USER_ERRORS} }}
}}
"""
MUTATIONS["createAlliance"] = f"""
mutation Run($input: CreateAllianceInput!) {{
  createAlliance(input: $input) {{ alliance {{ id }} {USER_ERRORS} }}
}}
"""

MEMBERS = """
query Members($id: ID!, $former: Boolean! = false) {
  alliance(id: $id) {
    members(first: 100, filter: { includeFormer: $former }) {
      nodes { id role leftAt organisation { slug } }
    }
  }
}
"""
ALLIANCE_NAMES = "query { alliances(first: 100) { nodes { name } } }"
NODE = "query Node($id: ID!) { node(id: $id) { id } }"


@dataclass
class Cast:
    world: World
    client: httpx.AsyncClient
    helix: Org
    basel: Org
    cairo: Org
    dover: Org
    essen: Org
    alliance_id: uuid.UUID

    @property
    def alliance(self) -> str:
        return gid("Alliance", self.alliance_id)

    async def membership(self, org: Org) -> str:
        return gid("Membership", await self.world.membership_id(self.alliance_id, org))

    async def token(self, who: str) -> str:
        """A token of ``<org>`` or ``<org>-<role>`` (admin when no role is given)."""
        slug, _, role = who.partition("-")
        return await self.world.token(getattr(self, slug), role=UserRole(role or "admin"))

    async def run(
        self, who: str, mutation: str, request_id: str | None = None, **input_: Any
    ) -> dict[str, Any]:
        """Run ``mutation`` as ``who`` (see ``token``)."""
        return await self.run_with(await self.token(who), mutation, request_id, **input_)

    async def run_with(
        self, token: str, mutation: str, request_id: str | None = None, **input_: Any
    ) -> dict[str, Any]:
        """Run ``mutation`` with ``token``, optionally sending an X-Request-ID."""
        headers = {"Authorization": f"Bearer {token}"}
        if request_id is not None:
            headers["X-Request-ID"] = request_id
        response = await self.client.post(
            "/graphql",
            json={"query": MUTATIONS[mutation], "variables": {"input": input_}},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        if request_id is not None:
            assert response.headers["x-request-id"] == request_id
        body: dict[str, Any] = response.json()
        return body

    async def ok(self, who: str, mutation: str, **input_: Any) -> dict[str, Any]:
        """Run ``mutation`` and expect success; its payload."""
        body = await self.run(who, mutation, **input_)
        return succeeded(body, mutation)

    async def members(self, who: str, *, former: bool = False) -> list[tuple[str, str, bool]]:
        """(slug, role, has left) of the alliance's members as ``who`` sees them."""
        body = await gql(
            self.client, await self.token(who), MEMBERS, {"id": self.alliance, "former": former}
        )
        assert "errors" not in body, body
        nodes = body["data"]["alliance"]["members"]["nodes"]
        return [(n["organisation"]["slug"], n["role"], n["leftAt"] is not None) for n in nodes]

    async def sees_alliance(self, who: str) -> bool:
        token = await self.token(who)
        listed = await gql(self.client, token, ALLIANCE_NAMES)
        node = await gql(self.client, token, NODE, {"id": self.alliance})
        in_list = "Alliance" in [n["name"] for n in listed["data"]["alliances"]["nodes"]]
        assert in_list == (node["data"]["node"] is not None)
        return in_list


@pytest.fixture
async def cast(client: httpx.AsyncClient, world: World) -> Cast:
    helix, basel, cairo, dover, essen = [
        await world.organisation(slug) for slug in ("helix", "basel", "cairo", "dover", "essen")
    ]
    alliance_id = await world.alliance(helix, basel, cairo, name="Alliance")
    await world.alliance(dover, name="Dover's own")
    return Cast(world, client, helix, basel, cairo, dover, essen, alliance_id)


async def current_memberships(world: World) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    async with world.sessions() as session:
        rows = await session.execute(
            select(Membership.alliance_id, Membership.organisation_id, Membership.role)
            .where(Membership.left_at.is_(None))
            .order_by(Membership.alliance_id, Membership.organisation_id)
        )
        return [(a, o, r.value) for a, o, r in rows]


# --- addMember ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["PARTNER", "ASSOCIATE", "OBSERVER"])
async def test_lead_admin_admits_an_organisation_which_then_sees_the_alliance(
    cast: Cast, role: str
) -> None:
    assert not await cast.sees_alliance("essen")

    payload = await cast.ok(
        "helix",
        "addMember",
        alliance=cast.alliance,
        organisationSlug="essen",
        role=role,
        commitment="2 FTE",
    )

    membership = payload["membership"]
    assert membership | {"id": None} == {
        "id": None,
        "role": role,
        "commitment": "2 FTE",
        "leftAt": None,
        "organisation": {"slug": "essen"},
    }
    assert membership["id"] == await cast.membership(cast.essen)
    assert await cast.sees_alliance("essen")
    assert await cast.members("essen") == [
        ("helix", "LEAD", False),
        ("basel", "PARTNER", False),
        ("cairo", "PARTNER", False),
        ("essen", role, False),
    ]


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        pytest.param("basel", ("userError", "FORBIDDEN"), id="partner-admin"),
        pytest.param("dover", ("userError", "NOT_FOUND"), id="outsider-admin"),
        pytest.param("helix-member", ("top-level", "FORBIDDEN"), id="lead-without-admin"),
        pytest.param("helix-viewer", ("top-level", "FORBIDDEN"), id="lead-viewer"),
        pytest.param("basel-member", ("top-level", "FORBIDDEN"), id="partner-without-admin"),
    ],
)
async def test_only_the_lead_organisations_admins_admit_members(
    cast: Cast, who: str, refusal: tuple[str, str]
) -> None:
    before = await current_memberships(cast.world)
    request = {"alliance": cast.alliance, "organisationSlug": "essen", "role": "PARTNER"}

    body = await cast.run(who, "addMember", **request)

    kind, code = refusal
    if kind == "userError":
        assert [c for _, c in user_errors(body, "addMember")] == [code]
        assert body["data"]["addMember"]["membership"] is None
    else:
        assert body["data"] is None
        assert top_level_codes(body) == [code]
    if code == "NOT_FOUND":  # exactly what an alliance nobody has answers
        missing = await cast.run(
            who, "addMember", **request | {"alliance": gid("Alliance", uuid.uuid4())}
        )
        assert body == missing
    assert await current_memberships(cast.world) == before
    assert not await cast.sees_alliance("essen")

    await cast.ok("helix", "addMember", **request)
    assert await cast.sees_alliance("essen")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"organisationSlug": "nobody"}, ("organisationSlug", "NOT_FOUND"), id="unknown-slug"
        ),
        pytest.param(
            {"organisationSlug": "basel"}, ("organisationSlug", "CONFLICT"), id="already-a-member"
        ),
        pytest.param(
            {"organisationSlug": "helix"}, ("organisationSlug", "CONFLICT"), id="the-lead-itself"
        ),
        pytest.param({"role": "LEAD"}, ("role", "BAD_USER_INPUT"), id="second-lead"),
        pytest.param(
            {"alliance": "MEMBERSHIP-ID"}, ("alliance", "NOT_FOUND"), id="id-of-another-type"
        ),
        pytest.param({"alliance": "not an id"}, ("alliance", "BAD_USER_INPUT"), id="malformed-id"),
    ],
)
async def test_add_member_refuses_bad_input_and_changes_nothing(
    cast: Cast, changes: dict[str, str], expected: tuple[str, str]
) -> None:
    token = await cast.token("helix")
    if changes.get("alliance") == "MEMBERSHIP-ID":
        changes = {"alliance": await cast.membership(cast.basel)}
    before = await current_memberships(cast.world)
    events = await cast.world.count(Event)
    request = {"alliance": cast.alliance, "organisationSlug": "essen", "role": "PARTNER"}

    body = await cast.run_with(token, "addMember", **request | changes)

    assert user_errors(body, "addMember") == [expected]
    assert body["data"]["addMember"]["membership"] is None
    assert await current_memberships(cast.world) == before
    assert await cast.world.count(Event) == events


async def test_a_former_member_can_be_admitted_again(cast: Cast) -> None:
    await cast.ok("basel", "leaveAlliance", alliance=cast.alliance)
    assert not await cast.sees_alliance("basel")

    payload = await cast.ok(
        "helix", "addMember", alliance=cast.alliance, organisationSlug="basel", role="OBSERVER"
    )

    assert payload["membership"]["role"] == "OBSERVER"
    assert await cast.sees_alliance("basel")
    assert await cast.members("helix", former=True) == [
        ("helix", "LEAD", False),
        ("basel", "PARTNER", True),
        ("cairo", "PARTNER", False),
        ("basel", "OBSERVER", False),
    ]


# --- removeMember ---------------------------------------------------------------------


async def test_lead_admin_removes_a_member_who_loses_sight_of_the_alliance(cast: Cast) -> None:
    assert await cast.sees_alliance("basel")
    basel_membership = await cast.membership(cast.basel)

    payload = await cast.ok("helix", "removeMember", membership=basel_membership)

    assert payload["membership"]["id"] == basel_membership
    assert payload["membership"]["organisation"] == {"slug": "basel"}
    assert payload["membership"]["leftAt"] is not None
    assert not await cast.sees_alliance("basel")
    basel_view = await gql(
        cast.client, await cast.token("basel"), NODE, {"id": await cast.membership(cast.cairo)}
    )
    assert basel_view == {"data": {"node": None}}
    assert await cast.members("helix") == [("helix", "LEAD", False), ("cairo", "PARTNER", False)]
    assert await cast.members("helix", former=True) == [
        ("helix", "LEAD", False),
        ("basel", "PARTNER", True),
        ("cairo", "PARTNER", False),
    ]
    assert await cast.members("cairo", former=True) == await cast.members("helix", former=True)

    again = await cast.run("helix", "removeMember", membership=basel_membership)
    assert user_errors(again, "removeMember") == [("membership", "NOT_FOUND")]


@pytest.mark.parametrize(
    ("who", "target", "refusal"),
    [
        pytest.param("helix", "helix", ("membership", "BAD_USER_INPUT"), id="the-lead"),
        pytest.param("basel", "cairo", (None, "FORBIDDEN"), id="by-a-partner-admin"),
        pytest.param("basel", "basel", (None, "FORBIDDEN"), id="partner-removes-itself"),
        pytest.param("dover", "cairo", ("membership", "NOT_FOUND"), id="by-an-outsider"),
        pytest.param("helix-member", "cairo", ("top-level", "FORBIDDEN"), id="lead-without-admin"),
    ],
)
async def test_remove_member_refusals(
    cast: Cast, who: str, target: str, refusal: tuple[str | None, str]
) -> None:
    membership = await cast.membership(getattr(cast, target))
    before = await current_memberships(cast.world)

    body = await cast.run(who, "removeMember", membership=membership)

    field, code = refusal
    if field == "top-level":
        assert body["data"] is None
        assert top_level_codes(body) == [code]
    else:
        assert user_errors(body, "removeMember") == [(field, code)]
    if code == "NOT_FOUND":
        missing = await cast.run(who, "removeMember", membership=gid("Membership", uuid.uuid4()))
        assert body == missing
    assert await current_memberships(cast.world) == before

    await cast.ok("helix", "removeMember", membership=await cast.membership(cast.cairo))
    assert not await cast.sees_alliance("cairo")


# --- leaveAlliance --------------------------------------------------------------------


async def test_a_partner_admin_leaves(cast: Cast) -> None:
    refused = await cast.run("basel-member", "leaveAlliance", alliance=cast.alliance)
    assert refused["data"] is None
    assert top_level_codes(refused) == ["FORBIDDEN"]
    assert await cast.sees_alliance("basel")

    payload = await cast.ok("basel", "leaveAlliance", alliance=cast.alliance)

    assert payload["membership"]["organisation"] == {"slug": "basel"}
    assert payload["membership"]["leftAt"] is not None
    assert not await cast.sees_alliance("basel")
    assert await cast.members("helix") == [("helix", "LEAD", False), ("cairo", "PARTNER", False)]

    again = await cast.run("basel", "leaveAlliance", alliance=cast.alliance)
    missing = await cast.run("basel", "leaveAlliance", alliance=gid("Alliance", uuid.uuid4()))
    assert [c for _, c in user_errors(again, "leaveAlliance")] == ["NOT_FOUND"]
    assert again == missing


async def test_an_outsider_cannot_leave_what_it_cannot_see(cast: Cast) -> None:
    foreign = await cast.run("dover", "leaveAlliance", alliance=cast.alliance)
    missing = await cast.run("dover", "leaveAlliance", alliance=gid("Alliance", uuid.uuid4()))
    assert [c for _, c in user_errors(foreign, "leaveAlliance")] == ["NOT_FOUND"]
    assert foreign == missing


async def test_the_lead_must_hand_over_before_leaving(cast: Cast) -> None:
    refused = await cast.run("helix", "leaveAlliance", alliance=cast.alliance)
    assert user_errors(refused, "leaveAlliance") == [("alliance", "BAD_USER_INPUT")]
    assert await cast.sees_alliance("helix")

    # a partner may not hand over what it does not hold
    grab = await cast.run("basel", "transferLead", membership=await cast.membership(cast.basel))
    assert user_errors(grab, "transferLead") == [(None, "FORBIDDEN")]
    to_itself = await cast.run(
        "helix", "transferLead", membership=await cast.membership(cast.helix)
    )
    assert user_errors(to_itself, "transferLead") == [("membership", "BAD_USER_INPUT")]

    handed = await cast.ok("helix", "transferLead", membership=await cast.membership(cast.basel))
    assert handed["membership"]["organisation"] == {"slug": "basel"}
    assert handed["membership"]["role"] == "LEAD"
    assert await cast.members("cairo") == [
        ("helix", "PARTNER", False),
        ("basel", "LEAD", False),
        ("cairo", "PARTNER", False),
    ]
    # the old lead no longer manages membership; the new one does
    request = {"alliance": cast.alliance, "organisationSlug": "essen", "role": "PARTNER"}
    old = await cast.run("helix", "addMember", **request)
    assert [c for _, c in user_errors(old, "addMember")] == ["FORBIDDEN"]

    left = await cast.ok("helix", "leaveAlliance", alliance=cast.alliance)
    assert left["membership"]["leftAt"] is not None
    assert not await cast.sees_alliance("helix")
    await cast.ok("basel", "addMember", **request)
    assert await cast.members("basel") == [
        ("basel", "LEAD", False),
        ("cairo", "PARTNER", False),
        ("essen", "PARTNER", False),
    ]


async def test_lead_cannot_pass_to_a_former_member(cast: Cast) -> None:
    cairo = await cast.membership(cast.cairo)
    await cast.ok("cairo", "leaveAlliance", alliance=cast.alliance)
    body = await cast.run("helix", "transferLead", membership=cairo)
    assert user_errors(body, "transferLead") == [("membership", "NOT_FOUND")]
    assert await cast.members("helix") == [("helix", "LEAD", False), ("basel", "PARTNER", False)]


# --- a closed alliance ----------------------------------------------------------------


@pytest.mark.parametrize("mutation", ["addMember", "removeMember", "transferLead"])
async def test_a_closed_alliance_refuses_membership_changes(cast: Cast, mutation: str) -> None:
    closed = await cast.ok(
        "helix", "updateAllianceCharter", alliance=cast.alliance, version=1, status="CLOSED"
    )
    assert closed["alliance"]["status"] == "CLOSED"
    inputs = {
        "addMember": {"alliance": cast.alliance, "organisationSlug": "essen", "role": "PARTNER"},
        "removeMember": {"membership": await cast.membership(cast.cairo)},
        "transferLead": {"membership": await cast.membership(cast.cairo)},
    }
    before = await current_memberships(cast.world)

    body = await cast.run("helix", mutation, **inputs[mutation])

    assert user_errors(body, mutation) == [("alliance", "BAD_USER_INPUT")]
    assert await current_memberships(cast.world) == before


# --- events and the audit trail -------------------------------------------------------


async def _perform(cast: Cast, mutation: str, request_id: str) -> tuple[Org, uuid.UUID]:
    """Run a successful ``mutation``; the acting organisation and the alliance changed."""
    inputs: dict[str, tuple[Org, dict[str, Any]]] = {
        "createAlliance": (cast.helix, {"name": "Founded"}),
        "updateAllianceCharter": (
            cast.helix,
            {"alliance": cast.alliance, "version": 1, "status": "ACTIVE"},
        ),
        "addMember": (
            cast.helix,
            {"alliance": cast.alliance, "organisationSlug": "essen", "role": "ASSOCIATE"},
        ),
        "removeMember": (cast.helix, {"membership": await cast.membership(cast.cairo)}),
        "transferLead": (cast.helix, {"membership": await cast.membership(cast.basel)}),
        "leaveAlliance": (cast.basel, {"alliance": cast.alliance}),
    }
    actor, input_ = inputs[mutation]
    body = await cast.run(actor.slug, mutation, request_id=request_id, **input_)
    assert user_errors(body, mutation) == []
    if mutation == "createAlliance":
        new_id = relay.GlobalID.from_id(body["data"]["createAlliance"]["alliance"]["id"])
        return actor, uuid.UUID(new_id.node_id)
    return actor, cast.alliance_id


@pytest.mark.parametrize(
    ("mutation", "types"),
    [
        ("createAlliance", ["alliance.created", "membership.created"]),
        ("updateAllianceCharter", ["alliance.updated"]),
        ("addMember", ["membership.created"]),
        ("removeMember", ["membership.updated"]),
        ("transferLead", ["membership.updated", "membership.updated"]),
        ("leaveAlliance", ["membership.updated"]),
    ],
)
async def test_every_successful_mutation_records_events_and_audit_entries(
    cast: Cast, mutation: str, types: list[str]
) -> None:
    request_id = f"req-{mutation}-{uuid.uuid4().hex[:8]}"

    actor, alliance_id = await _perform(cast, mutation, request_id)

    async with cast.world.sessions() as session:
        events = (
            await session.scalars(
                select(Event).where(Event.request_id == request_id).order_by(Event.position)
            )
        ).all()
        audits = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.request_id == request_id)
                .order_by(AuditEntry.id)
            )
        ).all()
        tokens = (
            (
                await session.scalars(
                    select(ApiToken).where(ApiToken.id == audits[0].credential_id)
                )
            ).all()
            if audits
            else []
        )

    recorded = sorted(e.type for e in events)
    if mutation == "createAlliance":  # founding also sets up governance: at least these
        assert [t for t in recorded if t.split(".")[0] in {"alliance", "membership"}] == types
    else:
        assert recorded == types
    assert {(e.alliance_id, e.organisation_id) for e in events} == {(alliance_id, actor.id)}
    assert sorted(a.action for a in audits) == recorded
    assert {(a.organisation_id, a.user_id, a.credential_kind, a.alliance_id) for a in audits} == {
        (actor.id, actor.admin, CredentialKind.API_TOKEN, alliance_id)
    }
    assert sorted(str(a.object_id) for a in audits) == sorted(str(e.object_id) for e in events)
    assert [t.organisation_id for t in tokens] == [actor.id]  # the credential used
    assert len({a.credential_id for a in audits}) == 1


async def test_membership_events_say_what_changed(cast: Cast) -> None:
    cairo = await cast.world.membership_id(cast.alliance_id, cast.cairo)
    await cast.run(
        "helix", "removeMember", request_id="req-remove", membership=gid("Membership", cairo)
    )
    async with cast.world.sessions() as session:
        audit = (
            await session.scalars(select(AuditEntry).where(AuditEntry.request_id == "req-remove"))
        ).one()
        event = (await session.scalars(select(Event).where(Event.request_id == "req-remove"))).one()
    assert (audit.action, audit.object_type, audit.object_id) == (
        "membership.updated",
        "Membership",
        cairo,
    )
    assert set(audit.changes) == {"left_at"}
    assert audit.changes["left_at"]["from"] is None
    assert audit.changes["left_at"]["to"] is not None
    assert event.data["fields"] == ["left_at"]


REFUSALS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "partner-adds": ("basel", "addMember", {"organisationSlug": "essen", "role": "PARTNER"}),
    "outsider-adds": ("dover", "addMember", {"organisationSlug": "essen", "role": "PARTNER"}),
    "second-lead": ("helix", "addMember", {"organisationSlug": "essen", "role": "LEAD"}),
    "no-admin-scope": (
        "helix-member",
        "addMember",
        {"organisationSlug": "essen", "role": "PARTNER"},
    ),
    "lead-leaves": ("helix", "leaveAlliance", {}),
    "stale-charter": ("helix", "updateAllianceCharter", {"version": 7, "name": "Stale"}),
    "viewer-edits-charter": ("helix-viewer", "updateAllianceCharter", {"version": 1, "name": "X"}),
    "bad-charter": ("helix", "updateAllianceCharter", {"version": 1, "name": ""}),
}


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
async def test_a_refused_mutation_records_nothing(cast: Cast, refusal: str) -> None:
    who, mutation, input_ = REFUSALS[refusal]
    token = await cast.token(who)  # issuing a token is itself audited: do it first
    events, audits = await cast.world.count(Event), await cast.world.count(AuditEntry)

    body = await cast.run_with(
        token, mutation, request_id="req-refused", alliance=cast.alliance, **input_
    )

    refused = top_level_codes(body) or [e["code"] for e in body["data"][mutation]["userErrors"]]
    assert refused, body
    assert await cast.world.count(Event) == events
    assert await cast.world.count(AuditEntry) == audits


async def _chain(world: World, org: Org) -> list[dict[str, Any]]:
    table = AuditEntry.__table__
    async with world.sessions() as session:
        rows = await session.execute(
            select(table).where(table.c.organisation_id == org.id).order_by(table.c.id)
        )
        return [dict(row) for row in rows.mappings()]


async def _busy_day(cast: Cast) -> None:
    await cast.ok(
        "helix",
        "addMember",
        alliance=cast.alliance,
        organisationSlug="essen",
        role="PARTNER",
        commitment="Cohort data",
    )
    await cast.ok(
        "helix",
        "updateAllianceCharter",
        alliance=cast.alliance,
        version=1,
        status="ACTIVE",
        vision="Ünïcödé ✓",
    )
    await cast.ok("helix", "removeMember", membership=await cast.membership(cast.cairo))
    await cast.ok("basel", "leaveAlliance", alliance=cast.alliance)


TAMPERING = {
    "change-action": "UPDATE audit_entries SET action = 'membership.deleted' WHERE id = :id",
    "change-changes": "UPDATE audit_entries SET changes = '{}' WHERE id = :id",
    "change-request-id": "UPDATE audit_entries SET request_id = 'forged' WHERE id = :id",
    "change-time": (
        "UPDATE audit_entries SET occurred_at = occurred_at - interval '1 day' WHERE id = :id"
    ),
    "delete": "DELETE FROM audit_entries WHERE id = :id",
}


@pytest.mark.parametrize("tampering", sorted(TAMPERING))
async def test_the_audit_chain_verifies_and_reveals_tampering(cast: Cast, tampering: str) -> None:
    await _busy_day(cast)
    chains = {org.slug: await _chain(cast.world, org) for org in (cast.helix, cast.basel)}
    api_entries = [e for e in chains["helix"] if e["credential_kind"] is CredentialKind.API_TOKEN]
    assert len(api_entries) >= 3
    for chain in chains.values():
        assert verify_chain(chain) is None

    victim = api_entries[1]
    async with cast.world.sessions() as session, session.begin():  # a superuser, not the app
        await session.execute(text(TAMPERING[tampering]), {"id": victim["id"]})

    tampered = await _chain(cast.world, cast.helix)
    position = [e["id"] for e in chains["helix"]].index(victim["id"])
    expected = victim["id"] if tampering != "delete" else chains["helix"][position + 1]["id"]
    assert verify_chain(tampered) == expected
    assert verify_chain(await _chain(cast.world, cast.basel)) is None  # chains are per org


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET action = 'x'",
        "DELETE FROM audit_entries",
        "TRUNCATE audit_entries",
        "UPDATE events SET type = 'x'",
        "DELETE FROM events",
    ],
)
async def test_the_app_role_cannot_rewrite_history(cast: Cast, statement: str) -> None:
    await _busy_day(cast)
    chain = await _chain(cast.world, cast.helix)
    events = await cast.world.count(Event)

    async with tenant_session(cast.world.sessions, cast.helix.id) as session:
        async with session.begin():  # the app role can read its own entries...
            own = await session.scalar(select(func.count()).select_from(AuditEntry))
        assert own == len(chain)
        with pytest.raises(DBAPIError) as refused:  # ...but not change or remove them
            async with session.begin():
                await session.execute(text(statement))

    assert getattr(refused.value.orig, "sqlstate", None) == "42501", refused.value  # privilege
    assert "permission denied" in str(refused.value)
    assert await _chain(cast.world, cast.helix) == chain
    assert verify_chain(chain) is None
    assert await cast.world.count(Event) == events
