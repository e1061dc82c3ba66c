"""The alliance list and one alliance."""

from __future__ import annotations

import strawberry

from auth.scopes import Scope
from schema.alliances.types import Alliance, resolve_alliance, resolve_alliances
from schema.kernel.pagination import Connection
from schema.kernel.scopes import Needs


@strawberry.type
class Queries:
    alliances: Connection[Alliance] = strawberry.field(
        resolver=resolve_alliances,
        description="Alliances your organisation belongs to.",
        extensions=[Needs(Scope.ALLIANCES_READ)],
    )
    alliance: Alliance | None = strawberry.field(
        resolver=resolve_alliance,
        description="One alliance you belong to.",
        extensions=[Needs(Scope.ALLIANCES_READ)],
    )
