"""Looking up an organisation by slug."""

from __future__ import annotations

from typing import Annotated

import strawberry

from auth import policy
from db import models
from schema.context import Info
from schema.organisations.types import Organisation


async def resolve_organisation(
    info: Info,
    slug: Annotated[str | None, strawberry.argument(description="Its slug.")] = None,
) -> Organisation | None:
    """Your organisation (no argument), or one sharing an alliance with it, by slug; null
    for any other."""
    principal = info.context.principal
    query = policy.visible_organisations(principal)
    if slug is None:
        query = query.where(models.Organisation.id == principal.organisation_id)
    else:
        query = query.where(models.Organisation.slug == slug)
    row = await info.context.session.scalar(query)
    return Organisation.from_model(row) if row else None
