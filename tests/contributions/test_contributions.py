"""The contributions ledger over GraphQL: recording, the life cycle and who confirms it, the
confidential valuation (directly, in summaries, in filters and in the amount ordering),
idempotency, optimistic concurrency and statement counts.

The cast: helix leads the alliance (and so chairs its steering committee); basel, cairo and
dover are partners without a seat, and basel gets a steering MEMBER seat where a test needs
a steering seat holder; gdansk leads an alliance of its own and is an outsider here. Plans
are laid directly in the database (set-up, not the API under test).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import typing
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.principal import Principal
from auth.scopes import Scope
from db.enums import (
    CommitteeTier,
    ContributionKind,
    ContributionStatus,
    PlanStatus,
    SeatRole,
    UserRole,
    Visibility,
)
from db.governance import VisibilityGrant
from db.portfolio import (
    Contribution,
    ContributionStep,
    ContributionValuation,
    IdempotencyKey,
    Plan,
)
from db.session import LockedSession, tenant_session
from db.unit_of_work import Actor, act_as
from portal import contributions
from schema.context import Info
from schema.contributions.types import load_contributions_of_plan
from schema.loaders import Loaders
from tests.builders import (
    Org,
    World,
    counting,
    db_id,
    gid,
    gql,
    succeeded,
    top_level_codes,
    user_errors,
)

USER_ERRORS = "userErrors { field message code }"
FIELDS = """
  id kind description quantity unit periodStart periodEnd status visibility version planId
  plan { id }
  organisation { slug } valuation { amount currency } valuationHiddenReason
  audience { slug } visibilityCommittee { name }
  steps { status note userId at organisation { slug } }
