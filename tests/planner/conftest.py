"""The demo portfolio the planner's tests read: one alliance of the five demo
organisations, with its governance, plans, contributions and IP."""

from __future__ import annotations

from typing import Any

import pytest

from db.models import utcnow
from portal.demo.governance import Cast, seed_oncology_governance
from portal.demo.portfolio import seed_oncology_portfolio
from tests.builders import World

DEMO_SLUGS = (
    "helix-pharma",
    "nordic-biotech",
    "aurora-university",
    "st-elms-hospital",
    "clinreach-cro",
)


@pytest.fixture
async def portfolio(world: World) -> dict[str, Any]:
    orgs = {slug: await world.organisation(slug) for slug in DEMO_SLUGS}
    helix = orgs["helix-pharma"]
    alliance = await world.alliance(helix, *(orgs[s] for s in DEMO_SLUGS[1:]), name="Onco")
    cast = Cast(
        alliance,
        {slug: org.id for slug, org in orgs.items()},
        {org.id: org.admin for org in orgs.values()},
    )
    now = utcnow()
    await seed_oncology_governance(world.sessions, cast, now)
    await seed_oncology_portfolio(world.sessions, cast, now)
    return {"orgs": orgs, "alliance": alliance}
