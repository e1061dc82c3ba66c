"""Sign-in: organisations' identity providers and domains, and what the portal's own OAuth
2.0 authorization server keeps (clients, sign-ins in flight, codes, grants, refresh tokens,
signing keys). Every secret is stored as a keyed hash or encrypted; see ``portal.signin``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, deferred, mapped_column

from db.models import Base, created_at, utcnow, uuid_pk


def _organisation(**kwargs: Any) -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), **kwargs)


class OrganisationDomain(Base):
    """An e-mail domain an operator let an organisation claim: the sign-in page finds the
    organisation of ``someone@domain`` by it. Claimed by one organisation at most."""

    __tablename__ = "organisation_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = _organisation(index=True)
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        CheckConstraint(
            r"domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'",
            name="domain_format",
        ),
    )


class IdentityProvider(Base):
    """An organisation's OpenID Connect provider, as its admin registered it."""

    __tablename__ = "identity_providers"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = _organisation(unique=True)
    issuer: Mapped[str] = mapped_column(String(500), index=True)
    client_id: Mapped[str] = mapped_column(String(255))
    # Never read by the application role (its grant leaves the column out): deferred, so
    # loading a provider does not select it.
    client_secret_encrypted: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    audience: Mapped[str | None] = mapped_column(String(500))
    """The ``aud`` the provider's access tokens must name to be accepted as bearer tokens."""
    algorithms: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    subject_claim: Mapped[str] = mapped_column(String(100), default="sub", server_default="sub")
    email_claim: Mapped[str] = mapped_column(String(100), default="email", server_default="email")
    name_claim: Mapped[str] = mapped_column(String(100), default="name", server_default="name")
    role_claim: Mapped[str | None] = mapped_column(String(100))
    role_values: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    """Values of ``role_claim`` and the portal role each maps to (``{"portal-admins":
    "admin"}``)."""
    tenant_claim: Mapped[str | None] = mapped_column(String(100))
    tenant_ids: Mapped[list[str]] = mapped_column(
        ARRAY(String(255)), default=list, server_default="{}"
    )
    provision_unknown: Mapped[bool] = mapped_column(default=False, server_default="false")
    accept_access_tokens: Mapped[bool] = mapped_column(default=False, server_default="false")
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata")
    """The provider's discovery document, as fetched and checked at registration."""
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default="now()")

    __table_args__ = (
        CheckConstraint(
            "(tenant_claim IS NULL) = (cardinality(tenant_ids) = 0)", name="tenants_named"
        ),
    )


class OAuthClient(Base):
    """A partner frontend that signs people in through the portal (OAuth 2.0 client).
    Public clients (single-page apps) have no secret and rely on PKCE alone."""

    __tablename__ = "oauth_clients"

    id: Mapped[uuid.UUID] = uuid_pk()
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[uuid.UUID] = _organisation(index=True)
    name: Mapped[str] = mapped_column(String(100))
    redirect_uris: Mapped[list[str]] = mapped_column(ARRAY(String(2000)))
    is_public: Mapped[bool]
    secret_hash: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    """The admin answerable for the client; when that person is deactivated the client is
    suspended until another admin adopts it."""
    suspended_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        CheckConstraint("is_public = (secret_hash IS NULL)", name="secret_if_confidential"),
        CheckConstraint("cardinality(redirect_uris) > 0", name="has_redirect_uri"),
    )


class SigninRequest(Base):
    """A sign-in in flight: the client's authorization request, and what the portal sent
    the organisation's provider (the state is the key, stored hashed)."""

    __tablename__ = "signin_requests"

    state_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    organisation_id: Mapped[uuid.UUID] = _organisation()
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    client_state: Mapped[str | None] = mapped_column(String(500))
    client_nonce: Mapped[str | None] = mapped_column(String(500))
    code_challenge: Mapped[str] = mapped_column(String(128))
    upstream_nonce: Mapped[str] = mapped_column(String(128))
    upstream_verifier: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at()


class OAuthGrant(Base):
    """One sign-in of one person at one client: the family its refresh tokens rotate in
    and its access tokens name (``gid``). Revoking it ends them all at the next request."""

    __tablename__ = "oauth_grants"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = _organisation()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    created_at: Mapped[dt.datetime] = created_at()
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class AuthorizationCode(Base):
    """A one-time code the client exchanges (with its PKCE verifier) for tokens."""

    __tablename__ = "authorization_codes"

    code_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    organisation_id: Mapped[uuid.UUID] = _organisation()
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    code_challenge: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str | None] = mapped_column(String(500))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    grant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("oauth_grants.id", ondelete="CASCADE")
    )
    """The grant the code was exchanged for: a second exchange revokes it (RFC 6749 4.1.2)."""
    created_at: Mapped[dt.datetime] = created_at()


class RefreshToken(Base):
    """One refresh token of a grant; used once, then replaced by the next."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    grant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = _organisation()
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at()


class SigningKey(Base):
    """One of the portal's own token-signing keys: published from creation, signing from
    ``signs_from`` until ``signs_until``, published until its last token has expired."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]]
    private_jwk_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    signs_from: Mapped[dt.datetime]
    signs_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at()
