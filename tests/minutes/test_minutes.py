"""Minutes over GraphQL: drafting and versioned editing, circulation, objections, explicit
and tacit approval, the signature trail, and who may see and do each of these.

The cast: helix leads "Alliance" with partners basel, cairo, delft and essen. On its
working group helix holds the chair, basel the secretary's seat, cairo a member's seat and
delft an observer's seat; essen is a member of the alliance without a seat. fargo leads an
alliance of its own and is an outsider to helix's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.principal import Principal
from auth.scopes import Scope
from db.enums import (
    CommitteeTier,
    CredentialKind,
    MeetingKind,
    MeetingStatus,
    MinutesStatus,
    SeatRole,
    SignatureMeaning,
    UserRole,
    Visibility,
)
from db.governance import (
    GovernanceRules,
    Meeting,
    Minutes,
    MinutesVersion,
    Signature,
    VisibilityGrant,
)
from db.models import ApiToken, AuditEntry, Event, utcnow
from db.unit_of_work import Actor, act_as
from portal import minutes as domain
from portal.jobs import run_due_jobs
from portal.minutes.jobs import approve_due_minutes
from tests.builders import Org, World, counting, db_id, gid, gql, succeeded

USER_ERRORS = "userErrors { field message code }"
MINUTES = """
  id status version visibility body circulatedAt objectionDeadline approvedAt
  audience { slug }
  signatures { version meaning organisation { slug } userId credentialKind credentialId reason }
"""
MUTATIONS = {
    name: f"""
mutation Run($input: {name[0].upper() + name[1:]}Input!) {{
  {name}(input: $input) {{ minutes {{ {MINUTES} }} {USER_ERRORS} }}
}}
"""
    for name in (
        "draftMinutes",
        "editMinutes",
        "circulateMinutes",
        "objectToMinutes",
        "approveMinutes",
    )
}
NODE = f"query Node($id: ID!) {{ node(id: $id) {{ ... on Minutes {{ {MINUTES} }} }} }}"
OF_MEETING = "query Of($meeting: ID!) { minutesOfMeeting(meeting: $meeting) { id status } }"
LIST = """
query List($filter: MinutesFilter, $order: MinutesOrder! = CREATED_AT_DESC, $after: String) {
  minutes(first: 2, after: $after, filter: $filter, orderBy: $order) {
    nodes { id status } pageInfo { hasNextPage endCursor }
  }
}
"""
VERSIONS = """
query Versions($id: ID!, $number: Int!) {
  node(id: $id) { ... on Minutes {
    version body
    versions { number body userId organisation { slug } createdAt }
    minutesVersion(number: $number) { number body }
  } }
}
"""

SEATED = ("chair", "secretary", "member", "observer")
ROLES = (*SEATED, "no_seat", "outsider", "viewer", "no_read")
"""Who tries: the four seat roles, a member without a seat, an outsider, and tokens of the
entitled organisation without governance:write (a viewer's) or without governance:read."""


@dataclass
class Cast:
    world: World
    client: httpx.AsyncClient
    orgs: dict[str, Org]
    alliance_id: uuid.UUID
    committee_id: uuid.UUID
    meeting_id: uuid.UUID
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def meeting(self) -> str:
        return gid("Meeting", self.meeting_id)

    async def token(self, role: str, entitled: str = "secretary") -> str:
        """A token of the organisation playing ``role``; ``viewer`` and ``no_read`` are
        tokens of the ``entitled`` organisation lacking governance:write / :read."""
        key = (role, entitled if role in {"viewer", "no_read"} else "")
        if key not in self.tokens:
            if role == "viewer":
                made = await self.world.token(self.orgs[entitled], role=UserRole.VIEWER)
            elif role == "no_read":
                made = await self.world.token(
                    self.orgs[entitled], scopes=frozenset({Scope.ALLIANCES_READ})
                )
            else:
                made = await self.world.token(self.orgs[role])
            self.tokens[key] = made
        return self.tokens[key]

    async def run(
        self, role: str, mutation: str, entitled: str = "secretary", **input_: Any
    ) -> dict[str, Any]:
        token = await self.token(role, entitled)
        return await gql(self.client, token, MUTATIONS[mutation], {"input": input_})

    async def ok(self, role: str, mutation: str, **input_: Any) -> dict[str, Any]:
        """Run ``mutation`` as ``role`` and expect success; the minutes it returns."""
        body = await self.run(role, mutation, **input_)
        payload = succeeded(body, mutation)
        minutes: dict[str, Any] = payload["minutes"]
        return minutes

    async def draft(self, body: str = "Present: all. Item 1 agreed.", **input_: Any) -> str:
        minutes = await self.ok(
            "secretary", "draftMinutes", meeting=self.meeting, body=body, **input_
        )
        return str(minutes["id"])

    async def circulated(self, **input_: Any) -> str:
        minutes = await self.draft(**input_)
        await self.ok("secretary", "circulateMinutes", minutes=minutes, version=1)
        return minutes

    async def read(self, role: str, minutes: str) -> dict[str, Any] | None:
        body = await gql(self.client, await self.token(role), NODE, {"id": minutes})
        assert "errors" not in body, body
        node: dict[str, Any] | None = body["data"]["node"]
        return node


async def make_meeting(
    world: World,
    alliance_id: uuid.UUID,
    committee_id: uuid.UUID,
    *,
    by: Org,
    status: MeetingStatus = MeetingStatus.HELD,
    starts_at: dt.datetime | None = None,
    title: str = "Quarterly review",
) -> uuid.UUID:
    """A meeting made directly (set-up, not the API under test)."""
    starts_at = starts_at or utcnow() - dt.timedelta(days=2)
    meeting = Meeting(
        id=uuid.uuid4(),
        alliance_id=alliance_id,
        committee_id=committee_id,
        title=title,
        kind=MeetingKind.ORDINARY,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        status=status,
        agenda_deadline=starts_at - dt.timedelta(days=3),
    )
    async with world.sessions() as session, session.begin():
        act_as(session, Actor.operator(by.id))
        session.add(meeting)
    return meeting.id


@pytest.fixture
async def cast(client: httpx.AsyncClient, world: World) -> Cast:
    slugs = {
        "chair": "helix",
        "secretary": "basel",
        "member": "cairo",
        "observer": "delft",
        "no_seat": "essen",
        "outsider": "fargo",
    }
    orgs = {role: await world.organisation(slug) for role, slug in slugs.items()}
    alliance_id = await world.alliance(
        orgs["chair"], *(orgs[role] for role in ("secretary", "member", "observer", "no_seat"))
    )
    await world.alliance(orgs["outsider"], name="Fargo's own")
    committee_id = await world.committee(
        alliance_id, await world.steering(alliance_id), CommitteeTier.OPERATIONAL
    )
    for role in SEATED:
        await world.seat(committee_id, orgs[role], SeatRole(role))
    meeting_id = await make_meeting(world, alliance_id, committee_id, by=orgs["secretary"])
    return Cast(world, client, orgs, alliance_id, committee_id, meeting_id)


def outcome(body: dict[str, Any], mutation: str) -> tuple[str | None, str | None]:
    """(code, field) of the first error, top-level or user error; (None, None) on success."""
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"], None
    errors = body["data"][mutation]["userErrors"]
    if errors:
        return errors[0]["code"], errors[0]["field"]
    return None, None


async def snapshot(world: World) -> tuple[Any, ...]:
    """Everything a minutes mutation may change, read past row-level security."""
    async with world.sessions() as session:
        rows = await session.execute(
            select(
                Minutes.id,
                Minutes.status,
                Minutes.version,
                Minutes.circulated_at,
                Minutes.objection_deadline,
                Minutes.approved_at,
            ).order_by(Minutes.id)
        )
        counts = [
            await session.scalar(select(func.count()).select_from(model))
            for model in (MinutesVersion, Signature, VisibilityGrant)
        ]
        counts.append(
            await session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.object_type.in_(["Minutes", "MinutesVersion", "Signature"]))
            )
        )
        return (tuple(rows.all()), *counts)


