"""The portal's own tokens: JWT access tokens (RFC 9068), ID tokens (OpenID Connect Core
§2), and the opaque secrets of codes and refresh tokens (stored as keyed hashes)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from joserfc import jwt

from portal.signin.keys import ALGORITHM, Signer

ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - RFC 9068's typ


@dataclass(frozen=True, slots=True)
class Audience:
    """Who the portal's tokens are for: the GraphQL endpoint is the one resource."""

    issuer: str

    @property
    def resource(self) -> str:
        return f"{self.issuer}/graphql"


def new_secret() -> str:
    """An unguessable opaque value: a state, code or refresh token (256 bits)."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str, key: bytes) -> bytes:
    """How an opaque secret is stored: a keyed hash, useless to whoever reads the table."""
    return hmac.new(key, secret.encode(), hashlib.sha256).digest()


def secret_matches(stored: bytes, presented: str, key: bytes) -> bool:
    """Whether ``presented`` is the secret ``stored`` is the hash of (in constant time)."""
    return hmac.compare_digest(stored, secret_hash(presented, key))


def access_token(
    signer: Signer,
    *,
    issuer: str,
    user_id: uuid.UUID,
    organisation_id: uuid.UUID,
    client_id: str,
    grant_id: uuid.UUID,
    scopes: list[str],
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> str:
    """A signed RFC 9068 access token naming the person, their organisation and the grant
    (``gid``), which the bearer check reads on every request."""
    issued = int(now.timestamp())
    claims = {
        "iss": issuer,
        "aud": Audience(issuer).resource,
        "sub": str(user_id),
        "client_id": client_id,
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(lifetime.total_seconds()),
        "jti": uuid.uuid4().hex,
        "scope": " ".join(scopes),
        "org": str(organisation_id),
        "gid": str(grant_id),
    }
    header = {"alg": ALGORITHM, "kid": signer.kid, "typ": ACCESS_TOKEN_TYPE}
    return jwt.encode(header, claims, signer.key, algorithms=[ALGORITHM])


def id_token(
    signer: Signer,
    *,
    issuer: str,
    user_id: uuid.UUID,
    client_id: str,
    nonce: str | None,
    name: str,
    organisation_id: uuid.UUID,
    auth_time: dt.datetime,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> str:
    """An OpenID Connect ID token for the client (the person's e-mail stays out of it:
    the client learns it from the person's own organisation, not from the portal)."""
    issued = int(now.timestamp())
    claims: dict[str, object] = {
        "iss": issuer,
        "aud": client_id,
        "sub": str(user_id),
        "iat": issued,
        "exp": issued + int(lifetime.total_seconds()),
        "auth_time": int(auth_time.timestamp()),
        "name": name,
        "org": str(organisation_id),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    header = {"alg": ALGORITHM, "kid": signer.kid, "typ": "JWT"}
    return jwt.encode(header, claims, signer.key, algorithms=[ALGORITHM])
