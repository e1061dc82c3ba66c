"""The people of the viewer's organisation (one person: ``node`` with a Person ID)."""

from __future__ import annotations

import strawberry

from auth.scopes import Scope
from schema.kernel.pagination import Connection
from schema.kernel.scopes import Needs
from schema.people.types import Person, resolve_people


@strawberry.type
class Queries:
    people: Connection[Person] = strawberry.field(
        resolver=resolve_people,
        description="The people of your organisation, by name: every member may read them "
        "(alliances:read); only admins change them. Never another organisation's people.",
        extensions=[Needs(Scope.ALLIANCES_READ)],
    )