# --- who may do what ------------------------------------------------------------------

ENTITLED = {
    "draftMinutes": {"secretary"},
    "editMinutes": {"secretary"},
    "circulateMinutes": {"secretary"},
    "objectToMinutes": set(SEATED),
    "approveMinutes": {"chair"},
}


def expected(mutation: str, role: str) -> str | None:
    """The error code ``role`` gets for ``mutation`` on committee-confidential minutes."""
    if role in ENTITLED[mutation]:
        return None
    if role in {"viewer", "no_read"}:
        return "FORBIDDEN"  # top-level: the credential lacks governance:write
    if role == "outsider" or (role == "no_seat" and mutation != "draftMinutes"):
        # outside the alliance, or outside the minutes' audience: as if they did not exist
        return "NOT_FOUND"
    return "FORBIDDEN"  # sees them (or the meeting) but has not the seat role needed


async def prepare(cast: Cast, mutation: str) -> dict[str, Any]:
    """The state each mutation acts on, and its input."""
    if mutation == "draftMinutes":
        return {"meeting": cast.meeting, "body": "Present: all."}
    if mutation in {"editMinutes", "circulateMinutes"}:
        minutes = await cast.draft()
        extra = {"body": "Present: all. Corrected."} if mutation == "editMinutes" else {}
        return {"minutes": minutes, "version": 1, **extra}
    minutes = await cast.circulated()
    extra = {"reason": "Item 2 is recorded wrongly."} if mutation == "objectToMinutes" else {}
    return {"minutes": minutes, "version": 1, **extra}


