"""Governance across areas: how committees, meetings, minutes, decisions and issues fit
together and with membership."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
from sqlalchemy import select

from db.enums import (
    DecisionOutcome,
    DecisionProcedure,
    DecisionStatus,
    MeetingKind,
    SeatRole,
    VoteChoice,
)
from db.governance import Decision, Meeting, Seat, Vote
from db.models import utcnow
from db.session import tenant_session
from db.unit_of_work import Actor, act_as
from portal import decisions, meetings
from portal.jobs import run_due_jobs
from tests.builders import Org, World, gid, gql

REMOVE = """
mutation($m: ID!) { removeMember(input: {membership: $m}) { userErrors { code message } } }
"""


async def test_a_member_that_voted_can_leave_and_its_vote_stays(
    client: httpx.AsyncClient, world: World
) -> None:
    lead, partner = await world.organisation("lead"), await world.organisation("partner")
    alliance = await world.alliance(lead, partner)
    steering = await world.steering(alliance)
    await world.seat(steering, partner, SeatRole.MEMBER)
    now = utcnow()
    async with tenant_session(world.sessions, lead.id) as session, session.begin():
        principal = world.principal(lead)
        act_as(session, Actor.of(principal))
        decision = await decisions.record_decision(
            session,
            principal,
            steering,
            text="Go",
            procedure=DecisionProcedure.WRITTEN,
            closes_at=now + dt.timedelta(days=3),
            now=now,
        )
    async with tenant_session(world.sessions, partner.id) as session, session.begin():
        principal = world.principal(partner)
        act_as(session, Actor.of(principal))
        await decisions.cast_vote(session, principal, decision.id, choice=VoteChoice.FOR, now=now)

    token = await world.token(lead)
    membership = await world.membership_id(alliance, partner)
    body = await gql(client, token, REMOVE, {"m": gid("Membership", membership)})
    assert body == {"data": {"removeMember": {"userErrors": []}}}

    async with world.sessions() as session:
        votes = list(await session.scalars(select(Vote)))
        seats = list(await session.scalars(select(Seat).where(Seat.organisation_id == partner.id)))
    assert [(v.organisation_id, v.choice, v.seat_id) for v in votes] == [
        (partner.id, VoteChoice.FOR, None)
    ]
    assert seats == []


PLAN = """
mutation($alliance: ID!) {
  createPlan(input: {alliance: $alliance, title: "Validation", body: "v1"}) {
    plan { id version currentVersion { id } } userErrors { code }
  }
}
"""
PROPOSE = """
mutation($plan: ID!, $version: Int!) {
  proposePlan(input: {plan: $plan, version: $version}) { plan { status } userErrors { code } }
}
"""
REVISE = """
mutation($plan: ID!, $version: Int!) {
  revisePlan(input: {plan: $plan, version: $version, body: "v2"}) {
    plan { version status currentVersion { id } } userErrors { code }
  }
}
"""
RECORD = """
mutation($committee: ID!, $subject: ID!, $closes: DateTime!) {
  recordDecision(input: {committee: $committee, text: "Approve the plan",
                         procedure: WRITTEN, closesAt: $closes, subject: $subject}) {
    decision { id } userErrors { field code }
  }
}
"""
VOTE = """
mutation($decision: ID!) {
  castVote(input: {decision: $decision, choice: FOR}) { userErrors { code } }
}
"""
CLOSE = """
mutation($decision: ID!) {
  closeDecision(input: {decision: $decision}) {
    decision { status outcome } userErrors { field code message }
  }
}
"""
PLAN_STATUS = "query($id: ID!) { node(id: $id) { ... on Plan { status approvedVersion } } }"


async def test_a_plan_is_approved_by_a_decision_on_its_current_version(
    client: httpx.AsyncClient, world: World
) -> None:
    lead = await world.organisation("lead")
    token = await world.token(lead)
    alliance = await world.alliance(lead)
    steering = gid("Committee", await world.steering(alliance))
    closes = (utcnow() + dt.timedelta(days=5)).isoformat()

    created = (await gql(client, token, PLAN, {"alliance": gid("Alliance", alliance)}))["data"]
    plan = created["createPlan"]["plan"]
    version_id = plan["currentVersion"]["id"]
    early = await gql(
        client, token, RECORD, {"committee": steering, "subject": version_id, "closes": closes}
    )
    assert early["data"]["recordDecision"]["userErrors"] == [
        {"field": "subject", "code": "BAD_USER_INPUT"}
    ], "only a proposed plan can be put to the vote"

    await gql(client, token, PROPOSE, {"plan": plan["id"], "version": 1})
    recorded = await gql(
        client, token, RECORD, {"committee": steering, "subject": version_id, "closes": closes}
    )
    decision = recorded["data"]["recordDecision"]["decision"]["id"]
    await gql(client, token, VOTE, {"decision": decision})
    closed = await gql(client, token, CLOSE, {"decision": decision})
    assert closed["data"]["closeDecision"]["decision"] == {
        "status": "CLOSED",
        "outcome": "APPROVED",
    }
    approved = await gql(client, token, PLAN_STATUS, {"id": plan["id"]})
    assert approved["data"]["node"] == {"status": "APPROVED", "approvedVersion": 1}


async def test_approving_a_stale_plan_version_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    lead = await world.organisation("lead")
    token = await world.token(lead)
    alliance = await world.alliance(lead)
    steering = gid("Committee", await world.steering(alliance))
    closes = (utcnow() + dt.timedelta(days=5)).isoformat()
    plan = (await gql(client, token, PLAN, {"alliance": gid("Alliance", alliance)}))["data"][
        "createPlan"
    ]["plan"]
    await gql(client, token, PROPOSE, {"plan": plan["id"], "version": 1})
    recorded = await gql(
        client,
        token,
        RECORD,
        {"committee": steering, "subject": plan["currentVersion"]["id"], "closes": closes},
    )
    decision = recorded["data"]["recordDecision"]["decision"]["id"]
    await gql(client, token, VOTE, {"decision": decision})

    revised = await gql(client, token, REVISE, {"plan": plan["id"], "version": 1})
    assert revised["data"]["revisePlan"]["plan"]["version"] == 2
    refused = await gql(client, token, CLOSE, {"decision": decision})
    errors = refused["data"]["closeDecision"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [("decision", "CONFLICT")]
    assert "revised" in errors[0]["message"]
    assert refused["data"]["closeDecision"]["decision"] is None
    still = await gql(client, token, PLAN_STATUS, {"id": plan["id"]})
    assert still["data"]["node"] == {"status": "DRAFT", "approvedVersion": None}


async def test_attendance_stays_when_the_organisation_leaves(
    client: httpx.AsyncClient, world: World
) -> None:
    lead, partner = await world.organisation("lead"), await world.organisation("partner")
    alliance = await world.alliance(lead, partner)
    steering = await world.steering(alliance)
    partner_seat = await world.seat(steering, partner, SeatRole.SECRETARY)
    lead_seat = await _seat_of(world, steering, lead)
    started = utcnow() - dt.timedelta(days=1)
    async with world.sessions() as session, session.begin():
        act_as(session, Actor.operator(lead.id))
        meeting = Meeting(
            id=uuid.uuid4(),
            alliance_id=alliance,
            committee_id=steering,
            title="Kick-off",
            kind=MeetingKind.ORDINARY,
            starts_at=started,
            agenda_deadline=started,
        )
        session.add(meeting)
    async with tenant_session(world.sessions, partner.id) as session, session.begin():
        principal = world.principal(partner)
        act_as(session, Actor.of(principal))
        await meetings.record_attendance(
            session,
            principal,
            meeting.id,
            [
                meetings.AttendanceEntry(partner_seat, True),
                meetings.AttendanceEntry(lead_seat, False),
            ],
            now=utcnow(),
        )

    token = await world.token(lead)
    membership = await world.membership_id(alliance, partner)
    body = await gql(client, token, REMOVE, {"m": gid("Membership", membership)})
    assert body == {"data": {"removeMember": {"userErrors": []}}}

    listed = await gql(
        client,
        token,
        "query($id: ID!) { node(id: $id) { ... on Meeting { attendance { present "
        "seat { role } organisation { slug } } } } }",
        {"id": gid("Meeting", meeting.id)},
    )
    attendance = {
        a["organisation"]["slug"]: (a["present"], a["seat"])
        for a in listed["data"]["node"]["attendance"]
    }
    assert attendance == {"partner": (True, None), "lead": (False, {"role": "CHAIR"})}


async def _seat_of(world: World, committee_id: uuid.UUID, org: Org) -> uuid.UUID:
    async with world.sessions() as session:
        found = await session.scalar(
            select(Seat.id).where(Seat.committee_id == committee_id, Seat.organisation_id == org.id)
        )
    assert found is not None
    return found


async def test_written_procedures_close_at_their_deadline(world: World) -> None:
    lead, partner = await world.organisation("lead"), await world.organisation("partner")
    alliance = await world.alliance(lead, partner)
    steering = await world.steering(alliance)
    await world.seat(steering, partner, SeatRole.MEMBER)
    now = utcnow()
    deadline = now + dt.timedelta(days=3)
    async with tenant_session(world.sessions, lead.id) as session, session.begin():
        principal = world.principal(lead)
        act_as(session, Actor.of(principal))
        written = await decisions.record_decision(
            session,
            principal,
            steering,
            text="Go",
            procedure=DecisionProcedure.WRITTEN,
            closes_at=deadline,
            now=now,
        )
        await decisions.cast_vote(session, principal, written.id, choice=VoteChoice.FOR, now=now)

    assert await run_due_jobs(world.sessions, deadline - dt.timedelta(seconds=1)) == 0
    assert (await world.get(Decision, written.id)).status is DecisionStatus.OPEN
    assert await run_due_jobs(world.sessions, deadline) == 1
    closed = await world.get(Decision, written.id)
    # one of two voting seats voted: half is below the two-thirds quorum
    assert (closed.status, closed.outcome, closed.closed_at) == (
        DecisionStatus.CLOSED,
        DecisionOutcome.DEFERRED,
        deadline,
    )
    assert await run_due_jobs(world.sessions, deadline + dt.timedelta(days=1)) == 0