"""
MUTATIONS = {
    name: f"""
    mutation M($input: {name[0].upper()}{name[1:]}Input!) {{
      {name}(input: $input) {{ contribution {{ {FIELDS} }} {USER_ERRORS} }}
    }}
    """
    for name in (
        "recordContribution",
        "updateContribution",
        "commitContribution",
        "confirmDelivery",
        "withdrawContribution",
    )
}
NODE = f"query N($id: ID!) {{ node(id: $id) {{ ... on Contribution {{ {FIELDS} }} }} }}"
LIST = """
query L($alliance: ID!, $filter: ContributionFilter, $orderBy: ContributionOrder,
        $first: Int, $after: String, $last: Int, $before: String) {
  contributions(alliance: $alliance, filter: $filter, orderBy: $orderBy,
                first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { description valuation { amount currency } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
SUMMARY = """
query S($alliance: ID!, $groupBy: [ContributionSummaryDimension!]!) {
  contributionSummary(alliance: $alliance, groupBy: $groupBy) {
    currency kind planId organisation { slug }
    pledgedAmount committedAmount deliveredAmount withdrawnAmount valuedCount
  }
}
"""
QUANTITIES = """
query Q($alliance: ID!, $groupBy: [ContributionQuantityDimension!]) {
  contributionQuantities(alliance: $alliance, groupBy: $groupBy) {
    kind unit status count quantity organisation { slug } planId
  }
}
"""
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@dataclass
class Cast:
    world: World
    client: httpx.AsyncClient
    orgs: dict[str, Org]
    alliance_id: uuid.UUID
    steering_id: uuid.UUID

    @property
    def alliance(self) -> str:
        return gid("Alliance", self.alliance_id)

    async def token(self, who: str) -> str:
        """A full token of an organisation (by slug), or helix's "viewer" token (no
        contributions:write) or "no-read" token (alliances:read only)."""
        if who == "viewer":
            return await self.world.token(self.orgs["helix"], role=UserRole.VIEWER)
        if who == "no-read":
            return await self.world.token(
                self.orgs["helix"], scopes=frozenset({Scope.ALLIANCES_READ})
            )
        return await self.world.token(self.orgs[who])

    async def seat_on_steering(self, slug: str) -> None:
        await self.world.seat(self.steering_id, self.orgs[slug], SeatRole.MEMBER)

    async def query(self, who: str, query: str, **variables: Any) -> dict[str, Any]:
        body = await gql(self.client, await self.token(who), query, variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def run(self, who: str, mutation: str, **input_: Any) -> dict[str, Any]:
        return await gql(self.client, await self.token(who), MUTATIONS[mutation], {"input": input_})

    async def ok(self, who: str, mutation: str, **input_: Any) -> dict[str, Any]:
        """Run ``mutation`` as ``who`` and expect success; the contribution."""
        body = await self.run(who, mutation, **input_)
        payload = succeeded(body, mutation)
        contribution: dict[str, Any] = payload["contribution"]
        return contribution

    async def record(self, who: str, **input_: Any) -> dict[str, Any]:
        """Record a contribution over GraphQL (two FTE for 2026 unless told otherwise)."""
        return await self.ok(who, "recordContribution", **(draft_input(self) | input_))

    async def node(self, who: str, global_id: str) -> dict[str, Any] | None:
        node: dict[str, Any] | None = (await self.query(who, NODE, id=global_id))["node"]
        return node

    async def listed(self, who: str, **variables: Any) -> list[str]:
        data = await self.query(who, LIST, alliance=self.alliance, first=100, **variables)
        return [edge["node"]["description"] for edge in data["contributions"]["edges"]]

    async def summary(self, who: str, *group_by: str) -> list[dict[str, Any]]:
        data = await self.query(who, SUMMARY, alliance=self.alliance, groupBy=list(group_by))
        rows: list[dict[str, Any]] = data["contributionSummary"]
        return rows

    @asynccontextmanager
    async def acting(self, slug: str) -> AsyncIterator[tuple[LockedSession, Principal]]:
        """A committed transaction acting for an organisation's admin."""
        principal = self.world.principal(self.orgs[slug])
        async with self.world.acting(principal) as session:
            yield session, principal

    async def record_at(
        self,
        slug: str,
        now: dt.datetime,
        description: str,
        valuation: tuple[str, str] | None = None,
        **fields: Any,
    ) -> uuid.UUID:
        """Record a contribution through the domain at a chosen moment."""
        async with self.acting(slug) as (session, principal):
            draft = contributions.Draft(
                kind=fields.pop("kind", ContributionKind.CASH),
                description=description,
                quantity=Decimal(fields.pop("quantity", "1")),
                unit=fields.pop("unit", "units"),
                period_start=dt.date(2026, 1, 1),
                period_end=dt.date(2026, 12, 31),
                valuation=(
                    contributions.Money(Decimal(valuation[0]), valuation[1]) if valuation else None
                ),
                **fields,
            )
            row = await contributions.record_contribution(
                session, principal, self.alliance_id, draft, now=now
            )
            return row.id

    async def move_at(self, slug: str, contribution_id: uuid.UUID, to: ContributionStatus) -> None:
        """Move a contribution on through the domain (commit, confirm or withdraw)."""
        change = {
            ContributionStatus.COMMITTED: contributions.commit_contribution,
            ContributionStatus.DELIVERED: contributions.confirm_delivery,
            ContributionStatus.WITHDRAWN: contributions.withdraw_contribution,
        }[to]
        async with self.acting(slug) as (session, principal):
            row = await contributions.get_contribution(session, principal, contribution_id)
            await change(session, principal, contribution_id, expected_version=row.version, now=T0)

    async def plan(
        self,
        owner: str,
        *,
        visibility: Visibility = Visibility.ALLIANCE,
        committee_id: uuid.UUID | None = None,
        audience: Sequence[str] = (),
        alliance_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """A plan laid directly in the database."""
        plan = Plan(
            id=uuid.uuid4(),
            alliance_id=alliance_id or self.alliance_id,
            owner_organisation_id=self.orgs[owner].id,
            status=PlanStatus.ACTIVE,
            visibility=visibility,
            visibility_committee_id=committee_id,
            version=1,
        )
        async with self.world.sessions() as session, session.begin():
            act_as(session, Actor.operator(self.orgs[owner].id))
            session.add(plan)
            await session.flush()
            session.add_all(
                VisibilityGrant(
                    alliance_id=plan.alliance_id, object_id=plan.id, organisation_id=org.id
                )
                for org in (self.orgs[slug] for slug in audience)
            )
        return plan.id


@pytest.fixture
async def cast(client: httpx.AsyncClient, world: World) -> Cast:
    orgs = {slug: await world.organisation(slug) for slug in SLUGS}
    alliance_id = await world.alliance(orgs["helix"], orgs["basel"], orgs["cairo"], orgs["dover"])
    await world.alliance(orgs["gdansk"], name="Gdansk's own")
    return Cast(world, client, orgs, alliance_id, await world.steering(alliance_id))


SLUGS = ("helix", "basel", "cairo", "dover", "gdansk")


def draft_input(cast: Cast) -> dict[str, Any]:
    return {
        "alliance": cast.alliance,
        "kind": "PERSONNEL",
        "description": "Two FTE of medicinal chemists",
        "quantity": "2",
        "unit": "FTE",
        "periodStart": "2026-01-01",
        "periodEnd": "2026-12-31",
    }


async def snapshot(world: World) -> tuple[list[tuple[Any, ...]], ...]:
    """Every contribution, valuation and step, and the idempotency keys."""
    async with world.sessions() as session:
        contributions_ = await session.execute(
            select(
                Contribution.id,
                Contribution.kind,
                Contribution.description,
                Contribution.quantity,
                Contribution.unit,
                Contribution.period_start,
                Contribution.period_end,
                Contribution.plan_id,
                Contribution.status,
                Contribution.version,
            ).order_by(Contribution.id)
        )
        valuations = await session.execute(
            select(
                ContributionValuation.contribution_id,
                ContributionValuation.amount,
                ContributionValuation.currency,
            ).order_by(ContributionValuation.contribution_id)
        )
        steps = await session.execute(
            select(ContributionStep.contribution_id, ContributionStep.status).order_by(
                ContributionStep.id
            )
        )
        keys = await session.execute(select(IdempotencyKey.key).order_by(IdempotencyKey.key))
        return tuple(
            [tuple(row) for row in rows] for rows in (contributions_, valuations, steps, keys)
        )


# --- recording ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored", "currency"),
    [
        pytest.param("1234567.89", "1234567.89", "EUR", id="large-exact"),
        pytest.param("0.10", "0.10", "EUR", id="ten-cents"),
        pytest.param("0.1", "0.10", "USD", id="one-decimal-normalised"),
        pytest.param("9999999999999999.99", "9999999999999999.99", "CHF", id="largest"),
        pytest.param("0", "0.00", "GBP", id="zero"),
        pytest.param("1500000", "1500000.00", "JPY", id="whole-yen"),
    ],
)
async def test_a_member_records_its_contribution_with_an_exact_valuation(
    cast: Cast, sent: str, stored: str, currency: str
) -> None:
    contribution = await cast.record(
        "basel",
        kind="CASH",
        quantity="1.5",
        unit="tranches",
        valuation={"amount": sent, "currency": currency},
    )

    assert contribution | {"id": None, "steps": None} == {
        "id": None,
        "kind": "CASH",
        "description": "Two FTE of medicinal chemists",
        "quantity": "1.500",
        "unit": "tranches",
        "periodStart": "2026-01-01",
        "periodEnd": "2026-12-31",
        "status": "PLEDGED",
        "visibility": "ALLIANCE",
        "version": 1,
        "planId": None,
        "plan": None,
        "organisation": {"slug": "basel"},
        "valuation": {"amount": stored, "currency": currency},
        "valuationHiddenReason": None,
        "audience": None,
        "visibilityCommittee": None,
        "steps": None,
    }
    [step] = contribution["steps"]
    assert (step["status"], step["note"], step["organisation"]) == (
        "PLEDGED",
        "",
        {"slug": "basel"},
    )
    assert step["userId"] == str(cast.orgs["basel"].admin)
    # read back in a new request, and stored as an exact decimal
    assert await cast.node("basel", contribution["id"]) == contribution
    valuation = await cast.world.get(ContributionValuation, db_id(contribution["id"]))
    assert (valuation.amount, valuation.currency) == (Decimal(stored), currency)
    assert str(valuation.amount) == stored
    assert valuation.organisation_id == cast.orgs["basel"].id


async def test_a_contribution_without_a_valuation_is_not_valued(cast: Cast) -> None:
    contribution = await cast.record("cairo")
    assert contribution["valuation"] is None
    assert contribution["valuationHiddenReason"] == "NOT_VALUED"
    assert await cast.world.count(ContributionValuation) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"quantity": "0"}, "quantity", id="zero-quantity"),
        pytest.param({"quantity": "-2"}, "quantity", id="negative-quantity"),
        pytest.param({"quantity": "1.0005"}, "quantity", id="quantity-four-decimals"),
        pytest.param({"quantity": "NaN"}, "quantity", id="quantity-nan"),
        pytest.param({"quantity": "1e11"}, "quantity", id="quantity-too-large"),
        pytest.param({"unit": "  "}, "unit", id="blank-unit"),
        pytest.param({"unit": "x" * 33}, "unit", id="unit-too-long"),
        pytest.param({"description": ""}, "description", id="empty-description"),
        pytest.param({"periodEnd": "2025-12-31"}, "periodEnd", id="ends-before-start"),
        pytest.param(
            {"valuation": {"amount": "-0.01", "currency": "EUR"}},
            "valuation.amount",
            id="negative-amount",
        ),
        pytest.param(
            {"valuation": {"amount": "1.234", "currency": "EUR"}},
            "valuation.amount",
            id="three-decimals",
        ),
        pytest.param(
            {"valuation": {"amount": "Infinity", "currency": "EUR"}},
            "valuation.amount",
            id="infinite",
        ),
        pytest.param(
            {"valuation": {"amount": "1e16", "currency": "EUR"}},
            "valuation.amount",
            id="too-large",
        ),
        pytest.param(
            {"valuation": {"amount": "100.50", "currency": "JPY"}},
            "valuation.amount",
            id="fractional-yen",
        ),
        pytest.param(
            {"valuation": {"amount": "1", "currency": "eur"}},
            "valuation.currency",
            id="lower-case",
        ),
        pytest.param(
            {"valuation": {"amount": "1", "currency": "EURO"}},
            "valuation.currency",
            id="four-letters",
        ),
        pytest.param(
            {"valuation": {"amount": "1", "currency": "ABC"}},
            "valuation.currency",
            id="unknown-code",
        ),
        pytest.param(
            {"valuation": {"amount": "1", "currency": "XAU"}},
            "valuation.currency",
            id="gold-is-no-currency",
        ),
        pytest.param({"visibility": "COMMITTEE"}, "visibilityCommittee", id="no-committee"),
        pytest.param({"visibility": "ORGANISATIONS"}, "audience", id="empty-audience"),
        pytest.param(
            {"visibility": "ORGANISATIONS", "audience": ["gdansk"]}, "audience", id="outsider"
        ),
        pytest.param(
            {"visibility": "ORGANISATIONS", "audience": ["nobody"]}, "audience", id="unknown"
        ),
        pytest.param({"audience": ["cairo"]}, "audience", id="audience-without-visibility"),
        pytest.param({"idempotencyKey": ""}, "idempotencyKey", id="empty-key"),
    ],
)
async def test_recording_with_bad_input_gets_a_typed_error_and_changes_nothing(
    cast: Cast, fields: dict[str, Any], field: str
) -> None:
    before = await snapshot(cast.world)
    body = await cast.run("basel", "recordContribution", **(draft_input(cast) | fields))
    assert user_errors(body, "recordContribution") == [(field, "BAD_USER_INPUT")]
    assert await snapshot(cast.world) == before


