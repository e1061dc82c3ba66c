"""An OpenID provider as the portal meets it once, when an organisation's admin registers
it: its issuer identifier, its discovery document (OpenID Connect Discovery 1.0 §4) and its
key set, fetched over HTTP and checked before anything is stored.

Every refusal is a ``BadInput`` whose message tells the admin what to fix; nothing here
touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry

from portal.kernel.errors import BadInput
from portal.signin.remote_keys import fetch_json
from portal.signin.validation import ASYMMETRIC

ALLOWED_ALGORITHMS = ASYMMETRIC
"""What a provider may be pinned to: asymmetric signatures only. Never ``none``; never HS*,
which would make the client secret (known to the provider's every admin) a signing key."""
MAX_DOCUMENT_BYTES = 64 * 1024
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts plain http is allowed to (tests, and a provider run on the developer's machine)."""
DISCOVERY_PATH = "/.well-known/openid-configuration"
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")

# The key type (and curves) each algorithm signs with (RFC 7518 §3, RFC 8037 §3.1).
_KEY_TYPES: dict[str, tuple[str, frozenset[str] | None]] = {
    **{f"{family}{bits}": ("RSA", None) for family in ("RS", "PS") for bits in (256, 384, 512)},
    "ES256": ("EC", frozenset({"P-256"})),
    "ES384": ("EC", frozenset({"P-384"})),
    "ES512": ("EC", frozenset({"P-521"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
}


def secure_url_problem(url: str) -> str | None:
    """Why ``url`` may not be talked to, if it may not: https, or http on a loopback host;
    a host, and no user name or password in it."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "is not a valid URL"
    if not parts.hostname:
        return "must be an absolute URL with a host"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
        return None
    return "must use https (plain http only on 127.0.0.1 or localhost)"


def check_issuer(issuer: str) -> str:
    """The issuer identifier as given, if it can be one (Discovery §2: https, no query or
    fragment). It is never normalised: tokens must name it exactly."""
    problem = secure_url_problem(issuer)
    if problem is None and ("?" in issuer or "#" in issuer):
        problem = "must have no query or fragment"
    if problem is not None:
        raise BadInput(f"the issuer {problem}", field="issuer")
    return issuer


def check_algorithms(algorithms: Iterable[str]) -> list[str]:
    """The requested signing algorithms, sorted, if every one is allowed."""
    requested = sorted(set(algorithms))
    if not requested:
        raise BadInput("name at least one signing algorithm", field="algorithms")
    refused = [name for name in requested if name not in ALLOWED_ALGORITHMS]
    if refused:
        raise BadInput(
            f"{', '.join(refused)} may not be used: choose among "
            f"{', '.join(sorted(ALLOWED_ALGORITHMS))} (asymmetric signatures only)",
            field="algorithms",
        )
    return requested


def discovery_url(issuer: str) -> str:
    """Where the issuer's discovery document is (Discovery §4: a trailing slash of the
    issuer is dropped before the well-known path is appended)."""
    return issuer.rstrip("/") + DISCOVERY_PATH


async def _fetch_object(url: str, *, seconds: float, what: str) -> dict[str, Any]:
    try:
        document = await fetch_json(url, seconds=seconds, limit=MAX_DOCUMENT_BYTES)
    except ValueError as error:
        message = f"the provider's {what} could not be read: {error}"
        raise BadInput(message, field="issuer") from None
    if not isinstance(document, dict):
        raise BadInput(f"the provider's {what} at {url} is not a JSON object", field="issuer")
    return document


def _check_document(document: dict[str, Any], issuer: str, algorithms: list[str]) -> None:
    named = document.get("issuer")
    if named != issuer:
        raise BadInput(
            f"the provider names its issuer {named!r}, not {issuer!r}: register the issuer "
            "exactly as its discovery document names it",
            field="issuer",
        )
    for key in REQUIRED_ENDPOINTS:
        value = document.get(key)
        if not isinstance(value, str):
            raise BadInput(f"the provider's discovery document has no {key}", field="issuer")
        problem = secure_url_problem(value)
        if problem is not None:
            raise BadInput(f"the provider's {key} {problem}", field="issuer")
    response_types = document.get("response_types_supported")
    if not isinstance(response_types, list) or "code" not in response_types:
        raise BadInput(
            "the provider does not support the authorization code flow (response type code)",
            field="issuer",
        )
    supported = document.get("id_token_signing_alg_values_supported")
    if not isinstance(supported, list) or not set(algorithms) & set(supported):
        listed = ", ".join(str(name) for name in supported) if isinstance(supported, list) else ""
        raise BadInput(
            f"the provider signs ID tokens with none of {', '.join(algorithms)} "
            f"(it lists {listed or 'none'})",
            field="algorithms",
        )


def _usable(key: dict[str, Any], algorithms: list[str]) -> bool:
    """Whether ``key`` can verify a signature made with one of ``algorithms``."""
    if key.get("use", "sig") != "sig":
        return False
    try:
        JWKRegistry.import_key(key)
    except (JoseError, ValueError, TypeError):
        return False  # a key the portal cannot read; another one may do
    for algorithm in algorithms:
        kty, curves = _KEY_TYPES[algorithm]
        if key.get("alg", algorithm) != algorithm or key.get("kty") != kty:
            continue
        if curves is None or key.get("crv") in curves:
            return True
    return False


def _check_key_set(key_set: dict[str, Any], algorithms: list[str]) -> None:
    keys = key_set.get("keys")
    if not isinstance(keys, list) or not all(isinstance(key, dict) for key in keys):
        raise BadInput("the provider's key set (jwks_uri) has no list of keys", field="issuer")
    # a private member ("d") or a symmetric key ("k") in public means the keys are compromised
    if any("d" in key or "k" in key for key in keys):
        raise BadInput("the provider's key set publishes a private key", field="issuer")
    if not any(_usable(key, algorithms) for key in keys):
        raise BadInput(
            f"the provider's key set has no signing key for {', '.join(algorithms)}",
            field="algorithms",
        )


async def discover(issuer: str, algorithms: list[str], *, seconds: float) -> dict[str, Any]:
    """The provider's discovery document, once it and the key set it points to are checked
    against the issuer and the algorithms the organisation pins. No redirect is followed,
    each answer is bounded to 64 KiB, each request to ``seconds``."""
    document = await _fetch_object(
        discovery_url(issuer), seconds=seconds, what="discovery document"
    )
    _check_document(document, issuer, algorithms)
    key_set = await _fetch_object(
        str(document["jwks_uri"]), seconds=seconds, what="key set (jwks_uri)"
    )
    _check_key_set(key_set, algorithms)
    return document
