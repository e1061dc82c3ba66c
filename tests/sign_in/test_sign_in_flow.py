"""Signing in end to end: a partner frontend sends a person to the portal, the portal to the
person's organisation's identity provider (two real OpenID providers, A and B), and back;
then tokens, refresh and its reuse detection, and what must never work."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import insert, select

from db.enums import UserRole, UserStatus
from db.identity import OAuthGrant
from db.models import User, utcnow
from portal.settings import Settings
from tests.builders import Org, World
from tests.conftest import TEST_SECRET
from tests.idp.fixtures import start_provider
from tests.idp.harness import Account, Client, IdentityProvider
from tests.sign_in.conftest import deactivate, oauth_client
from tests.sign_in.flows import (
    CALLBACK,
    FRONTEND,
    PORTAL,
    Frontend,
    attempt,
    refresh,
    register_provider,
    signed_in,
    tokens,
    viewer,
)

SECRET_A, SECRET_B = "portal-at-a-secret", "portal-at-b-secret"


@pytest.fixture
def settings() -> Settings:
    return Settings(
        token_secret=TEST_SECRET,  # type: ignore[arg-type]
        database_url="unused://",
        public_url=PORTAL,
        cost_budget_per_credential=0,
        cost_budget_per_organisation=0,
    )


@pytest.fixture(scope="module")
def idp_a(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityProvider]:
    yield from start_provider(
        tmp_path_factory,
        "a",
        accounts=[
            Account("alice", "alice@alpha.example", "Alice Alpha", groups=("portal-admins",)),
            Account("amir", "amir@alpha.example", "Amir Alpha"),
            Account("mallory", "mallory@alpha.example", "Mallory"),
        ],
        clients=[Client("portal", SECRET_A, [CALLBACK])],
    )


@pytest.fixture(scope="module")
def idp_b(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityProvider]:
    yield from start_provider(
        tmp_path_factory,
        "b",
        accounts=[Account("bob", "bob@beta.example", "Bob Beta")],
        clients=[Client("portal", SECRET_B, [CALLBACK])],
    )


async def invite(world: World, org: Org, email: str, role: UserRole = UserRole.MEMBER) -> uuid.UUID:
    user_id = uuid.uuid4()
    async with world.sessions() as session, session.begin():
        await session.execute(
            insert(User).values(
                id=user_id,
                organisation_id=org.id,
                email=email,
                display_name=email,
                role=role,
                status=UserStatus.INVITED,
                created_at=utcnow(),
            )
        )
    return user_id


@pytest.fixture
async def alpha(world: World, settings: Settings, idp_a: IdentityProvider) -> Org:
    org = await world.organisation("alpha")
    await register_provider(world, settings, org, idp_a, client_id="portal", client_secret=SECRET_A)
    return org


@pytest.fixture
async def beta(world: World, settings: Settings, idp_b: IdentityProvider) -> Org:
    org = await world.organisation("beta")
    await register_provider(world, settings, org, idp_b, client_id="portal", client_secret=SECRET_B)
    return org


@pytest.fixture
async def frontend(world: World, alpha: Org) -> Frontend:
    return Frontend(await oauth_client(world, alpha, redirect_uris=[FRONTEND]))


async def test_an_invited_person_signs_in_and_acts_as_themselves(
    client: httpx.AsyncClient,
    world: World,
    alpha: Org,
    frontend: Frontend,
    settings: Settings,
    idp_a: IdentityProvider,
) -> None:
    alice = await invite(world, alpha, "Alice@Alpha.example")
    done = await attempt(client, frontend, "alice", organisation="alpha")
    assert done.params["iss"] == PORTAL  # RFC 9207
    issued = await tokens(client, frontend, done)
    assert issued["token_type"] == "Bearer"
    assert issued["expires_in"] == settings.access_token_seconds
    response = await viewer(client, issued["access_token"])
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"] == {
        "userId": str(alice),
        "credentialKind": "access_token",
        # the provider's groups claim maps portal-admins to admin
        "scopes": ["admin", "alliances:read"],
        "organisation": {"slug": "alpha"},
    }
    person = await world.get(User, alice)
    assert (person.status, person.issuer, person.subject, person.role) == (
        UserStatus.ACTIVE,
        idp_a.issuer,
        "alice",
        UserRole.ADMIN,
    )
    assert person.display_name == "Alice Alpha"
    # the ID token is the portal's, for the frontend, with its nonce
    published = (await client.get("/.well-known/jwks.json")).json()
    id_token = jwt.decode(issued["id_token"], KeySet.import_key_set(published))
    assert id_token.header["typ"] == "JWT"
    assert id_token.claims["aud"] == frontend.client_id
    assert id_token.claims["nonce"] == "n-" + done.state
    assert id_token.claims["sub"] == str(alice)
    assert "email" not in id_token.claims


async def test_the_organisation_is_found_by_its_claimed_email_domain(
    client: httpx.AsyncClient, world: World, alpha: Org, frontend: Frontend
) -> None:
    from db.identity import OrganisationDomain

    async with world.sessions() as session, session.begin():
        await session.execute(
            insert(OrganisationDomain).values(
                domain="alpha.example", organisation_id=alpha.id, created_at=utcnow()
            )
        )
    await invite(world, alpha, "amir@alpha.example")
    done = await attempt(client, frontend, "amir", login_hint="amir@Alpha.Example")
    assert "code" in done.params, done.params


async def test_without_an_organisation_the_person_is_asked_for_one(
    client: httpx.AsyncClient, frontend: Frontend
) -> None:
    params = {
        "response_type": "code",
        "client_id": frontend.client_id,
        "redirect_uri": FRONTEND,
        "state": "s",
        "code_challenge": "x" * 43,
        "code_challenge_method": "S256",
    }
    page = await client.get("/oauth/authorize", params=params)
    assert page.status_code == 200
    assert 'name="login_hint"' in page.text
    assert 'value="' + frontend.client_id + '"' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    unknown = await client.get("/oauth/authorize", params={**params, "organisation": "nope"})
    assert unknown.status_code == 400
    assert "No organisation" in unknown.text
    # the page reflects what it was given only escaped
    evil = await client.get(
        "/oauth/authorize", params={**params, "state": '"><script>alert(1)</script>'}
    )
    assert "<script>" not in evil.text


async def test_a_person_not_invited_is_refused_unless_the_organisation_provisions(
    client: httpx.AsyncClient, world: World, alpha: Org, frontend: Frontend, settings: Settings
) -> None:
    refused = await attempt(client, frontend, "mallory", organisation="alpha")
    assert refused.params["error"] == "access_denied"
    assert "not been invited" in refused.params["error_description"]
    assert refused.params["state"] == refused.state
    async with world.sessions() as session:
        assert await session.scalar(select(User).where(User.subject == "mallory")) is None

    from sqlalchemy import update

    from db.identity import IdentityProvider as ProviderRow

    async with world.sessions() as session, session.begin():
        await session.execute(
            update(ProviderRow)
            .where(ProviderRow.organisation_id == alpha.id)
            .values(provision_unknown=True)
        )
    issued = await tokens(
        client, frontend, await attempt(client, frontend, "mallory", organisation="alpha")
    )
    body = (await viewer(client, issued["access_token"])).json()["data"]["viewer"]
    # provisioned with the least role: no admin scope although the token asked for it
    assert body["scopes"] == ["alliances:read"]


async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_whole_grant(
    client: httpx.AsyncClient, world: World, alpha: Org, frontend: Frontend
) -> None:
    await invite(world, alpha, "amir@alpha.example")
    first = await tokens(
        client, frontend, await attempt(client, frontend, "amir", organisation="alpha")
    )
    rotated = await refresh(client, frontend, first["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert rotated.headers["cache-control"] == "no-store"
    assert (await viewer(client, second["access_token"])).status_code == 200

    # the first refresh token, stolen and replayed: refused, and the family dies with it
    replay = await refresh(client, frontend, first["refresh_token"])
    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    after = await refresh(client, frontend, second["refresh_token"])
    assert after.json()["error"] == "invalid_grant"
    refused = await viewer(client, second["access_token"])
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]
    async with world.sessions() as session:
        grant = await session.scalar(select(OAuthGrant))
    assert grant is not None
    assert grant.revoked_reason == "refresh_token_reuse"


async def test_a_code_works_once_with_its_verifier_and_a_replay_revokes_the_grant(
    client: httpx.AsyncClient, world: World, alpha: Org, frontend: Frontend
) -> None:
    await invite(world, alpha, "amir@alpha.example")
    done = await attempt(client, frontend, "amir", organisation="alpha")
    exchange = {
        "grant_type": "authorization_code",
        "code": done.params["code"],
        "redirect_uri": FRONTEND,
        "client_id": frontend.client_id,
    }
    wrong = await client.post("/oauth/token", data={**exchange, "code_verifier": "w" * 43})
    assert wrong.json()["error"] == "invalid_grant"
    first = await client.post("/oauth/token", data={**exchange, "code_verifier": done.verifier})
    assert first.status_code == 200, first.text
    again = await client.post("/oauth/token", data={**exchange, "code_verifier": done.verifier})
    assert again.json()["error"] == "invalid_grant"
    assert (await viewer(client, first.json()["access_token"])).status_code == 401


async def test_a_person_of_a_never_acts_for_b(
    client: httpx.AsyncClient,
    world: World,
    alpha: Org,
    beta: Org,
    frontend: Frontend,
    idp_b: IdentityProvider,
) -> None:
    """Alice is invited at B too, by her address; choosing B sends her to B's provider,
    where she has no account, and B's invitation binds only to B's provider's identity."""
    await invite(world, alpha, "alice@alpha.example")
    at_b = await invite(world, beta, "alice@alpha.example")
    mine = await tokens(
        client, frontend, await attempt(client, frontend, "alice", organisation="alpha")
    )
    assert (await viewer(client, mine["access_token"])).json()["data"]["viewer"][
        "organisation"
    ] == {"slug": "alpha"}
    # at B's provider, alice's subject signs in as nobody: the login is refused there
    response = await client.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": frontend.client_id,
            "redirect_uri": FRONTEND,
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
            "organisation": "beta",
        },
    )
    assert response.headers["location"].startswith(idp_b.issuer + "/")
    assert (await world.get(User, at_b)).issuer is None


