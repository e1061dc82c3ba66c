"""Secrets at rest: the portal's private signing keys and identity providers' client secrets
are stored sealed with AES-256-GCM under the configured key (``Settings.sealing_key``).

The purpose (which column the secret belongs to) is bound as associated data, so a sealed
value copied into another column does not open there.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = b"\x01"
NONCE_BYTES = 12


class SealBroken(Exception):
    """The sealed value was altered, or sealed under another key or purpose."""


def seal(key: bytes, plaintext: str, *, purpose: str) -> bytes:
    """``plaintext`` encrypted and authenticated under ``key`` for ``purpose``."""
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext.encode(), purpose.encode())


def unseal(key: bytes, sealed: bytes, *, purpose: str) -> str:
    """The plaintext of a value made by :func:`seal` with the same key and purpose."""
    if sealed[:1] != VERSION:
        raise SealBroken("unknown sealing version")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, purpose.encode()).decode()
    except InvalidTag:
        raise SealBroken("the sealed value does not open under this key") from None