@pytest.mark.parametrize(
    ("who", "code"),
    [("gdansk", "NOT_FOUND"), ("viewer", "FORBIDDEN"), ("no-read", "FORBIDDEN")],
)
async def test_recording_is_refused_outside_the_alliance_and_without_the_scope(
    cast: Cast, who: str, code: str
) -> None:
    before = await snapshot(cast.world)
    body = await cast.run(who, "recordContribution", **draft_input(cast))
    if code == "NOT_FOUND":
        assert user_errors(body, "recordContribution") == [("alliance", "NOT_FOUND")]
    else:
        assert top_level_codes(body) == ["FORBIDDEN"]
    assert await snapshot(cast.world) == before
    await cast.record("helix")  # the right credential may


async def test_a_plan_must_be_one_of_the_alliance_that_the_contributor_sees(cast: Cast) -> None:
    hidden = await cast.plan("helix", visibility=Visibility.ORGANISATIONS, audience=["helix"])
    other_alliance = await cast.world.alliance(cast.orgs["basel"], name="Basel's own")
    foreign = await cast.plan("basel", alliance_id=other_alliance)
    before = await snapshot(cast.world)

    for plan_id, error in ((hidden, "NOT_FOUND"), (foreign, "BAD_USER_INPUT")):
        body = await cast.run(
            "basel", "recordContribution", **draft_input(cast), plan=gid("Plan", plan_id)
        )
        assert user_errors(body, "recordContribution") == [("plan", error)]
    assert await snapshot(cast.world) == before

    shared = await cast.plan("helix")
    contribution = await cast.record("basel", plan=gid("Plan", shared))
    assert contribution["planId"] == gid("Plan", shared)
    assert contribution["plan"] == {"id": gid("Plan", shared)}


# --- idempotency ----------------------------------------------------------------------------


async def test_a_replayed_record_returns_the_first_contribution(cast: Cast) -> None:
    valued = {"valuation": {"amount": "0.1", "currency": "EUR"}, "idempotencyKey": "k-1"}
    first = await cast.record("basel", **valued)
    # the same input, written differently ("0.10" is "0.1"), is a replay
    again = await cast.record(
        "basel", **(valued | {"valuation": {"amount": "0.10", "currency": "EUR"}})
    )
    assert again == first
    assert await cast.world.count(Contribution) == 1
    assert await cast.world.count(ContributionStep) == 1

    before = await snapshot(cast.world)
    body = await cast.run(
        "basel", "recordContribution", **(draft_input(cast) | valued | {"quantity": "3"})
    )
    assert user_errors(body, "recordContribution") == [("idempotencyKey", "CONFLICT")]
    assert await snapshot(cast.world) == before

    # keys belong to an organisation: another one's same key records its own contribution
    other = await cast.record("cairo", **valued)
    assert other["id"] != first["id"]
    assert other["organisation"] == {"slug": "cairo"}


# --- who sees a contribution --------------------------------------------------------------------


async def test_an_organisations_contribution_is_seen_by_its_audience_and_the_contributor(
    cast: Cast,
) -> None:
    contribution = await cast.record(
        "basel", visibility="ORGANISATIONS", audience=["cairo", "cairo "]
    )
    assert sorted(org["slug"] for org in contribution["audience"]) == ["basel", "cairo"]

    seen = {who: await cast.node(who, contribution["id"]) is not None for who in SLUGS}
    assert seen == {
        "helix": False,  # a member outside the list (even the lead)
        "basel": True,
        "cairo": True,
        "dover": False,
        "gdansk": False,  # not a member at all
    }
    for who in SLUGS:
        expected = ["Two FTE of medicinal chemists"] if seen[who] else []
        assert await cast.listed(who) == expected