async def test_a_deactivated_person_cannot_sign_in_or_refresh(
    client: httpx.AsyncClient, world: World, alpha: Org, frontend: Frontend
) -> None:
    amir = await invite(world, alpha, "amir@alpha.example")
    issued = await tokens(
        client, frontend, await attempt(client, frontend, "amir", organisation="alpha")
    )
    await deactivate(world, amir)
    assert (await viewer(client, issued["access_token"])).status_code == 401
    assert (await refresh(client, frontend, issued["refresh_token"])).json()[
        "error"
    ] == "invalid_grant"
    refused = await attempt(client, frontend, "amir", organisation="alpha")
    assert refused.params["error"] == "access_denied"
    assert "deactivated" in refused.params["error_description"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "alliances:read everything"}, "invalid_scope"),
    ],
)
async def test_a_bad_authorization_request_goes_back_with_an_error(
    client: httpx.AsyncClient, frontend: Frontend, change: dict[str, str | None], error: str
) -> None:
    params = {
        "response_type": "code",
        "client_id": frontend.client_id,
        "redirect_uri": FRONTEND,
        "state": "st",
        "code_challenge": "x" * 43,
        "code_challenge_method": "S256",
        "organisation": "alpha",
    }
    params = {k: v for k, v in {**params, **change}.items() if v is not None}
    response = await client.get("/oauth/authorize", params=params)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(FRONTEND + "?")
    assert f"error={error}" in location
    assert "state=st" in location


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://attacker.example/callback",
        FRONTEND + "/",
        FRONTEND + "?x=1",
        "http://127.0.0.1:5173/CALLBACK",
    ],
)
async def test_an_unregistered_redirect_uri_gets_a_page_never_a_redirect(
    client: httpx.AsyncClient, frontend: Frontend, redirect_uri: str
) -> None:
    response = await client.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": frontend.client_id,
            "redirect_uri": redirect_uri,
        },
    )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "not registered" in response.text


