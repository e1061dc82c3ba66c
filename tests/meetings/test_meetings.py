"""Meetings over GraphQL: scheduling with the alliance's notice period, the agenda up to
its deadline, attendance per seat, the meeting's life-cycle, who may do each, and the
meeting list.

The cast ("the board"): lead founded the alliance and chairs its steering committee. The
alliance's working group (an operational committee under the steering committee) seats
chair, secretary, member and observer in those roles; unseated is a member of the
alliance without a seat on the working group; outsider leads an alliance of its own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.scopes import Scope
from db.enums import AgendaItemKind, MeetingKind, MeetingStatus, SeatRole, UserRole
from db.governance import AgendaItem, Attendance, GovernanceRules, Meeting, Seat
from db.models import AuditEntry, utcnow
from db.unit_of_work import Actor, act_as
from tests.builders import Org, World, counting, gid, gql, succeeded

USER_ERRORS = "userErrors { field message code }"
MEETING = """meeting {
  id title kind status startsAt endsAt location agendaDeadline version
  committee { id name }
  agendaItems { id position title kind description }
  attendance { present recordedAt seat { id role organisation { slug } } }
}"""

MUTATIONS = {
    "scheduleMeeting": ("ScheduleMeetingInput", MEETING),
    "rescheduleMeeting": ("RescheduleMeetingInput", MEETING),
    "cancelMeeting": ("CancelMeetingInput", MEETING),
    "markMeetingHeld": ("MarkMeetingHeldInput", MEETING),
    "addAgendaItem": ("AddAgendaItemInput", f"agendaItem {{ id position title }} {MEETING}"),
    "moveAgendaItem": ("MoveAgendaItemInput", f"agendaItem {{ id position title }} {MEETING}"),
    "removeAgendaItem": ("RemoveAgendaItemInput", MEETING),
    "recordAttendance": (
        "RecordAttendanceInput",
        f"attendance {{ present seat {{ id }} }} {MEETING}",
    ),
}

MEETINGS = """
query Meetings(
  $alliance: ID!, $filter: MeetingFilter, $first: Int, $after: String, $last: Int,
  $before: String, $orderBy: MeetingOrder! = STARTS_AT
) {
  meetings(
    alliance: $alliance, filter: $filter, first: $first, after: $after, last: $last,
    before: $before, orderBy: $orderBy
  ) {
    edges { cursor node { id title status startsAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

ROLES = ("chair", "secretary", "member", "observer", "unseated", "outsider", "no_scope")
"""Who tries each action: the four seat roles of the working group, an alliance member
without a seat on it, an organisation outside the alliance, and the secretary's
organisation through a credential without governance:write (a viewer's token)."""


# --- the cast and builders ------------------------------------------------------------


@dataclass
class Board:
    world: World
    client: httpx.AsyncClient
    orgs: dict[str, Org]
    alliance_id: uuid.UUID
    steering_id: uuid.UUID
    committee_id: uuid.UUID
    seats: dict[str, uuid.UUID]
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def alliance(self) -> str:
        return gid("Alliance", self.alliance_id)

    @property
    def committee(self) -> str:
        return gid("Committee", self.committee_id)

    def seat(self, role: str) -> str:
        return gid("Seat", self.seats[role])

    async def token(self, who: str) -> str:
        """A token for ``who``: an organisation of the cast (admin, all scopes),
        ``no_scope`` (the secretary's viewer) or ``no_read`` (alliances:read only)."""
        if who not in self._tokens:
            if who == "no_scope":
                token = await self.world.token(self.orgs["secretary"], role=UserRole.VIEWER)
            elif who == "no_read":
                token = await self.world.token(
                    self.orgs["secretary"], scopes=frozenset({Scope.ALLIANCES_READ})
                )
            else:
                token = await self.world.token(self.orgs[who])
            self._tokens[who] = token
        return self._tokens[who]

    async def run(self, who: str, mutation: str, **input_: Any) -> dict[str, Any]:
        input_type, selection = MUTATIONS[mutation]
        query = (
            f"mutation Run($input: {input_type}!) {{ {mutation}(input: $input) "
            f"{{ {selection} {USER_ERRORS} }} }}"
        )
        return await gql(self.client, await self.token(who), query, {"input": input_})

    async def ok(self, who: str, mutation: str, **input_: Any) -> dict[str, Any]:
        body = await self.run(who, mutation, **input_)
        return succeeded(body, mutation)

    async def refused(self, who: str, mutation: str, **input_: Any) -> tuple[str | None, str]:
        """Run ``mutation``, expect exactly one userError; its (field, code)."""
        body = await self.run(who, mutation, **input_)
        assert "errors" not in body, body
        errors = body["data"][mutation]["userErrors"]
        assert len(errors) == 1, body
        return errors[0]["field"], errors[0]["code"]

    async def query(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        return await gql(self.client, await self.token(who), query, variables)


async def a_board(client: httpx.AsyncClient, world: World) -> Board:
    orgs = {
        name: await world.organisation(name)
        for name in ("lead", "chair", "secretary", "member", "observer", "unseated", "outsider")
    }
    alliance_id = await world.alliance(
        orgs["lead"], *(orgs[n] for n in ("chair", "secretary", "member", "observer", "unseated"))
    )
    await world.alliance(orgs["outsider"], name="Outsider's own")
    steering_id = await world.steering(alliance_id)
    committee_id = await world.committee(alliance_id, steering_id, name="Working group")
    seats = {
        role: await world.seat(committee_id, orgs[role], SeatRole(role), voting=role != "observer")
        for role in ("chair", "secretary", "member", "observer")
    }
    seats["steering"] = await _steering_seat(world, steering_id)  # lead's chair seat
    return Board(world, client, orgs, alliance_id, steering_id, committee_id, seats)


async def _steering_seat(world: World, steering_id: uuid.UUID) -> uuid.UUID:
    async with world.sessions() as session:
        found = await session.scalar(select(Seat.id).where(Seat.committee_id == steering_id))
        assert found is not None
        return found


@pytest.fixture
async def board(client: httpx.AsyncClient, world: World) -> Board:
    return await a_board(client, world)


def iso(value: dt.datetime) -> str:
    return value.isoformat()


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


async def a_meeting(
    board: Board,
    *,
    starts_in: dt.timedelta,
    status: MeetingStatus = MeetingStatus.SCHEDULED,
    kind: MeetingKind = MeetingKind.ORDINARY,
    agenda: Sequence[str] = (),
    committee_id: uuid.UUID | None = None,
    title: str = "Quarterly review",
) -> uuid.UUID:
    """A meeting made directly (set-up, not the API under test), e.g. one that has
    already started, which the API could never schedule."""
    starts_at = utcnow() + starts_in
    meeting = Meeting(
        id=uuid.uuid4(),
        alliance_id=board.alliance_id,
        committee_id=committee_id or board.committee_id,
        title=title,
        kind=kind,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        location="Basel",
        status=status,
        agenda_deadline=starts_at - days(3),
        version=1,
    )
    async with board.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(board.orgs["secretary"].id))
        session.add(meeting)
        await session.flush()
        for position, item_title in enumerate(agenda, 1):
            session.add(
                AgendaItem(
                    alliance_id=board.alliance_id,
                    meeting_id=meeting.id,
                    position=position,
                    title=item_title,
                    kind=AgendaItemKind.DISCUSSION,
                )
            )
    return meeting.id


async def agenda_ids(board: Board, meeting_id: uuid.UUID) -> dict[str, uuid.UUID]:
    async with board.world.sessions() as session:
        rows = (
            await session.execute(
                select(AgendaItem.title, AgendaItem.id).where(AgendaItem.meeting_id == meeting_id)
            )
        ).all()
    return {str(title): item_id for title, item_id in rows}


async def agenda_of(board: Board, meeting_id: uuid.UUID) -> list[tuple[int, str]]:
    async with board.world.sessions() as session:
        rows = (
            await session.execute(
                select(AgendaItem.position, AgendaItem.title)
                .where(AgendaItem.meeting_id == meeting_id)
                .order_by(AgendaItem.position)
            )
        ).all()
    return [(position, title) for position, title in rows]


async def state(world: World) -> list[Any]:
    """Every meeting, agenda item and attendance row: to prove a refusal changed nothing."""
    async with world.sessions() as session:
        found: list[Any] = []
        for model in (Meeting, AgendaItem, Attendance):
            rows = (await session.scalars(select(model).order_by(model.id))).all()
            found += [tuple(getattr(row, c.key) for c in model.__table__.columns) for row in rows]
        return found


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def outcome(body: dict[str, Any], mutation: str) -> str:
    """``ok``, the code of the one userError, or ``top:<code>`` for a top-level error."""
    if body.get("errors"):
        return "top:" + ",".join(codes(body))
    errors = body["data"][mutation]["userErrors"]
    if not errors:
        return "ok"
    assert len(errors) == 1, errors
    return str(errors[0]["code"])


def expected(role: str, allowed: frozenset[str]) -> str:
    if role in allowed:
        return "ok"
    if role == "outsider":
        return "NOT_FOUND"  # the alliance and everything in it are invisible to it
    if role == "no_scope":
        return "top:FORBIDDEN"
    return "FORBIDDEN"


# --- who may do what ------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """A mutation tried by every role: ``prepare`` makes its target and input."""

    mutation: str
    allowed: frozenset[str]
    prepare: Callable[[Board], Awaitable[dict[str, Any]]]


SECRETARY = frozenset({"secretary"})


async def _schedule(board: Board) -> dict[str, Any]:
    return {
        "committee": board.committee,
        "title": "Kick-off",
        "startsAt": iso(utcnow() + days(20)),
        "location": "https://meet.example/kickoff",
    }


async def _reschedule(board: Board) -> dict[str, Any]:
    meeting_id = await a_meeting(board, starts_in=days(30))
    return {
        "meeting": gid("Meeting", meeting_id),
        "version": 1,
        "startsAt": iso(utcnow() + days(40)),
    }


async def _cancel(board: Board) -> dict[str, Any]:
    return {"meeting": gid("Meeting", await a_meeting(board, starts_in=days(30))), "version": 1}


async def _mark_held(board: Board) -> dict[str, Any]:
    meeting_id = await a_meeting(board, starts_in=-dt.timedelta(hours=1))
    return {"meeting": gid("Meeting", meeting_id), "version": 1}


async def _add_item(board: Board) -> dict[str, Any]:
    meeting_id = await a_meeting(board, starts_in=days(30))
    return {"meeting": gid("Meeting", meeting_id), "title": "Budget", "kind": "DECISION"}


async def _move_item(board: Board) -> dict[str, Any]:
    meeting_id = await a_meeting(board, starts_in=days(30), agenda=["A", "B", "C"])
    ids = await agenda_ids(board, meeting_id)
    return {"agendaItem": gid("AgendaItem", ids["C"]), "position": 1}


async def _remove_item(board: Board) -> dict[str, Any]:
    meeting_id = await a_meeting(board, starts_in=days(30), agenda=["A", "B", "C"])
    ids = await agenda_ids(board, meeting_id)
    return {"agendaItem": gid("AgendaItem", ids["A"])}


async def _record_attendance(board: Board) -> dict[str, Any]:
    meeting_id = await a_meeting(board, starts_in=-dt.timedelta(hours=1))
    return {
        "meeting": gid("Meeting", meeting_id),
        "attendance": [
            {"seat": board.seat("member"), "present": True},
            {"seat": board.seat("observer"), "present": False},
        ],
    }


ACTIONS = [
    Action("scheduleMeeting", SECRETARY, _schedule),
    Action("rescheduleMeeting", SECRETARY, _reschedule),
    Action("cancelMeeting", SECRETARY, _cancel),
    Action("markMeetingHeld", frozenset({"secretary", "chair"}), _mark_held),
    Action("addAgendaItem", SECRETARY, _add_item),
    Action("moveAgendaItem", SECRETARY, _move_item),
    Action("removeAgendaItem", SECRETARY, _remove_item),
    Action("recordAttendance", SECRETARY, _record_attendance),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.mutation)
async def test_each_role_against_each_meeting_action(
    board: Board, action: Action, role: str
) -> None:
    variables = await action.prepare(board)
    before = await state(board.world)
    body = await board.run(role, action.mutation, **variables)

    assert outcome(body, action.mutation) == expected(role, action.allowed), body
    if role in action.allowed:
        assert await state(board.world) != before
        return
    assert await state(board.world) == before
    # the same input succeeds for a role that may do it: the refusal was about the role
    allowed_role = sorted(action.allowed)[-1]
    after = await board.run(allowed_role, action.mutation, **variables)
    assert outcome(after, action.mutation) == "ok", after


# --- scheduling -----------------------------------------------------------------------


async def test_the_secretary_schedules_a_meeting(board: Board) -> None:
    starts_at = (utcnow() + days(15)).replace(microsecond=0)
    payload = await board.ok(
        "secretary",
        "scheduleMeeting",
        committee=board.committee,
        title="  Kick-off  ",
        kind="ORDINARY",
        startsAt=iso(starts_at),
        endsAt=iso(starts_at + dt.timedelta(hours=3)),
        location="Basel, room 4",
    )

    meeting = payload["meeting"]
    assert meeting | {"id": None} == {
        "id": None,
        "title": "Kick-off",
        "kind": "ORDINARY",
        "status": "SCHEDULED",
        "startsAt": iso(starts_at),
        "endsAt": iso(starts_at + dt.timedelta(hours=3)),
        "location": "Basel, room 4",
        "agendaDeadline": iso(starts_at - days(3)),
        "version": 1,
        "committee": {"id": board.committee, "name": "Working group"},
        "agendaItems": [],
        "attendance": [],
    }
    # every member sees it, as a node and in the list
    for who in ("member", "unseated"):
        node = await board.query(
            who, "query($id: ID!) { node(id: $id) { ... on Meeting { title } } }", id=meeting["id"]
        )
        assert node["data"]["node"] == {"title": "Kick-off"}
    async with board.world.sessions() as session:
        audited = await session.scalar(
            select(AuditEntry.action).where(AuditEntry.object_type == "Meeting")
        )
    assert audited is not None


@pytest.mark.parametrize(
    ("kind", "notice", "accepted"),
    [
        pytest.param("ORDINARY", days(13), False, id="ordinary-13-days"),
        pytest.param("ORDINARY", days(14) + dt.timedelta(minutes=5), True, id="ordinary-14-days"),
        pytest.param("EXTRAORDINARY", days(6), False, id="extraordinary-6-days"),
        pytest.param("EXTRAORDINARY", days(8), True, id="extraordinary-8-days"),
        pytest.param("ORDINARY", -days(1), False, id="in-the-past"),
    ],
)
async def test_the_notice_period_depends_on_the_kind_of_meeting(
    board: Board, kind: str, notice: dt.timedelta, accepted: bool
) -> None:
    before = await state(board.world)
    body = await board.run(
        "secretary",
        "scheduleMeeting",
        committee=board.committee,
        title="Urgent",
        kind=kind,
        startsAt=iso(utcnow() + notice),
    )

    if accepted:
        assert outcome(body, "scheduleMeeting") == "ok", body
        return
    [error] = body["data"]["scheduleMeeting"]["userErrors"]
    assert (error["field"], error["code"]) == ("startsAt", "BAD_USER_INPUT")
    assert "at the earliest" in error["message"]
    earliest = dt.datetime.fromisoformat(error["message"].split("start at ")[1].split(" ")[0])
    minimum = days(14 if kind == "ORDINARY" else 7)
    assert abs(earliest - (utcnow() + minimum)) < dt.timedelta(minutes=1)
    assert body["data"]["scheduleMeeting"]["meeting"] is None
    assert await state(board.world) == before


async def test_the_notice_period_is_the_alliances(board: Board) -> None:
    async with board.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(board.orgs["lead"].id))
        await session.execute(
            update(GovernanceRules)
            .where(GovernanceRules.alliance_id == board.alliance_id)
            .values(ordinary_notice_days=30, agenda_deadline_days=10)
        )
    starts_at = utcnow() + days(20)
    assert await board.refused(
        "secretary",
        "scheduleMeeting",
        committee=board.committee,
        title="Too soon",
        startsAt=iso(starts_at),
    ) == ("startsAt", "BAD_USER_INPUT")

    payload = await board.ok(
        "secretary",
        "scheduleMeeting",
        committee=board.committee,
        title="In time",
        startsAt=iso(starts_at + days(11)),
    )
    deadline = dt.datetime.fromisoformat(payload["meeting"]["agendaDeadline"])
    assert deadline == dt.datetime.fromisoformat(payload["meeting"]["startsAt"]) - days(10)


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        pytest.param({"title": " "}, "title", "BAD_USER_INPUT", id="blank-title"),
        pytest.param({"title": "x" * 201}, "title", "BAD_USER_INPUT", id="long-title"),
        pytest.param({"location": "x" * 501}, "location", "BAD_USER_INPUT", id="long-location"),
        pytest.param({"endsAt": "start"}, "endsAt", "BAD_USER_INPUT", id="ends-at-start"),
        pytest.param({"endsAt": "before"}, "endsAt", "BAD_USER_INPUT", id="ends-before-start"),
        pytest.param(
            {"startsAt": "2099-01-01T10:00:00"}, "startsAt", "BAD_USER_INPUT", id="no-offset"
        ),
        pytest.param({"committee": "Alliance"}, "committee", "NOT_FOUND", id="not-a-committee"),
        pytest.param({"committee": "nonsense"}, "committee", "BAD_USER_INPUT", id="bad-id"),
    ],
)
async def test_schedule_meeting_refuses_bad_input_and_changes_nothing(
    board: Board, fields: dict[str, Any], field: str, code: str
) -> None:
    starts_at = utcnow() + days(20)
    variables: dict[str, Any] = {
        "committee": board.committee,
        "title": "Kick-off",
        "startsAt": iso(starts_at),
    }
    variables.update(fields)
    if fields.get("endsAt") == "start":
        variables["endsAt"] = iso(starts_at)
    if fields.get("endsAt") == "before":
        variables["endsAt"] = iso(starts_at - dt.timedelta(hours=1))
    if fields.get("committee") == "Alliance":
        variables["committee"] = board.alliance
    before = await state(board.world)

    assert await board.refused("secretary", "scheduleMeeting", **variables) == (field, code)
    assert await state(board.world) == before


async def test_a_secretary_schedules_only_for_its_own_committee(board: Board) -> None:
    # the secretary holds no seat on the steering committee; lead chairs it
    steering = gid("Committee", board.steering_id)
    starts_at = iso(utcnow() + days(20))
    for who in ("secretary", "lead"):
        assert await board.refused(
            who, "scheduleMeeting", committee=steering, title="SC", startsAt=starts_at
        ) == (None, "FORBIDDEN")
    await board.world.seat(board.steering_id, board.orgs["secretary"], SeatRole.SECRETARY)
    await board.ok(
        "secretary", "scheduleMeeting", committee=steering, title="SC", startsAt=starts_at
    )


# --- rescheduling, cancelling, holding ------------------------------------------------


async def test_rescheduling_applies_the_notice_period_again(board: Board) -> None:
    meeting_id = await a_meeting(board, starts_in=days(30))
    meeting = gid("Meeting", meeting_id)
    before = await state(board.world)

    assert await board.refused(
        "secretary",
        "rescheduleMeeting",
        meeting=meeting,
        version=1,
        startsAt=iso(utcnow() + days(5)),
    ) == ("startsAt", "BAD_USER_INPUT")
    assert await state(board.world) == before

    new_start = (utcnow() + days(21)).replace(microsecond=0)
    payload = await board.ok(
        "secretary",
        "rescheduleMeeting",
        meeting=meeting,
        version=1,
        startsAt=iso(new_start),
        location="Online",
    )
    assert payload["meeting"] | {"committee": None, "agendaItems": None, "attendance": None} == {
        "id": meeting,
        "title": "Quarterly review",
        "kind": "ORDINARY",
        "status": "SCHEDULED",
        "startsAt": iso(new_start),
        "endsAt": iso(new_start + dt.timedelta(hours=2)),  # keeps its length
        "location": "Online",
        "agendaDeadline": iso(new_start - days(3)),
        "version": 2,
        "committee": None,
        "agendaItems": None,
        "attendance": None,
    }

    before = await state(board.world)
    assert await board.refused(
        "secretary", "rescheduleMeeting", meeting=meeting, version=1, startsAt=iso(new_start)
    ) == ("version", "CONFLICT")
    assert await state(board.world) == before


@pytest.mark.parametrize(
    ("status", "mutation", "extra"),
    [
        pytest.param(MeetingStatus.HELD, "cancelMeeting", {}, id="cancel-held"),
        pytest.param(MeetingStatus.CANCELLED, "cancelMeeting", {}, id="cancel-cancelled"),
        pytest.param(MeetingStatus.HELD, "markMeetingHeld", {}, id="hold-held"),
        pytest.param(MeetingStatus.CANCELLED, "markMeetingHeld", {}, id="hold-cancelled"),
        pytest.param(
            MeetingStatus.CANCELLED, "rescheduleMeeting", {"startsAt": "later"}, id="move-cancelled"
        ),
    ],
)
async def test_only_scheduled_meetings_change_state(
    board: Board, status: MeetingStatus, mutation: str, extra: dict[str, Any]
) -> None:
    meeting_id = await a_meeting(board, starts_in=-days(1), status=status)
    if extra.get("startsAt") == "later":
        extra = {"startsAt": iso(utcnow() + days(30))}
    before = await state(board.world)

    assert await board.refused(
        "secretary", mutation, meeting=gid("Meeting", meeting_id), version=1, **extra
    ) == ("meeting", "CONFLICT")
    assert await state(board.world) == before


async def test_the_secretary_cancels_a_scheduled_meeting(board: Board) -> None:
    meeting = gid("Meeting", await a_meeting(board, starts_in=days(30)))
    assert await board.refused("secretary", "cancelMeeting", meeting=meeting, version=7) == (
        "version",
        "CONFLICT",
    )
    payload = await board.ok("secretary", "cancelMeeting", meeting=meeting, version=1)
    assert (payload["meeting"]["status"], payload["meeting"]["version"]) == ("CANCELLED", 2)


async def test_a_meeting_is_held_only_once_it_has_started(board: Board) -> None:
    meeting = gid("Meeting", await a_meeting(board, starts_in=dt.timedelta(hours=1)))
    before = await state(board.world)
    assert await board.refused("chair", "markMeetingHeld", meeting=meeting, version=1) == (
        "meeting",
        "BAD_USER_INPUT",
    )
    assert await state(board.world) == before

    started = gid("Meeting", await a_meeting(board, starts_in=-dt.timedelta(minutes=1)))
    payload = await board.ok("chair", "markMeetingHeld", meeting=started, version=1)
    assert (payload["meeting"]["status"], payload["meeting"]["version"]) == ("HELD", 2)


# --- the agenda -----------------------------------------------------------------------


async def test_the_secretary_builds_the_agenda_in_order(board: Board) -> None:
    meeting = gid("Meeting", await a_meeting(board, starts_in=days(30)))
    for title, kind in (("Welcome", "INFORMATION"), ("Budget", "DECISION"), ("AOB", "DISCUSSION")):
        payload = await board.ok(
            "secretary",
            "addAgendaItem",
            meeting=meeting,
            title=title,
            kind=kind,
            description=f"About {title}",
        )
    assert payload["agendaItem"]["position"] == 3
    assert [
        (i["position"], i["title"], i["kind"], i["description"])
        for i in payload["meeting"]["agendaItems"]
    ] == [
        (1, "Welcome", "INFORMATION", "About Welcome"),
        (2, "Budget", "DECISION", "About Budget"),
        (3, "AOB", "DISCUSSION", "About AOB"),
    ]
    assert payload["meeting"]["version"] == 1  # the agenda is not the meeting's own fields


@pytest.mark.parametrize(
    ("starts_in", "status", "code"),
    [
        pytest.param(days(2), MeetingStatus.SCHEDULED, "BAD_USER_INPUT", id="after-the-deadline"),
        pytest.param(days(30), MeetingStatus.CANCELLED, "CONFLICT", id="cancelled"),
        pytest.param(-days(1), MeetingStatus.HELD, "CONFLICT", id="held"),
    ],
)
async def test_agenda_items_are_added_only_until_the_deadline_of_a_scheduled_meeting(
    board: Board, starts_in: dt.timedelta, status: MeetingStatus, code: str
) -> None:
    meeting_id = await a_meeting(board, starts_in=starts_in, status=status, agenda=["A"])
    before = await state(board.world)
    assert await board.refused(
        "secretary",
        "addAgendaItem",
        meeting=gid("Meeting", meeting_id),
        title="Late",
        kind="DECISION",
    ) == ("meeting", code)
    assert await state(board.world) == before


@pytest.mark.parametrize(
    ("title", "position", "order"),
    [
        pytest.param("E", 1, "EABCD", id="last-to-first"),
        pytest.param("A", 5, "BCDEA", id="first-to-last"),
        pytest.param("B", 4, "ACDBE", id="down"),
        pytest.param("D", 2, "ADBCE", id="up"),
        pytest.param("C", 3, "ABCDE", id="in-place"),
    ],
)
async def test_moving_an_agenda_item_renumbers_densely(
    board: Board, title: str, position: int, order: str
) -> None:
    meeting_id = await a_meeting(board, starts_in=days(30), agenda=list("ABCDE"))
    ids = await agenda_ids(board, meeting_id)

    payload = await board.ok(
        "secretary", "moveAgendaItem", agendaItem=gid("AgendaItem", ids[title]), position=position
    )

    assert payload["agendaItem"] == {
        "id": gid("AgendaItem", ids[title]),
        "position": position,
        "title": title,
    }
    assert [(i["position"], i["title"]) for i in payload["meeting"]["agendaItems"]] == list(
        enumerate(order, 1)
    )
    assert await agenda_of(board, meeting_id) == list(enumerate(order, 1))


async def test_moving_is_allowed_after_the_deadline_but_not_out_of_range(board: Board) -> None:
    meeting_id = await a_meeting(board, starts_in=days(1), agenda=["A", "B"])
    ids = await agenda_ids(board, meeting_id)
    before = await state(board.world)
    for position in (0, 3, -1):
        assert await board.refused(
            "secretary", "moveAgendaItem", agendaItem=gid("AgendaItem", ids["A"]), position=position
        ) == ("position", "BAD_USER_INPUT")
    assert await state(board.world) == before
    await board.ok(
        "secretary", "moveAgendaItem", agendaItem=gid("AgendaItem", ids["A"]), position=2
    )
    assert await agenda_of(board, meeting_id) == [(1, "B"), (2, "A")]


async def test_removing_an_agenda_item_closes_the_gap(board: Board) -> None:
    meeting_id = await a_meeting(board, starts_in=days(30), agenda=list("ABCD"))
    ids = await agenda_ids(board, meeting_id)

    payload = await board.ok(
        "secretary", "removeAgendaItem", agendaItem=gid("AgendaItem", ids["B"])
    )

    assert [(i["position"], i["title"]) for i in payload["meeting"]["agendaItems"]] == [
        (1, "A"),
        (2, "C"),
        (3, "D"),
    ]
    assert await agenda_of(board, meeting_id) == [(1, "A"), (2, "C"), (3, "D")]


async def test_agenda_items_are_removed_only_until_the_deadline(board: Board) -> None:
    meeting_id = await a_meeting(board, starts_in=days(2), agenda=["A", "B"])
    ids = await agenda_ids(board, meeting_id)
    before = await state(board.world)
    assert await board.refused(
        "secretary", "removeAgendaItem", agendaItem=gid("AgendaItem", ids["A"])
    ) == ("meeting", "BAD_USER_INPUT")
    assert await state(board.world) == before


# --- attendance -----------------------------------------------------------------------


async def test_attendance_is_recorded_once_per_seat(board: Board) -> None:
    meeting = gid("Meeting", await a_meeting(board, starts_in=-dt.timedelta(hours=1)))
    await board.ok(
        "secretary",
        "recordAttendance",
        meeting=meeting,
        attendance=[
            {"seat": board.seat("chair"), "present": True},
            {"seat": board.seat("member"), "present": False},
        ],
    )
    payload = await board.ok(
        "secretary",
        "recordAttendance",
        meeting=meeting,
        attendance=[
            {"seat": board.seat("member"), "present": True},
            {"seat": board.seat("observer"), "present": True},
        ],
    )

    assert payload["attendance"] == [
        {"present": True, "seat": {"id": board.seat("member")}},
        {"present": True, "seat": {"id": board.seat("observer")}},
    ]
    recorded = {
        a["seat"]["organisation"]["slug"]: a["present"] for a in payload["meeting"]["attendance"]
    }
    assert recorded == {"chair": True, "member": True, "observer": True}
    async with board.world.sessions() as session:
        rows = (await session.scalars(select(Attendance))).all()
    assert len(rows) == 3


async def test_attendance_may_follow_marking_the_meeting_held(board: Board) -> None:
    meeting_id = await a_meeting(board, starts_in=-days(1), status=MeetingStatus.HELD)
    await board.ok(
        "secretary",
        "recordAttendance",
        meeting=gid("Meeting", meeting_id),
        attendance=[{"seat": board.seat("secretary"), "present": True}],
    )


@pytest.mark.parametrize(
    ("case", "field", "code"),
    [
        pytest.param("other-committee", "attendance", "BAD_USER_INPUT", id="other-committee"),
        pytest.param("twice", "attendance", "BAD_USER_INPUT", id="seat-twice"),
        pytest.param("empty", "attendance", "BAD_USER_INPUT", id="no-seats"),
        pytest.param("unknown-seat", "attendance", "NOT_FOUND", id="unknown-seat"),
        pytest.param("not-started", "meeting", "BAD_USER_INPUT", id="not-started"),
        pytest.param("cancelled", "meeting", "CONFLICT", id="cancelled"),
    ],
)
async def test_record_attendance_refuses_bad_input_and_records_nothing(
    board: Board, case: str, field: str, code: str
) -> None:
    starts_in = days(20) if case == "not-started" else -dt.timedelta(hours=1)
    status = MeetingStatus.CANCELLED if case == "cancelled" else MeetingStatus.SCHEDULED
    meeting_id = await a_meeting(board, starts_in=starts_in, status=status)
    attendance = [{"seat": board.seat("member"), "present": True}]
    if case == "other-committee":
        attendance.append({"seat": board.seat("steering"), "present": True})
    if case == "twice":
        attendance.append({"seat": board.seat("member"), "present": False})
    if case == "empty":
        attendance = []
    if case == "unknown-seat":
        attendance.append({"seat": gid("Seat", uuid.uuid4()), "present": True})
    before = await state(board.world)

    assert await board.refused(
        "secretary", "recordAttendance", meeting=gid("Meeting", meeting_id), attendance=attendance
    ) == (field, code)
    assert await state(board.world) == before


# --- the meeting list -----------------------------------------------------------------


async def test_the_meeting_list_filters_orders_and_pages(board: Board) -> None:
    now = utcnow()
    past = await a_meeting(board, starts_in=-days(10), status=MeetingStatus.HELD, title="Past")
    soon = await a_meeting(board, starts_in=days(5), title="Soon")
    later = await a_meeting(board, starts_in=days(40), title="Later")
    off = await a_meeting(board, starts_in=days(20), status=MeetingStatus.CANCELLED, title="Off")
    steering = await a_meeting(
        board, starts_in=days(15), committee_id=board.steering_id, title="Steering"
    )

    async def titles(who: str = "member", **variables: Any) -> list[str]:
        body = await board.query(who, MEETINGS, alliance=board.alliance, **variables)
        assert "errors" not in body, body
        return [edge["node"]["title"] for edge in body["data"]["meetings"]["edges"]]

    assert await titles() == ["Past", "Soon", "Steering", "Off", "Later"]
    assert await titles(orderBy="STARTS_AT_DESC") == ["Later", "Off", "Steering", "Soon", "Past"]
    assert await titles(filter={"committee": board.committee}) == ["Past", "Soon", "Off", "Later"]
    assert await titles(filter={"statuses": ["SCHEDULED"]}) == ["Soon", "Steering", "Later"]
    assert await titles(filter={"from": iso(now), "to": iso(now + days(20))}) == [
        "Soon",
        "Steering",
    ]
    assert await titles(
        filter={"committee": gid("Committee", board.steering_id), "statuses": ["SCHEDULED"]}
    ) == ["Steering"]
    # every member of the alliance sees them, seated or not
    assert await titles("unseated") == await titles("observer")
    # outsiders see nothing, whatever they ask for
    assert await titles("outsider") == []
    assert await titles("outsider", filter={"committee": board.committee}) == []

    # keyset pages, forwards and backwards
    first = await board.query("member", MEETINGS, alliance=board.alliance, first=2)
    page = first["data"]["meetings"]
    assert [e["node"]["title"] for e in page["edges"]] == ["Past", "Soon"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert await titles(first=2, after=page["pageInfo"]["endCursor"]) == ["Steering", "Off"]
    assert await titles(last=2) == ["Off", "Later"]
    assert await titles(last=2, before=page["pageInfo"]["endCursor"]) == ["Past"]

    # ids of every meeting resolve as nodes for members
    for meeting_id in (past, soon, later, off, steering):
        assert (
            await board.query(
                "member", "query($id: ID!) { node(id: $id) { id } }", id=gid("Meeting", meeting_id)
            )
        )["data"]["node"] == {"id": gid("Meeting", meeting_id)}


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        pytest.param({"filter": {"committee": "nonsense"}}, "BAD_USER_INPUT", id="bad-committee"),
        pytest.param({"first": 101}, "BAD_USER_INPUT", id="page-too-large"),
        pytest.param({"after": "bm9wZQ"}, "BAD_USER_INPUT", id="bad-cursor"),
        pytest.param({"filter": {"from": "2030-01-01T00:00:00"}}, "BAD_USER_INPUT", id="no-offset"),
    ],
)
async def test_the_meeting_list_refuses_bad_arguments(
    board: Board, variables: dict[str, Any], code: str
) -> None:
    body = await board.query("member", MEETINGS, alliance=board.alliance, **variables)
    assert codes(body) == [code], body


