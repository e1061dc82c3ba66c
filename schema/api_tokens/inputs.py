"""What the API tokens mutations take: their input types."""

from __future__ import annotations

import datetime as dt

import strawberry

from auth.scopes import Scope


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
    trusted_documents_only: bool = strawberry.field(
        default=False,
        description="Accept only trusted documents: each request must name, by documentId "
        "or persistedQuery hash, a document your organisation's admins registered with "
        "registerTrustedDocuments. Free-form queries and automatically persisted "
        "documents are refused (FORBIDDEN, HTTP 403).",
    )


@strawberry.input(description="Revoke one of your organisation's tokens. Admins only.")
class RevokeApiTokenInput:
    api_token: strawberry.ID = strawberry.field(description="The token's ID.")
