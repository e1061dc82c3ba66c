"""API tokens: the type, the list and the mutations. Organisation admins only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth import policy
from auth.scopes import Scope
from db import models
from schema.context import Info
from schema.kernel.nodes import AreaNode
from schema.kernel.pagination import (
    Connection,
    ForwardPageArgs,
    Ordering,
    paged,
    paginate,
)

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
    trusted_documents_only: bool = strawberry.field(
        description="Whether it runs only your organisation's trusted documents."
    )

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
            trusted_documents_only=row.trusted_documents_only,
        )

    read_scope = Scope.ADMIN

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.api_tokens.by_id


@paged
async def resolve_api_tokens(
    info: Info,
    page: ForwardPageArgs,
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
        page,
        ApiToken.from_model,
    )
