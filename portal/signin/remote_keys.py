"""Identity providers' key sets, fetched over HTTP and cached per issuer.

A key set is fetched on first use, refetched when a token names a key it lacks (a provider
rotated) at most once per ``refresh_interval`` per issuer, so a flood of tokens with made-up
key ids cannot turn the portal against the provider, and kept when a fetch fails: the
cached keys go on verifying while the provider is down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

log = logging.getLogger("portal.signin.keys")

MAX_KEY_SET_BYTES = 64 * 1024
REFRESH_INTERVAL = 30.0
MAX_AGE = 3600.0
"""Seconds a key set is trusted without a refetch; then it is refetched on the next use
(and kept if that fails)."""


class KeySetUnavailable(Exception):
    """No key set for the issuer could be fetched, and none is cached."""


async def fetch_json(url: str, *, seconds: float, limit: int = MAX_KEY_SET_BYTES) -> object:
    """GET ``url`` as JSON: no redirects followed, the body bounded; raises ``ValueError``
    with a message for an administrator when the answer is not a JSON document."""
    try:
        async with (
            httpx.AsyncClient(timeout=seconds, follow_redirects=False) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                raise ValueError(f"{url} answered HTTP {response.status_code}")
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    raise ValueError(f"{url} answered more than {limit} bytes")
    except httpx.HTTPError as error:
        raise ValueError(f"{url} could not be reached ({type(error).__name__})") from None
    try:
        return httpx.Response(200, content=body).json()
    except ValueError:
        raise ValueError(f"{url} did not answer JSON") from None


@dataclass
class _Cached:
    keys: KeySet | None = None
    fetched_at: float = float("-inf")
    attempted_at: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class RemoteKeySets:
    """The key sets of the identity providers this process has met, by ``jwks_uri``."""

    timeout: float
    refresh_interval: float = REFRESH_INTERVAL
    max_age: float = MAX_AGE
    _cache: dict[str, _Cached] = field(default_factory=dict)

    async def get(self, jwks_uri: str, *, refresh: bool = False) -> KeySet:
        """The key set at ``jwks_uri``; ``refresh``: the caller met an unknown key id."""
        cached = self._cache.setdefault(jwks_uri, _Cached())
        async with cached.lock:
            now = time.monotonic()
            stale = cached.keys is None or now - cached.fetched_at > self.max_age
            if (refresh or stale) and now - cached.attempted_at >= self.refresh_interval:
                cached.attempted_at = now
                try:
                    cached.keys = await self._fetch(jwks_uri)
                    cached.fetched_at = now
                except ValueError as error:
                    log.warning("key set %s not refreshed: %s", jwks_uri, error)
            if cached.keys is None:
                raise KeySetUnavailable("the issuer's keys cannot be fetched right now")
            return cached.keys

    async def _fetch(self, jwks_uri: str) -> KeySet:
        document = await fetch_json(jwks_uri, seconds=self.timeout)
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError(f"{jwks_uri} is not a JWK set")
        # keys of kinds joserfc does not know (or private ones) are left out, not fatal
        usable = [key for key in document["keys"] if _is_public_signing_key(key)]
        try:
            return KeySet.import_key_set({"keys": usable})
        except (JoseError, ValueError) as error:
            raise ValueError(f"{jwks_uri} holds a key that does not parse: {error}") from None


def _is_public_signing_key(key: object) -> bool:
    return (
        isinstance(key, dict)
        and key.get("kty") in {"RSA", "EC", "OKP"}
        and key.get("use", "sig") == "sig"
        and "d" not in key
    )
