"""Viewer: who the caller is, and the object lookups by global ID."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry
from strawberry import relay

from portal.kernel.errors import DomainError
from schema.context import Info
from schema.kernel.nodes import nodes_by_global_id
from schema.kernel.scopes import Needs
from schema.organisations.queries import resolve_organisation
from schema.organisations.types import Organisation, load_organisation

MAX_IDS = 100


@strawberry.type(description="The caller: its organisation, user and credential's scopes.")
class Viewer:
    organisation_id: strawberry.Private[uuid.UUID]
    user_id: strawberry.ID | None = strawberry.field(
        description="The person acting: who signed in (access_token, provider_token), or "
        "who created the API token; null for an operator's token."
    )
    credential_kind: str = strawberry.field(
        description="How the caller authenticated: api_token (a machine credential), "
        "access_token (a person signed in through the portal's OAuth server), or "
        "provider_token (a person's token from their organisation's identity provider)."
    )
    scopes: list[str] = strawberry.field(description="What the credential may do.")

    @strawberry.field(description="The organisation the caller acts for.")
    async def organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)


def resolve_viewer(info: Info) -> Viewer:
    """The authenticated caller."""
    principal = info.context.principal
    return Viewer(
        organisation_id=principal.organisation_id,
        user_id=strawberry.ID(str(principal.user_id)) if principal.user_id else None,
        credential_kind=principal.credential_kind.value,
        scopes=sorted(scope.value for scope in principal.scopes),
    )


async def resolve_node(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="A global ID.")],
) -> relay.Node | None:
    """Any object by global ID; null when it does not exist or is not visible to you."""
    return (await resolve_nodes(info, [id]))[0]


async def resolve_nodes(
    info: Info,
    ids: Annotated[
        list[strawberry.ID], strawberry.argument(description="Global IDs (at most 100).")
    ],
) -> list[relay.Node | None]:
    """Objects by global ID, in order; null for each one absent or not visible to you."""
    if len(ids) > MAX_IDS:
        raise DomainError(f"at most {MAX_IDS} IDs at once", field="ids")
    return await nodes_by_global_id(info, ids, field="ids")


@strawberry.type
class Queries:
    """Who you are and any object by ID: open to every authenticated credential, since
    each object type answers only what the credential's scopes let it read."""

    viewer: Viewer = strawberry.field(
        resolver=resolve_viewer, description="Who you are.", extensions=[Needs(None)]
    )
    node: relay.Node | None = strawberry.field(
        resolver=resolve_node, description="Any object by global ID.", extensions=[Needs(None)]
    )
    nodes: list[relay.Node | None] = strawberry.field(
        resolver=resolve_nodes, description="Objects by global ID.", extensions=[Needs(None)]
    )
    organisation: Organisation | None = strawberry.field(
        resolver=resolve_organisation,
        description="An organisation you can see.",
        extensions=[Needs(None)],
    )
