"""The action item list without an alliance: an organisation's open items (or one person's)
across every alliance it is a current member of, soonest due first, with one cursor.

The cast, in three alliances, each with a meeting of its steering committee:
- north: helix leads; basel and cairo are partners;
- south: basel leads; helix and dover are partners;
- east: gdansk leads, cairo is a partner; helix and basel are not members.

The items (laid directly in the database; due in days from today):

| title              | alliance | owner  | person       | due | status    |
|--------------------|----------|--------|--------------|-----|-----------|
| n-helix-admin      | north    | helix  | helix admin  | +3  | open      |
| n-helix-overdue    | north    | helix  | -            | -2  | open      |
| n-helix-done       | north    | helix  | -            | -5  | done      |
| n-basel            | north    | basel  | -            | +1  | open      |
| s-helix-member     | south    | helix  | helix member | +1  | open      |
| s-helix-cancelled  | south    | helix  | -            | +4  | cancelled |
| s-helix-admin      | south    | helix  | helix admin  | +7  | open      |
| s-dover            | south    | dover  | -            | 0   | open      |
| e-cairo            | east     | cairo  | -            | +2  | open      |
| e-gdansk           | east     | gdansk | -            | -1  | open      |
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from auth.scopes import Scope
from db.enums import ActionItemStatus, MeetingKind, MeetingStatus, MembershipRole, UserRole
from db.governance import ActionItem, Meeting
from db.models import Membership, utcnow
from db.unit_of_work import Actor, act_as
from portal import alliances
from tests.builders import Org, World, counting, db_id, gid, gql, top_level_codes, walk_both_ways

LIST = """
query Items($alliance: ID, $filter: ActionItemFilter, $first: Int, $after: String,
            $last: Int, $before: String, $orderBy: ActionItemOrder! = DUE_ON) {
  actionItems(alliance: $alliance, filter: $filter, first: $first, after: $after,
              last: $last, before: $before, orderBy: $orderBy) {
    edges { cursor node { id title dueOn status overdue ownerUserId
                          committee { alliance { name } } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
SLUGS = ("helix", "basel", "cairo", "dover", "gdansk")
ALLIANCES = ("north", "south", "east")

ITEMS: list[tuple[str, str, str, UserRole | None, int, ActionItemStatus]] = [
    ("n-helix-admin", "north", "helix", UserRole.ADMIN, 3, ActionItemStatus.OPEN),
    ("n-helix-overdue", "north", "helix", None, -2, ActionItemStatus.OPEN),
    ("n-helix-done", "north", "helix", None, -5, ActionItemStatus.DONE),
    ("n-basel", "north", "basel", None, 1, ActionItemStatus.OPEN),
    ("s-helix-member", "south", "helix", UserRole.MEMBER, 1, ActionItemStatus.OPEN),
    ("s-helix-cancelled", "south", "helix", None, 4, ActionItemStatus.CANCELLED),
    ("s-helix-admin", "south", "helix", UserRole.ADMIN, 7, ActionItemStatus.OPEN),
    ("s-dover", "south", "dover", None, 0, ActionItemStatus.OPEN),
    ("e-cairo", "east", "cairo", None, 2, ActionItemStatus.OPEN),
    ("e-gdansk", "east", "gdansk", None, -1, ActionItemStatus.OPEN),
]
LEADS = {"north": "helix", "south": "basel", "east": "gdansk"}


def today() -> dt.date:
    return utcnow().date()


@dataclass
class Cast:
    world: World
    client: httpx.AsyncClient
    orgs: dict[str, Org]
    alliance_ids: dict[str, uuid.UUID]
    meetings: dict[str, tuple[uuid.UUID, uuid.UUID]]
    """Per alliance: its steering committee and the meeting the items come from."""

    def alliance(self, name: str) -> str:
        return gid("Alliance", self.alliance_ids[name])

    def organisation(self, slug: str) -> str:
        return gid("Organisation", self.orgs[slug].id)

    def user(self, slug: str, role: UserRole = UserRole.ADMIN) -> str:
        """A person's user ID as viewer.userId shows it."""
        return str(self.orgs[slug].users[role])

    async def token(self, who: str) -> str:
        return await self.world.token(self.orgs[who])

    async def page(self, who: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        body = await gql(self.client, token or await self.token(who), LIST, variables)
        assert "errors" not in body, body
        connection: dict[str, Any] = body["data"]["actionItems"]
        return connection

    async def titles(self, who: str, **variables: Any) -> list[str]:
        page = await self.page(who, first=100, **variables)
        return [edge["node"]["title"] for edge in page["edges"]]

    async def item(
        self,
        title: str,
        alliance: str,
        owner: str,
        person: UserRole | None,
        due_in: int,
        status: ActionItemStatus,
    ) -> uuid.UUID:
        committee_id, meeting_id = self.meetings[alliance]
        item = ActionItem(
            id=uuid.uuid4(),
            alliance_id=self.alliance_ids[alliance],
            committee_id=committee_id,
            meeting_id=meeting_id,
            title=title,
            owner_organisation_id=self.orgs[owner].id,
            owner_user_id=self.orgs[owner].users[person] if person else None,
            due_on=today() + dt.timedelta(days=due_in),
            status=status,
            completed_at=utcnow() if status is ActionItemStatus.DONE else None,
            version=1,
        )
        async with self.world.sessions() as session, session.begin():
            act_as(session, Actor.operator(self.orgs[LEADS[alliance]].id))
            session.add(item)
        return item.id


async def _meeting(world: World, lead: Org, alliance_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    steering_id = await world.steering(alliance_id)
    starts_at = utcnow() - dt.timedelta(days=7)
    meeting = Meeting(
        id=uuid.uuid4(),
        alliance_id=alliance_id,
        committee_id=steering_id,
        title="Steering review",
        kind=MeetingKind.ORDINARY,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2),
        location="Basel",
        status=MeetingStatus.HELD,
        agenda_deadline=starts_at - dt.timedelta(days=3),
        version=1,
    )
    async with world.sessions() as session, session.begin():
        act_as(session, Actor.operator(lead.id))
        session.add(meeting)
    return steering_id, meeting.id


@pytest.fixture
async def cast(client: httpx.AsyncClient, world: World) -> Cast:
    orgs = {slug: await world.organisation(slug) for slug in SLUGS}
    alliance_ids = {
        "north": await world.alliance(orgs["helix"], orgs["basel"], orgs["cairo"], name="North"),
        "south": await world.alliance(orgs["basel"], orgs["helix"], orgs["dover"], name="South"),
        "east": await world.alliance(orgs["gdansk"], orgs["cairo"], name="East"),
    }
    meetings = {
        name: await _meeting(world, orgs[LEADS[name]], alliance_ids[name]) for name in ALLIANCES
    }
    result = Cast(world, client, orgs, alliance_ids, meetings)
    for row in ITEMS:
        await result.item(*row)
    return result


async def snapshot(world: World) -> list[tuple[Any, ...]]:
    """Every action item as stored: to prove a refused read changed nothing."""
    async with world.sessions() as session:
        rows = (await session.scalars(select(ActionItem).order_by(ActionItem.id))).all()
    return [tuple(getattr(row, c.key) for c in ActionItem.__table__.columns) for row in rows]


MY_OPEN = ["n-helix-overdue", "s-helix-member", "n-helix-admin", "s-helix-admin"]
"""helix's open items across its alliances, soonest due first."""


# --- what the list holds ---------------------------------------------------------------------


async def test_my_organisations_open_items_across_alliances(cast: Cast) -> None:
    mine = {"ownerOrganisation": cast.organisation("helix"), "statuses": ["OPEN"]}
    page = await cast.page("helix", first=100, filter=mine)
    assert [
        (
            e["node"]["title"],
            e["node"]["committee"]["alliance"]["name"],
            e["node"]["dueOn"],
            e["node"]["overdue"],
        )
        for e in page["edges"]
    ] == [
        ("n-helix-overdue", "North", (today() - dt.timedelta(days=2)).isoformat(), True),
        ("s-helix-member", "South", (today() + dt.timedelta(days=1)).isoformat(), False),
        ("n-helix-admin", "North", (today() + dt.timedelta(days=3)).isoformat(), False),
        ("s-helix-admin", "South", (today() + dt.timedelta(days=7)).isoformat(), False),
    ]
    # the same list as any other member of both alliances sees it
    assert await cast.titles("basel", filter=mine) == MY_OPEN
    # a member of only one of them sees that one's
    assert await cast.titles("dover", filter=mine) == ["s-helix-member", "s-helix-admin"]
    assert await cast.titles("cairo", filter=mine) == ["n-helix-overdue", "n-helix-admin"]
    assert await cast.titles("gdansk", filter=mine) == []
    assert await cast.titles("helix", filter=mine | {"overdue": True}) == ["n-helix-overdue"]
    assert await cast.titles("helix", filter=mine, orderBy="DUE_ON_DESC") == list(reversed(MY_OPEN))


async def test_one_persons_open_items_across_alliances(cast: Cast) -> None:
    admin = {"ownerUser": cast.user("helix"), "statuses": ["OPEN"]}
    assert await cast.titles("helix", filter=admin) == ["n-helix-admin", "s-helix-admin"]
    page = await cast.page("helix", first=100, filter=admin)
    assert {e["node"]["ownerUserId"] for e in page["edges"]} == {cast.user("helix")}
    member = {"ownerUser": cast.user("helix", UserRole.MEMBER)}
    assert await cast.titles("helix", filter=member) == ["s-helix-member"]
    # viewer.userId is the ID to give
    token = await cast.token("helix")
    viewer = await gql(cast.client, token, "{ viewer { userId organisation { id } } }")
    me = viewer["data"]["viewer"]
    mine = {"ownerUser": me["userId"], "ownerOrganisation": me["organisation"]["id"]}
    assert await cast.titles("helix", filter=mine | {"statuses": ["OPEN"]}) == [
        "n-helix-admin",
        "s-helix-admin",
    ]
    assert await cast.titles("helix", filter={"ownerUser": str(uuid.uuid4())}) == []


@pytest.mark.parametrize("reader", SLUGS)
async def test_without_an_alliance_the_list_is_every_alliance_list_in_one(
    cast: Cast, reader: str
) -> None:
    across = (await cast.page(reader, first=100))["edges"]
    per_alliance = [
        edge
        for name in ALLIANCES
        for edge in (await cast.page(reader, alliance=cast.alliance(name), first=100))["edges"]
    ]
    per_alliance.sort(key=lambda e: (e["node"]["dueOn"], db_id(e["node"]["id"])))
    assert [e["node"] for e in across] == [e["node"] for e in per_alliance]
    seen_alliances = {e["node"]["committee"]["alliance"]["name"] for e in across}
    expected = {
        "helix": {"North", "South"},
        "basel": {"North", "South"},
        "cairo": {"North", "East"},
        "dover": {"South"},
        "gdansk": {"East"},
    }
    assert seen_alliances == expected[reader]


async def test_another_alliances_items_are_never_seen(cast: Cast) -> None:
    assert "e-cairo" not in await cast.titles("helix")
    cairo = {"ownerOrganisation": cast.organisation("cairo")}
    assert await cast.titles("helix", filter=cairo) == []  # cairo owns items only in east
    assert await cast.titles("cairo", filter=cairo) == ["e-cairo"]
    gdansk = {"ownerOrganisation": cast.organisation("gdansk")}
    assert await cast.titles("helix", filter=gdansk) == []
    assert await cast.titles("helix", alliance=cast.alliance("east")) == []
    # a person of another organisation, or an item's owner, names nothing beyond the view
    assert await cast.titles("gdansk", filter={"ownerUser": cast.user("helix")}) == []


async def test_an_alliance_the_organisation_left_drops_out(cast: Cast) -> None:
    principal = cast.world.principal(cast.orgs["helix"])
    async with cast.world.acting(principal) as session:
        await alliances.leave_alliance(session, principal, cast.alliance_ids["south"])

    mine = {"ownerOrganisation": cast.organisation("helix"), "statuses": ["OPEN"]}
    assert await cast.titles("helix", filter=mine) == ["n-helix-overdue", "n-helix-admin"]
    assert all(not title.startswith("s-") for title in await cast.titles("helix"))
    # south's members still see the items helix owned there
    assert await cast.titles("dover", filter=mine) == ["s-helix-member", "s-helix-admin"]


async def test_a_former_membership_alone_hides_the_alliance(cast: Cast) -> None:
    async with cast.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(cast.orgs["basel"].id))
        await session.execute(
            update(Membership)
            .where(
                Membership.alliance_id == cast.alliance_ids["south"],
                Membership.organisation_id == cast.orgs["helix"].id,
            )
            .values(left_at=utcnow())
        )
    mine = {"ownerOrganisation": cast.organisation("helix"), "statuses": ["OPEN"]}
    assert await cast.titles("helix", filter=mine) == ["n-helix-overdue", "n-helix-admin"]


# --- pagination across alliances -----------------------------------------------------------------


@pytest.mark.parametrize("order_by", ["DUE_ON", "DUE_ON_DESC"])
@pytest.mark.parametrize("reader", ["helix", "cairo"])
async def test_cursors_page_across_alliances_both_ways(
    cast: Cast, reader: str, order_by: str
) -> None:
    expected = await cast.titles(reader, orderBy=order_by)
    assert len(expected) > 4

    forwards, backwards = await walk_both_ways(
        partial(cast.page, reader, orderBy=order_by), lambda node: node["title"]
    )
    assert forwards == expected
    assert backwards == expected


async def test_my_open_items_page_by_page(cast: Cast) -> None:
    mine = {"ownerOrganisation": cast.organisation("helix"), "statuses": ["OPEN"]}
    first = await cast.page("helix", filter=mine, first=3)
    assert [e["node"]["title"] for e in first["edges"]] == MY_OPEN[:3]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await cast.page("helix", filter=mine, first=3, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["title"] for e in rest["edges"]] == MY_OPEN[3:]
    assert rest["pageInfo"]["hasNextPage"] is False


# --- refusals ------------------------------------------------------------------------------


async def test_reading_across_alliances_needs_governance_read(cast: Cast) -> None:
    no_read = await cast.world.token(cast.orgs["helix"], scopes=frozenset({Scope.ALLIANCES_READ}))
    body = await gql(cast.client, no_read, LIST, {})
    assert top_level_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None
    viewer = await cast.world.token(cast.orgs["helix"], role=UserRole.VIEWER)
    mine = {"ownerOrganisation": cast.organisation("helix"), "statuses": ["OPEN"]}
    page = await cast.page("helix", token=viewer, first=100, filter=mine)
    assert [e["node"]["title"] for e in page["edges"]] == MY_OPEN


def _cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        pytest.param({"after": "bm9wZQ"}, "BAD_USER_INPUT", id="not-a-cursor"),
        pytest.param(
            {"after": _cursor("due_on_desc", "2026-01-01", str(uuid.uuid4()))},
            "BAD_USER_INPUT",
            id="cursor-of-another-ordering",
        ),
        pytest.param(
            {"before": _cursor("due_on", "not a day", str(uuid.uuid4()))},
            "BAD_USER_INPUT",
            id="forged-cursor",
        ),
        pytest.param({"alliance": "nonsense"}, "BAD_USER_INPUT", id="bad-alliance"),
        pytest.param({"filter": {"ownerUser": "nobody"}}, "BAD_USER_INPUT", id="bad-user"),
        pytest.param(
            {"filter": {"ownerOrganisation": "nonsense"}}, "BAD_USER_INPUT", id="bad-owner"
        ),
        pytest.param({"first": 101}, "BAD_USER_INPUT", id="page-too-large"),
    ],
)
async def test_bad_arguments_get_a_typed_error_and_change_nothing(
    cast: Cast, variables: dict[str, Any], code: str
) -> None:
    before = await snapshot(cast.world)
    body = await gql(cast.client, await cast.token("helix"), LIST, variables)
    assert top_level_codes(body) == [code], body
    assert body["data"] is None
    assert await snapshot(cast.world) == before


# --- cost ---------------------------------------------------------------------------------


DEEP = """
query Mine($org: ID!) {
  actionItems(filter: {ownerOrganisation: $org, statuses: [OPEN]}, first: 100) {
    edges { node { title overdue ownerOrganisation { slug }
                   committee { name alliance { name } } meeting { title } } }
  }
}
"""


async def test_the_list_across_alliances_is_one_statement(cast: Cast) -> None:
    token = await cast.world.token(cast.orgs["dover"])
    variables = {"org": cast.organisation("dover")}
    await gql(cast.client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        first = await gql(cast.client, token, DEEP, variables)
    for alliance in ("north", "east"):
        principal = cast.world.principal(cast.orgs[LEADS[alliance]])
        async with cast.world.acting(principal) as session:
            await alliances.add_member(
                session,
                principal,
                cast.alliance_ids[alliance],
                organisation_slug="dover",
                role=MembershipRole.PARTNER,
            )
    for n in range(6):
        await cast.item(f"dover-{n}", ALLIANCES[n % 3], "dover", None, n, ActionItemStatus.OPEN)
    with counting() as large:
        second = await gql(cast.client, token, DEEP, variables)

    assert "errors" not in second, second
    assert len(first["data"]["actionItems"]["edges"]) == 1
    edges = second["data"]["actionItems"]["edges"]
    assert len(edges) == 7
    assert {e["node"]["committee"]["alliance"]["name"] for e in edges} == {
        "North",
        "South",
        "East",
    }
    assert len(large) == len(small), "\n".join(large)
    lists = [s for s in large if s.startswith("SELECT action_items.id")]
    assert len(lists) == 1, "\n".join(large)
