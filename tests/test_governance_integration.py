"""Governance across areas: how committees, meetings, minutes, decisions and issues fit
together and with membership."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from db.enums import DecisionProcedure, SeatRole, VoteChoice
from db.governance import Seat, Vote
from db.models import utcnow
from db.session import tenant_session
from portal import decisions
from portal.unit_of_work import Actor, act_as
from tests.builders import World, gid, gql

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
            session, principal, steering, text="Go", procedure=DecisionProcedure.WRITTEN,
            closes_at=now + dt.timedelta(days=3), now=now,
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
