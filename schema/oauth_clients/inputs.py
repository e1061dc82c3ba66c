"""What the OAuth client mutations take: their input types."""

from __future__ import annotations

import strawberry


@strawberry.input(
    description="Register an OAuth client of your organisation. Admins only; you become its owner.",
    name="RegisterOAuthClientInput",
)
class RegisterOAuthClientInput:
    name: str = strawberry.field(description="What the client is (1-100 characters).")
    redirect_uris: list[str] = strawberry.field(
        description="Where the portal may send people back to, 1 to 10, each compared "
        "exactly: absolute, without fragment or wildcard; https, http on 127.0.0.1 or "
        "localhost, or a native app's reverse-domain scheme (com.example.app:/callback)."
    )
    public: bool = strawberry.field(
        description="True for a browser or native app, which cannot keep a secret (PKCE "
        "alone); false for a server, which gets a secret."
    )


@strawberry.input(
    description="Give a confidential client a new secret; the old one stops working at "
    "once. Admins only.",
    name="RotateOAuthClientSecretInput",
)
class RotateOAuthClientSecretInput:
    oauth_client: strawberry.ID = strawberry.field(description="The client's ID.")


@strawberry.input(
    description="Revoke one of your organisation's OAuth clients for good. Admins only.",
    name="RevokeOAuthClientInput",
)
class RevokeOAuthClientInput:
    oauth_client: strawberry.ID = strawberry.field(description="The client's ID.")
