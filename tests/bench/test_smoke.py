"""The benchmark's correctness smoke (issue 10), never timed: on the small dataset, the
portal answers every workload, as every benchmark principal, exactly as the hand-written
baseline SQL does; and the generator makes the same rows from the same seed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bench import smoke
from bench.baseline import create_app
from bench.generate import ROLES, Shape, fingerprint_query, generate, ident, manifest
from bench.workloads import WORKLOADS, find_targets
from portal.settings import Settings
from tests.conftest import EMPTY_TABLES

SMOKE_SCALE = 0.01
SEED = 7


@pytest.fixture
async def operator(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection[Any]]:
    """The operator's raw asyncpg connection to the test database (tables are emptied
    after the test, as for every test that uses ``engine``)."""
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert isinstance(driver, asyncpg.Connection)
        yield driver


async def test_the_portal_answers_every_workload_as_the_baseline_does(
    operator: asyncpg.Connection[Any], client: httpx.AsyncClient, settings: Settings
) -> None:
    secret = settings.token_secret.get_secret_value()
    made = await generate(operator, seed=SEED, scale=SMOKE_SCALE, secret=secret, analyze=False)
    targets = await find_targets(operator, made)
    cases = smoke.all_cases(made, targets)
    baseline_app = create_app(secret=secret, database=operator)
    transport = httpx.ASGITransport(app=baseline_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baseline.test") as baseline:
        differences = await smoke.compare(client, baseline, cases)
        # the comparison proves something only where the benchmark's principal sees data
        for workload in WORKLOADS.values():
            case = smoke.Case(
                workload, made.principals[workload.principal], workload.variables(targets)
            )
            assert smoke.holds_data(await smoke.ask(baseline, case)), case

    assert differences == [], "\n\n".join(differences)
    assert len(cases) == sum(len(w.all_cases(targets)) for w in WORKLOADS.values()) * len(ROLES)


async def test_the_same_seed_gives_the_same_rows(operator: asyncpg.Connection[Any]) -> None:
    made = await generate(operator, seed=SEED, scale=SMOKE_SCALE, analyze=False)
    first = {
        row["name"]: (row["rows"], row["digest"])
        for row in await operator.fetch(fingerprint_query())
    }
    await operator.execute(EMPTY_TABLES)
    again = await generate(operator, seed=SEED, scale=SMOKE_SCALE, analyze=False)
    second = {
        row["name"]: (row["rows"], row["digest"])
        for row in await operator.fetch(fingerprint_query())
    }

    assert first == second
    assert all(rows > 0 for rows, _ in first.values()), first
    assert made == again
    # the ids follow from the seed alone, in SQL and in Python alike
    page = await operator.fetchval("SELECT id FROM public.alliances ORDER BY created_at LIMIT 1")
    assert page == made.page_alliance == ident(SEED, "alliance", 0)
    for principal in made.principals.values():
        assert (
            await operator.fetchval(
                "SELECT count(*) FROM public.api_tokens WHERE organisation_id = $1",
                principal.organisation_id,
            )
            == 1
        )


INVARIANTS = {
    "a decision's tallies are its votes": """
        SELECT count(*) FROM decisions d
        WHERE (votes_for, votes_against, votes_abstain) <> (
            SELECT count(*) FILTER (WHERE choice = 'for'),
                   count(*) FILTER (WHERE choice = 'against'),
                   count(*) FILTER (WHERE choice = 'abstain')
            FROM votes v WHERE v.decision_id = d.id)""",
    "a plan has a version row per revision": """
        SELECT count(*) FROM plans p
        WHERE (SELECT count(*) FROM plan_versions v WHERE v.plan_id = p.id) <> p.version
           OR NOT EXISTS (SELECT FROM plan_versions v
                          WHERE v.plan_id = p.id AND v.number = p.version)""",
    "an approved plan was approved by its committee's decision on that version": """
        SELECT count(*) FROM plans p
        LEFT JOIN decisions d ON d.id = p.approved_by_decision_id
        LEFT JOIN plan_versions v ON v.id = d.subject_id
        WHERE p.status IN ('approved', 'active', 'completed')
          AND (v.plan_id IS DISTINCT FROM p.id OR v.number <> p.approved_version
               OR d.outcome <> 'approved')""",
    "a contribution has a PLEDGED step, a step per change, its status last": """
        SELECT count(*) FROM contributions c
        WHERE (SELECT count(*) FROM contribution_steps s WHERE s.contribution_id = c.id)
              <> c.version
           OR NOT EXISTS (SELECT FROM contribution_steps s
                          WHERE s.contribution_id = c.id AND s.status = 'pledged')
           OR c.status <> (SELECT s.status FROM contribution_steps s
                           WHERE s.contribution_id = c.id ORDER BY s.at DESC LIMIT 1)""",
    "nobody confirms the delivery of its own contribution": """
        SELECT count(*) FROM contribution_steps s
        JOIN contributions c ON c.id = s.contribution_id
        WHERE s.status = 'delivered' AND s.organisation_id = c.organisation_id""",
    "a valuation is its contributor's": """
        SELECT count(*) FROM contribution_valuations v
        JOIN contributions c ON c.id = v.contribution_id
        WHERE v.organisation_id <> c.organisation_id OR v.alliance_id <> c.alliance_id""",
    "an audience of organisations names the owner or contributor": """
        SELECT count(*) FROM (
            SELECT id, owner_organisation_id AS org FROM plans WHERE visibility = 'organisations'
            UNION ALL
            SELECT id, organisation_id FROM contributions WHERE visibility = 'organisations'
        ) o
        WHERE NOT EXISTS (SELECT FROM visibility_grants g
                          WHERE g.object_id = o.id AND g.organisation_id = o.org)""",
    "grants, seats, contributions and plans belong to current members": """
        SELECT count(*) FROM (
            SELECT alliance_id, organisation_id FROM visibility_grants
            UNION ALL SELECT alliance_id, organisation_id FROM seats
            UNION ALL SELECT alliance_id, organisation_id FROM contributions
            UNION ALL SELECT alliance_id, owner_organisation_id FROM plans
        ) r
        WHERE NOT EXISTS (SELECT FROM memberships m
                          WHERE m.alliance_id = r.alliance_id
                            AND m.organisation_id = r.organisation_id AND m.left_at IS NULL)""",
    "a vote is cast through its organisation's voting seat": """
        SELECT count(*) FROM votes v JOIN seats s ON s.id = v.seat_id
        WHERE s.organisation_id <> v.organisation_id OR NOT s.voting
           OR s.role = 'observer'""",
    "the lead chairs the steering committee": """
        SELECT count(*) FROM memberships m
        JOIN committees k ON k.alliance_id = m.alliance_id AND k.tier = 'strategic'
        WHERE m.role = 'lead' AND NOT EXISTS (
            SELECT FROM seats s WHERE s.committee_id = k.id
              AND s.organisation_id = m.organisation_id AND s.role = 'chair')""",
    "minutes are their meeting's committee's, with their current version": """
        SELECT count(*) FROM minutes mi JOIN meetings me ON me.id = mi.meeting_id
        WHERE mi.committee_id <> me.committee_id
           OR (mi.visibility = 'committee' AND mi.visibility_committee_id <> me.committee_id)
           OR NOT EXISTS (SELECT FROM minutes_versions v
                          WHERE v.minutes_id = mi.id AND v.version = mi.version)""",
    "a committee named by an audience is one of the object's alliance": """
        SELECT count(*) FROM (
            SELECT alliance_id, visibility_committee_id FROM plans
            UNION ALL SELECT alliance_id, visibility_committee_id FROM contributions
        ) o JOIN committees k ON k.id = o.visibility_committee_id
        WHERE k.alliance_id <> o.alliance_id""",
}
"""What the portal's own rules keep true of the rows it writes; each counts violations."""


async def test_the_dataset_keeps_the_portals_rules(operator: asyncpg.Connection[Any]) -> None:
    await generate(operator, seed=SEED, scale=SMOKE_SCALE, analyze=False)

    broken = {rule: await operator.fetchval(query) for rule, query in INVARIANTS.items()}

    assert broken == dict.fromkeys(INVARIANTS, 0)


def test_another_seed_gives_other_ids_and_tokens() -> None:
    shape = Shape.for_scale(SMOKE_SCALE)
    one, other = manifest(SEED, shape), manifest(SEED + 1, shape)

    assert one.page_alliance != other.page_alliance
    assert {p.token for p in one.principals.values()}.isdisjoint(
        p.token for p in other.principals.values()
    )


def test_the_scale_sets_the_shape() -> None:
    """Scale 1 is the issue's shape; the smoke's is small but keeps every kind of row."""
    full = Shape.for_scale(1)
    assert (full.organisations, full.alliances, full.plans, full.contributions) == (
        200,
        20,
        2_000,
        20_000,
    )
    assert full.page_alliance_plans == 20
    small = Shape.for_scale(SMOKE_SCALE)
    assert small.alliances == 3
    assert small.page_alliance_plans == 4
