"""Opaque API tokens: format, generation and keyed hashing.

A token reads ``ap_<32 base62 characters><6 base62 characters>``: the recognisable prefix
lets secret scanners find leaked tokens, the 32 random characters carry 190 bits, and
the final six are a CRC32 checksum of the rest, so a typo or a scanner's false positive is
rejected without touching the database. Only an HMAC-SHA256 of the token under the
server's secret is stored, so a database dump does not yield usable tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import zlib

TOKEN_PREFIX = "ap_"  # noqa: S105 - the public prefix, not a secret
_ALPHABET = string.digits + string.ascii_letters
_BODY_LENGTH = 32
_CHECKSUM_LENGTH = 6
TOKEN_LENGTH = len(TOKEN_PREFIX) + _BODY_LENGTH + _CHECKSUM_LENGTH


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(_ALPHABET[remainder])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECKSUM_LENGTH)


def _with_checksum(body: str) -> str:
    return f"{TOKEN_PREFIX}{body}{_checksum(TOKEN_PREFIX + body)}"


def generate_token() -> str:
    """A fresh token; show it once and store only ``hash_token(token)``."""
    return _with_checksum("".join(secrets.choice(_ALPHABET) for _ in range(_BODY_LENGTH)))


def derived_token(material: bytes) -> str:
    """A well-formed token whose body is derived from ``material`` (at least 24 bytes):
    the same material, the same token. For throwaway datasets such as the benchmark's,
    never for a credential anyone relies on."""
    if len(material) < 24:
        raise ValueError("too little material for a token body")
    return _with_checksum(_base62(int.from_bytes(material, "big"), _BODY_LENGTH))


def is_well_formed(token: str) -> bool:
    """Prefix, length, alphabet and checksum are right (says nothing of validity)."""
    if len(token) != TOKEN_LENGTH or not token.startswith(TOKEN_PREFIX):
        return False
    body, checksum = token[:-_CHECKSUM_LENGTH], token[-_CHECKSUM_LENGTH:]
    if any(c not in _ALPHABET for c in body[len(TOKEN_PREFIX) :]):
        return False
    return hmac.compare_digest(_checksum(body), checksum)


def hash_token(token: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()