def check_success(mutation: str, role: str, minutes: dict[str, Any], cast: Cast) -> None:
    signatures = [(s["meaning"], s["organisation"]["slug"]) for s in minutes["signatures"]]
    slug = cast.orgs[role].slug
    if mutation == "draftMinutes":
        assert (minutes["status"], minutes["version"], minutes["body"]) == (
            "DRAFT",
            1,
            "Present: all.",
        )
        assert minutes["visibility"] == "COMMITTEE"
    elif mutation == "editMinutes":
        assert (minutes["status"], minutes["version"]) == ("DRAFT", 2)
        assert minutes["body"] == "Present: all. Corrected."
    elif mutation == "circulateMinutes":
        assert minutes["status"] == "CIRCULATED"
        circulated = dt.datetime.fromisoformat(minutes["circulatedAt"])
        deadline = dt.datetime.fromisoformat(minutes["objectionDeadline"])
        assert deadline - circulated == dt.timedelta(days=15)
        assert signatures == [("CIRCULATED", slug)]
    elif mutation == "objectToMinutes":
        assert (minutes["status"], minutes["objectionDeadline"]) == ("DRAFT", None)
        assert signatures[-1] == ("OBJECTED", slug)
        assert minutes["signatures"][-1]["reason"] == "Item 2 is recorded wrongly."
    else:
        assert minutes["status"] == "APPROVED"
        assert minutes["approvedAt"] is not None
        assert signatures[-1] == ("APPROVED", slug)


@pytest.mark.parametrize("mutation", ENTITLED)
@pytest.mark.parametrize("role", ROLES)
async def test_each_role_against_each_action(cast: Cast, role: str, mutation: str) -> None:
    """Refused roles change nothing; then (or at once) an entitled role succeeds."""
    input_ = await prepare(cast, mutation)
    entitled = sorted(ENTITLED[mutation])[0]
    before = await snapshot(cast.world)

    body = await cast.run(role, mutation, entitled=entitled, **input_)

    code = expected(mutation, role)
    if code is None:
        assert outcome(body, mutation) == (None, None), body
        check_success(mutation, role, body["data"][mutation]["minutes"], cast)
        return
    assert outcome(body, mutation)[0] == code, body
    if not body.get("errors"):
        assert body["data"][mutation]["minutes"] is None
    assert await snapshot(cast.world) == before
    # the same change by the entitled organisation goes through
    minutes = await cast.ok(entitled, mutation, **input_)
    check_success(mutation, entitled, minutes, cast)


# --- bad input ------------------------------------------------------------------------


async def _set_deadline_past(cast: Cast, minutes: str) -> None:
    async with cast.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(cast.orgs["secretary"].id))
        await session.execute(
            update(Minutes)
            .where(Minutes.id == db_id(minutes))
            .values(objection_deadline=utcnow() - dt.timedelta(minutes=1))
        )


async def _approved(cast: Cast) -> str:
    minutes = await cast.circulated()
    await cast.ok("chair", "approveMinutes", minutes=minutes, version=1)
    return minutes


async def _edited(cast: Cast) -> str:
    minutes = await cast.draft()
    await cast.ok("secretary", "editMinutes", minutes=minutes, version=1, body="Second text")
    return minutes


async def _cancelled_meeting(cast: Cast) -> str:
    meeting = await make_meeting(
        cast.world,
        cast.alliance_id,
        cast.committee_id,
        by=cast.orgs["secretary"],
        status=MeetingStatus.CANCELLED,
    )
    return gid("Meeting", meeting)


async def _circulated_past_deadline(cast: Cast) -> str:
    minutes = await cast.circulated()
    await _set_deadline_past(cast, minutes)
    return minutes


