"""The IP register: the IpAsset and IpAccessRequest types, the ipAssets and
ipAccessRequests lists, and the mutations that register and edit assets, change their
owners, and request, answer and withdraw access. The rules live in ``portal.ip_assets``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import portfolio
from schema.context import Info
from schema.ip_assets.enums import AccessRequestStatus, IpKind
from schema.kernel.enums import Visibility
from schema.kernel.ids import expect_global_id, to_global_id
from schema.kernel.nodes import AreaNode, load_required
from schema.kernel.scopes import Needs
from schema.organisations.types import (
    Organisation,
    load_audience,
    load_organisation,
    load_organisations,
)

if TYPE_CHECKING:
    from schema.committees.types import Committee
    from schema.loaders import Loaders


CommitteeRef = Annotated["Committee", strawberry.lazy("schema.committees.types")]


async def _committee(info: Info, committee_id: uuid.UUID) -> Committee:
    return await load_required(info, info.context.loaders.committees.by_id, committee_id)


@strawberry.type(
    description="A piece of background or foreground IP registered in an alliance, owned by "
    "one or several member organisations. Visible to its audience (see visibility) and "
    "always to its owners; to anyone else it does not exist. Needs ip:read."
)
class IpAsset(AreaNode):
    db_id: relay.NodeID[str]
    related_plan_id: strawberry.Private[uuid.UUID | None]
    visibility_committee_id: strawberry.Private[uuid.UUID | None]
    kind: IpKind = strawberry.field(description="BACKGROUND or FOREGROUND.")
    title: str = strawberry.field(description="What the asset is, in a line.")
    description: str = strawberry.field(description="The asset in detail.")
    licence_terms: str = strawberry.field(
        description="The terms on which the owners license the asset to partners."
    )
    visibility: Visibility = strawberry.field(
        description="ALLIANCE (every member), COMMITTEE (seat holders of "
        "visibilityCommittee) or ORGANISATIONS (the audience). The owners see the asset "
        "whatever it says."
    )
    version: int = strawberry.field(
        description="Changes with every edit and owner change; send it back with "
        "updateIpAsset, addIpOwner or removeIpOwner."
    )
    created_at: dt.datetime = strawberry.field(description="When the asset was registered.")

    @classmethod
    def from_model(cls, row: portfolio.IpAsset) -> IpAsset:
        return cls(
            db_id=str(row.id),
            related_plan_id=row.plan_id,
            visibility_committee_id=row.visibility_committee_id,
            kind=row.kind,
            title=row.title,
            description=row.description,
            licence_terms=row.licence_terms,
            visibility=row.visibility,
            version=row.version,
            created_at=row.created_at,
        )

    @strawberry.field(
        description="Global ID of the research plan the asset relates to (a Plan). Null "
        "when there is none, or when you cannot see that plan (visibility, or a credential "
        "without plans:read).",
        extensions=[Needs(Scope.PLANS_READ)],
    )
    async def plan_id(self, info: Info) -> strawberry.ID | None:
        if self.related_plan_id is None:
            return None
        plan = await info.context.loaders.plans.by_id.load(self.related_plan_id)
        if plan is None:
            return None
        return strawberry.ID(str(to_global_id("Plan", plan.id)))

    @strawberry.field(
        description="With visibility COMMITTEE: whose seat holders see it.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
    async def visibility_committee(self, info: Info) -> CommitteeRef | None:
        if self.visibility_committee_id is None:
            return None
        return await _committee(info, self.visibility_committee_id)

    @strawberry.field(
        description="With visibility ORGANISATIONS: the member organisations it is shared "
        "with besides its owners (empty: the owners only); null with any other visibility."
    )
    async def audience(self, info: Info) -> list[Organisation] | None:
        return await load_audience(
            info, info.context.loaders.ip_assets.audience, uuid.UUID(self.db_id), self.visibility
        )

    @strawberry.field(description="The owner organisations, by name (at least one).")
    async def owners(self, info: Info) -> list[Organisation]:
        rows = await info.context.loaders.ip_assets.owners_of_asset.load(uuid.UUID(self.db_id))
        return await load_organisations(info, [row.organisation_id for row in rows])

    @strawberry.field(
        description="Access requests for this asset that your organisation is party to, "
        "newest first: all of them if it owns the asset, otherwise only its own."
    )
    async def access_requests(self, info: Info) -> list[IpAccessRequest]:
        rows = await info.context.loaders.ip_assets.requests_of_asset.load(uuid.UUID(self.db_id))
        return [IpAccessRequest.from_model(row) for row in rows]

    read_scope = Scope.IP_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.ip_assets.by_id


@strawberry.type(
    description="A member organisation's request for access rights to an IP asset, and the "
    "owners' answer. Visible only to the requesting organisation and the asset's owner "
    "organisations. Needs ip:read."
)
class IpAccessRequest(AreaNode):
    db_id: relay.NodeID[str]
    asset_id: strawberry.Private[uuid.UUID]
    organisation_id: strawberry.Private[uuid.UUID]
    answered_by_organisation_id: strawberry.Private[uuid.UUID | None]
    purpose: str = strawberry.field(description="What the requester wants to use the asset for.")
    status: AccessRequestStatus = strawberry.field(
        description="PENDING, GRANTED, REFUSED or WITHDRAWN."
    )
    answer: str | None = strawberry.field(
        description="The owners' answer text; null until granted or refused."
    )
    answered_at: dt.datetime | None = strawberry.field(
        description="When an owner granted or refused it; null otherwise."
    )
    created_at: dt.datetime = strawberry.field(description="When it was requested.")

    @classmethod
    def from_model(cls, row: portfolio.IpAccessRequest) -> IpAccessRequest:
        return cls(
            db_id=str(row.id),
            asset_id=row.ip_asset_id,
            organisation_id=row.organisation_id,
            answered_by_organisation_id=row.answered_by_organisation_id,
            purpose=row.purpose,
            status=row.status,
            answer=row.answer if row.answered_at is not None else None,
            answered_at=row.answered_at,
            created_at=row.created_at,
        )

    @strawberry.field(
        description="The asset asked for; null if its visibility changed so that you can no "
        "longer see it."
    )
    async def asset(self, info: Info) -> IpAsset | None:
        row = await info.context.loaders.ip_assets.by_id.load(self.asset_id)
        return IpAsset.from_model(row) if row else None

    @strawberry.field(description="The organisation that asked for access.")
    async def requester(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)

    @strawberry.field(
        description="The owner organisation that granted or refused it; null otherwise."
    )
    async def answered_by(self, info: Info) -> Organisation | None:
        if self.answered_by_organisation_id is None:
            return None
        return await load_organisation(info, self.answered_by_organisation_id)

    read_scope = Scope.IP_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.ip_assets.request_by_id


def _optional_id(value: strawberry.ID | None, type_name: str, field: str) -> uuid.UUID | None:
    return expect_global_id(value, type_name, field) if value is not None else None


NODE_TYPES: dict[str, type[relay.Node]] = {
    "IpAsset": IpAsset,
    "IpAccessRequest": IpAccessRequest,
}
