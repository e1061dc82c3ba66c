"""Organisation: a tenant as other members of its alliances see it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from db import models
from db.governance import VisibilityGrant
from schema.context import Info
from schema.kernel import sql
from schema.kernel.enums import Visibility
from schema.kernel.nodes import AreaNode
from schema.organisations.enums import OrganisationKind

if TYPE_CHECKING:
    from schema.loaders import Loaders


@strawberry.type(
    description="A partner organisation: a company, university, hospital, CRO or "
    "foundation. Visible to itself and to organisations it shares an alliance with."
)
class Organisation(AreaNode):
    db_id: relay.NodeID[str]
    slug: str = strawberry.field(
        metadata=sql.column("{t}.slug"),
        description="Short unique name, used to invite it to alliances.",
    )
    name: str = strawberry.field(metadata=sql.column("{t}.name"), description="Display name.")
    kind: OrganisationKind = strawberry.field(
        metadata=sql.column("{t}.kind", enum=OrganisationKind),
        description="Pharma, biotech, academic, ...",
    )
    country: str = strawberry.field(
        metadata=sql.column("{t}.country"), description="ISO 3166-1 alpha-2 country code."
    )

    @classmethod
    def from_model(cls, row: models.Organisation) -> Organisation:
        return cls(
            db_id=str(row.id), slug=row.slug, name=row.name, kind=row.kind, country=row.country
        )

    read_scope = None

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.organisations.by_id

    sql_table = sql.Table(
        "organisations",
        # the rule of policy.visible_organisations: its own, and its current partners'
        f"{{t}}.id = {sql.ME} OR EXISTS (SELECT 1 FROM public.memberships m"  # noqa: S608
        f" WHERE m.organisation_id = {{t}}.id AND m.alliance_id = ANY {sql.MEMBER_ALLIANCES})",
    )


async def load_organisation(info: Info, organisation_id: uuid.UUID) -> Organisation:
    """An organisation the principal can see (members and itself always are)."""
    row = await info.context.loaders.organisations.by_id.load(organisation_id)
    if row is None:  # RLS and the policy agree a visible object's organisation is visible
        raise LookupError(f"organisation {organisation_id} is not visible")
    return Organisation.from_model(row)


async def load_organisations(
    info: Info, organisation_ids: Sequence[uuid.UUID]
) -> list[Organisation]:
    """Several visible organisations in one batch, in the order given."""
    rows = await info.context.loaders.organisations.by_id.load_many(list(organisation_ids))
    missing = [i for i, row in zip(organisation_ids, rows, strict=True) if row is None]
    if missing:
        raise LookupError(f"organisations {missing} are not visible")
    return [Organisation.from_model(row) for row in rows if row is not None]


async def load_audience(
    info: Info,
    grants: DataLoader[uuid.UUID, list[VisibilityGrant]],
    object_id: uuid.UUID,
    visibility: Visibility,
) -> list[Organisation] | None:
    """The organisations an ORGANISATIONS audience lists, in one batch; None for any other
    visibility (the audience is then a committee or the whole alliance)."""
    if visibility is not Visibility.ORGANISATIONS:
        return None
    listed = await grants.load(object_id)
    return await load_organisations(info, [grant.organisation_id for grant in listed])
