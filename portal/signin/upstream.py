"""The portal as an OpenID Connect relying party of each organisation's identity provider:
the authorization request it sends there, the code exchange, and the ID token's checks."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from db.identity import IdentityProvider
from portal.signin.remote_keys import KeySetUnavailable, RemoteKeySets
from portal.signin.validation import Expectations, InvalidToken, UnknownKey, validate

SCOPES = "openid email profile"
MAX_TOKEN_RESPONSE_BYTES = 64 * 1024


class UpstreamRefused(Exception):
    """The provider, or what it answered, cannot sign the person in; safe to show."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the provider says signed in, in the portal's terms (claims already mapped)."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    role_values: frozenset[str]
    claims: dict[str, Any]


def authorization_url(
    provider: IdentityProvider,
    *,
    callback: str,
    state: str,
    nonce: str,
    verifier: str,
    login_hint: str | None,
) -> str:
    """Where to send the person: their provider's authorization endpoint, with the
    portal's state, nonce and PKCE challenge (S256)."""
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": callback,
        "scope": SCOPES,
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    if login_hint:
        params["login_hint"] = login_hint
    endpoint = str(provider.metadata_["authorization_endpoint"])
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


async def exchange_code(
    provider: IdentityProvider,
    client_secret: str | None,
    *,
    code: str,
    callback: str,
    verifier: str,
    seconds: float,
) -> str:
    """The provider's ID token for ``code``; raises :class:`UpstreamRefused`."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": callback,
        "code_verifier": verifier,
    }
    headers = {"Accept": "application/json"}
    methods = provider.metadata_.get("token_endpoint_auth_methods_supported") or [
        "client_secret_basic"
    ]
    if client_secret is None:
        data["client_id"] = provider.client_id
    elif "client_secret_basic" in methods:
        # RFC 6749 §2.3.1: both parts form-encoded before base64
        pair = f"{_form(provider.client_id)}:{_form(client_secret)}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    else:
        data |= {"client_id": provider.client_id, "client_secret": client_secret}
    try:
        async with httpx.AsyncClient(timeout=seconds, follow_redirects=False) as client:
            response = await client.post(
                str(provider.metadata_["token_endpoint"]), data=data, headers=headers
            )
    except httpx.HTTPError:
        raise UpstreamRefused("your organisation's identity provider cannot be reached") from None
    if len(response.content) > MAX_TOKEN_RESPONSE_BYTES:
        raise UpstreamRefused("your organisation's identity provider answered too much")
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        raise UpstreamRefused("your organisation's identity provider refused the sign-in")
    token = body.get("id_token")
    if not isinstance(token, str):
        raise UpstreamRefused("your organisation's identity provider sent no ID token")
    return token


def _form(value: str) -> str:
    return urlencode({"": value})[1:]


async def verify_id_token(
    provider: IdentityProvider, token: str, *, nonce: str, key_sets: RemoteKeySets
) -> Identity:
    """The identity in ``token`` once it passed every check: signature by a key of that
    provider's own key set, algorithm pinned at registration, ``iss``, ``aud``, ``exp``,
    ``nonce``, ``azp``, and the tenant claim of a multi-tenant provider."""
    expect = Expectations(
        issuer=provider.issuer,
        audiences=frozenset({provider.client_id}),
        algorithms=frozenset(provider.algorithms),
    )
    claims = await verify_with_keys(token, str(provider.metadata_["jwks_uri"]), expect, key_sets)
    if claims.get("nonce") != nonce:
        raise InvalidToken("the ID token's nonce does not match the sign-in")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise InvalidToken("the ID token was issued to another party (azp)")
    return identity_of(provider, claims)


async def verify_with_keys(
    token: str, jwks_uri: str, expect: Expectations, key_sets: RemoteKeySets
) -> dict[str, Any]:
    """``validate`` against the key set at ``jwks_uri``, refetched once (rate-bounded)
    when the token names a key id the cached set lacks: the provider may have rotated."""
    try:
        try:
            return validate(token, await key_sets.get(jwks_uri), expect)
        except UnknownKey:
            return validate(token, await key_sets.get(jwks_uri, refresh=True), expect)
    except KeySetUnavailable as error:
        raise InvalidToken(str(error)) from None


def identity_of(provider: IdentityProvider, claims: dict[str, Any]) -> Identity:
    """The claims in the portal's terms, by the provider's claim mapping; a multi-tenant
    provider's token must name one of the organisation's allow-listed tenants."""
    if provider.tenant_claim is not None and claims.get(provider.tenant_claim) not in set(
        provider.tenant_ids
    ):
        raise InvalidToken("the token is from a tenant this organisation does not accept")
    subject = claims.get(provider.subject_claim)
    if not isinstance(subject, str) or not subject:
        raise InvalidToken(f"the token has no {provider.subject_claim} claim")
    email = claims.get(provider.email_claim)
    name = claims.get(provider.name_claim)
    roles: object = claims.get(provider.role_claim) if provider.role_claim else None
    role_values = [roles] if isinstance(roles, str) else roles if isinstance(roles, list) else []
    return Identity(
        issuer=provider.issuer,
        subject=subject,
        email=email.lower() if isinstance(email, str) else None,
        email_verified=claims.get("email_verified", True) is True,
        name=name if isinstance(name, str) else None,
        role_values=frozenset(str(value) for value in role_values),
        claims=claims,
    )
