"""The organisation's API tokens."""

from __future__ import annotations

import strawberry

from auth.scopes import Scope
from schema.api_tokens.types import ApiToken, resolve_api_tokens
from schema.kernel.pagination import Connection
from schema.kernel.scopes import Needs


@strawberry.type
class Queries:
    api_tokens: Connection[ApiToken] = strawberry.field(
        resolver=resolve_api_tokens,
        description="Your organisation's API tokens (admins).",
        extensions=[Needs(Scope.ADMIN)],
    )