async def test_a_committee_contribution_is_hidden_from_organisations_without_a_seat(
    cast: Cast,
) -> None:
    group = await cast.world.committee(
        cast.alliance_id, cast.steering_id, CommitteeTier.OPERATIONAL, "Chemistry group"
    )
    await cast.world.seat(group, cast.orgs["cairo"], SeatRole.MEMBER)
    contribution = await cast.record(
        "basel", visibility="COMMITTEE", visibilityCommittee=gid("Committee", group)
    )
    assert contribution["visibilityCommittee"] == {"name": "Chemistry group"}

    seen = {who: await cast.node(who, contribution["id"]) is not None for who in SLUGS}
    assert seen == {"helix": False, "basel": True, "cairo": True, "dover": False, "gdansk": False}


async def test_reading_needs_contributions_read(cast: Cast) -> None:
    contribution = await cast.record("helix", valuation={"amount": "5", "currency": "EUR"})
    token = await cast.token("no-read")
    assert (await gql(cast.client, token, NODE, {"id": contribution["id"]}))["data"] == {
        "node": None
    }
    for query, variables in (
        (LIST, {"alliance": cast.alliance}),
        (SUMMARY, {"alliance": cast.alliance, "groupBy": []}),
        (QUANTITIES, {"alliance": cast.alliance}),
    ):
        body = await gql(cast.client, token, query, variables)
        assert top_level_codes(body) == ["FORBIDDEN"]
    assert await cast.listed("viewer") == ["Two FTE of medicinal chemists"]


# --- the confidential valuation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "sees"),
    [
        pytest.param("basel", True, id="the-contributor"),
        pytest.param("helix", True, id="the-lead-chairing-the-steering-committee"),
        pytest.param("dover", True, id="a-steering-member"),
        pytest.param("cairo", False, id="a-partner-without-a-steering-seat"),
    ],
)
async def test_a_valuation_is_seen_by_the_contributor_and_steering_seats_only(
    cast: Cast, reader: str, sees: bool
) -> None:
    await cast.seat_on_steering("dover")
    valued = await cast.record("basel", valuation={"amount": "1234567.89", "currency": "EUR"})
    unvalued = await cast.record("basel", description="Advice")

    node = await cast.node(reader, valued["id"])
    assert node is not None  # the contribution itself is visible to every member
    expected_valuation = {"amount": "1234567.89", "currency": "EUR"} if sees else None
    assert node["valuation"] == expected_valuation
    assert node["valuationHiddenReason"] == (None if sees else "CONFIDENTIAL")
    # without a valuation, an entitled reader is told so; the others cannot tell the
    # difference from a hidden one
    other = await cast.node(reader, unvalued["id"])
    assert other is not None
    assert other["valuation"] is None
    assert other["valuationHiddenReason"] == ("NOT_VALUED" if sees else "CONFIDENTIAL")


async def ledger(cast: Cast) -> dict[str, uuid.UUID]:
    """Contributions in two currencies across the partners; cairo's own is valued in USD,
    dover's is not valued; basel's is for a plan owned by helix. Basel holds a steering
    seat (it confirms the delivery of the lead's own contribution)."""
    await cast.seat_on_steering("basel")
    plan_id = await cast.plan("helix")
    ids = {
        "helix-cash": await cast.record_at("helix", T0, "helix-cash", ("1000.00", "EUR")),
        "basel-lab": await cast.record_at(
            "basel",
            T0 + dt.timedelta(minutes=1),
            "basel-lab",
            ("250.50", "EUR"),
            kind=ContributionKind.EQUIPMENT,
            plan_id=plan_id,
        ),
        "cairo-cash": await cast.record_at(
            "cairo", T0 + dt.timedelta(minutes=2), "cairo-cash", ("40.00", "USD")
        ),
        "helix-usd": await cast.record_at(
            "helix", T0 + dt.timedelta(minutes=3), "helix-usd", ("7000.00", "USD")
        ),
        "dover-advice": await cast.record_at(
            "dover", T0 + dt.timedelta(minutes=4), "dover-advice", kind=ContributionKind.KNOWLEDGE
        ),
    }
    await cast.move_at("basel", ids["basel-lab"], ContributionStatus.COMMITTED)
    await cast.move_at("helix", ids["helix-usd"], ContributionStatus.COMMITTED)
    await cast.move_at("basel", ids["helix-usd"], ContributionStatus.DELIVERED)  # lead's: steering
    return ids


async def test_a_summary_totals_only_visible_valuations_and_never_mixes_currencies(
    cast: Cast,
) -> None:
    await cast.seat_on_steering("basel")
    await ledger(cast)

    zero = "0.00"
    # a steering seat holder sees every valuation, per currency
    assert await cast.summary("basel") == [
        {
            "currency": "EUR",
            "kind": None,
            "planId": None,
            "organisation": None,
            "pledgedAmount": "1000.00",
            "committedAmount": "250.50",
            "deliveredAmount": zero,
            "withdrawnAmount": zero,
            "valuedCount": 2,
        },
        {
            "currency": "USD",
            "kind": None,
            "planId": None,
            "organisation": None,
            "pledgedAmount": "40.00",
            "committedAmount": zero,
            "deliveredAmount": "7000.00",
            "withdrawnAmount": zero,
            "valuedCount": 2,
        },
    ]
    # a partner without a seat sees its own valuation only: no EUR row at all, and the USD
    # total and count leave helix's hidden 7000 out (nothing to subtract from)
    assert await cast.summary("cairo") == [
        {
            "currency": "USD",
            "kind": None,
            "planId": None,
            "organisation": None,
            "pledgedAmount": "40.00",
            "committedAmount": zero,
            "deliveredAmount": zero,
            "withdrawnAmount": zero,
            "valuedCount": 1,
        }
    ]
    # dover values nothing and sits nowhere: an empty summary
    assert await cast.summary("dover") == []
    assert await cast.summary("gdansk") == []


