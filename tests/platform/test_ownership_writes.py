"""The second wall for writes: under row-level security a member organisation can see
another member's plan, contribution, milestone, IP asset and access request, and still
cannot change them or take them over. Each forbidden write is issued as raw SQL under the
attacker's tenant context, and must change nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.enums import ContributionKind, IpKind, MilestoneKind
from db.models import utcnow
from db.session import tenant_session
from portal import budget, contributions, ip_assets, persisted, plans
from tests.builders import Org, World


@dataclass
class Objects:
    """Basel's objects in an alliance led by helix, which cairo (a plain member) sees."""

    basel: Org
    cairo: Org
    plan: uuid.UUID
    milestone: uuid.UUID
    contribution: uuid.UUID
    asset: uuid.UUID
    request: uuid.UUID
    """Cairo's own (pending) request for access to basel's asset."""


@pytest.fixture
async def objects(world: World) -> Objects:
    helix = await world.organisation("helix")
    basel = await world.organisation("basel")
    cairo = await world.organisation("cairo")
    alliance = await world.alliance(helix, basel, cairo)
    now = utcnow()
    async with world.acting(world.principal(basel)) as session:
        principal = world.principal(basel)
        plan = await plans.create_plan(
            session, principal, alliance, content=plans.Content("Trial"), now=now
        )
        milestone = await plans.add_milestone(
            session,
            principal,
            plan.id,
            kind=MilestoneKind.DELIVERABLE,
            title="Protocol",
            responsible_organisation_id=basel.id,
            due_on=now.date() + dt.timedelta(days=30),
            now=now,
        )
        contribution = await contributions.record_contribution(
            session,
            principal,
            alliance,
            contributions.Draft(
                kind=ContributionKind.PERSONNEL,
                description="Two data managers",
                quantity=Decimal(2),
                unit="FTE",
                period_start=now.date(),
                period_end=now.date() + dt.timedelta(days=90),
                plan_id=plan.id,
            ),
            now=now,
        )
        asset = await ip_assets.register_ip_asset(
            session, principal, alliance, kind=IpKind.BACKGROUND, title="Assay", now=now
        )
    async with world.acting(world.principal(cairo)) as session:
        request = await ip_assets.request_ip_access(
            session, world.principal(cairo), asset.id, purpose="Validation study", now=now
        )
    spending = budget.Allowances(budget.Budgets(per_credential=0, per_organisation=10))
    await spending.charge(world.sessions, world.principal(basel), 5)  # basel's spending
    await world.token(basel)
    async with world.acting(world.principal(basel)) as session:
        document = "{ __typename }"
        await persisted.register_trusted_documents(
            session,
            world.principal(basel),
            client="basel web",
            documents=[persisted.ManifestEntry(persisted.sha256_of(document), document)],
            max_characters=20_000,
            max_tokens=1_000,
        )
    return Objects(basel, cairo, plan.id, milestone.id, contribution.id, asset.id, request.id)


async def attempt(world: World, org: Org, statement: str, **params: Any) -> int | str:
    """Rows changed by ``statement`` under ``org``'s tenant context, or how it was refused."""
    async with tenant_session(world.sessions, org.id) as session:
        try:
            result = await session.execute(text(statement), params)
        except DBAPIError as error:
            await session.rollback()
            return "refused: " + str(error.orig).split("\n")[0]
        await session.commit()
        return int(result.rowcount)  # type: ignore[attr-defined]