async def test_meetings_need_governance_read(board: Board) -> None:
    meeting = gid("Meeting", await a_meeting(board, starts_in=days(20), agenda=["A"]))
    body = await board.query("no_read", MEETINGS, alliance=board.alliance)
    assert codes(body) == ["FORBIDDEN"]
    node = await board.query("no_read", "query($id: ID!) { node(id: $id) { id } }", id=meeting)
    assert node["data"]["node"] is None
    # the secretary's viewer reads (it only lacks governance:write)
    assert (await board.query("no_scope", MEETINGS, alliance=board.alliance))["data"]["meetings"][
        "edges"
    ]


async def test_outsiders_cannot_see_meetings_or_agenda_items(board: Board) -> None:
    meeting_id = await a_meeting(board, starts_in=days(20), agenda=["A"])
    item = gid("AgendaItem", (await agenda_ids(board, meeting_id))["A"])
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    ids = [gid("Meeting", meeting_id), item]
    assert (await board.query("outsider", query, ids=ids))["data"]["nodes"] == [None, None]
    assert (await board.query("observer", query, ids=ids))["data"]["nodes"] == [
        {"id": i} for i in ids
    ]


# --- statement counts -----------------------------------------------------------------

DEEP = """
query Deep($alliance: ID!) {
  meetings(alliance: $alliance, first: 50) { edges { node {
    title committee { name }
    agendaItems { position title meeting { title } }
    attendance { present seat { role organisation { slug } } }
  } } }
}
"""