async def test_a_summary_groups_by_organisation_kind_and_plan(cast: Cast) -> None:
    ids = await ledger(cast)
    plan_id = (await cast.world.get(Contribution, ids["basel-lab"])).plan_id

    rows = await cast.summary("helix", "ORGANISATION", "KIND", "CURRENCY", "PLAN")
    assert [
        (
            row["currency"],
            row["organisation"]["slug"],
            row["kind"],
            row["planId"],
            row["pledgedAmount"],
            row["committedAmount"],
            row["deliveredAmount"],
            row["valuedCount"],
        )
        for row in rows
    ] == sorted(
        [
            ("EUR", "helix", "CASH", None, "1000.00", "0.00", "0.00", 1),
            ("EUR", "basel", "EQUIPMENT", gid("Plan", plan_id), "0.00", "250.50", "0.00", 1),
            ("USD", "cairo", "CASH", None, "40.00", "0.00", "0.00", 1),
            ("USD", "helix", "CASH", None, "0.00", "0.00", "7000.00", 1),
        ],
        key=lambda row: (row[0], str(cast.orgs[row[1]].id)),
    )
    by_plan = await cast.summary("helix", "PLAN")
    assert [(row["currency"], row["planId"], row["valuedCount"]) for row in by_plan] == [
        ("EUR", None, 1),
        ("EUR", gid("Plan", plan_id), 1),
        ("USD", None, 2),
    ]


async def test_a_steering_seat_sees_no_valuation_of_a_contribution_outside_its_view(
    cast: Cast,
) -> None:
    """The steering committee sees the valuations of the contributions it can see, not of
    those shared with other organisations only."""
    await cast.record(
        "basel",
        visibility="ORGANISATIONS",
        audience=["cairo"],
        valuation={"amount": "500.00", "currency": "EUR"},
    )
    await cast.record("cairo", valuation={"amount": "20.00", "currency": "EUR"})

    assert [(row["pledgedAmount"], row["valuedCount"]) for row in await cast.summary("helix")] == [
        ("20.00", 1)
    ]
    assert await cast.listed("helix", filter={"minAmount": "0"}) == [
        "Two FTE of medicinal chemists"
    ]
    assert [(row["pledgedAmount"], row["valuedCount"]) for row in await cast.summary("basel")] == [
        ("500.00", 1)
    ]


async def test_an_amount_filter_never_matches_a_hidden_valuation(cast: Cast) -> None:
    await cast.seat_on_steering("basel")
    await ledger(cast)

    every_amount = {"filter": {"minAmount": "0"}, "orderBy": "CREATED_AT_DESC"}
    assert await cast.listed("cairo", **every_amount) == ["cairo-cash"]
    assert await cast.listed("cairo", filter={"minAmount": "5000"}) == []
    assert await cast.listed("cairo", filter={"currency": "EUR"}) == []
    assert await cast.listed("cairo", filter={"maxAmount": "100"}) == ["cairo-cash"]
    assert await cast.listed("basel", **every_amount) == [
        "helix-usd",
        "cairo-cash",
        "basel-lab",
        "helix-cash",
    ]
    assert await cast.listed("basel", filter={"minAmount": "5000"}) == ["helix-usd"]
    assert await cast.listed("basel", filter={"currency": "EUR", "maxAmount": "999.99"}) == [
        "basel-lab"
    ]
    # the other filters
    assert await cast.listed("cairo", filter={"kinds": ["KNOWLEDGE", "EQUIPMENT"]}) == [
        "dover-advice",
        "basel-lab",
    ]
    assert await cast.listed("cairo", filter={"statuses": ["DELIVERED"]}) == ["helix-usd"]
    assert await cast.listed(
        "cairo", filter={"organisation": gid("Organisation", cast.orgs["helix"].id)}
    ) == ["helix-usd", "helix-cash"]


async def test_a_bad_filter_is_a_top_level_error(cast: Cast) -> None:
    token = await cast.token("cairo")
    for bad in ({"currency": "eur"}, {"minAmount": "NaN"}):
        body = await gql(cast.client, token, LIST, {"alliance": cast.alliance, "filter": bad})
        assert top_level_codes(body) == ["BAD_USER_INPUT"]


async def test_amount_ordering_sorts_a_hidden_valuation_as_unvalued(cast: Cast) -> None:
    await cast.seat_on_steering("basel")
    await ledger(cast)

    # cairo sees only its own amount: everything else sorts as unvalued, newest first
    assert await cast.listed("cairo", orderBy="AMOUNT_DESC") == [
        "cairo-cash",
        "dover-advice",
        "helix-usd",
        "basel-lab",
        "helix-cash",
    ]
    assert await cast.listed("basel", orderBy="AMOUNT_DESC") == [
        "helix-usd",
        "helix-cash",
        "basel-lab",
        "cairo-cash",
        "dover-advice",
    ]


