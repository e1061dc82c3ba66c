"""The API tokens mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

from typing import Annotated

import strawberry

from auth.scopes import Scope, parse_scopes
from db import models
from portal import api_tokens
from portal.kernel.errors import BadInput
from schema.api_tokens.inputs import CreateApiTokenInput, RevokeApiTokenInput
from schema.api_tokens.types import ApiToken
from schema.context import Info
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.scopes import Needs


@strawberry.type(description="Result of createApiToken.")
class CreateApiTokenPayload:
    api_token: ApiToken | None = strawberry.field(description="The new token.")
    secret: str | None = strawberry.field(
        description="The token itself. Shown this once; store it now."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was created.")


@strawberry.type(description="Result of revokeApiToken.")
class RevokeApiTokenPayload:
    api_token: ApiToken | None = strawberry.field(description="The revoked token.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Create an API token; its secret is returned once.",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def create_api_token(
        self,
        info: Info,
        input: Annotated[CreateApiTokenInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> CreateApiTokenPayload:
        ctx = info.context

        async def create() -> api_tokens.IssuedToken:
            try:
                scopes = parse_scopes(input.scopes)
            except ValueError as error:
                raise BadInput(str(error), field="scopes") from None
            return await api_tokens.create_api_token(
                ctx.session,
                ctx.principal,
                name=input.name,
                scopes=scopes,
                expires_at=input.expires_at,
                hashing_secret=ctx.settings.token_secret.get_secret_value(),
                trusted_documents_only=input.trusted_documents_only,
            )

        issued, errors = await guarded(ctx.session, create)
        return CreateApiTokenPayload(
            api_token=ApiToken.from_model(issued.token) if issued else None,
            secret=issued.secret if issued else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Revoke an API token; it stops working at once.",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def revoke_api_token(
        self,
        info: Info,
        input: Annotated[RevokeApiTokenInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> RevokeApiTokenPayload:
        ctx = info.context

        async def revoke() -> models.ApiToken:
            token_id = expect_global_id(input.api_token, "ApiToken", "apiToken")
            return await api_tokens.revoke_api_token(ctx.session, ctx.principal, token_id)

        row, errors = await guarded(ctx.session, revoke)
        return RevokeApiTokenPayload(
            api_token=ApiToken.from_model(row) if row else None, user_errors=errors
        )
