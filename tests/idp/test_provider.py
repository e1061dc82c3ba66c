"""The harness against the real provider: sign-in by authorization code with PKCE, the ID
token verified as the portal would, key rotation, stop and restart, and the provider's own
JWT access tokens for a resource. No mocks: every request reaches oidc-provider."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from tests.idp.fixtures import start_provider
from tests.idp.harness import (
    Account,
    Client,
    IdentityProvider,
    client_credentials_token,
    login,
    pkce_pair,
    provider_access_token,
    token_request,
)

CALLBACK = "http://127.0.0.1:9/callback"
"""Where the provider sends the browser back to: never requested (port 9 discards)."""
RESOURCE = "https://portal.test/graphql"
ALICE = Account("alice", "alice@alpha.example", "Alice Alpha", groups=("admins", "staff"))
CARLA = Account("carla", "carla@gamma.example", "Carla Gamma", tid="t-gamma")
PORTAL = Client("portal", "portal-secret", [CALLBACK])
POSTING = Client("posting", "posting-secret", [CALLBACK], "client_secret_post")


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityProvider]:
    yield from start_provider(
        tmp_path_factory,
        "test",
        accounts=[ALICE, CARLA],
        clients=[PORTAL, POSTING],
        resource=RESOURCE,
    )


@pytest.fixture
def own_idp(tmp_path: Path) -> Iterator[IdentityProvider]:
    """A provider of the test's own, for tests that rotate, stop or add to it."""
    with IdentityProvider(tmp_path, accounts=[ALICE], clients=[PORTAL]) as provider:
        yield provider


