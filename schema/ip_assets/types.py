"""The IP register: the IpAsset and IpAccessRequest types, the ipAssets and
ipAccessRequests lists, and the mutations that register and edit assets, change their
owners, and request, answer and withdraw access. The rules live in ``portal.ip_assets``."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import portfolio
from db.enums import AccessRequestStatus, IpKind
from db.models import utcnow
from portal.ip_assets import service as ip_assets
from portal.kernel.errors import BadInput, NotFound
from schema.context import Info
from schema.kernel.enums import Visibility
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id, to_global_id
from schema.kernel.nodes import AreaNode, load_required
from schema.kernel.pagination import Connection, Ordering, PageInfo, PageRequest, paginate
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

strawberry.enum(
    IpKind,
    name="IpKind",
    description="BACKGROUND: IP an organisation brings into the alliance. FOREGROUND: IP "
    "created by the alliance's work.",
)
strawberry.enum(
    AccessRequestStatus,
    name="IpAccessRequestStatus",
    description="PENDING until an owner organisation answers (GRANTED or REFUSED) or the "
    "requesting organisation withdraws it (WITHDRAWN); only a pending request changes.",
)
strawberry.enum(
    ip_assets.AccessDecision,
    name="IpAccessDecision",
    description="An owner's answer to an access request: GRANT or REFUSE.",
)
strawberry.enum(
    ip_assets.AccessDirection,
    name="IpAccessDirection",
    description="INCOMING: requests for assets your organisation owns. OUTGOING: requests "
    "your organisation made.",
)

CommitteeRef = Annotated["Committee", strawberry.lazy("schema.committees.types")]

ACCESS_REQUESTS_BY_CREATION = Ordering(
    "created_desc",
    (portfolio.IpAccessRequest.created_at, portfolio.IpAccessRequest.id),
    descending=True,
)


# Loaders: each starts from a policy selection, so batching never widens the view ---------


async def _committee(info: Info, committee_id: uuid.UUID) -> Committee:
    return await load_required(info, info.context.loaders.committees.by_id, committee_id)


# Types -------------------------------------------------------------------------------------


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


# Lists -------------------------------------------------------------------------------------


@strawberry.enum(description="Orders of the IP asset list.")
class IpAssetOrder(enum.Enum):
    TITLE = "title"
    CREATED_AT_DESC = "created_at_desc"


IP_ASSET_ORDERINGS = {
    IpAssetOrder.TITLE: Ordering("title", (portfolio.IpAsset.title, portfolio.IpAsset.id)),
    IpAssetOrder.CREATED_AT_DESC: Ordering(
        "created_desc", (portfolio.IpAsset.created_at, portfolio.IpAsset.id), descending=True
    ),
}


@strawberry.input(description="Narrow an alliance's IP register; omitted fields do not narrow.")
class IpAssetFilter:
    kinds: list[IpKind] | None = strawberry.field(
        default=None, description="Only assets of these kinds."
    )
    owner_organisation: strawberry.ID | None = strawberry.field(
        default=None, description="Only assets this organisation (an Organisation ID) owns."
    )
    plan: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only assets related to this plan (a Plan ID); a plan you cannot see "
        "matches nothing.",
    )
    search: str | None = strawberry.field(
        default=None, description="Case-insensitive text in the title or description."
    )


@strawberry.input(description="Narrow an alliance's access requests; omitted fields do not narrow.")
class IpAccessRequestFilter:
    statuses: list[AccessRequestStatus] | None = strawberry.field(
        default=None, description="Only requests in these states."
    )
    asset: strawberry.ID | None = strawberry.field(
        default=None, description="Only requests for this asset (an IpAsset ID)."
    )
    direction: ip_assets.AccessDirection | None = strawberry.field(
        default=None,
        description="INCOMING: for assets your organisation owns; OUTGOING: made by your "
        "organisation. Both when omitted.",
    )


def _empty() -> Connection[Any]:
    return Connection(
        edges=[],
        page_info=PageInfo(
            has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
        ),
    )


def _optional_id(value: strawberry.ID | None, type_name: str, field: str) -> uuid.UUID | None:
    return expect_global_id(value, type_name, field) if value is not None else None


async def resolve_ip_assets(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        IpAssetFilter | None, strawberry.argument(description="Which assets.")
    ] = None,
    first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to start after.")] = None,
    last: Annotated[int | None, strawberry.argument(description="Page size from the end.")] = None,
    before: Annotated[str | None, strawberry.argument(description="Cursor to end before.")] = None,
    order_by: Annotated[
        IpAssetOrder,
        strawberry.argument(description="Sort order: by title, or newest first."),
    ] = IpAssetOrder.TITLE,
) -> Connection[IpAsset]:
    """The alliance's IP assets you may see. Needs ip:read; an alliance you are not a
    member of has none."""
    principal = info.context.principal
    chosen = filter or IpAssetFilter()
    try:
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        owner_id = _optional_id(chosen.owner_organisation, "Organisation", "ownerOrganisation")
        plan_id = _optional_id(chosen.plan, "Plan", "plan")
    except NotFound:
        return _empty()  # an ID of another type names nothing
    query = ip_assets.alliance_ip_assets(
        principal,
        alliance_id,
        ip_assets.IpAssetFilter(
            kinds=chosen.kinds,
            owner_organisation_id=owner_id,
            plan_id=plan_id,
            search=chosen.search,
        ),
    )
    page = PageRequest(first=first, after=after, last=last, before=before)
    return await paginate(
        info.context.session, query, IP_ASSET_ORDERINGS[order_by], page, IpAsset.from_model
    )


async def resolve_ip_access_requests(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        IpAccessRequestFilter | None, strawberry.argument(description="Which requests.")
    ] = None,
    first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to start after.")] = None,
) -> Connection[IpAccessRequest]:
    """Access requests of the alliance your organisation is party to, newest first. Needs
    ip:read; an alliance you are not a member of has none."""
    principal = info.context.principal
    chosen = filter or IpAccessRequestFilter()
    try:
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        asset_id = _optional_id(chosen.asset, "IpAsset", "asset")
    except NotFound:
        return _empty()
    query = ip_assets.alliance_access_requests(
        principal,
        alliance_id,
        ip_assets.AccessRequestFilter(
            statuses=chosen.statuses, asset_id=asset_id, direction=chosen.direction
        ),
    )
    return await paginate(
        info.context.session,
        query,
        ACCESS_REQUESTS_BY_CREATION,
        PageRequest(first=first, after=after),
        IpAccessRequest.from_model,
    )


# Mutations ---------------------------------------------------------------------------------

_IDEMPOTENCY = (
    "Optional: a key of your choice (1-200 characters). Sending the same input with the "
    "same key again returns the first result instead of creating twice; the same key with "
    "a different input is refused (CONFLICT)."
)


@strawberry.input(
    description="Register an IP asset. Any current member organisation, with ip:write; your "
    "organisation becomes an owner, and the co-owners you name (current members) too. "
    "Owners always see the asset, whatever its visibility."
)
class RegisterIpAssetInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")
    kind: IpKind = strawberry.field(description="BACKGROUND or FOREGROUND.")
    title: str = strawberry.field(description="What the asset is (1-200 characters).")
    description: str = strawberry.field(
        default="", description="The asset in detail (up to 20,000 characters)."
    )
    licence_terms: str = strawberry.field(
        default="", description="The licence terms (up to 20,000 characters)."
    )
    plan: strawberry.ID | None = strawberry.field(
        default=None,
        description="A related research plan (a Plan ID) of the same alliance that you can see.",
    )
    visibility: Visibility = strawberry.field(
        default=Visibility.ALLIANCE,
        description="Who sees it besides the owners: ALLIANCE (default, every member), "
        "COMMITTEE (seat holders of visibilityCommittee) or ORGANISATIONS (those listed in "
        "audience).",
    )
    visibility_committee: strawberry.ID | None = strawberry.field(
        default=None,
        description="With visibility COMMITTEE (required then): a committee of the "
        "alliance. Not allowed otherwise.",
    )
    audience: list[str] | None = strawberry.field(
        default=None,
        description="With visibility ORGANISATIONS: slugs of the member organisations to "
        "share it with (none: the owners only). Not allowed otherwise.",
    )
    co_owners: list[str] | None = strawberry.field(
        default=None,
        description="Slugs of other current member organisations that own the asset with yours.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY)


@strawberry.input(
    description="Edit an IP asset. Any owner organisation, with ip:write; other members get "
    "FORBIDDEN. Omitted fields stay as they are. To change who sees it, send visibility "
    "(with visibilityCommittee or audience as it needs); an ORGANISATIONS audience "
    "is replaced by the organisations listed."
)
class UpdateIpAssetInput:
    asset: strawberry.ID = strawberry.field(description="The asset's ID.")
    version: int = strawberry.field(
        description="The version you edited; if it changed meanwhile you get CONFLICT."
    )
    title: str | None = strawberry.field(default=None, description="New title.")
    description: str | None = strawberry.field(default=None, description="New description.")
    licence_terms: str | None = strawberry.field(default=None, description="New licence terms.")
    visibility: Visibility | None = strawberry.field(
        default=None, description="New visibility; the owners always see the asset."
    )
    visibility_committee: strawberry.ID | None = strawberry.field(
        default=None, description="With visibility COMMITTEE (required then): the committee."
    )
    audience: list[str] | None = strawberry.field(
        default=None,
        description="With visibility ORGANISATIONS: slugs of the member organisations it is "
        "shared with; must include those it was already shared with.",
    )


@strawberry.input(
    description="Make another current member organisation a co-owner. Any owner "
    "organisation, with ip:write."
)
class AddIpOwnerInput:
    asset: strawberry.ID = strawberry.field(description="The asset's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )
    organisation_slug: str = strawberry.field(description="Slug of the new owner organisation.")


@strawberry.input(
    description="Remove an owner organisation (your own included). Any owner organisation, "
    "with ip:write; an asset keeps at least one owner."
)
class RemoveIpOwnerInput:
    asset: strawberry.ID = strawberry.field(description="The asset's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )
    organisation_slug: str = strawberry.field(description="Slug of the owner to remove.")


@strawberry.input(
    description="Ask for access rights to an IP asset. A current member organisation that "
    "can see the asset and does not own it, with ip:write. One pending request per "
    "organisation and asset: another gets CONFLICT."
)
class RequestIpAccessInput:
    asset: strawberry.ID = strawberry.field(description="The asset's ID.")
    purpose: str = strawberry.field(
        description="What you want to use it for (1-20,000 characters)."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY)


@strawberry.input(
    description="Grant or refuse a pending access request. Any owner organisation of the "
    "asset, with ip:write, but never the requesting organisation itself (FORBIDDEN). A "
    "request already answered or withdrawn gets CONFLICT."
)
class AnswerIpAccessRequestInput:
    request: strawberry.ID = strawberry.field(description="The access request's ID.")
    decision: ip_assets.AccessDecision = strawberry.field(description="GRANT or REFUSE.")
    answer: str = strawberry.field(
        description="The answer for the requester: terms, reasons (1-20,000 characters)."
    )


@strawberry.input(
    description="Withdraw your organisation's pending access request. The requesting "
    "organisation only, with ip:write; an answered request gets CONFLICT."
)
class WithdrawIpAccessRequestInput:
    request: strawberry.ID = strawberry.field(description="The access request's ID.")


@strawberry.type(description="Result of a mutation on an IP asset.")
class IpAssetPayload:
    ip_asset: IpAsset | None = strawberry.field(description="The asset as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of a mutation on an access request.")
class IpAccessRequestPayload:
    ip_access_request: IpAccessRequest | None = strawberry.field(
        description="The access request as changed."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


def _asset_payload(row: portfolio.IpAsset | None, errors: list[UserError]) -> IpAssetPayload:
    return IpAssetPayload(ip_asset=IpAsset.from_model(row) if row else None, user_errors=errors)


def _request_payload(
    row: portfolio.IpAccessRequest | None, errors: list[UserError]
) -> IpAccessRequestPayload:
    return IpAccessRequestPayload(
        ip_access_request=IpAccessRequest.from_model(row) if row else None, user_errors=errors
    )


def _audience(
    visibility: Visibility | None,
    committee: strawberry.ID | None,
    audience: list[str] | None,
) -> ip_assets.Audience | None:
    """The audience an input asks for; None when it leaves visibility alone."""
    if visibility is None:
        if committee is not None or audience is not None:
            raise BadInput("send visibility to change who sees the asset", field="visibility")
        return None
    return ip_assets.Audience(
        visibility=visibility,
        committee_id=_optional_id(committee, "Committee", "visibilityCommittee"),
        organisation_slugs=tuple(audience or ()),
    )


@strawberry.type
class Queries:
    ip_assets: Connection[IpAsset] = strawberry.field(
        resolver=resolve_ip_assets,
        description="The IP register of an alliance: assets visible to you, with filters "
        "(kinds, owner, plan, text). Needs ip:read.",
        extensions=[Needs(Scope.IP_READ)],
    )
    ip_access_requests: Connection[IpAccessRequest] = strawberry.field(
        resolver=resolve_ip_access_requests,
        description="Access requests of an alliance your organisation made or received for "
        "assets it owns, with filters (status, asset, direction). Needs ip:read.",
        extensions=[Needs(Scope.IP_READ)],
    )


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Register an IP asset. Any current member organisation, with ip:write; "
        "yours becomes an owner. Accepts an idempotency key.",
        extensions=[Needs(Scope.IP_WRITE)],
    )
    async def register_ip_asset(
        self,
        info: Info,
        input: Annotated[RegisterIpAssetInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> IpAssetPayload:
        ctx = info.context

        async def register() -> portfolio.IpAsset:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            plan_id = _optional_id(input.plan, "Plan", "plan")
            audience = _audience(input.visibility, input.visibility_committee, input.audience)
            return await ip_assets.register_ip_asset(
                ctx.session,
                ctx.principal,
                alliance_id,
                kind=input.kind,
                title=input.title,
                description=input.description,
                licence_terms=input.licence_terms,
                plan_id=plan_id,
                audience=audience,
                co_owner_slugs=input.co_owners or (),
                idempotency_key=input.idempotency_key,
                now=utcnow(),
            )

        return _asset_payload(*await guarded(ctx.session, register))

    @strawberry.mutation(
        description="Edit an IP asset's title, description, licence terms or visibility. "
        "Any owner organisation, with ip:write; optimistic concurrency on version.",
        extensions=[Needs(Scope.IP_WRITE)],
    )
    async def update_ip_asset(
        self,
        info: Info,
        input: Annotated[UpdateIpAssetInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> IpAssetPayload:
        ctx = info.context

        async def update() -> portfolio.IpAsset:
            asset_id = expect_global_id(input.asset, "IpAsset", "asset")
            audience = _audience(input.visibility, input.visibility_committee, input.audience)
            return await ip_assets.update_ip_asset(
                ctx.session,
                ctx.principal,
                asset_id,
                expected_version=input.version,
                title=input.title,
                description=input.description,
                licence_terms=input.licence_terms,
                audience=audience,
            )

        return _asset_payload(*await guarded(ctx.session, update))

    @strawberry.mutation(
        description="Add a co-owner organisation to an IP asset. Any owner organisation, "
        "with ip:write; optimistic concurrency on version.",
        extensions=[Needs(Scope.IP_WRITE)],
    )
    async def add_ip_owner(
        self,
        info: Info,
        input: Annotated[AddIpOwnerInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> IpAssetPayload:
        ctx = info.context

        async def add() -> portfolio.IpAsset:
            return await ip_assets.add_ip_owner(
                ctx.session,
                ctx.principal,
                expect_global_id(input.asset, "IpAsset", "asset"),
                expected_version=input.version,
                organisation_slug=input.organisation_slug,
            )

        return _asset_payload(*await guarded(ctx.session, add))

    @strawberry.mutation(
        description="Remove an owner organisation from an IP asset. Any owner organisation, "
        "with ip:write; the last owner stays; optimistic concurrency on version.",
        extensions=[Needs(Scope.IP_WRITE)],
    )
    async def remove_ip_owner(
        self,
        info: Info,
        input: Annotated[RemoveIpOwnerInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> IpAssetPayload:
        ctx = info.context

        async def remove() -> portfolio.IpAsset:
            return await ip_assets.remove_ip_owner(
                ctx.session,
                ctx.principal,
                expect_global_id(input.asset, "IpAsset", "asset"),
                expected_version=input.version,
                organisation_slug=input.organisation_slug,
            )

        return _asset_payload(*await guarded(ctx.session, remove))

    @strawberry.mutation(
        description="Request access rights to an IP asset you can see and do not own. A "
        "current member organisation, with ip:write. Accepts an idempotency key.",
        extensions=[Needs(Scope.IP_WRITE)],
    )
    async def request_ip_access(
        self,
        info: Info,
        input: Annotated[RequestIpAccessInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> IpAccessRequestPayload:
        ctx = info.context

        async def request() -> portfolio.IpAccessRequest:
            return await ip_assets.request_ip_access(
                ctx.session,
                ctx.principal,
                expect_global_id(input.asset, "IpAsset", "asset"),
                purpose=input.purpose,
                idempotency_key=input.idempotency_key,
                now=utcnow(),
            )

        return _request_payload(*await guarded(ctx.session, request))

    @strawberry.mutation(
        description="Grant or refuse a pending access request with an answer. Any owner "
        "organisation of the asset except the requester, with ip:write.",
        extensions=[Needs(Scope.IP_WRITE)],
    )
    async def answer_ip_access_request(
        self,
        info: Info,
        input: Annotated[
            AnswerIpAccessRequestInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> IpAccessRequestPayload:
        ctx = info.context

        async def answer() -> portfolio.IpAccessRequest:
            return await ip_assets.answer_ip_access_request(
                ctx.session,
                ctx.principal,
                expect_global_id(input.request, "IpAccessRequest", "request"),
                decision=input.decision,
                answer=input.answer,
                now=utcnow(),
            )

        return _request_payload(*await guarded(ctx.session, answer))

    @strawberry.mutation(
        description="Withdraw a pending access request. The requesting organisation only, "
        "with ip:write.",
        extensions=[Needs(Scope.IP_WRITE)],
    )
    async def withdraw_ip_access_request(
        self,
        info: Info,
        input: Annotated[
            WithdrawIpAccessRequestInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> IpAccessRequestPayload:
        ctx = info.context

        async def withdraw() -> portfolio.IpAccessRequest:
            return await ip_assets.withdraw_ip_access_request(
                ctx.session,
                ctx.principal,
                expect_global_id(input.request, "IpAccessRequest", "request"),
            )

        return _request_payload(*await guarded(ctx.session, withdraw))


NODE_TYPES: dict[str, type[relay.Node]] = {
    "IpAsset": IpAsset,
    "IpAccessRequest": IpAccessRequest,
}
