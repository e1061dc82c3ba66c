"""Action items over GraphQL: recorded from a meeting by its committee's secretary or
chair, owned by a member organisation (and optionally one of its people), settled by the
owner or the secretary or chair, and listed per alliance, committee and organisation with
the open and overdue ones easy to find.

The cast is the board of tests/meetings/test_meetings.py; action items here are owned by the
working group's member organisation unless a test says otherwise.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from db.enums import ActionItemStatus, MeetingStatus, UserRole
from db.governance import ActionItem
from db.models import utcnow
from db.unit_of_work import Actor, act_as
from tests.builders import World, counting, gid, gql
from tests.meetings.test_meetings import (
    ROLES,
    Board,
    a_board,
    a_meeting,
    codes,
    days,
    expected,
    outcome,
)

ITEM = """actionItem {
  id title ownerUserId dueOn status completedAt version overdue
  ownerOrganisation { slug } meeting { title } committee { name }
}"""
USER_ERRORS = "userErrors { field message code }"
INPUTS = {
    "createActionItem": "CreateActionItemInput",
    "updateActionItem": "UpdateActionItemInput",
    "completeActionItem": "CompleteActionItemInput",
    "cancelActionItem": "CancelActionItemInput",
}

ACTION_ITEMS = """
query Items(
  $alliance: ID!, $filter: ActionItemFilter, $first: Int, $after: String,
  $last: Int, $before: String, $orderBy: ActionItemOrder! = DUE_ON
) {
  actionItems(
    alliance: $alliance, filter: $filter, first: $first, after: $after, last: $last,
    before: $before, orderBy: $orderBy
  ) {
    edges { cursor node { title overdue status dueOn } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""

MANAGERS = frozenset({"chair", "secretary"})
OWNER_OR_MANAGERS = frozenset({"chair", "secretary", "member"})


@pytest.fixture
async def board(client: httpx.AsyncClient, world: World) -> Board:
    return await a_board(client, world)


async def run(board: Board, who: str, mutation: str, **input_: Any) -> dict[str, Any]:
    query = (
        f"mutation Run($input: {INPUTS[mutation]}!) {{ {mutation}(input: $input) "
        f"{{ {ITEM} {USER_ERRORS} }} }}"
    )
    return await gql(board.client, await board.token(who), query, {"input": input_})


async def ok(board: Board, who: str, mutation: str, **input_: Any) -> dict[str, Any]:
    body = await run(board, who, mutation, **input_)
    assert outcome(body, mutation) == "ok", body
    item: dict[str, Any] = body["data"][mutation]["actionItem"]
    return item


async def refused(board: Board, who: str, mutation: str, **input_: Any) -> tuple[str | None, str]:
    body = await run(board, who, mutation, **input_)
    assert "errors" not in body, body
    [error] = body["data"][mutation]["userErrors"]
    assert body["data"][mutation]["actionItem"] is None
    return error["field"], error["code"]


def today() -> dt.date:
    return utcnow().date()


async def an_action_item(
    board: Board,
    meeting_id: uuid.UUID,
    *,
    title: str = "Send the report",
    owner: str = "member",
    due_in: int = 14,
    status: ActionItemStatus = ActionItemStatus.OPEN,
    committee_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """An action item made directly (set-up), e.g. one already overdue."""
    item = ActionItem(
        id=uuid.uuid4(),
        alliance_id=board.alliance_id,
        committee_id=committee_id or board.committee_id,
        meeting_id=meeting_id,
        title=title,
        owner_organisation_id=board.orgs[owner].id,
        due_on=today() + dt.timedelta(days=due_in),
        status=status,
        completed_at=utcnow() if status is ActionItemStatus.DONE else None,
        version=1,
    )
    async with board.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(board.orgs["secretary"].id))
        session.add(item)
    return item.id


async def held_meeting(board: Board, committee_id: uuid.UUID | None = None) -> uuid.UUID:
    return await a_meeting(
        board, starts_in=-days(1), status=MeetingStatus.HELD, committee_id=committee_id
    )


async def items(world: World) -> list[tuple[Any, ...]]:
    """Every action item row: to prove a refusal changed nothing."""
    async with world.sessions() as session:
        rows = (await session.scalars(select(ActionItem).order_by(ActionItem.id))).all()
    return [tuple(getattr(row, c.key) for c in ActionItem.__table__.columns) for row in rows]


# --- who may do what ------------------------------------------------------------------


async def _create(board: Board) -> dict[str, Any]:
    return {
        "meeting": gid("Meeting", await held_meeting(board)),
        "title": "Draft the data-sharing annex",
        "ownerOrganisationSlug": "member",
        "dueOn": (today() + dt.timedelta(days=14)).isoformat(),
    }


async def _on_item(board: Board) -> dict[str, Any]:
    item_id = await an_action_item(board, await held_meeting(board))
    return {"actionItem": gid("ActionItem", item_id), "version": 1}


ACTIONS = [
    ("createActionItem", MANAGERS, _create, {}),
    ("updateActionItem", OWNER_OR_MANAGERS, _on_item, {"title": "Send the final report"}),
    ("completeActionItem", OWNER_OR_MANAGERS, _on_item, {}),
    ("cancelActionItem", OWNER_OR_MANAGERS, _on_item, {}),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("mutation", "allowed", "prepare", "extra"), ACTIONS, ids=[a[0] for a in ACTIONS]
)
async def test_each_role_against_each_action_item_action(
    board: Board, mutation: str, allowed: frozenset[str], prepare: Any, extra: Any, role: str
) -> None:
    variables = {**await prepare(board), **extra}
    before = await items(board.world)

    body = await run(board, role, mutation, **variables)

    assert outcome(body, mutation) == expected(role, allowed), body
    if role in allowed:
        assert await items(board.world) != before
        return
    assert await items(board.world) == before
    after = await run(board, "secretary", mutation, **variables)
    assert outcome(after, mutation) == "ok", after


async def test_an_owner_without_a_seat_settles_its_own_items(board: Board) -> None:
    item = gid(
        "ActionItem", await an_action_item(board, await held_meeting(board), owner="unseated")
    )
    assert await refused(board, "member", "completeActionItem", actionItem=item, version=1) == (
        None,
        "FORBIDDEN",
    )
    done = await ok(board, "unseated", "completeActionItem", actionItem=item, version=1)
    assert (done["status"], done["version"]) == ("DONE", 2)


async def test_an_owners_viewer_cannot_settle_its_items(board: Board) -> None:
    item = gid("ActionItem", await an_action_item(board, await held_meeting(board)))
    viewer = await board.world.token(board.orgs["member"], role=UserRole.VIEWER)
    before = await items(board.world)
    body = await gql(
        board.client,
        viewer,
        "mutation($input: CompleteActionItemInput!) { completeActionItem(input: $input) "
        "{ actionItem { id } userErrors { code } } }",
        {"input": {"actionItem": item, "version": 1}},
    )
    assert codes(body) == ["FORBIDDEN"]
    assert await items(board.world) == before


# --- creating -------------------------------------------------------------------------


async def test_the_secretary_records_an_action_item_for_a_person(board: Board) -> None:
    meeting = gid("Meeting", await held_meeting(board))
    person = board.orgs["secretary"].users[UserRole.MEMBER]
    due_on = today() + dt.timedelta(days=7)

    item = await ok(
        board,
        "secretary",
        "createActionItem",
        meeting=meeting,
        title="  Circulate the minutes  ",
        ownerOrganisationSlug="secretary",
        ownerUser=str(person),
        dueOn=due_on.isoformat(),
    )

    assert item | {"id": None} == {
        "id": None,
        "title": "Circulate the minutes",
        "ownerUserId": str(person),
        "dueOn": due_on.isoformat(),
        "status": "OPEN",
        "completedAt": None,
        "version": 1,
        "overdue": False,
        "ownerOrganisation": {"slug": "secretary"},
        "meeting": {"title": "Quarterly review"},
        "committee": {"name": "Working group"},
    }
    # the chair may record one too, for another member organisation, due today
    await ok(
        board,
        "chair",
        "createActionItem",
        meeting=meeting,
        title="Book the venue",
        ownerOrganisationSlug="observer",
        dueOn=today().isoformat(),
    )


@pytest.mark.parametrize(
    ("case", "field", "code"),
    [
        pytest.param("blank-title", "title", "BAD_USER_INPUT", id="blank-title"),
        pytest.param("past-due", "dueOn", "BAD_USER_INPUT", id="due-in-the-past"),
        pytest.param("unknown-org", "ownerOrganisationSlug", "NOT_FOUND", id="unknown-org"),
        pytest.param("outsider-org", "ownerOrganisationSlug", "NOT_FOUND", id="outsider-org"),
        pytest.param(
            "neighbour-org", "ownerOrganisationSlug", "BAD_USER_INPUT", id="visible-non-member"
        ),
        pytest.param("others-user", "ownerUser", "NOT_FOUND", id="user-not-visible"),
        pytest.param("own-user", "ownerUser", "BAD_USER_INPUT", id="user-of-another-owner"),
        pytest.param("bad-user", "ownerUser", "BAD_USER_INPUT", id="malformed-user"),
        pytest.param("cancelled", "meeting", "CONFLICT", id="cancelled-meeting"),
        pytest.param("no-meeting", "meeting", "NOT_FOUND", id="unknown-meeting"),
    ],
)
async def test_create_action_item_refuses_bad_input_and_creates_nothing(
    board: Board, case: str, field: str, code: str
) -> None:
    status = MeetingStatus.CANCELLED if case == "cancelled" else MeetingStatus.HELD
    meeting_id = await a_meeting(board, starts_in=-days(1), status=status)
    variables: dict[str, Any] = {
        "meeting": gid("Meeting", meeting_id),
        "title": "Follow up",
        "ownerOrganisationSlug": "member",
        "dueOn": (today() + dt.timedelta(days=3)).isoformat(),
    }
    if case == "blank-title":
        variables["title"] = "  "
    if case == "past-due":
        variables["dueOn"] = (today() - dt.timedelta(days=1)).isoformat()
    if case == "unknown-org":
        variables["ownerOrganisationSlug"] = "nobody"
    if case == "outsider-org":
        variables["ownerOrganisationSlug"] = "outsider"
    if case == "neighbour-org":
        # the secretary shares another alliance with neighbour, so it can see it
        neighbour = await board.world.organisation("neighbour")
        await board.world.alliance(board.orgs["secretary"], neighbour, name="Side alliance")
        variables["ownerOrganisationSlug"] = "neighbour"
    if case == "others-user":
        variables["ownerUser"] = str(board.orgs["member"].users[UserRole.MEMBER])
    if case == "own-user":
        variables["ownerUser"] = str(board.orgs["secretary"].users[UserRole.MEMBER])
    if case == "bad-user":
        variables["ownerUser"] = "somebody"
    if case == "no-meeting":
        variables["meeting"] = gid("Meeting", uuid.uuid4())
    before = await items(board.world)

    assert await refused(board, "secretary", "createActionItem", **variables) == (field, code)
    assert await items(board.world) == before


# --- updating and settling ------------------------------------------------------------


async def test_the_owner_updates_its_item_but_only_a_manager_hands_it_over(board: Board) -> None:
    item = gid("ActionItem", await an_action_item(board, await held_meeting(board)))
    person = str(board.orgs["member"].users[UserRole.MEMBER])
    due_on = today() + dt.timedelta(days=30)

    updated = await ok(
        board,
        "member",
        "updateActionItem",
        actionItem=item,
        version=1,
        title="Send the revised report",
        dueOn=due_on.isoformat(),
        ownerUser=person,
    )
    assert (updated["title"], updated["dueOn"], updated["ownerUserId"], updated["version"]) == (
        "Send the revised report",
        due_on.isoformat(),
        person,
        2,
    )

    before = await items(board.world)
    assert await refused(
        board, "member", "updateActionItem", actionItem=item, version=1, title="Stale"
    ) == ("version", "CONFLICT")
    assert await refused(
        board,
        "member",
        "updateActionItem",
        actionItem=item,
        version=2,
        ownerOrganisationSlug="observer",
    ) == ("ownerOrganisationSlug", "FORBIDDEN")
    assert await refused(
        board,
        "member",
        "updateActionItem",
        actionItem=item,
        version=2,
        dueOn=(today() - dt.timedelta(days=1)).isoformat(),
    ) == ("dueOn", "BAD_USER_INPUT")
    assert await items(board.world) == before

    # naming its own organisation again is no hand-over; omitting ownerUser keeps it
    same = await ok(
        board,
        "member",
        "updateActionItem",
        actionItem=item,
        version=2,
        ownerOrganisationSlug="member",
    )
    assert (same["ownerUserId"], same["version"]) == (person, 3)

    handed = await ok(
        board,
        "chair",
        "updateActionItem",
        actionItem=item,
        version=3,
        ownerOrganisationSlug="observer",
    )
    assert (handed["ownerOrganisation"], handed["ownerUserId"]) == ({"slug": "observer"}, None)
    # the old owner no longer may change it; the new one may, and may clear its person
    assert await refused(
        board, "member", "updateActionItem", actionItem=item, version=4, title="Mine"
    ) == (None, "FORBIDDEN")
    cleared = await ok(
        board, "observer", "updateActionItem", actionItem=item, version=4, ownerUser=None
    )
    assert (cleared["ownerUserId"], cleared["version"]) == (None, 5)


async def test_completing_and_cancelling_settle_an_item_once(board: Board) -> None:
    meeting_id = await held_meeting(board)
    first = gid("ActionItem", await an_action_item(board, meeting_id))
    second = gid("ActionItem", await an_action_item(board, meeting_id))

    done = await ok(board, "member", "completeActionItem", actionItem=first, version=1)
    assert (done["status"], done["version"], done["overdue"]) == ("DONE", 2, False)
    completed_at = dt.datetime.fromisoformat(done["completedAt"])
    assert abs(completed_at - utcnow()) < dt.timedelta(minutes=1)
    cancelled = await ok(board, "secretary", "cancelActionItem", actionItem=second, version=1)
    assert (cancelled["status"], cancelled["completedAt"]) == ("CANCELLED", None)

    before = await items(board.world)
    for item, version in ((first, 2), (second, 2)):
        for mutation in ("completeActionItem", "cancelActionItem"):
            assert await refused(board, "chair", mutation, actionItem=item, version=version) == (
                "actionItem",
                "CONFLICT",
            )
        assert await refused(
            board, "chair", "updateActionItem", actionItem=item, version=version, title="x"
        ) == ("actionItem", "CONFLICT")
    assert await items(board.world) == before


async def test_outsiders_cannot_find_action_items(board: Board) -> None:
    item = gid("ActionItem", await an_action_item(board, await held_meeting(board)))
    query = "query($id: ID!) { node(id: $id) { ... on ActionItem { title } } }"
    assert (await board.query("outsider", query, id=item))["data"]["node"] is None
    assert (await board.query("no_read", query, id=item))["data"]["node"] is None
    assert (await board.query("unseated", query, id=item))["data"]["node"] == {
        "title": "Send the report"
    }


# --- lists ----------------------------------------------------------------------------


async def test_open_and_overdue_items_per_alliance_committee_and_organisation(
    board: Board,
) -> None:
    group = await held_meeting(board)
    steering = await held_meeting(board, board.steering_id)
    on_steering = board.steering_id
    await an_action_item(board, group, title="A", owner="member", due_in=-1)
    await an_action_item(board, group, title="B", owner="observer", due_in=10)
    await an_action_item(
        board,
        steering,
        title="C",
        due_in=-5,
        status=ActionItemStatus.DONE,
        committee_id=on_steering,
    )
    await an_action_item(
        board, steering, title="D", owner="chair", due_in=-2, committee_id=on_steering
    )
    await an_action_item(board, group, title="E", due_in=30, status=ActionItemStatus.CANCELLED)
    await an_action_item(board, group, title="F", owner="member", due_in=0)

    async def titles(who: str = "observer", **variables: Any) -> list[str]:
        body = await board.query(who, ACTION_ITEMS, alliance=board.alliance, **variables)
        assert "errors" not in body, body
        return [edge["node"]["title"] for edge in body["data"]["actionItems"]["edges"]]

    assert await titles() == ["C", "D", "A", "F", "B", "E"]
    assert await titles(orderBy="DUE_ON_DESC") == ["E", "B", "F", "A", "D", "C"]
    assert await titles(filter={"overdue": True}) == ["D", "A"]
    assert await titles(filter={"overdue": False}) == ["C", "F", "B", "E"]
    assert await titles(filter={"statuses": ["OPEN"]}) == ["D", "A", "F", "B"]
    assert await titles(filter={"committee": board.committee}) == ["A", "F", "B", "E"]
    assert await titles(
        filter={"committee": gid("Committee", board.steering_id), "overdue": True}
    ) == ["D"]
    member = gid("Organisation", board.orgs["member"].id)
    assert await titles(filter={"ownerOrganisation": member}) == ["C", "A", "F", "E"]
    assert await titles(filter={"ownerOrganisation": member, "statuses": ["OPEN"]}) == ["A", "F"]
    assert await titles(filter={"dueBefore": today().isoformat()}) == ["C", "D", "A"]
    assert await titles(filter={"dueAfter": today().isoformat()}) == ["B", "E"]
    assert await titles(
        filter={
            "dueAfter": (today() - dt.timedelta(days=3)).isoformat(),
            "dueBefore": (today() + dt.timedelta(days=11)).isoformat(),
        }
    ) == ["D", "A", "F", "B"]

    body = await board.query("member", ACTION_ITEMS, alliance=board.alliance)
    overdue = {
        e["node"]["title"]: e["node"]["overdue"] for e in body["data"]["actionItems"]["edges"]
    }
    assert overdue == {"A": True, "B": False, "C": False, "D": True, "E": False, "F": False}

    first = await board.query("member", ACTION_ITEMS, alliance=board.alliance, first=4)
    page = first["data"]["actionItems"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert await titles(first=4, after=page["pageInfo"]["endCursor"]) == ["B", "E"]
    assert await titles(last=2, before=page["pageInfo"]["endCursor"]) == ["D", "A"]

    # every member sees them, outsiders nothing; reading needs governance:read
    assert await titles("unseated") == await titles("chair")
    assert await titles("outsider") == []
    assert await titles("outsider", filter={"ownerOrganisation": member}) == []
    assert codes(await board.query("no_read", ACTION_ITEMS, alliance=board.alliance)) == [
        "FORBIDDEN"
    ]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        pytest.param({"filter": {"committee": "nonsense"}}, "BAD_USER_INPUT", id="bad-committee"),
        pytest.param(
            {"filter": {"ownerOrganisation": "nonsense"}}, "BAD_USER_INPUT", id="bad-owner"
        ),
        pytest.param({"first": 101}, "BAD_USER_INPUT", id="page-too-large"),
        pytest.param({"after": "bm9wZQ"}, "BAD_USER_INPUT", id="bad-cursor"),
    ],
)
async def test_the_action_item_list_refuses_bad_arguments(
    board: Board, variables: dict[str, Any], code: str
) -> None:
    body = await board.query("member", ACTION_ITEMS, alliance=board.alliance, **variables)
    assert codes(body) == [code], body


DEEP = """
query Deep($alliance: ID!) {
  actionItems(alliance: $alliance, first: 50) { edges { node {
    title overdue ownerOrganisation { slug }
    committee { name }
    meeting { title agendaItems { title } }
  } } }
}
"""


async def test_action_items_with_their_meetings_in_constant_statements(
    board: Board, engine: AsyncEngine
) -> None:
    token = await board.token("member")
    owners = ("chair", "secretary", "member", "observer", "unseated")

    async def seed(meetings: int, per_meeting: int) -> None:
        for n in range(meetings):
            committee_id = board.committee_id if n % 2 == 0 else board.steering_id
            meeting_id = await a_meeting(
                board, starts_in=-days(n + 1), agenda=["A", "B"], committee_id=committee_id
            )
            for i in range(per_meeting):
                await an_action_item(
                    board,
                    meeting_id,
                    owner=owners[i % len(owners)],
                    due_in=i - 2,
                    committee_id=committee_id,
                )

    await seed(1, 1)
    await gql(board.client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        first = await gql(board.client, token, DEEP, {"alliance": board.alliance})
    await seed(5, 5)
    with counting() as large:
        second = await gql(board.client, token, DEEP, {"alliance": board.alliance})

    assert "errors" not in second, second
    assert len(first["data"]["actionItems"]["edges"]) == 1
    assert len(second["data"]["actionItems"]["edges"]) == 26
    assert len(large) == len(small), "\n".join(large)
    # the request start (credential, role and tenant), action items, then one statement
    # per nested level: organisations, committees, meetings, agenda items
    assert len(small) == 6, "\n".join(small)
