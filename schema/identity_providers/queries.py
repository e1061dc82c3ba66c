"""The organisation's identity provider."""

from __future__ import annotations

import strawberry

from auth.scopes import Scope
from portal import identity_providers
from schema.context import Info
from schema.identity_providers.types import IdentityProvider
from schema.kernel.scopes import Needs


async def resolve_identity_provider(info: Info) -> IdentityProvider | None:
    """Your organisation's identity provider; null until one is registered."""
    ctx = info.context
    row = await identity_providers.identity_provider(ctx.session, ctx.principal)
    return IdentityProvider.from_model(row) if row else None


@strawberry.type
class Queries:
    identity_provider: IdentityProvider | None = strawberry.field(
        resolver=resolve_identity_provider,
        description="Your organisation's identity provider (admins); null until registered.",
        extensions=[Needs(Scope.ADMIN)],
    )
