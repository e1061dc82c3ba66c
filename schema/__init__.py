"""The GraphQL layer: thin types over the portal's domain functions."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from auth import policy
from db import models
from portal.settings import Settings
from schema.action_items import types as action_items
from schema.alliances.mutations import AllianceMutations
from schema.alliances.types import Alliance, resolve_alliance, resolve_alliances
from schema.api_tokens.types import ApiToken, ApiTokenMutations, resolve_api_tokens
from schema.committees import types as committees
from schema.context import Info
from schema.contributions import types as contributions
from schema.decisions import types as decisions
from schema.ip_assets import types as ip_assets
from schema.issues import types as issues
from schema.kernel.extensions import ErrorCodes, MaskUnexpectedErrors
from schema.kernel.pagination import Connection
from schema.meetings import types as meetings
from schema.minutes import types as minutes
from schema.organisations.types import Organisation
from schema.plans import types as plans
from schema.registry import NODE_TYPES
from schema.viewer import Viewer, resolve_node, resolve_nodes, resolve_viewer

MAX_DEPTH = 12
MAX_ALIASES = 30


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


@strawberry.type
class CoreQuery:
    viewer: Viewer = strawberry.field(resolver=resolve_viewer, description="Who you are.")
    node: relay.Node | None = strawberry.field(
        resolver=resolve_node, description="Any object by global ID."
    )
    nodes: list[relay.Node | None] = strawberry.field(
        resolver=resolve_nodes, description="Objects by global ID."
    )
    organisation: Organisation | None = strawberry.field(
        resolver=resolve_organisation, description="An organisation you can see."
    )
    alliances: Connection[Alliance] = strawberry.field(
        resolver=resolve_alliances, description="Alliances your organisation belongs to."
    )
    alliance: Alliance | None = strawberry.field(
        resolver=resolve_alliance, description="One alliance you belong to."
    )
    api_tokens: Connection[ApiToken] = strawberry.field(
        resolver=resolve_api_tokens, description="Your organisation's API tokens (admins)."
    )


@strawberry.type(description="Everything you can read: start from viewer, alliances or node.")
class Query(
    CoreQuery,
    committees.Queries,
    meetings.Queries,
    action_items.Queries,
    minutes.Queries,
    decisions.Queries,
    issues.Queries,
    plans.Queries,
    contributions.Queries,
    ip_assets.Queries,
):
    pass


@strawberry.type(
    description="Every change: each takes one input and answers with the changed object and "
    "userErrors; a mutation that fails changes nothing."
)
class Mutation(
    AllianceMutations,
    ApiTokenMutations,
    committees.Mutations,
    meetings.Mutations,
    action_items.Mutations,
    minutes.Mutations,
    decisions.Mutations,
    issues.Mutations,
    plans.Mutations,
    contributions.Mutations,
    ip_assets.Mutations,
):
    pass


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with its extensions: caches, limits, error codes and masking."""
    extensions: list[object] = [
        ErrorCodes,
        MaskUnexpectedErrors,
        partial(ParserCache, maxsize=1024),
        partial(ValidationCache, maxsize=1024),
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=list(NODE_TYPES.values()),
        extensions=extensions,  # type: ignore[arg-type]
        config=StrawberryConfig(auto_camel_case=True),
    )
