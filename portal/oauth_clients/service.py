"""OAuth 2.0 clients of an organisation (partner frontends and apps that sign its people in
through the portal): registered, listed, their secrets rotated, revoked. Admins only.

A client is public (a single-page or native app: no secret, PKCE alone) or confidential (a
server: a secret, shown once when made or rotated). Only a keyed hash of the secret is kept
(``hash_client_secret``), the same keyed hash the token endpoint checks presented secrets
against (``verify_client_secret``).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.identity import OAuthClient, OAuthGrant
from db.models import utcnow
from db.session import LockedSession
from portal.kernel.errors import BadInput, NotFound
from portal.oauth_clients.redirects import check_redirect_uris
from portal.signin.issuing import secret_hash, secret_matches

CLIENT_ID_PREFIX = "apc_"
CLIENT_SECRET_PREFIX = "apcs_"  # noqa: S105 - the public prefix, not a secret
"""Recognisable prefixes: secret scanners can find a leaked client secret."""
NAME_MAX = 100
REVOKED_REASON = "client_revoked"


@dataclass(frozen=True, slots=True)
class IssuedClient:
    """A client and, for a confidential one just made or rotated, its secret: shown this
    once and never stored."""

    client: OAuthClient
    secret: str | None


def hash_client_secret(secret: str, hashing_secret: str) -> bytes:
    """How a client secret is stored: HMAC-SHA256 under the portal's token secret."""
    return secret_hash(secret, hashing_secret.encode())


def verify_client_secret(stored_hash: bytes, presented: str, hashing_secret: str) -> bool:
    """Whether ``presented`` is the secret ``stored_hash`` was made from (constant time)."""
    return secret_matches(stored_hash, presented, hashing_secret.encode())


def _new_secret() -> str:
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)


async def register_oauth_client(
    session: LockedSession,
    principal: Principal,
    *,
    name: str,
    redirect_uris: Sequence[str],
    public: bool,
    hashing_secret: str,
) -> IssuedClient:
    """Register a client of the organisation, owned by the admin registering it; a
    confidential one (``public`` false) gets a secret, returned once."""
    policy.require_scope(principal, Scope.ADMIN)
    name = name.strip()
    if not (0 < len(name) <= NAME_MAX):
        raise BadInput(f"name must have 1 to {NAME_MAX} characters", field="name")
    uris = check_redirect_uris(redirect_uris)
    secret = None if public else _new_secret()
    client = OAuthClient(
        client_id=CLIENT_ID_PREFIX + secrets.token_urlsafe(16),
        organisation_id=principal.organisation_id,
        name=name,
        redirect_uris=uris,
        is_public=public,
        secret_hash=hash_client_secret(secret, hashing_secret) if secret else None,
        created_by_user_id=principal.user_id,
        owner_user_id=principal.user_id,
    )
    session.add(client)
    await session.flush()
    return IssuedClient(client, secret)


def oauth_clients(principal: Principal, *, include_revoked: bool = False) -> Select[OAuthClient]:
    """The organisation's clients (a selection to page through), revoked ones only if
    ``include_revoked``. Admins only."""
    policy.require_scope(principal, Scope.ADMIN)
    query = policy.own_oauth_clients(principal)
    return query if include_revoked else query.where(OAuthClient.revoked_at.is_(None))


async def _own_client(
    session: LockedSession, principal: Principal, client_id: uuid.UUID
) -> OAuthClient:
    policy.require_scope(principal, Scope.ADMIN)
    client = await session.scalar(
        policy.own_oauth_clients(principal).where(OAuthClient.id == client_id).with_for_update()
    )
    if client is None:
        raise NotFound("no such OAuth client", field="oauthClient")
    return client


async def rotate_oauth_client_secret(
    session: LockedSession, principal: Principal, client_id: uuid.UUID, *, hashing_secret: str
) -> IssuedClient:
    """Give a confidential client a new secret, returned once; the old one stops working at
    once (tokens already issued stay valid until they expire)."""
    client = await _own_client(session, principal, client_id)
    if client.is_public:
        raise BadInput("a public client has no secret to rotate", field="oauthClient")
    if client.revoked_at is not None:
        raise BadInput("the client is revoked", field="oauthClient")
    secret = _new_secret()
    client.secret_hash = hash_client_secret(secret, hashing_secret)
    await session.flush()
    return IssuedClient(client, secret)


async def revoke_oauth_client(
    session: LockedSession, principal: Principal, client_id: uuid.UUID
) -> OAuthClient:
    """Revoke a client for good: it can no longer sign anyone in or refresh, and the
    sign-ins (grants) made through it are revoked, so their access tokens stop working at
    the next request. Revoking twice changes nothing."""
    client = await _own_client(session, principal, client_id)
    if client.revoked_at is None:
        now = utcnow()
        client.revoked_at = now
        grants = await session.scalars(
            policy.own_oauth_grants(principal)
            .where(OAuthGrant.client_id == client.id, OAuthGrant.revoked_at.is_(None))
            .with_for_update()
        )
        for grant in grants:
            grant.revoked_at = now
            grant.revoked_reason = REVOKED_REASON
        await session.flush()
    return client
