"""The IP assets mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import portfolio
from db.models import utcnow
from portal import ip_assets
from portal.kernel.audience import Audience
from portal.kernel.errors import BadInput
from schema.context import Info
from schema.ip_assets.inputs import (
    AddIpOwnerInput,
    AnswerIpAccessRequestInput,
    RegisterIpAssetInput,
    RemoveIpOwnerInput,
    RequestIpAccessInput,
    UpdateIpAssetInput,
    WithdrawIpAccessRequestInput,
)
from schema.ip_assets.types import IpAccessRequest, IpAsset, _optional_id
from schema.kernel.enums import Visibility
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.scopes import Needs


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
) -> Audience | None:
    """The audience an input asks for; None when it leaves visibility alone."""
    if visibility is None:
        if committee is not None or audience is not None:
            raise BadInput("send visibility to change who sees the asset", field="visibility")
        return None
    return Audience(
        visibility=visibility,
        committee_id=_optional_id(committee, "Committee", "visibilityCommittee"),
        organisation_slugs=tuple(audience or ()),
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
