"""Validating a JWT to the letter of RFC 8725 (JWT best practices) and RFC 9068 (JWT access
tokens), for the portal's own tokens and for identity providers' ID and access tokens.

The caller names the issuer's key set, algorithms, audiences and expected ``typ``; nothing
in the token chooses them. Rejections raise :class:`InvalidToken`, whose message helps an
integrator (which check failed) without helping an attacker (no keys, no expected values).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError, MissingClaimError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

MAX_TOKEN_BYTES = 8 * 1024
MAX_HEADER_BYTES = 1024
LEEWAY_SECONDS = 30
"""Clock skew tolerated on ``exp``, ``nbf`` and ``iat``: small and bounded (RFC 8725 §3.10)."""
FORBIDDEN_HEADERS = frozenset({"jku", "jwk", "x5u", "x5c", "crit"})
"""Headers that would let the token choose its own key (or demand unknown processing)."""
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""The only algorithms any issuer may be pinned to: never ``none``, never a shared secret."""


class InvalidToken(Exception):
    """The token is refused; ``str(error)`` is safe to show the caller."""


class UnknownKey(InvalidToken):
    """The token names a key the issuer's key set (as cached) does not have."""


@dataclass(frozen=True, slots=True)
class Expectations:
    """What one issuer's tokens must be."""

    issuer: str
    audiences: frozenset[str]
    algorithms: frozenset[str]
    typ: str | None = None
    """``at+jwt`` for access tokens (RFC 9068 §4); None where the issuer sets no ``typ``."""


def _segment(part: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidToken("the token is not a well-formed JWT") from None


def unverified_header(token: str) -> dict[str, Any]:
    """The token's JOSE header, bounded and checked, before any key is chosen."""
    if len(token) > MAX_TOKEN_BYTES:
        raise InvalidToken("the token is too large")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("the token is not a signed JWT (JWS compact serialization)")
    if len(parts[0]) > MAX_HEADER_BYTES:
        raise InvalidToken("the token's header is too large")
    header = _segment(parts[0])
    if not isinstance(header, dict):
        raise InvalidToken("the token is not a well-formed JWT")
    return header


def unverified_issuer(token: str) -> str | None:
    """The ``iss`` the token claims, to choose whose rules apply; trusted for nothing else."""
    unverified_header(token)
    claims = _segment(token.split(".")[1])
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    return issuer if isinstance(issuer, str) else None


def _typ_matches(found: object, expected: str) -> bool:
    # RFC 9068 §4: "at+jwt"; media types compare case-insensitively, "application/" optional
    if not isinstance(found, str):
        return False
    found = found.lower().removeprefix("application/")
    return found == expected.lower().removeprefix("application/")


def validate(
    token: str, keys: KeySet, expect: Expectations, *, now: float | None = None
) -> dict[str, Any]:
    """The claims of ``token`` once every check passed; raises :class:`InvalidToken`."""
    header = unverified_header(token)
    alg = header.get("alg")
    if alg not in expect.algorithms or alg not in ASYMMETRIC:
        raise InvalidToken("the token's signing algorithm is not accepted for its issuer")
    if FORBIDDEN_HEADERS & header.keys():
        raise InvalidToken("the token's header names a key or extension; it must not")
    if expect.typ is not None and not _typ_matches(header.get("typ"), expect.typ):
        raise InvalidToken(f"the token's typ must be {expect.typ}")
    kid = header.get("kid")
    candidates = [key for key in keys if key.kid == kid] if kid is not None else list(keys)
    if not candidates:
        raise UnknownKey("the token's key id is not in its issuer's key set")
    decoded = None
    for key in candidates:
        if key.get("alg") not in (None, alg):
            continue  # a key published for one algorithm signs nothing else (RFC 8725 §3.1)
        try:
            decoded = jwt.decode(token, key, algorithms=[alg])
            break
        except JoseError:
            continue
    if decoded is None:
        raise InvalidToken("the token's signature does not verify")
    claims = dict(decoded.claims)
    registry = JWTClaimsRegistry(
        now=int(now if now is not None else time.time()),
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": expect.issuer},
        aud={"essential": True, "values": sorted(expect.audiences)},
        exp={"essential": True},
        sub={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise InvalidToken("the token has expired") from None
    except MissingClaimError as error:
        raise InvalidToken(f"the token lacks the {error.claim} claim") from None
    except ClaimError as error:
        raise InvalidToken(f"the token's {error.claim} claim is not accepted") from None
    return claims


def check_algorithms(algorithms: Collection[str]) -> frozenset[str]:
    """``algorithms`` if they are all asymmetric signing algorithms; raises ``ValueError``."""
    chosen = frozenset(algorithms)
    if not chosen:
        raise ValueError("name at least one signing algorithm")
    refused = sorted(chosen - ASYMMETRIC)
    if refused:
        raise ValueError(f"algorithms {refused} are not accepted: only asymmetric signatures")
    return chosen