@pytest.mark.parametrize("reader", ["cairo", "basel"])
async def test_amount_ordering_pages_forwards_and_backwards_across_unvalued_rows(
    cast: Cast, reader: str
) -> None:
    await cast.seat_on_steering("basel")
    await ledger(cast)
    expected = await cast.listed(reader, orderBy="AMOUNT_DESC")

    seen: list[str] = []
    after = None
    while True:
        data = await cast.query(
            reader, LIST, alliance=cast.alliance, orderBy="AMOUNT_DESC", first=2, after=after
        )
        page = data["contributions"]
        seen += [edge["node"]["description"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected

    backwards: list[str] = []
    before = None
    while True:
        data = await cast.query(
            reader, LIST, alliance=cast.alliance, orderBy="AMOUNT_DESC", last=2, before=before
        )
        page = data["contributions"]
        backwards = [edge["node"]["description"] for edge in page["edges"]] + backwards
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert backwards == expected


async def test_an_amount_cursor_holds_only_what_the_reader_may_see(cast: Cast) -> None:
    await ledger(cast)
    data = await cast.query("cairo", LIST, alliance=cast.alliance, orderBy="AMOUNT_DESC")
    amounts = []
    for edge in data["contributions"]["edges"]:
        cursor = edge["cursor"]
        _, amount, _, _ = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        amounts.append(amount)
    assert amounts == ["40.00", "-1.00", "-1.00", "-1.00", "-1.00"]

    token = await cast.token("cairo")
    forged = base64.urlsafe_b64encode(b'["created_desc","x"]').decode()
    body = await gql(
        cast.client,
        token,
        LIST,
        {"alliance": cast.alliance, "orderBy": "AMOUNT_DESC", "after": forged},
    )
    assert top_level_codes(body) == ["BAD_USER_INPUT"]


async def test_other_orderings_and_plan_filters(cast: Cast) -> None:
    ids = await ledger(cast)
    hidden_plan = await cast.plan("dover", visibility=Visibility.ORGANISATIONS, audience=["dover"])
    hidden_plans = await cast.record_at(
        "dover", T0 + dt.timedelta(minutes=9), "for-a-hidden-plan", plan_id=hidden_plan
    )
    seen_by = {who: await cast.node(who, gid("Contribution", hidden_plans)) for who in SLUGS[:4]}
    assert {who: (node or {}).get("planId") for who, node in seen_by.items()} == {
        "helix": None,
        "basel": None,
        "cairo": None,
        "dover": gid("Plan", hidden_plan),
    }
    assert {who: (node or {}).get("plan") for who, node in seen_by.items()} == {
        "helix": None,
        "basel": None,
        "cairo": None,
        "dover": {"id": gid("Plan", hidden_plan)},
    }
    plan_id = (await cast.world.get(Contribution, ids["basel-lab"])).plan_id

    assert await cast.listed("cairo", filter={"plan": gid("Plan", plan_id)}) == ["basel-lab"]
    # a plan cairo cannot see names nothing, and the contribution shows no plan to cairo
    assert await cast.listed("cairo", filter={"plan": gid("Plan", hidden_plan)}) == []
    assert await cast.listed("dover", filter={"plan": gid("Plan", hidden_plan)}) == [
        "for-a-hidden-plan"
    ]
    everything = await cast.listed("cairo", orderBy="PERIOD_START")
    assert len(everything) == 6  # the contribution to a hidden plan is visible; its plan not
    paged: list[str] = []
    after = None
    while True:
        data = await cast.query(
            "cairo", LIST, alliance=cast.alliance, orderBy="PERIOD_START", first=2, after=after
        )
        paged += [edge["node"]["description"] for edge in data["contributions"]["edges"]]
        if not data["contributions"]["pageInfo"]["hasNextPage"]:
            break
        after = data["contributions"]["pageInfo"]["endCursor"]
    assert paged == everything
    assert await cast.listed("cairo", filter={"plan": cast.alliance}) == []  # wrong type
    listing = await cast.query("cairo", LIST, alliance=gid("Plan", plan_id))
    assert listing["contributions"]["edges"] == []


async def test_a_quantity_summary_counts_visible_contributions_by_kind_unit_and_status(
    cast: Cast,
) -> None:
    await ledger(cast)
    data = await cast.query("cairo", QUANTITIES, alliance=cast.alliance)
    assert [
        (row["kind"], row["unit"], row["status"], row["count"], row["quantity"])
        for row in data["contributionQuantities"]
    ] == [
        ("CASH", "units", "DELIVERED", 1, "1.000"),
        ("CASH", "units", "PLEDGED", 2, "2.000"),
        ("EQUIPMENT", "units", "COMMITTED", 1, "1.000"),
        ("KNOWLEDGE", "units", "PLEDGED", 1, "1.000"),
    ]
    by_org = await cast.query("cairo", QUANTITIES, alliance=cast.alliance, groupBy=["ORGANISATION"])
    assert sorted(
        (row["organisation"]["slug"], row["kind"], row["status"], row["count"])
        for row in by_org["contributionQuantities"]
    ) == [
        ("basel", "EQUIPMENT", "COMMITTED", 1),
        ("cairo", "CASH", "PLEDGED", 1),
        ("dover", "KNOWLEDGE", "PLEDGED", 1),
        ("helix", "CASH", "DELIVERED", 1),
        ("helix", "CASH", "PLEDGED", 1),
    ]


# --- updating -----------------------------------------------------------------------------------


async def test_the_contributor_updates_its_contribution_and_valuation(cast: Cast) -> None:
    plan_id = await cast.plan("helix")
    contribution = await cast.record("basel")

    updated = await cast.ok(
        "basel",
        "updateContribution",
        contribution=contribution["id"],
        version=1,
        description="Three FTE",
        quantity="3.25",
        periodEnd="2027-06-30",
        plan=gid("Plan", plan_id),
        valuation={"amount": "300000.05", "currency": "CHF"},
    )
    assert (updated["description"], updated["quantity"], updated["periodEnd"]) == (
        "Three FTE",
        "3.250",
        "2027-06-30",
    )
    assert (updated["version"], updated["planId"]) == (2, gid("Plan", plan_id))
    assert updated["valuation"] == {"amount": "300000.05", "currency": "CHF"}

    corrected = await cast.ok(
        "basel",
        "updateContribution",
        contribution=contribution["id"],
        version=2,
        plan=None,
        valuation={"amount": "299999.95", "currency": "EUR"},
    )
    assert (corrected["version"], corrected["planId"], corrected["description"]) == (
        3,
        None,
        "Three FTE",
    )
    assert corrected["valuation"] == {"amount": "299999.95", "currency": "EUR"}
    assert await cast.world.count(ContributionValuation) == 1
    # the steering chair sees the correction, cairo does not
    seen_by_lead = await cast.node("helix", contribution["id"])
    assert seen_by_lead is not None
    assert seen_by_lead["valuation"] == corrected["valuation"]
    seen_by_cairo = await cast.node("cairo", contribution["id"])
    assert seen_by_cairo is not None
    assert seen_by_cairo["valuation"] is None


@pytest.mark.parametrize(
    ("who", "visibility", "code"),
    [
        pytest.param("cairo", "ALLIANCE", "FORBIDDEN", id="another-member-that-sees-it"),
        pytest.param("helix", "ALLIANCE", "FORBIDDEN", id="the-lead"),
        pytest.param("dover", "ORGANISATIONS", "NOT_FOUND", id="a-member-outside-the-list"),
        pytest.param("gdansk", "ALLIANCE", "NOT_FOUND", id="a-non-member"),
    ],
)
@pytest.mark.parametrize(
    "mutation", ["updateContribution", "commitContribution", "withdrawContribution"]
)
async def test_only_the_contributor_changes_its_contribution(
    cast: Cast, who: str, visibility: str, code: str, mutation: str
) -> None:
    audience = {"audience": ["cairo"]} if visibility == "ORGANISATIONS" else {}
    contribution = await cast.record(
        "basel",
        visibility=visibility,
        valuation={"amount": "10", "currency": "EUR"},
        **audience,
    )
    fields = {"description": "Mine now"} if mutation == "updateContribution" else {}
    before = await snapshot(cast.world)

    body = await cast.run(who, mutation, contribution=contribution["id"], version=1, **fields)

    field = "contribution" if code == "NOT_FOUND" else None
    assert user_errors(body, mutation) == [(field, code)]
    assert await snapshot(cast.world) == before
    await cast.ok("basel", mutation, contribution=contribution["id"], version=1, **fields)


@pytest.mark.parametrize("mutation", list(MUTATIONS)[1:])
async def test_changing_needs_contributions_write(cast: Cast, mutation: str) -> None:
    contribution = await cast.record("helix")
    before = await snapshot(cast.world)
    for who in ("viewer", "no-read"):
        body = await cast.run(who, mutation, contribution=contribution["id"], version=1)
        assert top_level_codes(body) == ["FORBIDDEN"]
    assert await snapshot(cast.world) == before


async def test_a_stale_version_conflicts_and_changes_nothing(cast: Cast) -> None:
    contribution = await cast.record("basel")
    await cast.ok(
        "basel", "updateContribution", contribution=contribution["id"], version=1, unit="FTEs"
    )
    before = await snapshot(cast.world)

    for mutation, fields in (
        ("updateContribution", {"description": "Based on version 1"}),
        ("commitContribution", {}),
        ("withdrawContribution", {}),
    ):
        body = await cast.run(
            "basel", mutation, contribution=contribution["id"], version=1, **fields
        )
        assert user_errors(body, mutation) == [("version", "CONFLICT")]
    assert await snapshot(cast.world) == before


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        pytest.param({"quantity": "0"}, "quantity", "BAD_USER_INPUT", id="zero-quantity"),
        pytest.param({"periodStart": "2027-01-01"}, "periodEnd", "BAD_USER_INPUT", id="period"),
        pytest.param(
            {"valuation": {"amount": "1.001", "currency": "EUR"}},
            "valuation.amount",
            "BAD_USER_INPUT",
            id="amount",
        ),
        pytest.param(
            {"valuation": {"amount": "1", "currency": "XTS"}},
            "valuation.currency",
            "BAD_USER_INPUT",
            id="testing-code",
        ),
        pytest.param({"description": " "}, "description", "BAD_USER_INPUT", id="description"),
        pytest.param({"plan": "not-an-id"}, "plan", "BAD_USER_INPUT", id="bad-plan-id"),
    ],
)
async def test_updating_with_bad_input_changes_nothing(
    cast: Cast, fields: dict[str, Any], field: str, code: str
) -> None:
    contribution = await cast.record("basel", valuation={"amount": "10", "currency": "EUR"})
    before = await snapshot(cast.world)
    body = await cast.run(
        "basel", "updateContribution", contribution=contribution["id"], version=1, **fields
    )
    assert user_errors(body, "updateContribution") == [(field, code)]
    assert await snapshot(cast.world) == before


