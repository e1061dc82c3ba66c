"""The organisation's OAuth clients."""

from __future__ import annotations

import strawberry

from auth.scopes import Scope
from schema.kernel.pagination import Connection
from schema.kernel.scopes import Needs
from schema.oauth_clients.types import OAuthClient, resolve_oauth_clients


@strawberry.type
class Queries:
    oauth_clients: Connection[OAuthClient] = strawberry.field(
        resolver=resolve_oauth_clients,
        description="Your organisation's OAuth clients (admins).",
        extensions=[Needs(Scope.ADMIN)],
    )
