"""API tokens of an organisation: issue, list and revoke."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from auth import policy
from auth.api_tokens import generate_token, hash_token
from auth.principal import Principal
from auth.scopes import Scope
from db.models import ApiToken, utcnow
from db.session import LockedSession
from portal.kernel.errors import BadInput, Forbidden, NotFound

MAX_LIFETIME = dt.timedelta(days=365)
NAME_MAX = 100


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token row and its secret, which is shown once and never stored."""

    token: ApiToken
    secret: str


async def issue_token(
    session: LockedSession,
    *,
    organisation_id: uuid.UUID,
    created_by_user_id: uuid.UUID | None,
    name: str,
    scopes: frozenset[Scope],
    expires_at: dt.datetime,
    hashing_secret: str,
    trusted_documents_only: bool = False,
) -> IssuedToken:
    """Store a new token. Callers decide who may; this checks the token itself is sane.
    ``trusted_documents_only``: its requests may run only the organisation's trusted
    documents (``portal.persisted``)."""
    now = utcnow()
    if not (0 < len(name.strip()) <= NAME_MAX):
        raise BadInput(f"name must have 1 to {NAME_MAX} characters", field="name")
    if not scopes:
        raise BadInput("a token needs at least one scope", field="scopes")
    if expires_at.tzinfo is None:
        raise BadInput("expiry needs a time zone", field="expiresAt")
    if expires_at <= now:
        raise BadInput("expiry must be in the future", field="expiresAt")
    if expires_at > now + MAX_LIFETIME:
        raise BadInput("a token lives at most a year", field="expiresAt")
    secret = generate_token()
    token = ApiToken(
        organisation_id=organisation_id,
        created_by_user_id=created_by_user_id,
        name=name.strip(),
        token_hash=hash_token(secret, hashing_secret),
        last_four=secret[-4:],
        scopes=sorted(scope.value for scope in scopes),
        expires_at=expires_at,
        trusted_documents_only=trusted_documents_only,
    )
    session.add(token)
    await session.flush()
    return IssuedToken(token, secret)


async def create_api_token(
    session: LockedSession,
    principal: Principal,
    *,
    name: str,
    scopes: frozenset[Scope],
    expires_at: dt.datetime,
    hashing_secret: str,
    trusted_documents_only: bool = False,
) -> IssuedToken:
    """An organisation admin issues a token whose scopes do not exceed their own, for
    trusted documents only if ``trusted_documents_only``."""
    policy.require_scope(principal, Scope.ADMIN)
    if not policy.may_grant_scopes(principal, scopes):
        raise Forbidden("a token cannot have scopes its creator lacks", field="scopes")
    if not trusted_documents_only and not policy.may_grant_free_documents(principal):
        raise Forbidden(
            "a credential for trusted documents only creates only such credentials",
            field="trustedDocumentsOnly",
        )
    return await issue_token(
        session,
        organisation_id=principal.organisation_id,
        created_by_user_id=principal.user_id,
        name=name,
        scopes=scopes,
        expires_at=expires_at,
        hashing_secret=hashing_secret,
        trusted_documents_only=trusted_documents_only,
    )


async def revoke_api_token(
    session: LockedSession, principal: Principal, token_id: uuid.UUID
) -> ApiToken:
    """Revoke one of the organisation's tokens; revoking twice changes nothing."""
    policy.require_scope(principal, Scope.ADMIN)
    token = await session.scalar(
        policy.own_api_tokens(principal).where(ApiToken.id == token_id).with_for_update()
    )
    if token is None:
        raise NotFound("no such token", field="apiToken")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_user_id = principal.user_id
        await session.flush()
    return token
