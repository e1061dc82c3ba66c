"""The demo alliances' governance, replayed through the domain functions with a moving
clock: committees on three tiers, meetings past and upcoming, minutes in each state,
decisions with votes, open and overdue action items, and an escalated issue.

Each step runs as the organisation that would take it in real life, at the moment it
would happen, so every rule (notice periods, agenda deadlines, objection periods, response
deadlines) is honoured and the audit trail reads like a year of real use.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import async_sessionmaker

from auth import policy
from auth.principal import Principal
from auth.scopes import ALL_SCOPES
from db.enums import (
    AgendaItemKind,
    CommitteeTier,
    CredentialKind,
    DecisionProcedure,
    IssueSeverity,
    MeetingKind,
    SeatRole,
    VoteChoice,
)
from db.governance import Committee, Meeting, Minutes, Seat
from db.session import LockedSession, tenant_session
from db.unit_of_work import Actor, act_as
from portal import action_items, committees, decisions, issues, meetings, minutes
from portal.jobs import run_due_jobs

Sessions = async_sessionmaker[LockedSession]


@dataclass(frozen=True)
class Cast:
    """Who is who in a demo alliance: organisation ids and their admins, by slug."""

    alliance_id: uuid.UUID
    organisations: Mapping[str, uuid.UUID]
    admins: Mapping[uuid.UUID, uuid.UUID]


@asynccontextmanager
async def acting(
    sessions: Sessions, cast: Cast, slug: str
) -> AsyncIterator[tuple[LockedSession, Principal]]:
    organisation_id = cast.organisations[slug]
    principal = Principal(
        organisation_id, cast.admins[organisation_id], CredentialKind.OPERATOR, None, ALL_SCOPES
    )
    async with tenant_session(sessions, organisation_id) as session, session.begin():
        act_as(session, Actor.of(principal))
        yield session, principal


async def _steering(sessions: Sessions, cast: Cast, slug: str) -> uuid.UUID:
    async with acting(sessions, cast, slug) as (session, principal):
        found = await session.scalar(
            policy.alliance_records(principal, Committee)
            .where(
                Committee.alliance_id == cast.alliance_id,
                Committee.tier == CommitteeTier.STRATEGIC,
            )
            .with_only_columns(Committee.id)
        )
    assert found is not None
    return found  # type: ignore[no-any-return]


async def _seat(
    sessions: Sessions, cast: Cast, lead: str, committee_id: uuid.UUID, slug: str, role: SeatRole
) -> None:
    async with acting(sessions, cast, lead) as (session, principal):
        await committees.assign_seat(
            session,
            principal,
            committee_id,
            organisation_id=cast.organisations[slug],
            role=role,
        )


async def _committee(
    sessions: Sessions,
    cast: Cast,
    lead: str,
    parent_id: uuid.UUID,
    tier: CommitteeTier,
    name: str,
    mandate: str,
) -> uuid.UUID:
    async with acting(sessions, cast, lead) as (session, principal):
        committee = await committees.create_committee(
            session,
            principal,
            cast.alliance_id,
            parent_id=parent_id,
            tier=tier,
            committee=committees.CommitteeFields(name=name, mandate=mandate),
        )
        return committee.id


async def _meeting(
    sessions: Sessions,
    cast: Cast,
    secretary: str,
    committee_id: uuid.UUID,
    title: str,
    *,
    planned_at: dt.datetime,
    starts_at: dt.datetime,
    agenda: tuple[tuple[str, AgendaItemKind], ...],
) -> uuid.UUID:
    async with acting(sessions, cast, secretary) as (session, principal):
        meeting = await meetings.schedule_meeting(
            session,
            principal,
            committee_id,
            title=title,
            kind=MeetingKind.ORDINARY,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=2),
            location="https://meet.example/" + title.lower().replace(" ", "-"),
            now=planned_at,
        )
        for item, kind in agenda:
            await meetings.add_agenda_item(
                session, principal, meeting.id, title=item, kind=kind, now=planned_at
            )
        return meeting.id


async def _hold(
    sessions: Sessions, cast: Cast, secretary: str, meeting_id: uuid.UUID, absent: set[str]
) -> None:
    async with acting(sessions, cast, secretary) as (session, principal):
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        held_at = meeting.starts_at + dt.timedelta(hours=2)
        seats = await session.scalars(
            policy.alliance_records(principal, Seat).where(
                Seat.committee_id == meeting.committee_id
            )
        )
        by_org = {org: slug for slug, org in cast.organisations.items()}
        await meetings.record_attendance(
            session,
            principal,
            meeting_id,
            [
                meetings.AttendanceEntry(seat.id, by_org[seat.organisation_id] not in absent)
                for seat in seats
            ],
            now=held_at,
        )
        await meetings.mark_meeting_held(
            session, principal, meeting_id, expected_version=meeting.version, now=held_at
        )


async def _minutes(
    sessions: Sessions,
    cast: Cast,
    secretary: str,
    meeting_id: uuid.UUID,
    body: str,
    at: dt.datetime,
) -> uuid.UUID:
    async with acting(sessions, cast, secretary) as (session, principal):
        drafted = await minutes.draft_minutes(session, principal, meeting_id, body=body, now=at)
        return drafted.id


async def _circulate(
    sessions: Sessions, cast: Cast, secretary: str, minutes_id: uuid.UUID, at: dt.datetime
) -> None:
    async with acting(sessions, cast, secretary) as (session, principal):
        current = await session.get(Minutes, minutes_id)
        assert current is not None
        await minutes.circulate_minutes(
            session, principal, minutes_id, expected_version=current.version, now=at
        )


async def seed_oncology_governance(sessions: Sessions, cast: Cast, now: dt.datetime) -> None:
    """Helix leads; Nordic keeps the steering committee's minutes; Aurora chairs the
    scientific board; Nordic chairs the assay working group."""
    day = dt.timedelta(days=1)
    start = now - 120 * day
    steering = await _steering(sessions, cast, "helix-pharma")
    for slug, role in (
        ("nordic-biotech", SeatRole.SECRETARY),
        ("aurora-university", SeatRole.MEMBER),
        ("st-elms-hospital", SeatRole.MEMBER),
        ("clinreach-cro", SeatRole.OBSERVER),
    ):
        await _seat(sessions, cast, "helix-pharma", steering, slug, role)
    board = await _committee(
        sessions,
        cast,
        "helix-pharma",
        steering,
        CommitteeTier.TACTICAL,
        "Scientific Advisory Board",
        "Steers the research programme and reviews results.",
    )
    for slug, role in (
        ("aurora-university", SeatRole.CHAIR),
        ("helix-pharma", SeatRole.SECRETARY),
        ("nordic-biotech", SeatRole.MEMBER),
    ):
        await _seat(sessions, cast, "helix-pharma", board, slug, role)
    assays = await _committee(
        sessions,
        cast,
        "helix-pharma",
        board,
        CommitteeTier.OPERATIONAL,
        "Biomarker Assay Working Group",
        "Runs assay development, validation and logistics.",
    )
    for slug, role in (
        ("nordic-biotech", SeatRole.CHAIR),
        ("aurora-university", SeatRole.SECRETARY),
        ("st-elms-hospital", SeatRole.MEMBER),
    ):
        await _seat(sessions, cast, "helix-pharma", assays, slug, role)

    # Steering committee, 60 days ago: held, minutes approved by the chair, a decision.
    kickoff = await _meeting(
        sessions,
        cast,
        "nordic-biotech",
        steering,
        "Steering committee Q3",
        planned_at=start,
        starts_at=now - 60 * day,
        agenda=(
            ("Progress of the assay validation", AgendaItemKind.INFORMATION),
            ("2026 validation budget", AgendaItemKind.DECISION),
            ("Data-sharing agreement", AgendaItemKind.DISCUSSION),
        ),
    )
    await _hold(sessions, cast, "nordic-biotech", kickoff, absent={"clinreach-cro"})
    budget_votes = {
        "helix-pharma": VoteChoice.FOR,
        "nordic-biotech": VoteChoice.FOR,
        "aurora-university": VoteChoice.FOR,
        "st-elms-hospital": VoteChoice.ABSTAIN,
    }
    await _decide(
        sessions,
        cast,
        steering,
        "Approve the 2026 assay validation budget of EUR 1.2m.",
        kickoff,
        budget_votes,
        at=now - 60 * day,
    )
    approved = await _minutes(
        sessions,
        cast,
        "nordic-biotech",
        kickoff,
        "Present: Helix, Nordic, Aurora, St Elm's. Apologies: ClinReach.\n"
        "1. Validation on track. 2. Budget approved (3 for, 1 abstention). "
        "3. Aurora to circulate the revised data-sharing agreement.",
        now - 59 * day,
    )
    await _circulate(sessions, cast, "nordic-biotech", approved, now - 58 * day)
    async with acting(sessions, cast, "helix-pharma") as (session, principal):
        current = await session.get(Minutes, approved)
        assert current is not None
        await minutes.approve_minutes(
            session,
            principal,
            approved,
            expected_version=current.version,
            note="Approved at the chair's review.",
            now=now - 50 * day,
        )
    async with acting(sessions, cast, "nordic-biotech") as (session, principal):
        await action_items.create_action_item(
            session,
            principal,
            kickoff,
            title="Circulate the revised data-sharing agreement",
            owner_organisation_slug="aurora-university",
            due_on=(now - 30 * day).date(),
            now=now - 60 * day,
        )
        sop = await action_items.create_action_item(
            session,
            principal,
            kickoff,
            title="Write the assay SOP",
            owner_organisation_slug="nordic-biotech",
            due_on=(now - 40 * day).date(),
            now=now - 60 * day,
        )
        await action_items.complete_action_item(
            session, principal, sop.id, expected_version=sop.version, now=now - 42 * day
        )

    # Steering committee, 20 days ago: minutes circulated and awaiting objections.
    review = await _meeting(
        sessions,
        cast,
        "nordic-biotech",
        steering,
        "Steering committee Q4",
        planned_at=now - 50 * day,
        starts_at=now - 20 * day,
        agenda=(("Cohort expansion", AgendaItemKind.DECISION),),
    )
    await _hold(sessions, cast, "nordic-biotech", review, absent=set())
    circulated = await _minutes(
        sessions,
        cast,
        "nordic-biotech",
        review,
        "All seats present. The cohort expansion goes to written procedure.",
        now - 19 * day,
    )
    await _circulate(sessions, cast, "nordic-biotech", circulated, now - 3 * day)
    async with acting(sessions, cast, "helix-pharma") as (session, principal):
        written = await decisions.record_decision(
            session,
            principal,
            steering,
            text="Admit a second hospital cohort of 800 samples.",
            procedure=DecisionProcedure.WRITTEN,
            closes_at=now + 7 * day,
            now=now - 2 * day,
        )
    for slug, choice in (("helix-pharma", VoteChoice.FOR), ("aurora-university", VoteChoice.FOR)):
        async with acting(sessions, cast, slug) as (session, principal):
            await decisions.cast_vote(session, principal, written.id, choice=choice, now=now - day)

    # Scientific board, 10 days ago: minutes still in draft; an open action item.
    board_meeting = await _meeting(
        sessions,
        cast,
        "helix-pharma",
        board,
        "Scientific board: interim results",
        planned_at=now - 40 * day,
        starts_at=now - 10 * day,
        agenda=(("Interim biomarker results", AgendaItemKind.DISCUSSION),),
    )
    await _hold(sessions, cast, "helix-pharma", board_meeting, absent=set())
    await _minutes(
        sessions,
        cast,
        "helix-pharma",
        board_meeting,
        "Draft: interim AUC 0.71; publication plan to follow.",
        now - 9 * day,
    )
    async with acting(sessions, cast, "helix-pharma") as (session, principal):
        await action_items.create_action_item(
            session,
            principal,
            board_meeting,
            title="Draft the publication plan",
            owner_organisation_slug="aurora-university",
            due_on=(now + 14 * day).date(),
            now=now - 10 * day,
        )

    # Upcoming meetings with their agendas.
    await _meeting(
        sessions,
        cast,
        "nordic-biotech",
        steering,
        "Steering committee Q1",
        planned_at=now,
        starts_at=now + 30 * day,
        agenda=(
            ("Annual report", AgendaItemKind.INFORMATION),
            ("Budget 2027", AgendaItemKind.DECISION),
        ),
    )
    await _meeting(
        sessions,
        cast,
        "aurora-university",
        assays,
        "Assay working group: shipment logistics",
        planned_at=now,
        starts_at=now + 21 * day,
        agenda=(("Courier options", AgendaItemKind.DISCUSSION),),
    )

    # An issue raised at the working group, escalated by its chair, then automatically.
    async with acting(sessions, cast, "st-elms-hospital") as (session, principal):
        delays = await issues.raise_issue(
            session,
            principal,
            cast.alliance_id,
            committee_id=assays,
            title="Sample shipments delayed at customs",
            description="Three shipments to Nordic were held for over a week.",
            severity=IssueSeverity.HIGH,
            now=now - 45 * day,
        )
    async with acting(sessions, cast, "nordic-biotech") as (session, principal):
        await issues.escalate_issue(
            session,
            principal,
            delays.id,
            expected_version=delays.version,
            note="Needs a decision on a second courier.",
            now=now - 40 * day,
        )
    await run_due_jobs(sessions, now - 5 * day)  # the board let its deadline pass
    async with acting(sessions, cast, "aurora-university") as (session, principal):
        await issues.raise_issue(
            session,
            principal,
            cast.alliance_id,
            committee_id=assays,
            title="Freezer capacity at the Aurora lab",
            description="Capacity reaches its limit in the spring.",
            severity=IssueSeverity.MEDIUM,
            now=now - 2 * day,
        )


async def _decide(
    sessions: Sessions,
    cast: Cast,
    committee_id: uuid.UUID,
    text: str,
    meeting_id: uuid.UUID,
    votes: Mapping[str, VoteChoice],
    *,
    at: dt.datetime,
) -> None:
    async with acting(sessions, cast, "helix-pharma") as (session, principal):
        decision = await decisions.record_decision(
            session,
            principal,
            committee_id,
            text=text,
            procedure=DecisionProcedure.MEETING,
            meeting_id=meeting_id,
            now=at,
        )
    for slug, choice in votes.items():
        async with acting(sessions, cast, slug) as (session, principal):
            await decisions.cast_vote(session, principal, decision.id, choice=choice, now=at)
    async with acting(sessions, cast, "helix-pharma") as (session, principal):
        await decisions.close_decision(session, principal, decision.id, now=at)


async def seed_rare_disease_governance(sessions: Sessions, cast: Cast, now: dt.datetime) -> None:
    """Lumen leads a lean consortium: a steering committee and one upcoming meeting."""
    steering = await _steering(sessions, cast, "lumen-foundation")
    for slug, role in (
        ("aurora-university", SeatRole.SECRETARY),
        ("helix-pharma", SeatRole.MEMBER),
        ("orbis-biotech", SeatRole.MEMBER),
    ):
        await _seat(sessions, cast, "lumen-foundation", steering, slug, role)
    await _meeting(
        sessions,
        cast,
        "aurora-university",
        steering,
        "Consortium kick-off",
        planned_at=now,
        starts_at=now + 15 * dt.timedelta(days=1),
        agenda=(
            ("Common data model", AgendaItemKind.DISCUSSION),
            ("Curation budget", AgendaItemKind.DECISION),
        ),
    )