BAD_INPUT: dict[str, tuple[Any, str, str, dict[str, Any], str, str | None]] = {
    # case: (setup returning the minutes or meeting id, role, mutation, input, code, field)
    "approval of draft minutes": (
        "draft",
        "chair",
        "approveMinutes",
        {"version": 1},
        "BAD_USER_INPUT",
        "minutes",
    ),
    "edit of approved minutes": (
        _approved,
        "secretary",
        "editMinutes",
        {"version": 1, "body": "Rewritten history"},
        "BAD_USER_INPUT",
        "minutes",
    ),
    "edit of circulated minutes": (
        "circulated",
        "secretary",
        "editMinutes",
        {"version": 1, "body": "Sneaky change"},
        "BAD_USER_INPUT",
        "minutes",
    ),
    "edit from a stale version": (
        _edited,
        "secretary",
        "editMinutes",
        {"version": 1, "body": "Based on the first text"},
        "CONFLICT",
        "version",
    ),
    "circulation of a stale version": (
        _edited,
        "secretary",
        "circulateMinutes",
        {"version": 1},
        "CONFLICT",
        "version",
    ),
    "approval of a stale version": (
        "circulated",
        "chair",
        "approveMinutes",
        {"version": 7},
        "CONFLICT",
        "version",
    ),
    "second circulation": (
        "circulated",
        "secretary",
        "circulateMinutes",
        {"version": 1},
        "BAD_USER_INPUT",
        "minutes",
    ),
    "second approval": (
        _approved,
        "chair",
        "approveMinutes",
        {"version": 1},
        "BAD_USER_INPUT",
        "minutes",
    ),
    "objection after the deadline": (
        _circulated_past_deadline,
        "member",
        "objectToMinutes",
        {"version": 1, "reason": "Too late, but still"},
        "BAD_USER_INPUT",
        "minutes",
    ),
    "objection without a reason": (
        "circulated",
        "member",
        "objectToMinutes",
        {"version": 1, "reason": "   "},
        "BAD_USER_INPUT",
        "reason",
    ),
    "objection to a draft": (
        "draft",
        "member",
        "objectToMinutes",
        {"version": 1, "reason": "Not yet"},
        "BAD_USER_INPUT",
        "minutes",
    ),
    "blank edit": (
        "draft",
        "secretary",
        "editMinutes",
        {"version": 1, "body": " \n "},
        "BAD_USER_INPUT",
        "body",
    ),
    "second minutes for a meeting": (
        "draft-meeting",
        "secretary",
        "draftMinutes",
        {"body": "Another record"},
        "CONFLICT",
        "meeting",
    ),
    "minutes of a cancelled meeting": (
        _cancelled_meeting,
        "secretary",
        "draftMinutes",
        {"body": "It never happened"},
        "BAD_USER_INPUT",
        "meeting",
    ),
    "blank draft": ("meeting", "secretary", "draftMinutes", {"body": ""}, "BAD_USER_INPUT", "body"),
    "audience outside the alliance": (
        "meeting",
        "secretary",
        "draftMinutes",
        {"body": "Bilateral", "visibility": "ORGANISATIONS", "audience": ["essen", "fargo"]},
        "BAD_USER_INPUT",
        "audience",
    ),
    "unknown audience": (
        "meeting",
        "secretary",
        "draftMinutes",
        {"body": "Bilateral", "visibility": "ORGANISATIONS", "audience": ["nobody"]},
        "BAD_USER_INPUT",
        "audience",
    ),
    "empty audience": (
        "meeting",
        "secretary",
        "draftMinutes",
        {"body": "Bilateral", "visibility": "ORGANISATIONS", "audience": []},
        "BAD_USER_INPUT",
        "audience",
    ),
    "audience without visibility ORGANISATIONS": (
        "meeting",
        "secretary",
        "draftMinutes",
        {"body": "Confused", "audience": ["essen"]},
        "BAD_USER_INPUT",
        "audience",
    ),
    "malformed minutes ID": (
        "not-an-id",
        "secretary",
        "editMinutes",
        {"version": 1, "body": "x"},
        "BAD_USER_INPUT",
        "minutes",
    ),
    "ID of another type": (
        "meeting-as-minutes",
        "secretary",
        "circulateMinutes",
        {"version": 1},
        "NOT_FOUND",
        "minutes",
    ),
    "unknown minutes": (
        "unknown",
        "chair",
        "approveMinutes",
        {"version": 1},
        "NOT_FOUND",
        "minutes",
    ),
}


async def _target(cast: Cast, setup: Any, mutation: str) -> dict[str, Any]:
    key = "meeting" if mutation == "draftMinutes" else "minutes"
    if callable(setup):
        return {key: await setup(cast)}
    if setup == "draft":
        return {key: await cast.draft()}
    if setup == "circulated":
        return {key: await cast.circulated()}
    if setup == "draft-meeting":
        await cast.draft()
        return {key: cast.meeting}
    if setup == "meeting":
        return {key: cast.meeting}
    if setup == "meeting-as-minutes":
        return {key: gid("Meeting", cast.meeting_id)}
    if setup == "unknown":
        return {key: gid("Minutes", uuid.uuid4())}
    return {key: setup}


@pytest.mark.parametrize("case", BAD_INPUT)
async def test_bad_input_gets_a_typed_error_and_changes_nothing(cast: Cast, case: str) -> None:
    setup, role, mutation, input_, code, field_ = BAD_INPUT[case]
    target = await _target(cast, setup, mutation)
    before = await snapshot(cast.world)

    body = await cast.run(role, mutation, **target, **input_)

    assert outcome(body, mutation) == (code, field_), body
    assert body["data"][mutation]["minutes"] is None
    assert await snapshot(cast.world) == before


# --- versions and the signature trail -------------------------------------------------


async def test_every_version_is_kept_and_readable(cast: Cast) -> None:
    minutes = await cast.draft("First text")
    edited = await cast.ok("secretary", "editMinutes", minutes=minutes, version=1, body="Second")
    assert (edited["version"], edited["body"]) == (2, "Second")
    await cast.ok("secretary", "editMinutes", minutes=minutes, version=2, body="Third")
    await cast.ok("secretary", "circulateMinutes", minutes=minutes, version=3)
    await cast.ok("chair", "approveMinutes", minutes=minutes, version=3)

    for role in SEATED:
        body = await gql(
            cast.client, await cast.token(role), VERSIONS, {"id": minutes, "number": 2}
        )
        assert "errors" not in body, body
        node = body["data"]["node"]
        assert (node["version"], node["body"]) == (3, "Third")
        assert [(v["number"], v["body"]) for v in node["versions"]] == [
            (1, "First text"),
            (2, "Second"),
            (3, "Third"),
        ]
        assert {v["organisation"]["slug"] for v in node["versions"]} == {"basel"}
        assert {v["userId"] for v in node["versions"]} == {str(cast.orgs["secretary"].admin)}
        assert node["minutesVersion"] == {"number": 2, "body": "Second"}

    missing = await gql(
        cast.client, await cast.token("member"), VERSIONS, {"id": minutes, "number": 9}
    )
    assert missing["data"]["node"]["minutesVersion"] is None


