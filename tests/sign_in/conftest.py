"""What the sign-in tests share: OAuth clients and grants made by the operator, and the
portal's own signing key, to mint (and tamper with) access tokens as the portal would."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from joserfc import jwt
from sqlalchemy import insert, update

from db.enums import UserRole, UserStatus
from db.identity import OAuthClient, OAuthGrant
from db.models import User, utcnow
from portal.settings import Settings
from portal.signin import keys
from portal.signin.issuing import Audience
from tests.builders import Org, World


@dataclass(frozen=True)
class Grant:
    """A person's sign-in at a client, as the token endpoint would have recorded it."""

    org: Org
    user_id: uuid.UUID
    grant_id: uuid.UUID
    client_id: str


async def oauth_client(
    world: World,
    org: Org,
    *,
    redirect_uris: list[str] | None = None,
    secret_hash: bytes | None = None,
) -> OAuthClient:
    """A registered client of ``org`` (public unless given a secret's hash)."""
    async with world.sessions() as session, session.begin():
        row = await session.scalar(
            insert(OAuthClient)
            .values(
                id=uuid.uuid4(),
                client_id=f"apc_{secrets.token_urlsafe(12)}",
                organisation_id=org.id,
                name="Partner frontend",
                redirect_uris=redirect_uris or ["http://127.0.0.1:5173/callback"],
                is_public=secret_hash is None,
                secret_hash=secret_hash,
                created_by_user_id=org.admin,
                owner_user_id=org.admin,
                created_at=utcnow(),
            )
            .returning(OAuthClient)
        )
    assert isinstance(row, OAuthClient)
    return row


async def grant(world: World, org: Org, role: UserRole = UserRole.ADMIN) -> Grant:
    """A live grant of ``org``'s person of ``role`` at a new client."""
    client = await oauth_client(world, org)
    grant_id = uuid.uuid4()
    async with world.sessions() as session, session.begin():
        await session.execute(
            insert(OAuthGrant).values(
                id=grant_id,
                organisation_id=org.id,
                user_id=org.users[role],
                client_id=client.id,
                scopes=["alliances:read", "admin"],
                created_at=utcnow(),
            )
        )
    return Grant(org, org.users[role], grant_id, client.client_id)


async def set_person(world: World, user_id: uuid.UUID, **values: Any) -> None:
    async with world.sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == user_id).values(**values))


async def deactivate(world: World, user_id: uuid.UUID) -> None:
    await set_person(world, user_id, status=UserStatus.DEACTIVATED, deactivated_at=utcnow())


@dataclass
class Mint:
    """Mints access tokens with the portal's real signing key, to the letter or altered."""

    world: World
    settings: Settings

    async def signer(self) -> keys.Signer:
        async with self.world.sessions() as session, session.begin():
            return await keys.signer(session, self.settings.sealing_key, utcnow())

    def claims(self, of: Grant, **changes: Any) -> dict[str, Any]:
        now = int(utcnow().timestamp())
        claims: dict[str, Any] = {
            "iss": self.settings.issuer,
            "aud": Audience(self.settings.issuer).resource,
            "sub": str(of.user_id),
            "client_id": of.client_id,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "scope": "alliances:read admin",
            "org": str(of.org.id),
            "gid": str(of.grant_id),
        }
        claims.update(changes)
        return {key: value for key, value in claims.items() if value is not None}

    async def token(
        self, of: Grant, *, header: dict[str, Any] | None = None, **changes: Any
    ) -> str:
        """A token for ``of`` signed by the portal's key; ``header`` and ``changes``
        override the header and claims (None removes a claim)."""
        signer = await self.signer()
        base = {"alg": keys.ALGORITHM, "kid": signer.kid, "typ": "at+jwt"}
        merged = {k: v for k, v in {**base, **(header or {})}.items() if v is not None}
        return jwt.encode(
            merged, self.claims(of, **changes), signer.key, algorithms=[merged["alg"]]
        )


def b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def later(seconds: int) -> int:
    return int((utcnow() + dt.timedelta(seconds=seconds)).timestamp())


@pytest.fixture
def mint(world: World, settings: Settings) -> Mint:
    return Mint(world, settings)
