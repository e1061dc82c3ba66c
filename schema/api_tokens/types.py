"""API tokens: the type, the list and the mutations. Organisation admins only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth import policy
from auth.scopes import Scope, parse_scopes
from db import models
from portal.api_tokens import service as api_tokens
from portal.kernel.errors import BadInput
from schema.context import Info
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.nodes import AreaNode
from schema.kernel.pagination import Connection, Ordering, PageRequest, paginate
from schema.kernel.scopes import Needs

if TYPE_CHECKING:
    from schema.loaders import Loaders

TOKENS_BY_CREATION = Ordering(
    "created_desc", (models.ApiToken.created_at, models.ApiToken.id), descending=True
)


@strawberry.type(
    description="An API token of your organisation. The secret is shown only "
    "once, by createApiToken. Visible to your organisation's admins."
)
class ApiToken(AreaNode):
    db_id: relay.NodeID[str]
    name: str = strawberry.field(description="What the token is for.")
    last_four: str = strawberry.field(description="Last four characters, to recognise it.")
    scopes: list[str] = strawberry.field(description="What it may do.")
    expires_at: dt.datetime = strawberry.field(description="When it stops working.")
    last_used_at: dt.datetime | None = strawberry.field(
        description="When it was last used (updated at most once a minute)."
    )
    revoked_at: dt.datetime | None = strawberry.field(description="When it was revoked.")
    created_at: dt.datetime = strawberry.field(description="When it was created.")

    @classmethod
    def from_model(cls, row: models.ApiToken) -> ApiToken:
        return cls(
            db_id=str(row.id),
            name=row.name,
            last_four=row.last_four,
            scopes=list(row.scopes),
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            created_at=row.created_at,
        )

    read_scope = Scope.ADMIN

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.api_tokens.by_id


async def resolve_api_tokens(
    info: Info,
    first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to start after.")] = None,
    include_revoked: Annotated[
        bool, strawberry.argument(description="Include revoked and expired tokens.")
    ] = False,
) -> Connection[ApiToken]:
    """Your organisation's API tokens, newest first. Needs the admin scope."""
    principal = info.context.principal
    query = policy.own_api_tokens(principal)
    if not include_revoked:
        query = query.where(
            models.ApiToken.revoked_at.is_(None),
            models.ApiToken.expires_at > models.utcnow(),
        )
    return await paginate(
        info.context.session,
        query,
        TOKENS_BY_CREATION,
        PageRequest(first=first, after=after),
        ApiToken.from_model,
    )


@strawberry.input(
    description="Create an API token for your organisation. Admins only; its "
    "scopes cannot exceed your own."
)
class CreateApiTokenInput:
    name: str = strawberry.field(description="What the token is for (1-100 characters).")
    scopes: list[str] = strawberry.field(
        description="Scopes: " + ", ".join(s.value for s in Scope) + "."
    )
    expires_at: dt.datetime = strawberry.field(
        description="When it stops working: in the future, at most a year ahead."
    )


@strawberry.type(description="Result of createApiToken.")
class CreateApiTokenPayload:
    api_token: ApiToken | None = strawberry.field(description="The new token.")
    secret: str | None = strawberry.field(
        description="The token itself. Shown this once; store it now."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was created.")


@strawberry.input(description="Revoke one of your organisation's tokens. Admins only.")
class RevokeApiTokenInput:
    api_token: strawberry.ID = strawberry.field(description="The token's ID.")


@strawberry.type(description="Result of revokeApiToken.")
class RevokeApiTokenPayload:
    api_token: ApiToken | None = strawberry.field(description="The revoked token.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type
class ApiTokenMutations:
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
