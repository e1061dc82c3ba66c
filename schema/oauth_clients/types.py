"""OAuth clients: the type and the list. Organisation admins only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import identity
from portal import oauth_clients
from schema.context import Info
from schema.kernel.nodes import AreaNode
from schema.kernel.pagination import Connection, ForwardPageArgs, Ordering, paged, paginate

if TYPE_CHECKING:
    from schema.loaders import Loaders


CLIENTS_BY_CREATION = Ordering(
    "created_desc", (identity.OAuthClient.created_at, identity.OAuthClient.id), descending=True
)


@strawberry.type(
    description="An OAuth 2.0 client of your organisation: a partner frontend or app that "
    "signs your people in through the portal. A confidential client's secret is shown only "
    "by registerOAuthClient and rotateOAuthClientSecret. Visible to your organisation's "
    "admins.",
    name="OAuthClient",
)
class OAuthClient(AreaNode):
    db_id: relay.NodeID[str]
    client_id: str = strawberry.field(description="Its client_id at the portal's OAuth server.")
    name: str = strawberry.field(description="What the client is.")
    redirect_uris: list[str] = strawberry.field(
        description="Where the portal may send people back to (compared exactly)."
    )
    public: bool = strawberry.field(
        description="A public client (browser or native app) has no secret and uses PKCE alone."
    )
    owner_user_id: strawberry.ID | None = strawberry.field(
        description="The admin answerable for the client (the one who registered it)."
    )
    suspended_at: dt.datetime | None = strawberry.field(
        description="When it was suspended (its owner was deactivated), if it is."
    )
    revoked_at: dt.datetime | None = strawberry.field(description="When it was revoked.")
    created_at: dt.datetime = strawberry.field(description="When it was registered.")

    @classmethod
    def from_model(cls, row: identity.OAuthClient) -> OAuthClient:
        return cls(
            db_id=str(row.id),
            client_id=row.client_id,
            name=row.name,
            redirect_uris=list(row.redirect_uris),
            public=row.is_public,
            owner_user_id=strawberry.ID(str(row.owner_user_id)) if row.owner_user_id else None,
            suspended_at=row.suspended_at,
            revoked_at=row.revoked_at,
            created_at=row.created_at,
        )

    read_scope = Scope.ADMIN

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.oauth_clients.by_id


@paged
async def resolve_oauth_clients(
    info: Info,
    page: ForwardPageArgs,
    include_revoked: Annotated[
        bool, strawberry.argument(description="Include revoked clients.")
    ] = False,
) -> Connection[OAuthClient]:
    """Your organisation's OAuth clients, newest first. Needs the admin scope."""
    ctx = info.context
    query = oauth_clients.oauth_clients(ctx.principal, include_revoked=include_revoked)
    return await paginate(ctx.session, query, CLIENTS_BY_CREATION, page, OAuthClient.from_model)