async def sign_in(
    idp: IdentityProvider,
    account: Account = ALICE,
    client: Client = PORTAL,
    **extra: str,
) -> tuple[dict[str, Any], str]:
    """An authorization code flow as the portal runs it: the token answer, and the nonce."""
    async with httpx.AsyncClient() as http:
        metadata = (await http.get(f"{idp.issuer}/.well-known/openid-configuration")).json()
        verifier, challenge = pkce_pair()
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        params = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        url = str(httpx.URL(metadata["authorization_endpoint"], params=params))
        back = httpx.URL(await login(http, url, account.sub))
        assert str(back).startswith(f"{CALLBACK}?")
        assert back.params["state"] == state
        assert back.params["iss"] == idp.issuer
        form = {
            "grant_type": "authorization_code",
            "code": back.params["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        }
        return await token_request(http, idp, client, form), nonce


async def verified(idp: IdentityProvider, id_token: str, nonce: str, client: Client) -> jwt.Token:
    """The ID token checked against the provider's published keys, as the portal does."""
    async with httpx.AsyncClient() as http:
        metadata = (await http.get(f"{idp.issuer}/.well-known/openid-configuration")).json()
        jwks = (await http.get(metadata["jwks_uri"])).json()
    token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=[idp.alg])
    JWTClaimsRegistry(
        iss={"essential": True, "value": idp.issuer},
        aud={"essential": True, "value": client.client_id},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
    ).validate(token.claims)
    return token


async def published_kids(idp: IdentityProvider) -> list[str]:
    async with httpx.AsyncClient() as http:
        jwks = (await http.get(f"{idp.issuer}/jwks")).json()
    return [key["kid"] for key in jwks["keys"]]


async def test_sign_in_yields_an_id_token_with_the_accounts_claims(idp: IdentityProvider) -> None:
    answer, nonce = await sign_in(idp)
    token = await verified(idp, answer["id_token"], nonce, PORTAL)
    assert token.header["alg"] == "ES256"
    assert token.header["kid"] == idp.signing_kid
    assert token.claims["sub"] == "alice"
    assert token.claims["email"] == "alice@alpha.example"
    assert token.claims["email_verified"] is True
    assert token.claims["name"] == "Alice Alpha"
    assert token.claims["groups"] == ["admins", "staff"]
    assert "tid" not in token.claims


async def test_a_tenant_id_reaches_the_id_token(idp: IdentityProvider) -> None:
    answer, nonce = await sign_in(idp, CARLA)
    assert (await verified(idp, answer["id_token"], nonce, PORTAL)).claims["tid"] == "t-gamma"


async def test_a_client_authenticating_in_the_body_signs_in(idp: IdentityProvider) -> None:
    answer, nonce = await sign_in(idp, client=POSTING)
    assert (await verified(idp, answer["id_token"], nonce, POSTING)).claims["sub"] == "alice"


async def test_a_second_sign_in_in_the_same_browser_reuses_the_session(
    idp: IdentityProvider,
) -> None:
    async with httpx.AsyncClient() as browser:
        for _ in range(2):
            url = httpx.URL(
                f"{idp.issuer}/auth",
                params={
                    "response_type": "code",
                    "client_id": PORTAL.client_id,
                    "redirect_uri": CALLBACK,
                    "scope": "openid email profile",
                    "code_challenge": pkce_pair()[1],
                    "code_challenge_method": "S256",
                },
            )
            assert "code" in httpx.URL(await login(browser, str(url), "alice")).params


async def test_an_unknown_account_is_refused_back_to_the_client(idp: IdentityProvider) -> None:
    url = httpx.URL(
        f"{idp.issuer}/auth",
        params={
            "response_type": "code",
            "client_id": PORTAL.client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid",
            "state": "s",
            "code_challenge": pkce_pair()[1],
            "code_challenge_method": "S256",
        },
    )
    async with httpx.AsyncClient() as browser:
        back = httpx.URL(await login(browser, str(url), "nobody"))
    assert back.params["error"] == "access_denied"
    assert back.params["state"] == "s"


async def test_client_credentials_yield_a_jwt_access_token_for_the_resource(
    idp: IdentityProvider,
) -> None:
    async with httpx.AsyncClient() as http:
        token = await client_credentials_token(http, idp, PORTAL, RESOURCE, scope="admin")
    decoded = jwt.decode(token, KeySet.import_key_set(idp.private_jwks), algorithms=["ES256"])
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.header["kid"] == idp.signing_kid
    assert decoded.claims["iss"] == idp.issuer
    assert decoded.claims["aud"] == RESOURCE
    assert decoded.claims["client_id"] == "portal"
    assert decoded.claims["scope"] == "admin"


async def test_a_persons_access_token_for_the_resource_is_a_jwt(idp: IdentityProvider) -> None:
    async with httpx.AsyncClient() as http:
        token = await provider_access_token(http, idp, PORTAL, "carla", CALLBACK)
    decoded = jwt.decode(token, KeySet.import_key_set(idp.private_jwks), algorithms=["ES256"])
    assert decoded.header["typ"] == "at+jwt"
    assert decoded.claims["sub"] == "carla"
    assert decoded.claims["aud"] == RESOURCE
    assert decoded.claims["scope"] == "openid alliances:read admin"


async def test_rotation_signs_with_the_new_key_and_keeps_the_old_published(
    own_idp: IdentityProvider,
) -> None:
    old = own_idp.signing_kid
    own_idp.rotate_keys()
    assert own_idp.signing_kid != old
    assert await published_kids(own_idp) == [own_idp.signing_kid, old]
    answer, nonce = await sign_in(own_idp)
    assert (await verified(own_idp, answer["id_token"], nonce, PORTAL)).header["kid"] == (
        own_idp.signing_kid
    )


async def test_rotation_without_keeping_drops_the_old_key(own_idp: IdentityProvider) -> None:
    old = own_idp.signing_kid
    own_idp.rotate_keys(keep_old=False)
    assert await published_kids(own_idp) == [own_idp.signing_kid]
    assert own_idp.signing_kid != old


async def test_a_stopped_provider_refuses_and_a_restarted_one_serves_the_same_keys(
    own_idp: IdentityProvider,
) -> None:
    kids = await published_kids(own_idp)
    own_idp.stop()
    assert not own_idp.running
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"{own_idp.issuer}/.well-known/openid-configuration")
    own_idp.restart()
    assert await published_kids(own_idp) == kids


async def test_an_account_added_to_a_running_provider_signs_in(own_idp: IdentityProvider) -> None:
    own_idp.add_account(CARLA)
    answer, nonce = await sign_in(own_idp, CARLA)
    assert (await verified(own_idp, answer["id_token"], nonce, PORTAL)).claims["sub"] == "carla"


async def test_an_rs256_provider_signs_id_tokens_with_rsa(tmp_path: Path) -> None:
    with IdentityProvider(tmp_path, accounts=[ALICE], clients=[POSTING], alg="RS256") as idp:
        answer, nonce = await sign_in(idp, client=POSTING)
        token = await verified(idp, answer["id_token"], nonce, POSTING)
    assert token.header["alg"] == "RS256"
    assert token.header["kid"] == idp.signing_kid


def test_a_provider_that_cannot_start_says_why(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        idp = IdentityProvider(tmp_path, accounts=[], clients=[], port=port)
        with pytest.raises(RuntimeError, match="EADDRINUSE"):
            idp.start()
    assert not idp.running


def test_a_client_needs_a_key_for_its_algorithm(tmp_path: Path) -> None:
    rsa = Client("rsa", "secret", [CALLBACK], id_token_signed_response_alg="RS256")
    with pytest.raises(ValueError, match="no RS256 key"):
        IdentityProvider(tmp_path, accounts=[], clients=[rsa]).start()
