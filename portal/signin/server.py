"""The portal's OAuth 2.0 authorization server (RFC 6749, PKCE RFC 7636, RFC 9700's
advice): the sign-in in flight, codes, grants and their rotating refresh tokens.

Everything here runs in the sign-in role (``db.session.signin_session``), before any
organisation is known, and writes with plain statements: these rows are the server's own
bookkeeping, not changes an organisation made.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import insert, select, update
from sqlalchemy.orm import undefer

from auth.scopes import ROLE_SCOPES, Scope
from db.enums import UserRole, UserStatus
from db.identity import (
    AuthorizationCode,
    IdentityProvider,
    OAuthClient,
    OAuthGrant,
    OrganisationDomain,
    RefreshToken,
    SigninRequest,
)
from db.models import Organisation, User
from db.session import LockedSession
from portal.signin.issuing import new_secret, secret_hash

OPENID = "openid"
PORTAL_SCOPES = frozenset(scope.value for scope in Scope)
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


class OAuthError(Exception):
    """An RFC 6749 error: ``code`` (``invalid_grant`` ...) and a description for the
    integrator; ``status`` for the token endpoint."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = status


def parse_scope(value: str | None) -> list[str]:
    """The requested scopes, every portal scope when none is named; raises ``invalid_scope``."""
    names = (value or "").split()
    unknown = sorted(set(names) - PORTAL_SCOPES - {OPENID})
    if unknown:
        raise OAuthError("invalid_scope", f"unknown scopes: {' '.join(unknown)}")
    portal = sorted(set(names) & PORTAL_SCOPES) or sorted(PORTAL_SCOPES)
    return ([OPENID] if OPENID in names else []) + portal


def check_challenge(challenge: str | None, method: str | None) -> str:
    """PKCE is required, with S256 only (the plain method protects nothing)."""
    if not challenge:
        raise OAuthError("invalid_request", "code_challenge is required (PKCE, S256)")
    if method != "S256":
        raise OAuthError("invalid_request", "code_challenge_method must be S256")
    if not _CHALLENGE.fullmatch(challenge):
        raise OAuthError("invalid_request", "code_challenge must be a base64url SHA-256")
    return challenge


async def client_by_id(session: LockedSession, client_id: str | None) -> OAuthClient | None:
    """A client that may act now: known, neither revoked nor suspended."""
    if not client_id or len(client_id) > 64:
        return None
    client = await session.scalar(
        select(OAuthClient)
        .options(undefer(OAuthClient.secret_hash))
        .where(OAuthClient.client_id == client_id)
    )
    if client is None or client.revoked_at is not None or client.suspended_at is not None:
        return None
    return client


async def organisation_for(
    session: LockedSession, *, slug: str | None, login_hint: str | None
) -> Organisation | None:
    """The organisation a person names: by slug, or by the domain of their e-mail address
    if an organisation claimed it."""
    if slug:
        return await session.scalar(select(Organisation).where(Organisation.slug == slug.lower()))
    if login_hint and "@" in login_hint:
        domain = login_hint.rsplit("@", 1)[1].strip().lower()
        return await session.scalar(
            select(Organisation)
            .join(OrganisationDomain, OrganisationDomain.organisation_id == Organisation.id)
            .where(OrganisationDomain.domain == domain)
        )
    return None


async def provider_of(
    session: LockedSession, organisation_id: uuid.UUID
) -> IdentityProvider | None:
    """The organisation's identity provider, with its sealed client secret."""
    return await session.scalar(
        select(IdentityProvider)
        .options(undefer(IdentityProvider.client_secret_encrypted))
        .where(IdentityProvider.organisation_id == organisation_id)
    )


@dataclass(frozen=True, slots=True)
class Started:
    """A sign-in handed to the provider: the portal's state and the upstream secrets."""

    state: str
    nonce: str
    verifier: str