async def test_the_signature_trail_records_who_when_how_and_what(cast: Cast) -> None:
    minutes = await cast.circulated()
    await cast.ok(
        "observer", "objectToMinutes", minutes=minutes, version=1, reason="Delft was present."
    )
    await cast.ok("secretary", "editMinutes", minutes=minutes, version=1, body="With Delft.")
    await cast.ok("secretary", "circulateMinutes", minutes=minutes, version=2)
    approved = await cast.ok(
        "chair", "approveMinutes", minutes=minutes, version=2, note="A true record."
    )

    trail = approved["signatures"]
    assert [(s["version"], s["meaning"], s["organisation"]["slug"]) for s in trail] == [
        (1, "CIRCULATED", "basel"),
        (1, "OBJECTED", "delft"),
        (2, "CIRCULATED", "basel"),
        (2, "APPROVED", "helix"),
    ]
    assert [s["reason"] for s in trail] == ["", "Delft was present.", "", "A true record."]
    assert {s["credentialKind"] for s in trail} == {"API_TOKEN"}
    async with cast.world.sessions() as session:
        tokens = {
            org: {
                str(token_id)
                for token_id in await session.scalars(
                    select(ApiToken.id).where(ApiToken.organisation_id == cast.orgs[org].id)
                )
            }
            for org in ("secretary", "observer", "chair")
        }
    for signature, org in zip(trail, ("secretary", "observer", "secretary", "chair"), strict=True):
        assert signature["credentialId"] in tokens[org]
        assert signature["userId"] == str(cast.orgs[org].admin)
    assert approved["status"] == "APPROVED"
    assert approved["body"] == "With Delft."


async def test_an_objection_reopens_circulated_minutes_for_editing(cast: Cast) -> None:
    minutes = await cast.circulated()
    refused = await cast.run("secretary", "editMinutes", minutes=minutes, version=1, body="x")
    assert outcome(refused, "editMinutes") == ("BAD_USER_INPUT", "minutes")

    reopened = await cast.ok(
        "member", "objectToMinutes", minutes=minutes, version=1, reason="Wrong date."
    )
    assert (reopened["status"], reopened["circulatedAt"]) == ("DRAFT", None)
    edited = await cast.ok("secretary", "editMinutes", minutes=minutes, version=1, body="Fixed")
    assert edited["version"] == 2


async def test_each_change_leaves_events_and_audit_entries(cast: Cast) -> None:
    await cast.circulated()
    kinds = ["Minutes", "MinutesVersion", "Signature"]
    async with cast.world.sessions() as session:
        events = list(
            await session.scalars(
                select(Event.type).where(Event.object_type.in_(kinds)).order_by(Event.position)
            )
        )
        audits = list(
            await session.execute(
                select(AuditEntry.action, AuditEntry.organisation_id, AuditEntry.credential_kind)
                .where(AuditEntry.object_type.in_(kinds))
                .order_by(AuditEntry.id)
            )
        )
    assert events == [
        "minutes.created",
        "minutesversion.created",
        "minutes.updated",
        "signature.created",
    ]
    assert [action for action, _, _ in audits] == events
    assert {(org, kind) for _, org, kind in audits} == {
        (cast.orgs["secretary"].id, CredentialKind.API_TOKEN)
    }


# --- tacit approval -------------------------------------------------------------------


async def _deadline(cast: Cast, minutes: str) -> dt.datetime:
    row = await cast.world.get(Minutes, db_id(minutes))
    assert row.objection_deadline is not None
    return row.objection_deadline  # type: ignore[no-any-return]


async def _signatures(cast: Cast, minutes: str) -> list[Signature]:
    async with cast.world.sessions() as session:
        return list(
            await session.scalars(
                select(Signature)
                .where(Signature.minutes_id == db_id(minutes))
                .order_by(Signature.signed_at)
            )
        )


async def test_tacit_approval_waits_for_the_deadline_and_happens_once(cast: Cast) -> None:
    minutes = await cast.circulated()
    deadline = await _deadline(cast, minutes)
    sessions = cast.world.sessions

    assert await approve_due_minutes(sessions, utcnow()) == 0
    assert await approve_due_minutes(sessions, deadline - dt.timedelta(seconds=1)) == 0
    assert (await cast.read("member", minutes) or {})["status"] == "CIRCULATED"

    after = deadline + dt.timedelta(hours=1)
    assert await approve_due_minutes(sessions, after) == 1
    before = await snapshot(cast.world)
    assert await approve_due_minutes(sessions, after + dt.timedelta(days=1)) == 0
    assert await snapshot(cast.world) == before

    node = await cast.read("member", minutes)
    assert node is not None
    assert node["status"] == "APPROVED"
    assert dt.datetime.fromisoformat(node["approvedAt"]) == after
    last = node["signatures"][-1]
    assert last | {"reason": None} == {
        "version": 1,
        "meaning": "APPROVED_TACITLY",
        "organisation": {"slug": "basel"},
        "userId": None,
        "credentialKind": "SYSTEM",
        "credentialId": None,
        "reason": None,
    }
    # approved tacitly is approved: immutable
    refused = await cast.run("secretary", "editMinutes", minutes=minutes, version=1, body="x")
    assert outcome(refused, "editMinutes") == ("BAD_USER_INPUT", "minutes")


