"""The OAuth client mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import identity
from portal import oauth_clients
from schema.context import Info
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.scopes import Needs
from schema.oauth_clients.inputs import (
    RegisterOAuthClientInput,
    RevokeOAuthClientInput,
    RotateOAuthClientSecretInput,
)
from schema.oauth_clients.types import OAuthClient


@strawberry.type(description="Result of registerOAuthClient.", name="RegisterOAuthClientPayload")
class RegisterOAuthClientPayload:
    oauth_client: OAuthClient | None = strawberry.field(description="The new client.")
    client_secret: str | None = strawberry.field(
        description="A confidential client's secret. Shown this once; store it now."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was registered.")


@strawberry.type(
    description="Result of rotateOAuthClientSecret.", name="RotateOAuthClientSecretPayload"
)
class RotateOAuthClientSecretPayload:
    oauth_client: OAuthClient | None = strawberry.field(description="The client.")
    client_secret: str | None = strawberry.field(
        description="Its new secret. Shown this once; store it now."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of revokeOAuthClient.", name="RevokeOAuthClientPayload")
class RevokeOAuthClientPayload:
    oauth_client: OAuthClient | None = strawberry.field(description="The revoked client.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


def _payload_client(issued: oauth_clients.IssuedClient | None) -> OAuthClient | None:
    return OAuthClient.from_model(issued.client) if issued else None


@strawberry.type
class Mutations:
    @strawberry.mutation(
        name="registerOAuthClient",
        description="Register an OAuth client; a confidential one's secret is returned once.",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def register_oauth_client(
        self,
        info: Info,
        input: Annotated[
            RegisterOAuthClientInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> RegisterOAuthClientPayload:
        ctx = info.context

        async def register() -> oauth_clients.IssuedClient:
            return await oauth_clients.register_oauth_client(
                ctx.session,
                ctx.principal,
                name=input.name,
                redirect_uris=input.redirect_uris,
                public=input.public,
                hashing_secret=ctx.settings.token_secret.get_secret_value(),
            )

        issued, errors = await guarded(ctx.session, register)
        return RegisterOAuthClientPayload(
            oauth_client=_payload_client(issued),
            client_secret=issued.secret if issued else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        name="rotateOAuthClientSecret",
        description="Give a confidential OAuth client a new secret, returned once.",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def rotate_oauth_client_secret(
        self,
        info: Info,
        input: Annotated[
            RotateOAuthClientSecretInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> RotateOAuthClientSecretPayload:
        ctx = info.context

        async def rotate() -> oauth_clients.IssuedClient:
            client_id = expect_global_id(input.oauth_client, "OAuthClient", "oauthClient")
            return await oauth_clients.rotate_oauth_client_secret(
                ctx.session,
                ctx.principal,
                client_id,
                hashing_secret=ctx.settings.token_secret.get_secret_value(),
            )

        issued, errors = await guarded(ctx.session, rotate)
        return RotateOAuthClientSecretPayload(
            oauth_client=_payload_client(issued),
            client_secret=issued.secret if issued else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        name="revokeOAuthClient",
        description="Revoke an OAuth client: it signs nobody in any more, and the sign-ins "
        "made through it end.",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def revoke_oauth_client(
        self,
        info: Info,
        input: Annotated[
            RevokeOAuthClientInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> RevokeOAuthClientPayload:
        ctx = info.context

        async def revoke() -> identity.OAuthClient:
            client_id = expect_global_id(input.oauth_client, "OAuthClient", "oauthClient")
            return await oauth_clients.revoke_oauth_client(ctx.session, ctx.principal, client_id)

        row, errors = await guarded(ctx.session, revoke)
        return RevokeOAuthClientPayload(
            oauth_client=OAuthClient.from_model(row) if row else None, user_errors=errors
        )