# --- the life cycle -----------------------------------------------------------------------------


async def test_a_contribution_to_a_plan_is_confirmed_by_the_plans_owner(cast: Cast) -> None:
    plan_id = await cast.plan("cairo")
    contribution = await cast.record("basel", plan=gid("Plan", plan_id))
    committed = await cast.ok(
        "basel", "commitContribution", contribution=contribution["id"], version=1, note="Signed"
    )
    assert (committed["status"], committed["version"]) == ("COMMITTED", 2)
    before = await snapshot(cast.world)

    refusals = {}
    for who in ("basel", "helix", "dover", "gdansk"):
        body = await cast.run(who, "confirmDelivery", contribution=contribution["id"], version=2)
        refusals[who] = user_errors(body, "confirmDelivery")
    assert refusals == {
        "basel": [(None, "FORBIDDEN")],  # the contributor never confirms its own delivery
        "helix": [(None, "FORBIDDEN")],  # the lead, when the plan has another owner
        "dover": [(None, "FORBIDDEN")],
        "gdansk": [("contribution", "NOT_FOUND")],
    }
    assert await snapshot(cast.world) == before

    delivered = await cast.ok(
        "cairo", "confirmDelivery", contribution=contribution["id"], version=2, note="Received"
    )
    assert (delivered["status"], delivered["version"]) == ("DELIVERED", 3)
    assert [
        (step["status"], step["organisation"]["slug"], step["note"], step["userId"])
        for step in delivered["steps"]
    ] == [
        ("PLEDGED", "basel", "", str(cast.orgs["basel"].admin)),
        ("COMMITTED", "basel", "Signed", str(cast.orgs["basel"].admin)),
        ("DELIVERED", "cairo", "Received", str(cast.orgs["cairo"].admin)),
    ]
    async with cast.world.sessions() as session:
        steps = (
            await session.scalars(
                select(ContributionStep)
                .where(ContributionStep.contribution_id == db_id(contribution["id"]))
                .order_by(ContributionStep.at)
            )
        ).all()
    assert [step.organisation_id for step in steps] == [
        cast.orgs["basel"].id,
        cast.orgs["basel"].id,
        cast.orgs["cairo"].id,
    ]
    assert steps[-1].at >= steps[-2].at

    # delivered is final for everyone
    for mutation, who in (
        ("updateContribution", "basel"),
        ("withdrawContribution", "basel"),
        ("confirmDelivery", "cairo"),
        ("commitContribution", "basel"),
    ):
        body = await cast.run(who, mutation, contribution=contribution["id"], version=3)
        assert user_errors(body, mutation) == [("contribution", "BAD_USER_INPUT")]


@pytest.mark.parametrize(
    ("contributor", "plan_owner", "confirmer", "refused"),
    [
        pytest.param("basel", None, "helix", ["basel", "cairo", "dover"], id="no-plan-the-lead"),
        pytest.param("basel", "basel", "helix", ["basel", "cairo"], id="own-plan-the-lead-instead"),
        pytest.param(
            "helix", None, "dover", ["helix", "cairo", "basel"], id="the-lead-a-steering-seat"
        ),
    ],
)
async def test_who_confirms_a_delivery(
    cast: Cast, contributor: str, plan_owner: str | None, confirmer: str, refused: list[str]
) -> None:
    await cast.seat_on_steering("dover")
    plan = {"plan": gid("Plan", await cast.plan(plan_owner))} if plan_owner else {}
    contribution = await cast.record(contributor, **plan)
    await cast.ok(contributor, "commitContribution", contribution=contribution["id"], version=1)

    for who in refused:
        body = await cast.run(who, "confirmDelivery", contribution=contribution["id"], version=2)
        assert user_errors(body, "confirmDelivery") == [(None, "FORBIDDEN")], who
    delivered = await cast.ok(
        confirmer, "confirmDelivery", contribution=contribution["id"], version=2
    )
    assert delivered["steps"][-1]["organisation"] == {"slug": confirmer}


async def test_only_a_committed_contribution_is_delivered(cast: Cast) -> None:
    contribution = await cast.record("basel")
    body = await cast.run("helix", "confirmDelivery", contribution=contribution["id"], version=1)
    assert user_errors(body, "confirmDelivery") == [("contribution", "BAD_USER_INPUT")]


