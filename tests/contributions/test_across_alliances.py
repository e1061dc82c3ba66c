"""The contributions list without an alliance: every alliance the reader's organisation is
a current member of, in one order with one cursor, holding exactly what the alliances' own
lists hold, never more.

The cast, in three alliances:
- north: helix leads (and so chairs its steering committee); basel and cairo are partners;
  cairo alone sits on north's lab committee;
- south: basel leads (and chairs its steering committee); helix and dover are partners;
- east: gdansk leads, cairo is a partner; helix and basel are not members.

The ledger (recorded through the domain, one minute apart, in this order):

| description       | alliance | by     | audience          | valuation |
|-------------------|----------|--------|-------------------|-----------|
| n-helix-cash      | north    | helix  | alliance          | 100 EUR   |
| n-basel-lab       | north    | basel  | alliance          | 900 EUR   |
| n-cairo-lab-only  | north    | cairo  | the lab committee | 5000 EUR  |
| n-cairo-for-basel | north    | cairo  | cairo and basel   | -         |
| s-helix-ip        | south    | helix  | alliance          | 50000 EUR |
| s-dover-cash      | south    | dover  | alliance          | 700 EUR   |
| s-basel-advice    | south    | basel  | alliance          | -         |
| e-gdansk-cash     | east     | gdansk | alliance          | 10 EUR    |
| e-cairo-cash      | east     | cairo  | alliance          | 20 EUR    |
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from auth.scopes import Scope
from db.enums import (
    CommitteeTier,
    ContributionKind,
    MembershipRole,
    PlanStatus,
    SeatRole,
    UserRole,
    Visibility,
)
from db.governance import VisibilityGrant
from db.models import Membership
from db.portfolio import Contribution, ContributionValuation, Plan
from db.unit_of_work import Actor, act_as
from portal import alliances, contributions
from tests.builders import Org, World, counting, db_id, gid, gql, top_level_codes, walk_both_ways

LIST = """
query L($alliance: ID, $filter: ContributionFilter, $orderBy: ContributionOrder,
        $first: Int, $after: String, $last: Int, $before: String) {
  contributions(alliance: $alliance, filter: $filter, orderBy: $orderBy,
                first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { description createdAt alliance { name } valuation { amount } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
SLUGS = ("helix", "basel", "cairo", "dover", "gdansk")
ALLIANCES = ("north", "south", "east")

LEDGER: list[tuple[str, str, str, str, str | None, ContributionKind]] = [
    # description, alliance, contributor, audience, valuation in EUR, kind
    ("n-helix-cash", "north", "helix", "alliance", "100", ContributionKind.CASH),
    ("n-basel-lab", "north", "basel", "alliance", "900", ContributionKind.EQUIPMENT),
    ("n-cairo-lab-only", "north", "cairo", "lab", "5000", ContributionKind.CASH),
    ("n-cairo-for-basel", "north", "cairo", "basel", None, ContributionKind.KNOWLEDGE),
    ("s-helix-ip", "south", "helix", "alliance", "50000", ContributionKind.IP),
    ("s-dover-cash", "south", "dover", "alliance", "700", ContributionKind.CASH),
    ("s-basel-advice", "south", "basel", "alliance", None, ContributionKind.KNOWLEDGE),
    ("e-gdansk-cash", "east", "gdansk", "alliance", "10", ContributionKind.CASH),
    ("e-cairo-cash", "east", "cairo", "alliance", "20", ContributionKind.CASH),
]


def period_start(minute: int) -> dt.date:
    """When the period of the contribution recorded at ``minute`` starts: an order unlike
    the order of recording."""
    return dt.date(2026, 1, 1) + dt.timedelta(days=minute * 7 % 31)


@dataclass
class Cast:
    world: World
    client: httpx.AsyncClient
    orgs: dict[str, Org]
    alliance_ids: dict[str, uuid.UUID]
    lab_id: uuid.UUID
    ids: dict[str, uuid.UUID]

    def alliance(self, name: str) -> str:
        return gid("Alliance", self.alliance_ids[name])

    def organisation(self, slug: str) -> str:
        return gid("Organisation", self.orgs[slug].id)

    async def token(self, who: str) -> str:
        return await self.world.token(self.orgs[who])

    async def page(self, who: str, **variables: Any) -> dict[str, Any]:
        body = await gql(self.client, await self.token(who), LIST, variables)
        assert "errors" not in body, body
        connection: dict[str, Any] = body["data"]["contributions"]
        return connection

    async def listed(self, who: str, **variables: Any) -> list[str]:
        page = await self.page(who, first=100, **variables)
        return [edge["node"]["description"] for edge in page["edges"]]

    async def record(
        self,
        slug: str,
        alliance: str,
        description: str,
        *,
        minute: int,
        valuation: str | None = None,
        audience: contributions.Audience | None = None,
        kind: ContributionKind = ContributionKind.CASH,
        plan_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """Record a contribution through the domain at ``T0`` plus ``minute`` minutes."""
        principal = self.world.principal(self.orgs[slug])
        async with self.world.acting(principal) as session:
            row = await contributions.record_contribution(
                session,
                principal,
                self.alliance_ids[alliance],
                contributions.Draft(
                    kind=kind,
                    description=description,
                    quantity=Decimal("1"),
                    unit="units",
                    period_start=period_start(minute),
                    period_end=dt.date(2026, 12, 31),
                    plan_id=plan_id,
                    valuation=contributions.Money(Decimal(valuation), "EUR") if valuation else None,
                    audience=audience or contributions.Audience(),
                ),
                now=T0 + dt.timedelta(minutes=minute),
            )
        self.ids[description] = row.id
        return row.id

    async def leave(self, slug: str, alliance: str) -> None:
        """The organisation's admin takes it out of the alliance (through the domain)."""
        principal = self.world.principal(self.orgs[slug])
        async with self.world.acting(principal) as session:
            await alliances.leave_alliance(session, principal, self.alliance_ids[alliance])

    async def plan(self, owner: str, alliance: str, *, shared_with: tuple[str, ...] = ()) -> str:
        """A plan laid directly in the database; shared with the listed organisations only
        when ``shared_with`` names any."""
        plan = Plan(
            id=uuid.uuid4(),
            alliance_id=self.alliance_ids[alliance],
            owner_organisation_id=self.orgs[owner].id,
            status=PlanStatus.ACTIVE,
            visibility=Visibility.ORGANISATIONS if shared_with else Visibility.ALLIANCE,
            version=1,
        )
        async with self.world.sessions() as session, session.begin():
            act_as(session, Actor.operator(self.orgs[owner].id))
            session.add(plan)
            await session.flush()
            session.add_all(
                VisibilityGrant(
                    alliance_id=plan.alliance_id,
                    object_id=plan.id,
                    organisation_id=self.orgs[slug].id,
                )
                for slug in shared_with
            )
        return gid("Plan", plan.id)


@pytest.fixture
async def cast(client: httpx.AsyncClient, world: World) -> Cast:
    orgs = {slug: await world.organisation(slug) for slug in SLUGS}
    alliance_ids = {
        "north": await world.alliance(orgs["helix"], orgs["basel"], orgs["cairo"], name="North"),
        "south": await world.alliance(orgs["basel"], orgs["helix"], orgs["dover"], name="South"),
        "east": await world.alliance(orgs["gdansk"], orgs["cairo"], name="East"),
    }
    north_steering = await world.steering(alliance_ids["north"])
    lab = await world.committee(alliance_ids["north"], north_steering, CommitteeTier.OPERATIONAL)
    await world.seat(lab, orgs["cairo"], SeatRole.MEMBER)
    result = Cast(world, client, orgs, alliance_ids, lab, {})
    audiences = {
        "alliance": contributions.Audience(),
        "lab": contributions.Audience(Visibility.COMMITTEE, committee_id=lab),
        "basel": contributions.Audience(Visibility.ORGANISATIONS, organisation_slugs=("basel",)),
    }
    for minute, (description, alliance, by, audience, valuation, kind) in enumerate(LEDGER):
        await result.record(
            by,
            alliance,
            description,
            minute=minute,
            valuation=valuation,
            audience=audiences[audience],
            kind=kind,
        )
    return result


NEWEST_FIRST = [row[0] for row in reversed(LEDGER)]


def newest_first(*descriptions: str) -> list[str]:
    return [d for d in NEWEST_FIRST if d in descriptions]


async def snapshot(world: World) -> list[tuple[Any, ...]]:
    """Every contribution and valuation as stored, to prove a refused read changed nothing."""
    async with world.sessions() as session:
        rows = await session.execute(
            select(Contribution.id, Contribution.version, Contribution.status).order_by(
                Contribution.id
            )
        )
        valuations = await session.execute(
            select(ContributionValuation.contribution_id, ContributionValuation.amount).order_by(
                ContributionValuation.contribution_id
            )
        )
        return [tuple(row) for row in rows] + [tuple(row) for row in valuations]


# --- what the list holds ---------------------------------------------------------------------


SEEN = {
    "helix": newest_first(
        "n-helix-cash", "n-basel-lab", "s-helix-ip", "s-dover-cash", "s-basel-advice"
    ),
    "basel": newest_first(
        "n-helix-cash",
        "n-basel-lab",
        "n-cairo-for-basel",
        "s-helix-ip",
        "s-dover-cash",
        "s-basel-advice",
    ),
    "cairo": newest_first(
        "n-helix-cash",
        "n-basel-lab",
        "n-cairo-lab-only",
        "n-cairo-for-basel",
        "e-gdansk-cash",
        "e-cairo-cash",
    ),
    "dover": newest_first("s-helix-ip", "s-dover-cash", "s-basel-advice"),
    "gdansk": newest_first("e-gdansk-cash", "e-cairo-cash"),
}


@pytest.mark.parametrize("reader", SLUGS)
async def test_without_an_alliance_the_list_is_every_alliance_list_in_one(
    cast: Cast, reader: str
) -> None:
    across = (await cast.page(reader, first=100))["edges"]
    assert [edge["node"]["description"] for edge in across] == SEEN[reader]

    # exactly the union of the alliances' own lists (empty for an alliance it is not in),
    # with the same rows, alliances and visible valuations
    per_alliance = [
        edge
        for name in ALLIANCES
        for edge in (await cast.page(reader, alliance=cast.alliance(name), first=100))["edges"]
    ]
    per_alliance.sort(key=lambda edge: edge["node"]["createdAt"], reverse=True)
    assert [edge["node"] for edge in across] == [edge["node"] for edge in per_alliance]


async def test_my_organisations_contributions_across_alliances(cast: Cast) -> None:
    mine = {"organisation": cast.organisation("helix")}
    page = await cast.page("helix", filter=mine, first=100)
    assert [
        (edge["node"]["description"], edge["node"]["alliance"]["name"], edge["node"]["valuation"])
        for edge in page["edges"]
    ] == [
        ("s-helix-ip", "South", {"amount": "50000.00"}),
        ("n-helix-cash", "North", {"amount": "100.00"}),
    ]
    # a partner's contributions, in the alliances the reader shares with it and can see
    assert await cast.listed("helix", filter={"organisation": cast.organisation("cairo")}) == []
    assert await cast.listed("basel", filter={"organisation": cast.organisation("cairo")}) == [
        "n-cairo-for-basel"
    ]
    assert await cast.listed("cairo", filter={"organisation": cast.organisation("cairo")}) == [
        "e-cairo-cash",
        "n-cairo-for-basel",
        "n-cairo-lab-only",
    ]
    # an outsider's organisation names nothing the reader may see
    assert await cast.listed("helix", filter={"organisation": cast.organisation("gdansk")}) == []
    # the other filters work across alliances too
    assert await cast.listed("helix", filter={"kinds": ["CASH"]}) == [
        "s-dover-cash",
        "n-helix-cash",
    ]
    assert await cast.listed("helix", filter=mine | {"kinds": ["IP"]}) == ["s-helix-ip"]


async def test_a_steering_seat_in_one_alliance_reveals_no_valuation_in_another(
    cast: Cast,
) -> None:
    """helix chairs north's steering committee, not south's: across alliances it sees the
    amounts of north and its own, and dover's amount in south stays hidden from every
    amount filter, ordering and cursor."""
    page = await cast.page("helix", orderBy="AMOUNT_DESC", first=100)
    assert [(e["node"]["description"], e["node"]["valuation"]) for e in page["edges"]] == [
        ("s-helix-ip", {"amount": "50000.00"}),
        ("n-basel-lab", {"amount": "900.00"}),
        ("n-helix-cash", {"amount": "100.00"}),
        ("s-basel-advice", None),  # unvalued and hidden alike: last, newest first
        ("s-dover-cash", None),
    ]
    cursor_amounts = [
        json.loads(base64.urlsafe_b64decode(e["cursor"] + "=" * (-len(e["cursor"]) % 4)))[1]
        for e in page["edges"]
    ]
    assert cursor_amounts == ["50000.00", "900.00", "100.00", "-1.00", "-1.00"]
    assert await cast.listed("helix", filter={"minAmount": "500"}) == [
        "s-helix-ip",
        "n-basel-lab",
    ]
    assert await cast.listed("helix", filter={"minAmount": "600", "maxAmount": "800"}) == []
    assert await cast.listed("helix", filter={"currency": "EUR"}) == [
        "s-helix-ip",
        "n-basel-lab",
        "n-helix-cash",
    ]
    # basel chairs south's steering committee: there it sees dover's amount
    assert await cast.listed("basel", filter={"minAmount": "600", "maxAmount": "800"}) == [
        "s-dover-cash"
    ]


async def test_a_plan_filter_without_an_alliance(cast: Cast) -> None:
    shared = await cast.plan("basel", "south")
    private = await cast.plan("basel", "south", shared_with=("basel",))
    await cast.record("basel", "south", "s-basel-for-plan", minute=20, plan_id=db_id(shared))
    await cast.record("basel", "south", "s-basel-private", minute=21, plan_id=db_id(private))

    assert await cast.listed("helix", filter={"plan": shared}) == ["s-basel-for-plan"]
    assert await cast.listed("dover", filter={"plan": shared}) == ["s-basel-for-plan"]
    # a plan the reader cannot see names nothing, though the contribution itself is visible
    assert await cast.listed("helix", filter={"plan": private}) == []
    assert "s-basel-private" in await cast.listed("helix")
    assert await cast.listed("basel", filter={"plan": private}) == ["s-basel-private"]
    # a plan of an alliance the reader is not in names nothing either
    assert await cast.listed("gdansk", filter={"plan": shared}) == []
    assert await cast.listed("helix", filter={"plan": cast.alliance("south")}) == []  # a type


async def test_an_alliance_the_organisation_left_drops_out(cast: Cast) -> None:
    await cast.leave("helix", "south")

    assert await cast.listed("helix") == ["n-basel-lab", "n-helix-cash"]
    # its own contributions there too: it no longer sees the alliance at all
    mine = {"organisation": cast.organisation("helix")}
    assert await cast.listed("helix", filter=mine) == ["n-helix-cash"]
    assert await cast.listed("helix", alliance=cast.alliance("south")) == []
    # the alliance's members still see what helix contributed while it was a member
    assert "s-helix-ip" in await cast.listed("dover")


async def test_a_former_membership_alone_hides_the_alliance(cast: Cast) -> None:
    """Defence in depth: with the membership ended in the database and nothing else
    touched (e.g. a seat left behind), the alliance still drops out."""
    async with cast.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(cast.orgs["basel"].id))
        await session.execute(
            update(Membership)
            .where(
                Membership.alliance_id == cast.alliance_ids["south"],
                Membership.organisation_id == cast.orgs["helix"].id,
            )
            .values(left_at=T0)
        )
    assert await cast.listed("helix") == ["n-basel-lab", "n-helix-cash"]


# --- pagination across alliances -----------------------------------------------------------------


@pytest.mark.parametrize("order_by", ["CREATED_AT_DESC", "PERIOD_START", "AMOUNT_DESC"])
@pytest.mark.parametrize("reader", ["helix", "basel", "cairo"])
async def test_cursors_page_across_alliances_both_ways(
    cast: Cast, reader: str, order_by: str
) -> None:
    expected = await cast.listed(reader, orderBy=order_by)
    assert sorted(expected) == sorted(SEEN[reader])
    if order_by == "PERIOD_START":
        minutes = {row[0]: minute for minute, row in enumerate(LEDGER)}
        assert expected == sorted(SEEN[reader], key=lambda d: period_start(minutes[d]))
        assert expected != SEEN[reader]

    forwards, backwards = await walk_both_ways(
        partial(cast.page, reader, orderBy=order_by), lambda node: node["description"]
    )
    assert forwards == expected
    assert backwards == expected


async def test_a_cursor_taken_in_one_alliance_continues_across_all(cast: Cast) -> None:
    """A cursor holds the sort key, not the alliance: it continues in any list of the same
    ordering, and can never reach a row the reader may not see."""
    north = await cast.page("helix", alliance=cast.alliance("north"), first=1)
    assert [e["node"]["description"] for e in north["edges"]] == ["n-basel-lab"]
    rest = await cast.listed("helix", after=north["pageInfo"]["endCursor"])
    assert rest == ["n-helix-cash"]


# --- refusals ------------------------------------------------------------------------------


async def test_reading_across_alliances_needs_contributions_read(cast: Cast) -> None:
    no_read = await cast.world.token(cast.orgs["helix"], scopes=frozenset({Scope.ALLIANCES_READ}))
    body = await gql(cast.client, no_read, LIST, {})
    assert top_level_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None
    viewer = await cast.world.token(cast.orgs["helix"], role=UserRole.VIEWER)
    body = await gql(cast.client, viewer, LIST, {"first": 100})
    assert [e["node"]["description"] for e in body["data"]["contributions"]["edges"]] == SEEN[
        "helix"
    ]


def _cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        pytest.param({"after": "bm9wZQ"}, "BAD_USER_INPUT", id="not-a-cursor"),
        pytest.param({"before": "%%%"}, "BAD_USER_INPUT", id="not-base64"),
        pytest.param(
            {"after": _cursor("period_start", "2026-01-01", str(uuid.uuid4()))},
            "BAD_USER_INPUT",
            id="cursor-of-another-ordering",
        ),
        pytest.param(
            {
                "orderBy": "AMOUNT_DESC",
                "after": _cursor("amount_desc", "NaN", T0.isoformat(), str(uuid.uuid4())),
            },
            "BAD_USER_INPUT",
            id="forged-amount-cursor",
        ),
        pytest.param({"alliance": "nonsense"}, "BAD_USER_INPUT", id="bad-alliance-id"),
        pytest.param(
            {"filter": {"organisation": "nonsense"}}, "BAD_USER_INPUT", id="bad-organisation"
        ),
        pytest.param({"filter": {"plan": "nonsense"}}, "BAD_USER_INPUT", id="bad-plan"),
        pytest.param({"filter": {"currency": "eur"}}, "BAD_USER_INPUT", id="bad-currency"),
        pytest.param({"first": 101}, "BAD_USER_INPUT", id="page-too-large"),
        pytest.param({"first": 1, "last": 1}, "BAD_USER_INPUT", id="first-and-last"),
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


async def test_an_id_of_another_type_lists_nothing(cast: Cast) -> None:
    assert await cast.listed("helix", alliance=cast.organisation("helix")) == []
    assert await cast.listed("helix", filter={"organisation": cast.alliance("north")}) == []


# --- cost ---------------------------------------------------------------------------------


DEEP = """
{ contributions(first: 100) { edges { node {
    description alliance { name } organisation { slug } valuation { amount currency }
} } } }
"""


async def test_the_list_across_alliances_is_one_statement(cast: Cast) -> None:
    token = await cast.world.token(cast.orgs["dover"])
    await gql(cast.client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        first = await gql(cast.client, token, DEEP)
    # dover joins north and east too, and the ledger grows
    for alliance in ("north", "east"):
        lead = "helix" if alliance == "north" else "gdansk"
        principal = cast.world.principal(cast.orgs[lead])
        async with cast.world.acting(principal) as session:
            await alliances.add_member(
                session,
                principal,
                cast.alliance_ids[alliance],
                organisation_slug="dover",
                role=MembershipRole.PARTNER,
            )
    for n in range(6):
        await cast.record("dover", ALLIANCES[n % 3], f"dover-{n}", minute=30 + n, valuation="1")
    with counting() as large:
        second = await gql(cast.client, token, DEEP)

    assert len(first["data"]["contributions"]["edges"]) == 3
    assert {e["node"]["alliance"]["name"] for e in second["data"]["contributions"]["edges"]} == {
        "North",
        "South",
        "East",
    }
    assert len(second["data"]["contributions"]["edges"]) == 3 + 6 + 2 + 2
    assert len(large) == len(small), "\n".join(large)
    [listed] = [s for s in large if s.startswith("SELECT contributions.id")]
    # valuations are read for the page only (by the valuation field's loader): the list
    # joins them only for an amount condition or ordering
    assert "contribution_valuations" not in listed
