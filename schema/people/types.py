"""Person: someone of the viewer's own organisation, and the list of them. Read under
``alliances:read`` (every member may see who belongs to their organisation); changed by its
admins only (``schema.people.mutations``). Other organisations' people are never Persons:
partners see the names of those sitting for a seat (``Representative``)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import models
from portal import people
from schema.context import Info
from schema.kernel.nodes import AreaNode
from schema.kernel.pagination import Connection, ForwardPageArgs, Ordering, paged, paginate
from schema.people.enums import UserRole, UserStatus

if TYPE_CHECKING:
    from schema.loaders import Loaders


PEOPLE_BY_NAME = Ordering("name", (models.User.display_name, models.User.id))


@strawberry.type(
    description="A person of your organisation (never of another one). Visible to your "
    "organisation's members (alliances:read); its admins invite, change and deactivate "
    "people."
)
class Person(AreaNode):
    db_id: relay.NodeID[str]
    display_name: str = strawberry.field(description="The person's name.")
    email: str = strawberry.field(
        description="Their e-mail address: an invitation is taken up by the first sign-in "
        "with this address, verified by your organisation's identity provider."
    )
    role: UserRole = strawberry.field(description="What they may do in your organisation.")
    status: UserStatus = strawberry.field(
        description="Invited (not signed in yet), active or deactivated."
    )
    signed_in_at: dt.datetime | None = strawberry.field(
        description="When they last signed in; null if they never did."
    )
    invited_at: dt.datetime = strawberry.field(
        description="When they were added: invited by an admin, or provisioned at their "
        "first sign-in where your identity provider allows it."
    )
    deactivated_at: dt.datetime | None = strawberry.field(
        description="When they were deactivated; null unless DEACTIVATED."
    )

    @classmethod
    def from_model(cls, row: models.User) -> Person:
        return cls(
            db_id=str(row.id),
            display_name=row.display_name,
            email=row.email,
            role=row.role,
            status=row.status,
            signed_in_at=row.signed_in_at,
            invited_at=row.created_at,
            deactivated_at=row.deactivated_at,
        )

    read_scope = Scope.ALLIANCES_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.people.by_id


@paged
async def resolve_people(
    info: Info,
    page: ForwardPageArgs,
    status: Annotated[
        UserStatus | None, strawberry.argument(description="Only people with this status.")
    ] = None,
    role: Annotated[
        UserRole | None, strawberry.argument(description="Only people with this role.")
    ] = None,
    search: Annotated[
        str | None,
        strawberry.argument(
            description="Only people whose name or e-mail address contains this text "
            f"(ignoring case; at most {people.SEARCH_MAX} characters)."
        ),
    ] = None,
) -> Connection[Person]:
    """The people of your organisation, by name. Needs alliances:read."""
    query = people.list_people(info.context.principal, status=status, role=role, search=search)
    return await paginate(info.context.session, query, PEOPLE_BY_NAME, page, Person.from_model)