async def test_an_unknown_or_suspended_client_gets_a_page(
    client: httpx.AsyncClient, world: World, frontend: Frontend
) -> None:
    unknown = await client.get(
        "/oauth/authorize", params={"client_id": "apc_nobody", "redirect_uri": FRONTEND}
    )
    assert unknown.status_code == 400
    from sqlalchemy import update

    from db.identity import OAuthClient

    async with world.sessions() as session, session.begin():
        await session.execute(
            update(OAuthClient)
            .where(OAuthClient.id == frontend.client.id)
            .values(suspended_at=utcnow())
        )
    suspended = await client.get(
        "/oauth/authorize", params={"client_id": frontend.client_id, "redirect_uri": FRONTEND}
    )
    assert suspended.status_code == 400
    assert "location" not in suspended.headers


async def test_a_state_works_once(
    client: httpx.AsyncClient, world: World, alpha: Org, frontend: Frontend
) -> None:
    await invite(world, alpha, "amir@alpha.example")
    unknown = await client.get("/oauth/callback", params={"state": "forged", "code": "x"})
    assert unknown.status_code == 400
    assert "location" not in unknown.headers


async def test_metadata_names_the_endpoints_and_only_s256(client: httpx.AsyncClient) -> None:
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        metadata = (await client.get(path)).json()
        assert metadata["issuer"] == PORTAL
        assert metadata["token_endpoint"] == f"{PORTAL}/oauth/token"
        assert metadata["jwks_uri"] == f"{PORTAL}/.well-known/jwks.json"
        assert metadata["code_challenge_methods_supported"] == ["S256"]
        assert metadata["response_types_supported"] == ["code"]


async def test_the_role_claim_cannot_demote_the_last_admin(
    client: httpx.AsyncClient, world: World, alpha: Org, frontend: Frontend
) -> None:
    from sqlalchemy import update

    from db.identity import IdentityProvider as ProviderRow

    await deactivate(world, alpha.admin)  # alice will be the organisation's only admin
    alice = await invite(world, alpha, "alice@alpha.example", UserRole.ADMIN)
    await signed_in(client, frontend, "alice", "alpha")
    async with world.sessions() as session, session.begin():
        await session.execute(
            update(ProviderRow)
            .where(ProviderRow.organisation_id == alpha.id)
            .values(role_values={"portal-admins": "viewer"})
        )
    await signed_in(client, frontend, "alice", "alpha")
    assert (await world.get(User, alice)).role is UserRole.ADMIN