async def start(
    session: LockedSession,
    *,
    hashing_key: bytes,
    organisation_id: uuid.UUID,
    client: OAuthClient,
    redirect_uri: str,
    scopes: list[str],
    client_state: str | None,
    client_nonce: str | None,
    code_challenge: str,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> Started:
    """Remember the client's request until the person comes back from their provider."""
    started = Started(state=new_secret(), nonce=new_secret(), verifier=new_secret())
    await session.execute(
        insert(SigninRequest).values(
            state_hash=secret_hash(started.state, hashing_key),
            organisation_id=organisation_id,
            client_id=client.id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            client_state=client_state,
            client_nonce=client_nonce,
            code_challenge=code_challenge,
            upstream_nonce=started.nonce,
            upstream_verifier=started.verifier,
            expires_at=now + lifetime,
            created_at=now,
        )
    )
    return started


async def resume(
    session: LockedSession, *, hashing_key: bytes, state: str | None, now: dt.datetime
) -> SigninRequest | None:
    """The sign-in ``state`` names, consumed: a state works once and only until it expires."""
    if not state or len(state) > 200:
        return None
    request: SigninRequest | None = await session.scalar(
        update(SigninRequest)
        .where(
            SigninRequest.state_hash == secret_hash(state, hashing_key),
            SigninRequest.used_at.is_(None),
            SigninRequest.expires_at > now,
        )
        .values(used_at=now)
        .returning(SigninRequest)
    )
    return request


async def issue_code(
    session: LockedSession,
    *,
    hashing_key: bytes,
    request: SigninRequest,
    user: User,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> str:
    """A one-time authorization code for the person, bound to the client's PKCE challenge."""
    code = new_secret()
    await session.execute(
        insert(AuthorizationCode).values(
            code_hash=secret_hash(code, hashing_key),
            organisation_id=request.organisation_id,
            client_id=request.client_id,
            user_id=user.id,
            redirect_uri=request.redirect_uri,
            scopes=request.scopes,
            code_challenge=request.code_challenge,
            nonce=request.client_nonce,
            expires_at=now + lifetime,
            created_at=now,
        )
    )
    return code


@dataclass(frozen=True, slots=True)
class Granted:
    """What the token endpoint answers with: the grant, its person, and a refresh token."""

    grant: OAuthGrant
    user: User
    refresh_token: str
    scopes: list[str]
    nonce: str | None = None
    auth_time: dt.datetime | None = None


async def _revoke_grant(session: LockedSession, grant_id: uuid.UUID | None, reason: str) -> None:
    if grant_id is not None:
        await session.execute(
            update(OAuthGrant)
            .where(OAuthGrant.id == grant_id, OAuthGrant.revoked_at.is_(None))
            .values(revoked_at=dt.datetime.now(dt.UTC), revoked_reason=reason)
        )


async def _active_user(session: LockedSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None or user.status is not UserStatus.ACTIVE:
        raise OAuthError("invalid_grant", "the person may no longer sign in")
    return user


def _narrowed(scopes: list[str], role: UserRole) -> list[str]:
    allowed = {scope.value for scope in ROLE_SCOPES.get(role, frozenset())}
    return [s for s in scopes if s == OPENID or s in allowed]


async def _new_refresh_token(
    session: LockedSession, grant: OAuthGrant, *, hashing_key: bytes, expires_at: dt.datetime
) -> str:
    token = new_secret()
    await session.execute(
        insert(RefreshToken).values(
            token_hash=secret_hash(token, hashing_key),
            grant_id=grant.id,
            organisation_id=grant.organisation_id,
            expires_at=expires_at,
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    return token


async def redeem_code(
    session: LockedSession,
    *,
    hashing_key: bytes,
    client: OAuthClient,
    code: str | None,
    redirect_uri: str | None,
    verifier: str | None,
    now: dt.datetime,
    refresh_lifetime: dt.timedelta,
) -> Granted:
    """Exchange a code for a new grant. A code redeemed twice revokes the grant it made
    (RFC 6749 §4.1.2): whoever replays it must not keep what the first exchange got."""
    if not code or len(code) > 200:
        raise OAuthError("invalid_request", "code is required")
    row = await session.scalar(
        select(AuthorizationCode)
        .where(AuthorizationCode.code_hash == secret_hash(code, hashing_key))
        .with_for_update()
    )
    if row is None or row.client_id != client.id:
        raise OAuthError("invalid_grant", "the code is unknown, expired or already used")
    if row.used_at is not None:
        await _revoke_grant(session, row.grant_id, "code_reuse")
        await session.commit()  # the revocation stands although the request fails
        raise OAuthError("invalid_grant", "the code is unknown, expired or already used")
    if row.expires_at <= now:
        raise OAuthError("invalid_grant", "the code is unknown, expired or already used")
    if redirect_uri != row.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
    if verifier is None or not _VERIFIER.fullmatch(verifier):
        raise OAuthError("invalid_grant", "code_verifier is missing or malformed")
    if create_s256_code_challenge(verifier) != row.code_challenge:
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    user = await _active_user(session, row.user_id)
    scopes = _narrowed(row.scopes, user.role)
    grant = await session.scalar(
        insert(OAuthGrant)
        .values(
            id=uuid.uuid4(),
            organisation_id=row.organisation_id,
            user_id=user.id,
            client_id=client.id,
            scopes=scopes,
            created_at=now,
        )
        .returning(OAuthGrant)
    )
    assert isinstance(grant, OAuthGrant)
    await session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == row.code_hash)
        .values(used_at=now, grant_id=grant.id)
    )
    refresh = await _new_refresh_token(
        session, grant, hashing_key=hashing_key, expires_at=now + refresh_lifetime
    )
    return Granted(grant, user, refresh, scopes, nonce=row.nonce, auth_time=row.created_at)


async def refresh(
    session: LockedSession,
    *,
    hashing_key: bytes,
    client: OAuthClient,
    token: str | None,
    scope: str | None,
    now: dt.datetime,
) -> Granted:
    """Rotate a refresh token: the next one replaces it in the same grant (and expires
    with the first). Presenting a used one revokes the whole grant (RFC 9700 §4.14.2)."""
    if not token or len(token) > 200:
        raise OAuthError("invalid_request", "refresh_token is required")
    row = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == secret_hash(token, hashing_key))
        .with_for_update()
    )
    grant = await session.get(OAuthGrant, row.grant_id) if row is not None else None
    if row is None or grant is None or grant.client_id != client.id:
        raise OAuthError("invalid_grant", "the refresh token is unknown, expired or revoked")
    if row.used_at is not None:
        await _revoke_grant(session, grant.id, "refresh_token_reuse")
        await session.commit()  # the revocation stands although the request fails
        raise OAuthError("invalid_grant", "the refresh token is unknown, expired or revoked")
    if row.expires_at <= now or grant.revoked_at is not None:
        raise OAuthError("invalid_grant", "the refresh token is unknown, expired or revoked")
    user = await _active_user(session, grant.user_id)
    scopes = _narrowed(grant.scopes, user.role)
    if scope is not None:
        asked = parse_scope(scope)
        if not set(asked) <= set(grant.scopes):
            raise OAuthError("invalid_scope", "a refresh cannot widen the grant's scopes")
        scopes = [s for s in scopes if s in asked]
    await session.execute(
        update(RefreshToken).where(RefreshToken.token_hash == row.token_hash).values(used_at=now)
    )
    next_token = await _new_refresh_token(
        session, grant, hashing_key=hashing_key, expires_at=row.expires_at
    )
    return Granted(grant, user, next_token, scopes)


async def revoke_refresh_token(
    session: LockedSession, *, hashing_key: bytes, client: OAuthClient, token: str
) -> bool:
    """Revoke the grant of one of ``client``'s refresh tokens; False if it is not one."""
    grant_id = await session.scalar(
        select(RefreshToken.grant_id)
        .join(OAuthGrant, OAuthGrant.id == RefreshToken.grant_id)
        .where(
            RefreshToken.token_hash == secret_hash(token, hashing_key),
            OAuthGrant.client_id == client.id,
        )
    )
    if grant_id is None:
        return False
    await _revoke_grant(session, grant_id, "revoked_by_client")
    return True


async def revoke_grant_of_client(
    session: LockedSession, *, client: OAuthClient, grant_id: uuid.UUID
) -> None:
    """Revoke a grant named by one of ``client``'s access tokens."""
    owned = await session.scalar(
        select(OAuthGrant.id).where(OAuthGrant.id == grant_id, OAuthGrant.client_id == client.id)
    )
    await _revoke_grant(session, owned, "revoked_by_client")


@dataclass(frozen=True, slots=True)
class RefreshTokenInfo:
    """An active refresh token of the asking client, for introspection."""

    grant: OAuthGrant
    expires_at: dt.datetime


async def active_refresh_token(
    session: LockedSession,
    *,
    hashing_key: bytes,
    client: OAuthClient,
    token: str,
    now: dt.datetime,
) -> RefreshTokenInfo | None:
    """The refresh token if it is ``client``'s, unused, unexpired, in a live grant of an
    active person; None otherwise."""
    found = (
        await session.execute(
            select(RefreshToken.expires_at, OAuthGrant)
            .join(OAuthGrant, OAuthGrant.id == RefreshToken.grant_id)
            .join(User, User.id == OAuthGrant.user_id)
            .where(
                RefreshToken.token_hash == secret_hash(token, hashing_key),
                RefreshToken.used_at.is_(None),
                RefreshToken.expires_at > now,
                OAuthGrant.client_id == client.id,
                OAuthGrant.revoked_at.is_(None),
                User.status == UserStatus.ACTIVE,
            )
        )
    ).one_or_none()
    return RefreshTokenInfo(found[1], found[0]) if found else None


async def live_grant(
    session: LockedSession, *, grant_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[OAuthGrant, User] | None:
    """The grant and its person if the grant is not revoked and the person is active."""
    found = (
        await session.execute(
            select(OAuthGrant, User)
            .join(User, User.id == OAuthGrant.user_id)
            .where(
                OAuthGrant.id == grant_id,
                OAuthGrant.user_id == user_id,
                OAuthGrant.revoked_at.is_(None),
                User.status == UserStatus.ACTIVE,
            )
        )
    ).one_or_none()
    return (found[0], found[1]) if found else None
