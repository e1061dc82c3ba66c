"""The portal's own signing keys: generated and stored by the portal, private halves sealed.

A key is published in ``/.well-known/jwks.json`` from the moment it is made, signs from
``signs_from`` (a lead after a rotation, so that clients caching the key set have seen it
before the first token it signs) until ``signs_until``, and stays published until the last
access token it signed has expired.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import insert, or_, select, update

from db.identity import SigningKey
from db.models import utcnow
from db.session import LockedSession
from portal.signin.sealing import seal, unseal

ALGORITHM = "ES256"
PURPOSE = "signing_keys.private_jwk"
DEFAULT_LEAD = dt.timedelta(hours=1)
"""How long a new key is published before it signs: longer than clients cache key sets."""


@dataclass(frozen=True, slots=True)
class Signer:
    """The key that signs now."""

    kid: str
    key: ECKey


async def _add_key(
    session: LockedSession, sealing_key: bytes, signs_from: dt.datetime
) -> SigningKey:
    # written as a statement, not through the unit of work: a key is the portal's own
    # bookkeeping, not a change an organisation made
    kid = secrets.token_urlsafe(12)
    key = ECKey.generate_key(
        "P-256", parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"}, private=True
    )
    private = json.dumps(key.as_dict(private=True))
    row = await session.scalar(
        insert(SigningKey)
        .values(
            kid=kid,
            alg=ALGORITHM,
            public_jwk=dict(key.as_dict(private=False)),
            private_jwk_encrypted=seal(sealing_key, private, purpose=PURPOSE),
            signs_from=signs_from,
            created_at=utcnow(),
        )
        .returning(SigningKey)
    )
    assert isinstance(row, SigningKey)
    return row


def _signing_now(now: dt.datetime) -> Any:
    return (SigningKey.signs_from <= now) & or_(
        SigningKey.signs_until.is_(None), SigningKey.signs_until > now
    )


async def ensure_signing_key(session: LockedSession, sealing_key: bytes, now: dt.datetime) -> None:
    """Make a key that signs from now if none does (the first start of a portal)."""
    signing = await session.scalar(select(SigningKey.kid).where(_signing_now(now)).limit(1))
    if signing is None:
        # a key made by a rotation that has not started signing yet is not enough
        pending = await session.scalar(
            select(SigningKey.kid).where(SigningKey.signs_from > now).limit(1)
        )
        if pending is None:
            await _add_key(session, sealing_key, now)


async def rotate(
    session: LockedSession, sealing_key: bytes, now: dt.datetime, lead: dt.timedelta
) -> SigningKey:
    """A new key, published now and signing after ``lead``; the keys signing until then
    stop at that moment (and stay published while their tokens live)."""
    starts = now + lead
    await session.execute(
        update(SigningKey)
        .where(or_(SigningKey.signs_until.is_(None), SigningKey.signs_until > starts))
        .values(signs_until=starts)
    )
    return await _add_key(session, sealing_key, starts)


async def signer(session: LockedSession, sealing_key: bytes, now: dt.datetime) -> Signer:
    """The key that signs at ``now``: the newest of those whose window includes it (made
    now if the portal has none yet, as on the first sign-in of a fresh database)."""
    newest = (
        select(SigningKey).where(_signing_now(now)).order_by(SigningKey.signs_from.desc()).limit(1)
    )
    row = await session.scalar(newest)
    if row is None:
        await ensure_signing_key(session, sealing_key, now)
        row = await session.scalar(newest)
    if row is None:
        raise RuntimeError("the portal has no key signing now (a rotation is pending)")
    private = json.loads(unseal(sealing_key, row.private_jwk_encrypted, purpose=PURPOSE))
    return Signer(row.kid, ECKey.import_key(private))


async def published(
    session: LockedSession, now: dt.datetime, token_lifetime: dt.timedelta
) -> list[dict[str, Any]]:
    """The public keys to publish: every key still signing or signing soon, and every
    retired key whose last token may still be alive."""
    rows = await session.scalars(
        select(SigningKey)
        .where(
            or_(
                SigningKey.signs_until.is_(None),
                SigningKey.signs_until > now - token_lifetime,
            )
        )
        .order_by(SigningKey.signs_from.desc())
    )
    return [dict(row.public_jwk) for row in rows]


def key_set(public_jwks: list[dict[str, Any]]) -> KeySet:
    """A joserfc key set of public JWKs."""
    if not public_jwks:
        return KeySet([])  # a fresh portal before its first sign-in: nothing verifies
    return KeySet.import_key_set({"keys": public_jwks})
