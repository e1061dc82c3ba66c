"""An organisation's provider's keys: rotation (the new key is fetched, at a bounded rate),
a provider that goes down (its cached keys keep verifying), and the provider's own access
tokens, accepted only where the organisation opted in and only to the letter."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import insert

from db.enums import UserRole, UserStatus
from db.models import User, utcnow
from portal.settings import Settings
from tests.builders import Org, World
from tests.conftest import TEST_SECRET
from tests.idp.fixtures import start_provider
from tests.idp.harness import Account, Client, IdentityProvider, provider_access_token
from tests.sign_in.conftest import oauth_client
from tests.sign_in.flows import (
    CALLBACK,
    FRONTEND,
    PORTAL,
    Frontend,
    attempt,
    register_provider,
    signed_in,
    viewer,
)

SECRET = "portal-at-c-secret"
RESOURCE = f"{PORTAL}/graphql"
PORTAL_AT_C = Client("portal", SECRET, [CALLBACK])


def _settings(refresh_seconds: float) -> Settings:
    return Settings(
        token_secret=TEST_SECRET,  # type: ignore[arg-type]
        database_url="unused://",
        public_url=PORTAL,
        cost_budget_per_credential=0,
        cost_budget_per_organisation=0,
        key_set_refresh_seconds=refresh_seconds,
    )


@pytest.fixture
def settings() -> Settings:
    return _settings(0)


@pytest.fixture
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityProvider]:
    """A provider of its own per test: these tests rotate its keys and stop it."""
    yield from start_provider(
        tmp_path_factory,
        "c",
        accounts=[Account("carla", "carla@gamma.example", "Carla Gamma", tid="t-gamma")],
        clients=[PORTAL_AT_C],
        resource=RESOURCE,
    )


async def gamma(world: World, settings: Settings, idp: IdentityProvider, **options: Any) -> Org:
    org = await world.organisation("gamma")
    await register_provider(
        world, settings, org, idp, client_id="portal", client_secret=SECRET, **options
    )
    return org


async def person(world: World, org: Org, idp: IdentityProvider, sub: str = "carla") -> uuid.UUID:
    """A person of ``org`` who signed in before: bound to ``(issuer, sub)``."""
    user_id = uuid.uuid4()
    async with world.sessions() as session, session.begin():
        await session.execute(
            insert(User).values(
                id=user_id,
                organisation_id=org.id,
                email=f"{sub}@gamma.example",
                display_name=sub,
                role=UserRole.MEMBER,
                status=UserStatus.ACTIVE,
                issuer=idp.issuer,
                subject=sub,
                created_at=utcnow(),
            )
        )
    return user_id


async def test_a_provider_rotating_its_keys_keeps_signing_people_in(
    client: httpx.AsyncClient, world: World, settings: Settings, idp: IdentityProvider
) -> None:
    org = await gamma(world, settings, idp)
    await person(world, org, idp)
    frontend = Frontend(await oauth_client(world, org, redirect_uris=[FRONTEND]))
    await signed_in(client, frontend, "carla", "gamma")
    old = idp.signing_kid
    idp.rotate_keys(keep_old=False)
    assert idp.signing_kid != old
    # the ID token names a key the cached set lacks: the portal refetches, and goes on
    await signed_in(client, frontend, "carla", "gamma")


@pytest.mark.parametrize("settings", [_settings(3600)])
async def test_an_unknown_key_refetches_the_key_set_at_a_bounded_rate(
    client: httpx.AsyncClient, world: World, settings: Settings, idp: IdentityProvider
) -> None:
    org = await gamma(world, settings, idp)
    await person(world, org, idp)
    frontend = Frontend(await oauth_client(world, org, redirect_uris=[FRONTEND]))
    await signed_in(client, frontend, "carla", "gamma")
    idp.rotate_keys(keep_old=False)
    # within the interval the set is not fetched again: the new key is not yet trusted
    refused = await attempt(client, frontend, "carla", organisation="gamma")
    assert refused.params["error"] == "access_denied"
    assert "key id" in refused.params["error_description"]


async def test_a_provider_token_needs_the_organisations_opt_in(
    client: httpx.AsyncClient, world: World, settings: Settings, idp: IdentityProvider
) -> None:
    org = await gamma(world, settings, idp, audience=RESOURCE)
    await person(world, org, idp)
    async with httpx.AsyncClient() as http:
        token = await provider_access_token(http, idp, PORTAL_AT_C, "carla", CALLBACK)
    refused = await viewer(client, token)
    assert refused.status_code == 401
    assert "issuer is not accepted" in refused.json()["errors"][0]["message"]


async def test_a_provider_token_acts_for_its_person_and_survives_the_provider_going_down(
    client: httpx.AsyncClient, world: World, settings: Settings, idp: IdentityProvider
) -> None:
    org = await gamma(world, settings, idp, audience=RESOURCE, accept_access_tokens=True)
    carla = await person(world, org, idp)
    async with httpx.AsyncClient() as http:
        token = await provider_access_token(http, idp, PORTAL_AT_C, "carla", CALLBACK)
    assert jwt.decode(token, ECKey.import_key(idp.keys[0])).header["typ"] == "at+jwt"
    response = await viewer(client, token)
    assert response.status_code == 200, response.text
    acting = response.json()["data"]["viewer"]
    assert acting["userId"] == str(carla)
    assert acting["credentialKind"] == "provider_token"
    # the token's scopes that a member's role holds: not admin
    assert acting["scopes"] == ["alliances:read"]
    idp.stop()
    try:
        still = await viewer(client, token)
        assert still.status_code == 200, still.text
    finally:
        idp.start()


def _forge(idp: IdentityProvider, claims: dict[str, Any], **header: Any) -> str:
    key = ECKey.import_key(idp.private_jwks["keys"][0])
    now = int(utcnow().timestamp())
    body = {
        "iss": idp.issuer,
        "aud": RESOURCE,
        "sub": "carla",
        "iat": now,
        "exp": now + 300,
        "scope": "alliances:read",
        **claims,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(
        {"alg": "ES256", "kid": idp.signing_kid, "typ": "at+jwt", **header},
        body,
        key,
        algorithms=["ES256"],
    )


@pytest.mark.parametrize(
    ("claims", "header", "reason"),
    [
        ({"aud": "https://another.example/api"}, {}, "aud"),
        ({"exp": None}, {}, "exp"),
        ({"exp": 1_000_000}, {}, "expired"),
        ({}, {"typ": "JWT"}, "typ"),
        ({"sub": "nobody"}, {}, "no active person"),
        ({"tid": "t-other"}, {}, "tenant"),
    ],
    ids=["audience", "no expiry", "expired", "an ID token's typ", "unknown person", "tenant"],
)
async def test_a_provider_token_is_checked_at_every_claim(
    client: httpx.AsyncClient,
    world: World,
    settings: Settings,
    idp: IdentityProvider,
    claims: dict[str, Any],
    header: dict[str, Any],
    reason: str,
) -> None:
    """Signed with the provider's real key, so only the claim check can refuse it."""
    org = await gamma(
        world,
        settings,
        idp,
        audience=RESOURCE,
        accept_access_tokens=True,
        tenant_claim="tid",
        tenant_ids=["t-gamma"],
    )
    await person(world, org, idp)
    genuine = await viewer(client, _forge(idp, {"tid": "t-gamma"}))
    assert genuine.status_code == 200, genuine.text
    refused = await viewer(client, _forge(idp, {"tid": "t-gamma", **claims}, **header))
    assert refused.status_code == 401
    assert reason in refused.json()["errors"][0]["message"]
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


async def test_a_token_signed_by_another_provider_under_this_issuer_is_refused(
    client: httpx.AsyncClient,
    world: World,
    settings: Settings,
    idp: IdentityProvider,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Provider D's real key, D's kid, A's issuer: keys come from the issuer's own set only."""
    org = await gamma(world, settings, idp, audience=RESOURCE, accept_access_tokens=True)
    await person(world, org, idp)
    other = IdentityProvider(tmp_path_factory.mktemp("idp-d"), accounts=[], clients=[])
    forged = _forge(other, {"iss": idp.issuer}, kid=other.signing_kid)
    refused = await viewer(client, forged)
    assert refused.status_code == 401
    assert "key id" in refused.json()["errors"][0]["message"]