async def snapshot(world: World) -> list[Any]:
    """Every row the attempts aim at, read past row-level security."""
    async with world.sessions() as session:
        return [
            (await session.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2, 3"))).all()
            for table in (
                "plans",
                "milestones",
                "contributions",
                "ip_assets",
                "ip_asset_owners",
                "ip_access_requests",
                "users",
                "api_tokens",
                "audit_heads",
                "cost_spent",
                "persisted_documents",
            )
        ]


ATTACKS = {
    "update another's plan": "UPDATE plans SET status = 'cancelled' WHERE id = :plan",
    "take over another's plan": ("UPDATE plans SET owner_organisation_id = :me WHERE id = :plan"),
    "edit another's milestone": "UPDATE milestones SET title = 'x' WHERE id = :milestone",
    "add a milestone to another's plan": (
        "INSERT INTO milestones (id, alliance_id, plan_id, kind, title,"
        " responsible_organisation_id, due_on, status, version, created_at)"
        " SELECT gen_random_uuid(), alliance_id, id, 'deliverable', 'x', :me,"
        " current_date + 9, 'planned', 1, now() FROM plans WHERE id = :plan"
    ),
    "withdraw another's contribution": (
        "UPDATE contributions SET status = 'withdrawn' WHERE id = :contribution"
    ),
    "take over another's contribution": (
        "UPDATE contributions SET organisation_id = :me WHERE id = :contribution"
    ),
    "edit another's IP asset": "UPDATE ip_assets SET title = 'x' WHERE id = :asset",
    "make oneself an owner": (
        "INSERT INTO ip_asset_owners (id, alliance_id, ip_asset_id, organisation_id)"
        " SELECT gen_random_uuid(), alliance_id, id, :me FROM ip_assets WHERE id = :asset"
    ),
    "remove the owners": "DELETE FROM ip_asset_owners WHERE ip_asset_id = :asset",
    "grant oneself access": (
        "UPDATE ip_access_requests SET status = 'granted' WHERE id = :request"
    ),
    "move one's request to another asset's owner": (
        "UPDATE ip_access_requests SET organisation_id = :other WHERE id = :request"
    ),
    "move one's own user to another organisation": (
        "UPDATE users SET organisation_id = :other WHERE organisation_id = :me"
    ),
    "take another organisation's users": (
        "UPDATE users SET organisation_id = :me WHERE organisation_id = :other"
    ),
    "take another organisation's tokens": (
        "UPDATE api_tokens SET organisation_id = :me WHERE organisation_id = :other"
    ),
    "revive another organisation's tokens": (
        "UPDATE api_tokens SET revoked_at = NULL, expires_at = now() + interval '9 years'"
        " WHERE organisation_id = :other"
    ),
    "rewind another's audit head": (
        "UPDATE audit_heads SET entries = 0 WHERE organisation_id = :other"
    ),
    "remove another's audit head": "DELETE FROM audit_heads WHERE organisation_id = :other",
    "reset another's spending": "UPDATE cost_spent SET spent = 0 WHERE organisation_id = :other",
    "spend another's budget": (
        "INSERT INTO cost_spent (organisation_id, subject, window_start, spent)"
        " VALUES (:other, 'organisation', date_trunc('minute', now()) + interval '1 minute', 9)"
    ),
    "demote another's trusted document": (
        "UPDATE persisted_documents SET kind = 'automatic', client = NULL"
        " WHERE organisation_id = :other"
    ),
    "persist a document for another": (
        "INSERT INTO persisted_documents (organisation_id, sha256, document, kind, client)"
        " VALUES (:other, repeat('a', 64), '{ __typename }', 'trusted', 'x')"
    ),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_a_member_cannot_change_what_another_member_owns(
    world: World, objects: Objects, attack: str
) -> None:
    before = await snapshot(world)
    assert all(before), "every table under attack holds rows of the victim"
    outcome = await attempt(
        world,
        objects.cairo,
        ATTACKS[attack],
        me=objects.cairo.id,
        other=objects.basel.id,
        plan=objects.plan,
        milestone=objects.milestone,
        contribution=objects.contribution,
        asset=objects.asset,
        request=objects.request,
    )
    assert outcome == 0 or str(outcome).startswith("refused"), outcome
    assert await snapshot(world) == before


async def test_the_owner_still_writes_its_own(world: World, objects: Objects) -> None:
    for statement in (
        "UPDATE plans SET updated_at = now() WHERE id = :plan",
        "UPDATE milestones SET title = 'Protocol v2' WHERE id = :milestone",
        "UPDATE contributions SET description = 'Three' WHERE id = :contribution",
        "UPDATE ip_assets SET title = 'Assay v2' WHERE id = :asset",
    ):
        outcome = await attempt(
            world,
            objects.basel,
            statement,
            plan=objects.plan,
            milestone=objects.milestone,
            contribution=objects.contribution,
            asset=objects.asset,
        )
        assert outcome == 1, (statement, outcome)
    # and the requester may withdraw its own request
    withdrawn = await attempt(
        world,
        objects.cairo,
        "UPDATE ip_access_requests SET status = 'withdrawn' WHERE id = :request",
        request=objects.request,
    )
    assert withdrawn == 1
