"""Nested lists cost a bounded number of SQL statements, whatever their length."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import utcnow
from portal.demo.governance import Cast, seed_oncology_governance
from portal.demo.portfolio import seed_oncology_portfolio
from tests.builders import World, counting, gql

DEEP = """
{ alliances(first: 50) { edges { node { name
    members(first: 50) { edges { node { role organisation { slug name } } } } } } } }
"""


async def test_alliances_members_organisations_in_constant_statements(
    client: httpx.AsyncClient, engine: AsyncEngine, world: World
) -> None:
    lead = await world.organisation("lead")
    token = await world.token(lead)
    partners = [await world.organisation(f"partner-{i}") for i in range(6)]

    await world.alliance(lead, *partners[:2], name="A0")
    await gql(client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        first = await gql(client, token, DEEP)
    for i in range(1, 6):
        await world.alliance(lead, *partners, name=f"A{i}")
    with counting() as large:
        second = await gql(client, token, DEEP)

    assert len(first["data"]["alliances"]["edges"]) == 1
    assert len(second["data"]["alliances"]["edges"]) == 6
    edges = second["data"]["alliances"]["edges"]
    assert sum(len(edge["node"]["members"]["edges"]) for edge in edges) == 38
    assert len(large) == len(small), "\n".join(large)
    # the request start (credential, role and tenant in one), alliances, members of all
    # alliances, organisations
    assert len(small) == 4, "\n".join(small)


GOVERNANCE = """
{ alliances(first: 10) { edges { node { name
    committees { name tier parent { name }
      seats { role voting organisation { slug } representatives { displayName } }
      meetings { title status
        agendaItems { position title kind }
        attendance { present seat { role } }
        minutes { status body versions { number } signatures { meaning organisation { slug } } }
        decisions { text outcome votes { choice organisation { slug } } }
        actionItems { title overdue ownerOrganisation { slug } }
      }
    }
} } } }
"""

DEMO_SLUGS = (
    "helix-pharma",
    "nordic-biotech",
    "aurora-university",
    "st-elms-hospital",
    "clinreach-cro",
)


async def test_deep_governance_query_in_constant_statements(
    client: httpx.AsyncClient, engine: AsyncEngine, world: World
) -> None:
    """alliances → committees → seats, meetings → agenda, attendance, minutes (versions,
    signatures), decisions (votes), action items: as many statements for two alliances as
    for one."""
    orgs = {slug: await world.organisation(slug) for slug in DEMO_SLUGS}
    helix = orgs["helix-pharma"]
    token = await world.token(helix)

    async def governed_alliance(name: str) -> None:
        alliance = await world.alliance(helix, *(orgs[s] for s in DEMO_SLUGS[1:]), name=name)
        cast = Cast(
            alliance,
            {slug: org.id for slug, org in orgs.items()},
            {org.id: org.admin for org in orgs.values()},
        )
        await seed_oncology_governance(world.sessions, cast, utcnow())

    await governed_alliance("First")
    await gql(client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as one:
        small = await gql(client, token, GOVERNANCE)
    await governed_alliance("Second")
    with counting() as two:
        large = await gql(client, token, GOVERNANCE)

    assert "errors" not in small, small["errors"]
    assert "errors" not in large, large["errors"]
    first, second = (edge["node"] for edge in large["data"]["alliances"]["edges"])
    assert len(first["committees"]) == len(second["committees"]) == 3
    meetings = [m for c in first["committees"] for m in c["meetings"]]
    assert {m["minutes"]["status"] for m in meetings if m["minutes"]} == {
        "APPROVED",
        "CIRCULATED",
        "DRAFT",
    }
    assert len(two) == len(one), "\n".join(two)


PORTFOLIO = """
{ alliances(first: 10) { edges { node { name
    plans { title status owner { slug } versions { number }
      milestones { title overdue responsibleOrganisation { slug } }
      contributions { kind quantity valuation { amount currency } valuationHiddenReason
        organisation { slug } steps { status organisation { slug } } }
    }
} } } }
"""


async def test_alliance_plans_contributions_organisations_in_constant_statements(
    client: httpx.AsyncClient, engine: AsyncEngine, world: World
) -> None:
    """alliance → plans → contributions → organisation: as many statements for two
    alliances full of plans and contributions as for one."""
    orgs = {slug: await world.organisation(slug) for slug in DEMO_SLUGS}
    helix = orgs["helix-pharma"]
    token = await world.token(helix)

    async def alliance_with_portfolio(name: str) -> None:
        alliance = await world.alliance(helix, *(orgs[s] for s in DEMO_SLUGS[1:]), name=name)
        cast = Cast(
            alliance,
            {slug: org.id for slug, org in orgs.items()},
            {org.id: org.admin for org in orgs.values()},
        )
        now = utcnow()
        await seed_oncology_governance(world.sessions, cast, now)
        await seed_oncology_portfolio(world.sessions, cast, now)

    await alliance_with_portfolio("First")
    await gql(client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as one:
        small = await gql(client, token, PORTFOLIO)
    await alliance_with_portfolio("Second")
    with counting() as two:
        large = await gql(client, token, PORTFOLIO)

    assert "errors" not in small, small["errors"]
    assert "errors" not in large, large["errors"]
    plans = [p for e in large["data"]["alliances"]["edges"] for p in e["node"]["plans"]]
    assert sum(len(p["contributions"]) for p in plans) >= 4
    assert len(two) == len(one), "\n".join(two)
