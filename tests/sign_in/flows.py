"""Driving the real sign-in over HTTP: the portal's /oauth endpoints through the ASGI app,
the organisation's identity provider (a real ``oidc-provider``) over the loopback network."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import insert

from db.identity import IdentityProvider as ProviderRow
from db.identity import OAuthClient
from db.models import utcnow
from portal.settings import Settings
from portal.signin.sealing import seal
from tests.builders import Org, World
from tests.idp.harness import IdentityProvider, login

FRONTEND = "http://127.0.0.1:5173/callback"
PORTAL = "http://portal.test"
CALLBACK = f"{PORTAL}/oauth/callback"


def pkce() -> tuple[str, str]:
    """A PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


async def register_provider(
    world: World,
    settings: Settings,
    org: Org,
    idp: IdentityProvider,
    *,
    client_id: str,
    client_secret: str,
    **options: Any,
) -> uuid.UUID:
    """``org``'s identity provider row, as registration stores it (discovery fetched)."""
    async with httpx.AsyncClient() as http:
        metadata = (await http.get(f"{idp.issuer}/.well-known/openid-configuration")).json()
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "organisation_id": org.id,
        "issuer": idp.issuer,
        "client_id": client_id,
        "client_secret_encrypted": seal(
            settings.sealing_key, client_secret, purpose="identity_providers.client_secret"
        ),
        "algorithms": ["ES256"],
        "metadata_": metadata,
        "role_claim": "groups",
        "role_values": {"portal-admins": "admin", "portal-viewers": "viewer"},
        "created_at": utcnow(),
        "updated_at": utcnow(),
        **options,
    }
    async with world.sessions() as session, session.begin():
        await session.execute(insert(ProviderRow).values(**values))
    return values["id"]  # type: ignore[no-any-return]


@dataclass
class Frontend:
    """A partner frontend registered at the portal (public: PKCE alone)."""

    client: OAuthClient

    @property
    def client_id(self) -> str:
        return self.client.client_id


@dataclass
class Attempt:
    """Where a sign-in ended: back at the frontend with a code, or with an error."""

    redirect: str
    verifier: str
    state: str

    @property
    def params(self) -> dict[str, str]:
        return query(self.redirect)


async def attempt(
    portal: httpx.AsyncClient,
    frontend: Frontend,
    sub: str,
    *,
    organisation: str | None = None,
    login_hint: str | None = None,
    scope: str = "openid alliances:read admin",
) -> Attempt:
    """Run a sign-in from the frontend's authorization request to the redirect back to it."""
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(16)
    params = {
        "response_type": "code",
        "client_id": frontend.client_id,
        "redirect_uri": FRONTEND,
        "scope": scope,
        "state": state,
        "nonce": "n-" + state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if organisation:
        params["organisation"] = organisation
    if login_hint:
        params["login_hint"] = login_hint
    response = await portal.get("/oauth/authorize", params=params)
    assert response.status_code == 303, response.text
    async with httpx.AsyncClient() as browser:
        back = await login(browser, response.headers["location"], sub)
    assert back.startswith(CALLBACK), back
    response = await portal.get(back.removeprefix(PORTAL))
    assert response.status_code == 303, response.text
    return Attempt(response.headers["location"], verifier, state)


async def tokens(portal: httpx.AsyncClient, frontend: Frontend, done: Attempt) -> dict[str, Any]:
    """Exchange the code an attempt ended with; asserts it succeeded."""
    assert "code" in done.params, done.params
    assert done.params["state"] == done.state
    response = await portal.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": done.params["code"],
            "redirect_uri": FRONTEND,
            "code_verifier": done.verifier,
            "client_id": frontend.client_id,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refresh(
    portal: httpx.AsyncClient, frontend: Frontend, refresh_token: str
) -> httpx.Response:
    return await portal.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": frontend.client_id,
        },
    )


async def viewer(portal: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await portal.post(
        "/graphql",
        json={"query": "{ viewer { userId credentialKind scopes organisation { slug } } }"},
        headers={"Authorization": f"Bearer {access_token}"},
    )


async def signed_in(
    portal: httpx.AsyncClient, frontend: Frontend, sub: str, organisation: str
) -> dict[str, Any]:
    """The tokens of a sign-in that must succeed."""
    return await tokens(
        portal, frontend, await attempt(portal, frontend, sub, organisation=organisation)
    )