async def test_meetings_with_agendas_and_attendance_in_constant_statements(
    board: Board, engine: AsyncEngine
) -> None:
    token = await board.token("member")

    async def seed(count: int, items: int) -> None:
        for n in range(count):
            meeting_id = await a_meeting(
                board,
                starts_in=-days(n + 1),
                agenda=[f"Item {i}" for i in range(items)],
                committee_id=board.committee_id if n % 2 == 0 else board.steering_id,
            )
            async with board.world.sessions() as session, session.begin():
                act_as(session, Actor.operator(board.orgs["secretary"].id))
                seat_roles = ("chair", "secretary", "member", "observer")
                seats = seat_roles if n % 2 == 0 else ("steering",)
                for role in seats[:items]:
                    seat = await session.get(Seat, board.seats[role])
                    assert seat is not None
                    session.add(
                        Attendance(
                            alliance_id=board.alliance_id,
                            meeting_id=meeting_id,
                            seat_id=seat.id,
                            organisation_id=seat.organisation_id,
                            present=True,
                        )
                    )

    await seed(1, 1)
    await gql(board.client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        first = await gql(board.client, token, DEEP, {"alliance": board.alliance})
    await seed(6, 4)
    with counting() as large:
        second = await gql(board.client, token, DEEP, {"alliance": board.alliance})

    assert "errors" not in second, second
    edges = second["data"]["meetings"]["edges"]
    assert len(first["data"]["meetings"]["edges"]) == 1
    assert len(edges) == 7
    assert sum(len(e["node"]["agendaItems"]) for e in edges) == 1 + 6 * 4
    assert sum(len(e["node"]["attendance"]) for e in edges) == 1 + 3 * 4 + 3 * 1
    assert len(large) == len(small), "\n".join(large)
    # the request start (credential, role and tenant), meetings, then one statement per
    # nested level:
    # committees, agenda items, attendance, the agenda items' meetings, seats, organisations
    assert len(small) == 8, "\n".join(small)


async def test_a_meeting_payload_reflects_changes_made_earlier_in_the_same_request(
    board: Board,
) -> None:
    meeting = gid("Meeting", await a_meeting(board, starts_in=days(30), agenda=["A"]))
    body = await gql(
        board.client,
        await board.token("secretary"),
        """
        mutation($meeting: ID!) {
          one: addAgendaItem(input: { meeting: $meeting, title: "B", kind: DECISION }) {
            meeting { agendaItems { title } }
          }
          two: addAgendaItem(input: { meeting: $meeting, title: "C", kind: DECISION }) {
            meeting { agendaItems { title } }
          }
        }
        """,
        {"meeting": meeting},
    )
    assert "errors" not in body, body
    assert [i["title"] for i in body["data"]["one"]["meeting"]["agendaItems"]] == ["A", "B"]
    assert [i["title"] for i in body["data"]["two"]["meeting"]["agendaItems"]] == ["A", "B", "C"]
