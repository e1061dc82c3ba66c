"""The identity provider mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import identity
from portal import identity_providers
from portal.kernel.errors import BadInput
from schema.context import Info
from schema.identity_providers.inputs import (
    RegisterIdentityProviderInput,
    RemoveIdentityProviderInput,
)
from schema.identity_providers.types import IdentityProvider
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id, to_global_id
from schema.kernel.scopes import Needs


@strawberry.type(description="Result of registerIdentityProvider.")
class RegisterIdentityProviderPayload:
    identity_provider: IdentityProvider | None = strawberry.field(
        description="The provider as registered now."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was stored.")


@strawberry.type(description="Result of removeIdentityProvider.")
class RemoveIdentityProviderPayload:
    removed_identity_provider_id: strawberry.ID | None = strawberry.field(
        description="The ID of the provider removed."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was removed.")


def _registration(input: RegisterIdentityProviderInput) -> identity_providers.Registration:
    role_values = {mapping.value: mapping.role for mapping in input.role_values}
    if len(role_values) != len(input.role_values):
        raise BadInput("name each role value once", field="roleValues")
    return identity_providers.Registration(
        issuer=input.issuer,
        client_id=input.client_id,
        client_secret=input.client_secret,
        audience=input.audience,
        algorithms=input.algorithms,
        claims=identity_providers.ClaimNames(
            subject=input.subject_claim,
            email=input.email_claim,
            name=input.name_claim,
            role=input.role_claim,
        ),
        role_values=role_values,
        tenant_claim=input.tenant_claim,
        tenant_ids=input.tenant_ids,
        provision_unknown=input.provision_unknown,
        accept_access_tokens=input.accept_access_tokens,
    )


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Register your organisation's identity provider, or replace its "
        "registration, after checking the provider's discovery document and keys.",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def register_identity_provider(
        self,
        info: Info,
        input: Annotated[
            RegisterIdentityProviderInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> RegisterIdentityProviderPayload:
        ctx = info.context

        async def register() -> identity.IdentityProvider:
            return await identity_providers.register_identity_provider(
                ctx.session,
                ctx.principal,
                _registration(input),
                sealing_key=ctx.settings.sealing_key,
                seconds=ctx.settings.outbound_timeout,
            )

        row, errors = await guarded(ctx.session, register)
        return RegisterIdentityProviderPayload(
            identity_provider=IdentityProvider.from_model(row) if row else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Remove your organisation's identity provider: nobody can sign in "
        "through it any more.",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def remove_identity_provider(
        self,
        info: Info,
        input: Annotated[
            RemoveIdentityProviderInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> RemoveIdentityProviderPayload:
        ctx = info.context

        async def remove() -> uuid.UUID:
            provider_id = expect_global_id(
                input.identity_provider, "IdentityProvider", "identityProvider"
            )
            return await identity_providers.remove_identity_provider(
                ctx.session, ctx.principal, provider_id
            )

        removed, errors = await guarded(ctx.session, remove)
        return RemoveIdentityProviderPayload(
            removed_identity_provider_id=(
                strawberry.ID(str(to_global_id("IdentityProvider", removed))) if removed else None
            ),
            user_errors=errors,
        )
