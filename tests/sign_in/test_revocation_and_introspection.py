"""RFC 7009 revocation and RFC 7662 introspection: a client learns about and ends only its
own tokens; anything unknown, expired, revoked or another client's is ``{"active": false}``."""

from __future__ import annotations

import httpx
import pytest

from db.enums import UserRole
from portal.signin.issuing import secret_hash
from tests.builders import World
from tests.conftest import TEST_SECRET
from tests.sign_in.conftest import Grant, Mint, grant, oauth_client

SECRET = "frontend-secret-of-the-confidential-client"


@pytest.fixture
async def confidential(world: World) -> tuple[Grant, str]:
    """A member's grant at a confidential client, and the client's id."""
    org = await world.organisation()
    client = await oauth_client(world, org, secret_hash=secret_hash(SECRET, TEST_SECRET.encode()))
    member = await grant(world, org, UserRole.MEMBER)
    return Grant(org, member.user_id, member.grant_id, client.client_id), client.client_id


async def introspect(
    client: httpx.AsyncClient, client_id: str, token: str, secret: str = SECRET
) -> httpx.Response:
    return await client.post("/oauth/introspect", data={"token": token}, auth=(client_id, secret))


async def _own_grant_at(world: World, confidential: tuple[Grant, str]) -> Grant:
    """The grant, moved to the confidential client (as if it had signed the person in)."""
    from sqlalchemy import select, update

    from db.identity import OAuthClient, OAuthGrant

    of, client_id = confidential
    async with world.sessions() as session, session.begin():
        row = await session.scalar(select(OAuthClient.id).where(OAuthClient.client_id == client_id))
        await session.execute(
            update(OAuthGrant).where(OAuthGrant.id == of.grant_id).values(client_id=row)
        )
    return of


async def test_introspection_answers_for_the_clients_own_live_tokens_only(
    client: httpx.AsyncClient, world: World, mint: Mint, confidential: tuple[Grant, str]
) -> None:
    of = await _own_grant_at(world, confidential)
    token = await mint.token(of)
    live = await introspect(client, of.client_id, token)
    assert live.status_code == 200
    assert live.headers["cache-control"] == "no-store"
    body = live.json()
    assert body["active"] is True
    assert (body["sub"], body["client_id"], body["org"]) == (
        str(of.user_id),
        of.client_id,
        str(of.org.id),
    )
    for unknown in ("", "garbage", await mint.token(of, exp=1_000_000)):
        assert (await introspect(client, of.client_id, unknown)).json() == {"active": False}


async def test_another_clients_token_is_inactive_to_it(
    client: httpx.AsyncClient, world: World, mint: Mint, confidential: tuple[Grant, str]
) -> None:
    _, client_id = confidential
    someone_elses = await grant(world, await world.organisation())
    token = await mint.token(someone_elses)
    assert (await introspect(client, client_id, token)).json() == {"active": False}


async def test_introspection_and_revocation_need_the_client_authenticated(
    client: httpx.AsyncClient, world: World, mint: Mint, confidential: tuple[Grant, str]
) -> None:
    of = await _own_grant_at(world, confidential)
    token = await mint.token(of)
    wrong = await introspect(client, of.client_id, token, secret="not-the-secret")
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic")
    public = await oauth_client(world, of.org)
    anonymous = await client.post(
        "/oauth/introspect", data={"token": token, "client_id": public.client_id}
    )
    assert anonymous.status_code == 401
    revoke = await client.post(
        "/oauth/revoke", data={"token": token}, auth=(of.client_id, "not-the-secret")
    )
    assert revoke.status_code == 401
    assert (await introspect(client, of.client_id, token)).json()["active"] is True


async def test_revoking_an_access_token_ends_its_grant_and_unknown_tokens_answer_200(
    client: httpx.AsyncClient, world: World, mint: Mint, confidential: tuple[Grant, str]
) -> None:
    of = await _own_grant_at(world, confidential)
    token = await mint.token(of)
    stranger = await mint.token(await grant(world, of.org))
    for anything in (stranger, "unknown-token"):
        response = await client.post(
            "/oauth/revoke", data={"token": anything}, auth=(of.client_id, SECRET)
        )
        assert response.status_code == 200
    # another client's token was not touched
    assert (
        await client.post(
            "/graphql",
            json={"query": "{ viewer { userId } }"},
            headers={"Authorization": f"Bearer {stranger}"},
        )
    ).status_code == 200
    response = await client.post(
        "/oauth/revoke", data={"token": token}, auth=(of.client_id, SECRET)
    )
    assert response.status_code == 200
    assert (await introspect(client, of.client_id, token)).json() == {"active": False}
    refused = await client.post(
        "/graphql",
        json={"query": "{ viewer { userId } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 401


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
        ({}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "nope", "code_verifier": "v" * 43},
         "invalid_grant"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "invalid_grant"),
    ],
)  # fmt: skip
async def test_the_token_endpoint_answers_rfc_6749_errors(
    client: httpx.AsyncClient, confidential: tuple[Grant, str], data: dict[str, str], error: str
) -> None:
    _, client_id = confidential
    response = await client.post("/oauth/token", data=data, auth=(client_id, SECRET))
    assert (response.status_code, response.json()["error"]) == (400, error)
    assert response.headers["cache-control"] == "no-store"


async def test_the_token_endpoint_refuses_a_repeated_parameter_and_json(
    client: httpx.AsyncClient, confidential: tuple[Grant, str]
) -> None:
    _, client_id = confidential
    repeated = await client.post(
        "/oauth/token",
        content=b"grant_type=refresh_token&grant_type=authorization_code",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(client_id, SECRET),
    )
    assert "repeated" in repeated.json()["error_description"]
    as_json = await client.post(
        "/oauth/token", json={"grant_type": "refresh_token"}, auth=(client_id, SECRET)
    )
    assert as_json.json()["error"] == "invalid_request"