@pytest.mark.parametrize("committed", [False, True])
async def test_the_contributor_withdraws_a_pledged_or_committed_contribution(
    cast: Cast, committed: bool
) -> None:
    contribution = await cast.record("basel", valuation={"amount": "99.99", "currency": "EUR"})
    version = 1
    if committed:
        await cast.ok("basel", "commitContribution", contribution=contribution["id"], version=1)
        version = 2
    withdrawn = await cast.ok(
        "basel",
        "withdrawContribution",
        contribution=contribution["id"],
        version=version,
        note="Budget cut",
    )
    assert withdrawn["status"] == "WITHDRAWN"
    assert withdrawn["steps"][-1]["note"] == "Budget cut"
    assert (await cast.summary("basel"))[0]["withdrawnAmount"] == "99.99"
    for mutation in ("withdrawContribution", "commitContribution", "updateContribution"):
        body = await cast.run(
            "basel", mutation, contribution=contribution["id"], version=version + 1
        )
        assert user_errors(body, mutation) == [("contribution", "BAD_USER_INPUT")]


async def test_changes_are_recorded_in_the_audit_without_leaking_through_events(
    cast: Cast,
) -> None:
    from db.models import AuditEntry, Event

    contribution = await cast.record("basel", valuation={"amount": "77.70", "currency": "EUR"})
    async with cast.world.sessions() as session:
        events = (
            await session.scalars(select(Event).where(Event.object_type == "ContributionValuation"))
        ).all()
        audits = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.object_type == "ContributionValuation")
            )
        ).all()
    assert [event.alliance_id for event in events] == [cast.alliance_id]
    assert "77.70" not in json.dumps(events[0].data)  # the shared feed names fields only
    assert [audit.organisation_id for audit in audits] == [cast.orgs["basel"].id]
    assert audits[0].changes["amount"] == "77.70"
    assert contribution["valuation"] == {"amount": "77.70", "currency": "EUR"}


# --- the helper for the plans area ---------------------------------------------------------------


async def test_contributions_of_plans_load_in_one_statement_within_the_readers_view(
    cast: Cast, engine: AsyncEngine
) -> None:
    plan_a, plan_b = await cast.plan("helix"), await cast.plan("basel")
    await cast.record_at("basel", T0, "a-basel", plan_id=plan_a)
    await cast.record_at(
        "cairo",
        T0 + dt.timedelta(minutes=1),
        "a-cairo-private",
        plan_id=plan_a,
        audience=contributions.Audience(Visibility.ORGANISATIONS, None, ("cairo",)),
    )
    await cast.record_at("dover", T0 + dt.timedelta(minutes=2), "b-dover", plan_id=plan_b)
    await cast.record_at("dover", T0 + dt.timedelta(minutes=3), "no-plan")

    async def of_plans(slug: str, scopes: frozenset[Scope]) -> tuple[list[list[str]], int]:
        principal = cast.world.principal(cast.orgs[slug], scopes)
        async with (
            tenant_session(cast.world.sessions, principal.organisation_id) as session,
            session.begin(),
        ):
            context = SimpleNamespace(
                session=session, principal=principal, loaders=Loaders(session, principal)
            )
            info = typing.cast(Info, SimpleNamespace(context=context))
            await session.execute(select(1))  # opens the transaction (the tenant context)
            with counting() as statements:
                found = await asyncio.gather(
                    *(load_contributions_of_plan(info, p) for p in (plan_a, plan_b, uuid.uuid4()))
                )
        return [[c.description for c in listed] for listed in found], len(statements)

    everything = frozenset(Scope)
    assert await of_plans("cairo", everything) == (
        [["a-basel", "a-cairo-private"], ["b-dover"], []],
        1,
    )
    assert await of_plans("helix", everything) == ([["a-basel"], ["b-dover"], []], 1)
    assert await of_plans("cairo", frozenset({Scope.ALLIANCES_READ})) == ([[], [], []], 0)


# --- statement counts -----------------------------------------------------------------------------

DEEP = """
query Deep($alliance: ID!) {
  contributions(alliance: $alliance, first: 100, orderBy: AMOUNT_DESC) {
    edges { node {
      description quantity planId plan { id } organisation { slug } alliance { name }
      valuation { amount currency } valuationHiddenReason audience { slug }
      steps { status at organisation { slug } }
    } }
  }
  contributionSummary(alliance: $alliance, groupBy: [ORGANISATION, PLAN]) {
    currency organisation { slug } pledgedAmount valuedCount
  }
}
"""


@pytest.mark.parametrize("reader", ["helix", "cairo"])
async def test_contributions_with_valuations_and_steps_in_constant_statements(
    cast: Cast, engine: AsyncEngine, reader: str
) -> None:
    plan_id = await cast.plan("helix")
    await cast.record_at("basel", T0, "first", ("1.00", "EUR"), plan_id=plan_id)
    await cast.record_at(
        "dover",
        T0,
        "second",
        audience=contributions.Audience(Visibility.ORGANISATIONS, None, ("helix", "cairo")),
    )
    token = await cast.token(reader)
    await gql(cast.client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        first = await gql(cast.client, token, DEEP, {"alliance": cast.alliance})

    for i in range(8):
        slug = ["basel", "cairo", "dover", "helix"][i % 4]
        contribution_id = await cast.record_at(
            slug,
            T0 + dt.timedelta(minutes=i + 1),
            f"c{i}",
            (f"{i}.50", ["EUR", "USD"][i % 2]) if i % 3 else None,
            plan_id=plan_id if i % 2 else None,
            audience=contributions.Audience(Visibility.ORGANISATIONS, None, ("helix", "cairo"))
            if i == 5
            else contributions.Audience(),
        )
        await cast.move_at(slug, contribution_id, ContributionStatus.COMMITTED)
    with counting() as large:
        second = await gql(cast.client, token, DEEP, {"alliance": cast.alliance})

    assert "errors" not in first, first
    assert "errors" not in second, second
    nodes = [edge["node"] for edge in second["data"]["contributions"]["edges"]]
    assert len(nodes) == 10
    assert sum(len(node["steps"]) for node in nodes) == 18
    # organisations at different depths may share a batch or not, depending on timing:
    # the bound, not the exact number, is what must not grow with the list
    assert len(large) <= 13, "\n".join(large)
    # tenant context, authentication, the organisation, the page, the summary, then one
    # statement each for plans, organisations, alliances, valuations, audiences, steps and
    # the steering seat (whether the reader may be told NOT_VALUED)
    assert len(small) <= 13, "\n".join(small)