async def test_tacit_approval_runs_with_the_servers_other_jobs(cast: Cast) -> None:
    minutes = await cast.circulated()
    deadline = await _deadline(cast, minutes)
    assert await run_due_jobs(cast.world.sessions, deadline + dt.timedelta(minutes=5)) >= 1
    assert (await cast.world.get(Minutes, db_id(minutes))).status is MinutesStatus.APPROVED


async def test_an_objection_prevents_tacit_approval(cast: Cast) -> None:
    minutes = await cast.circulated()
    deadline = await _deadline(cast, minutes)
    await cast.ok("member", "objectToMinutes", minutes=minutes, version=1, reason="No.")

    assert await approve_due_minutes(cast.world.sessions, deadline + dt.timedelta(days=30)) == 0
    row = await cast.world.get(Minutes, db_id(minutes))
    assert row.status is MinutesStatus.DRAFT
    assert [s.meaning for s in await _signatures(cast, minutes)] == [
        SignatureMeaning.CIRCULATED,
        SignatureMeaning.OBJECTED,
    ]


async def test_concurrent_jobs_approve_each_minutes_once(cast: Cast) -> None:
    minutes = await cast.circulated()
    later = await make_meeting(
        cast.world, cast.alliance_id, cast.committee_id, by=cast.orgs["secretary"], title="Later"
    )
    other = await cast.ok("secretary", "draftMinutes", meeting=gid("Meeting", later), body="B")
    await cast.ok("secretary", "circulateMinutes", minutes=other["id"], version=1)
    at = max(await _deadline(cast, minutes), await _deadline(cast, other["id"]))

    handled = await asyncio.gather(
        *(approve_due_minutes(cast.world.sessions, at) for _ in range(3))
    )

    assert sum(handled) == 2
    for each in (minutes, other["id"]):
        meanings = [s.meaning for s in await _signatures(cast, each)]
        assert meanings.count(SignatureMeaning.APPROVED_TACITLY) == 1


async def test_the_objection_period_follows_the_alliances_rules(cast: Cast) -> None:
    async with cast.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(cast.orgs["chair"].id))
        await session.execute(
            update(GovernanceRules)
            .where(GovernanceRules.alliance_id == cast.alliance_id)
            .values(objection_period_days=5)
        )
    minutes = await cast.draft()
    circulated = await cast.ok("secretary", "circulateMinutes", minutes=minutes, version=1)
    start = dt.datetime.fromisoformat(circulated["circulatedAt"])
    deadline = dt.datetime.fromisoformat(circulated["objectionDeadline"])
    assert deadline - start == dt.timedelta(days=5)


async def test_domain_functions_take_the_clock(cast: Cast, world: World) -> None:
    """Every time-dependent step uses the ``now`` it is given (tests and the demo set it)."""
    secretary = world.principal(cast.orgs["secretary"])
    chair = world.principal(cast.orgs["chair"])
    then = dt.datetime(2030, 1, 1, 9, tzinfo=dt.UTC)

    async def as_(principal: Principal, step: Any) -> Any:
        async with world.acting(principal) as session:
            return await step(session, principal)

    minutes = await as_(
        secretary,
        lambda s, p: domain.draft_minutes(s, p, cast.meeting_id, body="Text", now=then),
    )
    await as_(
        secretary,
        lambda s, p: domain.circulate_minutes(
            s, p, minutes.id, expected_version=1, now=then + dt.timedelta(hours=1)
        ),
    )
    approved = await as_(
        chair,
        lambda s, p: domain.approve_minutes(
            s, p, minutes.id, expected_version=1, now=then + dt.timedelta(days=2)
        ),
    )
    assert approved.created_at == then
    assert approved.circulated_at == then + dt.timedelta(hours=1)
    assert approved.objection_deadline == then + dt.timedelta(days=15, hours=1)
    assert approved.approved_at == then + dt.timedelta(days=2)
    assert [s.signed_at for s in await _signatures(cast, gid("Minutes", minutes.id))] == [
        then + dt.timedelta(hours=1),
        then + dt.timedelta(days=2),
    ]


# --- visibility -----------------------------------------------------------------------


async def _sees(cast: Cast, role: str, minutes: str) -> bool:
    """Whether ``role`` sees the minutes, consistently by node, by meeting and in lists."""
    token = await cast.token(role)
    node = await cast.read(role, minutes)
    of_meeting = await gql(cast.client, token, OF_MEETING, {"meeting": cast.meeting})
    listed = await gql(cast.client, token, LIST, {"filter": {"meeting": cast.meeting}})
    assert "errors" not in of_meeting, of_meeting
    assert "errors" not in listed, listed
    in_list = [n["id"] for n in listed["data"]["minutes"]["nodes"]] == [minutes]
    by_meeting = of_meeting["data"]["minutesOfMeeting"] is not None
    assert (node is not None) == by_meeting == in_list
    return node is not None


