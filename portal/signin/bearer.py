"""Bearer JWTs on the API: the portal's own access tokens and, where an organisation opted
in, its identity provider's. A token becomes a principal only when its issuer's rules all
pass and, on every request, the person is active and (for the portal's) the grant is live.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from dataclasses import dataclass, field

from joserfc.jwk import KeySet
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from auth.principal import Principal
from auth.scopes import ROLE_SCOPES, Scope
from db.enums import CredentialKind, UserRole, UserStatus
from db.identity import IdentityProvider
from db.models import User, utcnow
from db.session import START_CONTEXT, LockedSession, set_tenant, signin_session, started
from portal.signin import keys
from portal.signin.issuing import ACCESS_TOKEN_TYPE, Audience
from portal.signin.remote_keys import RemoteKeySets
from portal.signin.upstream import identity_of, verify_with_keys
from portal.signin.validation import (
    Expectations,
    InvalidToken,
    UnknownKey,
    unverified_header,
    unverified_issuer,
    validate,
)

OWN_KEYS_MAX_AGE = 60.0
OWN_KEYS_REFRESH = 5.0


def own_expectations(issuer: str) -> Expectations:
    """What the portal's own access tokens must be."""
    return Expectations(
        issuer=issuer,
        audiences=frozenset({Audience(issuer).resource}),
        algorithms=frozenset({keys.ALGORITHM}),
        typ=ACCESS_TOKEN_TYPE,
    )


@dataclass
class OwnKeys:
    """The portal's published keys, read from the database and kept a minute in memory;
    a token naming a key not yet seen rereads them (at most every few seconds)."""

    sessions: async_sessionmaker[LockedSession]
    access_lifetime: float
    _keys: KeySet | None = None
    _kids: frozenset[str] = frozenset()
    _read_at: float = float("-inf")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def get(self, token: str) -> KeySet:
        """The key set to check ``token`` against (reread if it names an unseen key)."""
        kid = unverified_header(token).get("kid")
        now = time.monotonic()
        unseen = isinstance(kid, str) and kid not in self._kids
        if (
            self._keys is None
            or now - self._read_at > OWN_KEYS_MAX_AGE
            or (unseen and now - self._read_at > OWN_KEYS_REFRESH)
        ):
            async with self._lock:
                if self._read_at <= now:  # nobody reread while we waited
                    await self._read()
        assert self._keys is not None
        return self._keys

    async def _read(self) -> None:
        async with signin_session(self.sessions) as session:
            published = await keys.published(
                session, utcnow(), dt.timedelta(seconds=self.access_lifetime)
            )
        self._keys = keys.key_set(published)
        self._kids = frozenset(str(key["kid"]) for key in published)
        self._read_at = time.monotonic()


@dataclass
class BearerJwts:
    """Turns a bearer JWT into a principal, or raises :class:`InvalidToken`."""

    issuer: str
    sessions: async_sessionmaker[LockedSession]
    own_keys: OwnKeys
    key_sets: RemoteKeySets

    async def authenticate(self, session: LockedSession, token: str) -> Principal:
        """The principal of ``token``; the session acts for its organisation from then on."""
        issuer = unverified_issuer(token)
        if issuer == self.issuer:
            return await self._own(session, token)
        if issuer is None:
            raise InvalidToken("the token names no issuer")
        return await self._provider(session, token, issuer)

    async def _own(self, session: LockedSession, token: str) -> Principal:
        try:
            claims = validate(token, await self.own_keys.get(token), own_expectations(self.issuer))
        except UnknownKey:
            raise InvalidToken("the token's key id is not one of the portal's keys") from None
        try:
            organisation_id = uuid.UUID(str(claims["org"]))
            user_id = uuid.UUID(str(claims["sub"]))
            grant_id = uuid.UUID(str(claims["gid"]))
        except (KeyError, ValueError):
            raise InvalidToken("the token lacks the portal's claims") from None
        # the request start, in one statement: the person must be active in the token's
        # organisation, its grant unrevoked and its client neither suspended nor revoked
        role = (
            await session.execute(
                text(
                    f"SELECT public.portal_signed_in_role(:org, :person, :grant) AS role, "
                    f"{START_CONTEXT % ':tenant'}"
                ),
                {
                    "org": organisation_id,
                    "person": user_id,
                    "grant": grant_id,
                    "tenant": str(organisation_id),
                },
            )
        ).scalar()
        started(session, organisation_id)
        if role is None:
            raise InvalidToken("the token's sign-in has been revoked")
        return Principal(
            organisation_id=organisation_id,
            user_id=user_id,
            credential_kind=CredentialKind.ACCESS_TOKEN,
            credential_id=grant_id,
            scopes=_scopes(claims.get("scope"), role),
        )

    async def _provider(self, session: LockedSession, token: str, issuer: str) -> Principal:
        """A provider's own access token, for an organisation that opted in: its audience,
        algorithms, key set and tenant rule, and the person it names must be active."""
        async with signin_session(self.sessions) as lookup:
            providers = list(
                await lookup.scalars(
                    select(IdentityProvider).where(
                        IdentityProvider.issuer == issuer,
                        IdentityProvider.accept_access_tokens.is_(True),
                    )
                )
            )
        if not providers:
            raise InvalidToken("the token's issuer is not accepted")
        first = providers[0]
        claims = await verify_with_keys(
            token,
            str(first.metadata_["jwks_uri"]),
            Expectations(
                issuer=issuer,
                audiences=frozenset(p.audience for p in providers if p.audience),
                algorithms=frozenset(first.algorithms),
                typ=ACCESS_TOKEN_TYPE,
            ),
            self.key_sets,
        )
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        # the tenant claim, then the audience, choose the one organisation it acts for
        provider = next(
            (
                p
                for p in providers
                if p.audience in audiences
                and (p.tenant_claim is None or claims.get(p.tenant_claim) in set(p.tenant_ids))
            ),
            None,
        )
        if provider is None:
            raise InvalidToken("the token is from a tenant no organisation accepts")
        identity = identity_of(provider, claims)
        await set_tenant(session, provider.organisation_id)
        person = (
            await session.execute(
                select(User.id, User.role).where(
                    User.issuer == identity.issuer,
                    User.subject == identity.subject,
                    User.status == UserStatus.ACTIVE,
                )
            )
        ).one_or_none()
        if person is None:
            raise InvalidToken("the token names no active person of the organisation")
        return Principal(
            organisation_id=provider.organisation_id,
            user_id=person.id,
            credential_kind=CredentialKind.PROVIDER_TOKEN,
            credential_id=provider.id,
            scopes=_scopes(claims.get("scope"), person.role),
        )


def _scopes(scope: object, role: UserRole) -> frozenset[Scope]:
    """The token's scopes that the person's current role also holds."""
    named = scope.split() if isinstance(scope, str) else []
    granted = frozenset(Scope(s) for s in named if s in Scope.__members__.values())
    return granted & ROLE_SCOPES.get(role, frozenset())