async def test_committee_minutes_are_invisible_without_a_seat(cast: Cast) -> None:
    minutes = await cast.draft()
    assert {role: await _sees(cast, role, minutes) for role in ROLES[:6]} == {
        "chair": True,
        "secretary": True,
        "member": True,
        "observer": True,
        "no_seat": False,
        "outsider": False,
    }


async def test_alliance_minutes_are_read_by_all_members_and_changed_by_seat_holders(
    cast: Cast,
) -> None:
    minutes = await cast.circulated(visibility="ALLIANCE")
    assert await _sees(cast, "no_seat", minutes)
    assert not await _sees(cast, "outsider", minutes)

    before = await snapshot(cast.world)
    objection = await cast.run(
        "no_seat", "objectToMinutes", minutes=minutes, version=1, reason="We disagree."
    )
    approval = await cast.run("no_seat", "approveMinutes", minutes=minutes, version=1)
    assert outcome(objection, "objectToMinutes") == ("FORBIDDEN", None)
    assert outcome(approval, "approveMinutes") == ("FORBIDDEN", None)
    assert await snapshot(cast.world) == before


async def test_minutes_for_listed_organisations(cast: Cast) -> None:
    minutes = await cast.draft(visibility="ORGANISATIONS", audience=["essen", "helix"])
    seen = {role: await _sees(cast, role, minutes) for role in ROLES[:6]}
    assert seen == {
        "chair": True,
        "secretary": True,  # the drafting organisation always stays in the audience
        "member": False,
        "observer": False,
        "no_seat": True,
        "outsider": False,
    }
    node = await cast.read("no_seat", minutes)
    assert node is not None
    assert node["visibility"] == "ORGANISATIONS"
    assert sorted(o["slug"] for o in node["audience"]) == ["basel", "essen", "helix"]

    # a seat holder outside the audience cannot object: the minutes do not exist for it
    await cast.ok("secretary", "circulateMinutes", minutes=minutes, version=1)
    body = await cast.run("member", "objectToMinutes", minutes=minutes, version=1, reason="?")
    assert outcome(body, "objectToMinutes") == ("NOT_FOUND", "minutes")
    # the tacit approval acts for the secretary, who is in the audience
    deadline = await _deadline(cast, minutes)
    assert await approve_due_minutes(cast.world.sessions, deadline) == 1


async def test_a_new_secretary_cannot_draft_over_minutes_it_cannot_see(cast: Cast) -> None:
    """The one-minutes-per-meeting rule holds even for minutes outside the caller's view."""
    await cast.draft(visibility="ORGANISATIONS", audience=["helix"])
    await cast.world.seat(cast.committee_id, cast.orgs["secretary"], SeatRole.MEMBER)
    await cast.world.seat(cast.committee_id, cast.orgs["member"], SeatRole.SECRETARY)
    before = await snapshot(cast.world)

    body = await cast.run("member", "draftMinutes", meeting=cast.meeting, body="Mine")

    assert outcome(body, "draftMinutes") == ("CONFLICT", "meeting")
    assert await snapshot(cast.world) == before


async def test_audience_is_null_unless_listed(cast: Cast) -> None:
    minutes = await cast.draft()
    node = await cast.read("member", minutes)
    assert node is not None
    assert (node["visibility"], node["audience"]) == ("COMMITTEE", None)


async def test_reading_needs_the_governance_read_scope(cast: Cast) -> None:
    minutes = await cast.draft()
    token = await cast.token("no_read", "secretary")
    node = await gql(cast.client, token, NODE, {"id": minutes})
    assert node["data"]["node"] is None
    for query, variables in ((LIST, {}), (OF_MEETING, {"meeting": cast.meeting})):
        body = await gql(cast.client, token, query, variables)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    viewer = await gql(cast.client, await cast.token("viewer", "member"), NODE, {"id": minutes})
    assert viewer["data"]["node"]["id"] == minutes


# --- the list -------------------------------------------------------------------------


async def test_the_minutes_list_filters_and_pages(cast: Cast) -> None:
    world = cast.world
    early = utcnow() - dt.timedelta(days=40)
    meetings = [
        await make_meeting(
            world,
            cast.alliance_id,
            cast.committee_id,
            by=cast.orgs["secretary"],
            starts_at=early,
            title="A",
        ),
        cast.meeting_id,
        await make_meeting(
            world, cast.alliance_id, cast.committee_id, by=cast.orgs["secretary"], title="C"
        ),
    ]
    ids = []
    for meeting in meetings:
        made = await cast.ok(
            "secretary", "draftMinutes", meeting=gid("Meeting", meeting), body="Text"
        )
        ids.append(made["id"])
    await cast.ok("secretary", "circulateMinutes", minutes=ids[1], version=1)
    token = await cast.token("member")

    async def listed(filter_: dict[str, Any], order: str = "CREATED_AT") -> list[str]:
        found: list[str] = []
        after = None
        while True:
            body = await gql(
                cast.client, token, LIST, {"filter": filter_, "order": order, "after": after}
            )
            assert "errors" not in body, body
            page = body["data"]["minutes"]
            found += [n["id"] for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    committee = gid("Committee", cast.committee_id)
    assert await listed({"committee": committee}) == ids
    assert await listed({"committee": committee}, "CREATED_AT_DESC") == ids[::-1]
    assert await listed({"statuses": ["CIRCULATED"]}) == [ids[1]]
    assert await listed({"statuses": ["DRAFT"], "alliance": gid("Alliance", cast.alliance_id)}) == [
        ids[0],
        ids[2],
    ]
    assert await listed({"meetingsBefore": (early + dt.timedelta(days=1)).isoformat()}) == [ids[0]]
    assert await listed({"meetingsFrom": (early + dt.timedelta(days=1)).isoformat()}) == ids[1:]
    soon = (utcnow() + dt.timedelta(days=20)).isoformat()
    assert await listed({"objectionDeadlineBefore": soon}) == [ids[1]]
    assert await listed({"committee": gid("Alliance", cast.committee_id)}) == []
    steering = gid("Committee", await world.steering(cast.alliance_id))
    assert await listed({"committee": steering}) == []
    # seats elsewhere do not help an outsider
    outsider = await gql(cast.client, await cast.token("outsider"), LIST, {})
    assert outsider["data"]["minutes"]["nodes"] == []


# --- statement counts -----------------------------------------------------------------


def statements_by_table(statements: list[str]) -> Counter[str]:
    """How many statements read each table (by the first column selected)."""
    return Counter(
        found.group(1) if (found := re.match(r"SELECT (\w+)\.id\b", statement)) else "setup"
        for statement in statements
    )


DEEP = """
query Deep($committee: ID!) {
  minutes(first: 50, filter: { committee: $committee }) { nodes {
    status version body visibility audience { slug }
    versions { number body userId organisation { slug name } }
    minutesVersion(number: 1) { body }
    signatures { meaning version organisation { slug } credentialKind }
    meeting { title }
  } }
}
"""


async def test_minutes_with_versions_and_signatures_in_constant_statements(
    cast: Cast, engine: AsyncEngine, world: World
) -> None:
    secretary = world.principal(cast.orgs["secretary"])
    member = world.principal(cast.orgs["member"])
    token = await cast.token("chair")

    slugs = ("helix", "cairo", "essen", "delft")  # the chair reads, the member objects

    async def minutes_with_history(index: int) -> None:
        meeting = await make_meeting(
            world,
            cast.alliance_id,
            cast.committee_id,
            by=cast.orgs["secretary"],
            title=f"Meeting {index}",
        )
        now = utcnow()
        async with world.acting(secretary) as session:
            audience = (
                domain.Audience(Visibility.ORGANISATIONS, slugs[: 2 + index % 3])
                if index % 2 == 0
                else domain.Audience()
            )
            made = await domain.draft_minutes(
                session, secretary, meeting, body=f"Text {index}", audience=audience, now=now
            )
            for version in range(1, 3):
                await domain.edit_minutes(
                    session, secretary, made.id, expected_version=version, body="More", now=now
                )
            await domain.circulate_minutes(session, secretary, made.id, expected_version=3, now=now)
        async with world.acting(member) as session:
            await domain.object_to_minutes(
                session, member, made.id, expected_version=3, reason="No", now=now
            )

    committee = gid("Committee", cast.committee_id)
    await minutes_with_history(0)
    await gql(cast.client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        first = await gql(cast.client, token, DEEP, {"committee": committee})
    for index in range(1, 6):
        await minutes_with_history(index)
    with counting() as large:
        second = await gql(cast.client, token, DEEP, {"committee": committee})

    assert "errors" not in second, second
    assert len(first["data"]["minutes"]["nodes"]) == 1
    nodes = second["data"]["minutes"]["nodes"]
    assert len(nodes) == 6
    assert sum(len(node["versions"]) for node in nodes) == 18
    assert sum(len(node["signatures"]) for node in nodes) == 12
    assert [len(node["audience"] or ()) for node in nodes] == [0, 4, 0, 5, 0, 3]
    # One statement per table and level whatever the length: the request start
    # (credential, role and tenant), the minutes, their versions (the list, and bodies by
    # number), their signatures, audiences and meetings. Organisations are loaded in one
    # batch per wave of parents that name them (versions, signatures, audiences), so at
    # most three.
    per_level = {
        "setup": 1,
        "minutes": 1,
        "minutes_versions": 2,
        "signatures": 1,
        "visibility_grants": 1,
        "meetings": 1,
    }
    for statements in (small, large):
        tables = statements_by_table(statements)
        assert 1 <= tables.pop("organisations") <= 3, "\n".join(statements)
        assert tables == per_level, "\n".join(statements)
