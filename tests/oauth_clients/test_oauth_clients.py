"""OAuth clients through GraphQL: registerOAuthClient, rotateOAuthClientSecret,
revokeOAuthClient, oauthClients and node."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select

from db.enums import UserRole
from db.identity import OAuthClient, OAuthGrant
from db.models import utcnow
from portal.oauth_clients import (
    CLIENT_ID_PREFIX,
    CLIENT_SECRET_PREFIX,
    hash_client_secret,
    verify_client_secret,
)
from portal.signin import issuing
from tests.builders import Org, World, db_id, gql, succeeded, top_level_codes, user_errors

FIELDS = "id clientId name redirectUris public ownerUserId suspendedAt revokedAt createdAt"
REGISTER = f"""
mutation Register($input: RegisterOAuthClientInput!) {{
  registerOAuthClient(input: $input) {{
    clientSecret
    oauthClient {{ {FIELDS} }}
    userErrors {{ field code message }}
  }}
}}
"""
ROTATE = f"""
mutation Rotate($input: RotateOAuthClientSecretInput!) {{
  rotateOAuthClientSecret(input: $input) {{
    clientSecret
    oauthClient {{ {FIELDS} }}
    userErrors {{ field code message }}
  }}
}}
"""
REVOKE = f"""
mutation Revoke($input: RevokeOAuthClientInput!) {{
  revokeOAuthClient(input: $input) {{
    oauthClient {{ {FIELDS} }}
    userErrors {{ field code message }}
  }}
}}
"""
LIST = f"""
query List($includeRevoked: Boolean! = false) {{
  oauthClients(includeRevoked: $includeRevoked) {{ edges {{ node {{ {FIELDS} }} }} }}
}}
"""
NODE = "query Node($id: ID!) { node(id: $id) { __typename ... on OAuthClient { clientId } } }"
CALLBACK = "https://partner.example/callback"
HASHING_SECRET = "test-token-hashing-secret-of-sufficient-length"
"""The test settings' token secret (tests/conftest.py): what client secrets are hashed under."""


def client_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"name": "Partner portal", "redirectUris": [CALLBACK], "public": False}
    values.update(overrides)
    return {"input": values}


async def registered(
    client: httpx.AsyncClient, token: str, **overrides: Any
) -> tuple[dict[str, Any], str | None]:
    """A client registered through the API, and its secret."""
    payload = succeeded(
        await gql(client, token, REGISTER, client_input(**overrides)), "registerOAuthClient"
    )
    return payload["oauthClient"], payload["clientSecret"]


async def stored_hash(world: World, client_id: str) -> bytes | None:
    """The client's secret hash, read by the operator (the app cannot select it)."""
    async with world.sessions() as session:
        found: bytes | None = await session.scalar(
            select(OAuthClient.secret_hash).where(OAuthClient.client_id == client_id)
        )
        return found


# --- registering ------------------------------------------------------------------------


async def test_a_confidential_client_gets_a_secret_once_stored_as_a_keyed_hash(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation()
    admin = await world.token(org)

    node, secret = await registered(client, admin)
    assert secret is not None
    assert secret.startswith(CLIENT_SECRET_PREFIX)
    assert node["clientId"].startswith(CLIENT_ID_PREFIX)
    assert node["name"] == "Partner portal"
    assert node["redirectUris"] == [CALLBACK]
    assert node["public"] is False
    assert node["ownerUserId"] == str(org.admin)
    assert (node["suspendedAt"], node["revokedAt"]) == (None, None)

    row = await world.get(OAuthClient, db_id(node["id"]))
    assert (row.organisation_id, row.created_by_user_id, row.owner_user_id) == (
        org.id,
        org.admin,
        org.admin,
    )
    hashed = await stored_hash(world, node["clientId"])
    assert hashed == hash_client_secret(secret, HASHING_SECRET)
    assert secret.encode() not in hashed
    assert verify_client_secret(hashed, secret, HASHING_SECRET)
    assert not verify_client_secret(hashed, secret + "x", HASHING_SECRET)
    assert not verify_client_secret(hashed, secret, "another-hashing-secret")
    # the very check the token endpoint makes
    assert issuing.secret_matches(hashed, secret, HASHING_SECRET.encode())

    # never shown again: not by the list, not by ID, not by any field
    response = await client.post(
        "/graphql", json={"query": LIST}, headers={"Authorization": f"Bearer {admin}"}
    )
    assert [e["node"] for e in response.json()["data"]["oauthClients"]["edges"]] == [node]
    assert secret not in response.text
    body = await gql(client, admin, '{ __type(name: "OAuthClient") { fields { name } } }')
    assert not [
        f["name"] for f in body["data"]["__type"]["fields"] if "secret" in f["name"].lower()
    ]


async def test_a_public_client_has_no_secret(client: httpx.AsyncClient, world: World) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    node, secret = await registered(
        client, admin, public=True, redirectUris=["com.example.partner:/callback"]
    )
    assert secret is None
    assert node["public"] is True
    assert await stored_hash(world, node["clientId"]) is None


async def test_two_clients_never_share_an_id_or_a_secret(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    (first, first_secret), (second, second_secret) = [await registered(client, admin) for _ in "ab"]
    assert first["clientId"] != second["clientId"]
    assert first_secret != second_secret


GOOD_URIS = [
    "https://partner.example/callback?tab=1",
    "http://127.0.0.1:8765/callback",
    "http://[::1]/callback",
    "http://localhost:5173/callback",
    "com.example.partner:/oauth2redirect",
    "com.example.partner://callback",
]


async def test_every_kind_of_redirect_uri_allowed_is_stored_as_given(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    node, _ = await registered(client, admin, redirectUris=[*GOOD_URIS, GOOD_URIS[0]])
    assert node["redirectUris"] == GOOD_URIS  # in order, without repeats


@pytest.mark.parametrize(
    ("uris", "message"),
    [
        (["https://partner.example/callback#done"], "has a fragment"),
        (["https://partner.example/callback#"], "has a fragment"),
        (["https://*.partner.example/callback"], "wildcard"),
        (["https://partner.example/*"], "wildcard"),
        (["http://partner.example/callback"], "uses http off the loopback"),
        (["http://192.168.1.10/callback"], "uses http off the loopback"),
        (["/callback"], "is not absolute"),
        (["partner.example/callback"], "is not absolute"),
        (["javascript:alert(1)"], "neither https nor reverse-domain"),
        (["data:text/html,hi"], "neither https nor reverse-domain"),
        (["file:///etc/passwd"], "neither https nor reverse-domain"),
        (["https:///callback"], "has no host"),
        (["https://user:pw@partner.example/cb"], "user name or password"),
        (["https://partner.example/call back"], "a space"),
        (["https://partner.example:99999/cb"], "is not a valid URI"),
        (["com.example.partner:"], "nothing after its scheme"),
        ([f"https://partner.example/{'a' * 2000}"], "more than 2000 characters"),
        ([f"https://partner.example/{n}" for n in range(10)], "at most 10"),
        ([], "at least one"),
    ],
    ids=[
        "fragment",
        "empty-fragment",
        "wildcard-host",
        "wildcard-path",
        "http-non-loopback",
        "http-private-network",
        "relative",
        "no-scheme",
        "javascript",
        "data",
        "file",
        "no-host",
        "userinfo",
        "space",
        "bad-port",
        "bare-scheme",
        "too-long",
        "too-many",
        "none",
    ],
)
async def test_a_bad_redirect_uri_is_refused_and_nothing_registered(
    client: httpx.AsyncClient, world: World, uris: list[str], message: str
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    # one bad URI among good ones is enough to refuse them all
    given = [CALLBACK, *uris] if uris else []
    body = await gql(client, admin, REGISTER, client_input(redirectUris=given))
    assert user_errors(body, "registerOAuthClient") == [("redirectUris", "BAD_USER_INPUT")]
    assert message in body["data"]["registerOAuthClient"]["userErrors"][0]["message"]
    assert body["data"]["registerOAuthClient"]["clientSecret"] is None
    assert await world.count(OAuthClient) == 0


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
async def test_a_client_needs_a_name(client: httpx.AsyncClient, world: World, name: str) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    body = await gql(client, admin, REGISTER, client_input(name=name))
    assert user_errors(body, "registerOAuthClient") == [("name", "BAD_USER_INPUT")]
    assert await world.count(OAuthClient) == 0


# --- rotating and revoking --------------------------------------------------------------


async def test_rotating_replaces_the_secret(client: httpx.AsyncClient, world: World) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    node, old = await registered(client, admin)
    assert old is not None

    body = await gql(client, admin, ROTATE, {"input": {"oauthClient": node["id"]}})
    payload = succeeded(body, "rotateOAuthClientSecret")
    new = payload["clientSecret"]
    assert new.startswith(CLIENT_SECRET_PREFIX)
    assert new != old
    assert payload["oauthClient"] == node
    hashed = await stored_hash(world, node["clientId"])
    assert hashed is not None
    assert verify_client_secret(hashed, new, HASHING_SECRET)
    assert not verify_client_secret(hashed, old, HASHING_SECRET)


async def test_a_public_or_revoked_client_has_no_secret_to_rotate(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    public, _ = await registered(client, admin, public=True)
    revoked, _ = await registered(client, admin)
    succeeded(
        await gql(client, admin, REVOKE, {"input": {"oauthClient": revoked["id"]}}),
        "revokeOAuthClient",
    )
    hashed = await stored_hash(world, revoked["clientId"])

    for node in (public, revoked):
        body = await gql(client, admin, ROTATE, {"input": {"oauthClient": node["id"]}})
        assert user_errors(body, "rotateOAuthClientSecret") == [("oauthClient", "BAD_USER_INPUT")]
        assert body["data"]["rotateOAuthClientSecret"]["clientSecret"] is None
    assert await stored_hash(world, public["clientId"]) is None
    assert await stored_hash(world, revoked["clientId"]) == hashed


async def live_grant(world: World, org: Org, client_row_id: uuid.UUID) -> uuid.UUID:
    """A sign-in of the organisation's admin at the client, as the token endpoint makes it."""
    grant_id = uuid.uuid4()
    async with world.sessions() as session, session.begin():
        await session.execute(
            insert(OAuthGrant).values(
                id=grant_id,
                organisation_id=org.id,
                user_id=org.admin,
                client_id=client_row_id,
                scopes=["alliances:read"],
                created_at=utcnow(),
            )
        )
    return grant_id


async def test_revoking_ends_the_client_and_its_sign_ins_once(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    node, _ = await registered(client, admin)
    kept, _ = await registered(client, admin, name="Kept")
    grant_id = await live_grant(world, org, db_id(node["id"]))
    other_grant = await live_grant(world, org, db_id(kept["id"]))

    body = await gql(client, admin, REVOKE, {"input": {"oauthClient": node["id"]}})
    revoked = succeeded(body, "revokeOAuthClient")["oauthClient"]
    assert revoked["revokedAt"] is not None
    grant = await world.get(OAuthGrant, grant_id)
    assert grant.revoked_at is not None
    assert grant.revoked_reason == "client_revoked"
    assert (await world.get(OAuthGrant, other_grant)).revoked_at is None

    again = await gql(client, admin, REVOKE, {"input": {"oauthClient": node["id"]}})
    assert succeeded(again, "revokeOAuthClient")["oauthClient"]["revokedAt"] == revoked["revokedAt"]

    listed = (await gql(client, admin, LIST))["data"]["oauthClients"]["edges"]
    assert [e["node"]["name"] for e in listed] == ["Kept"]
    everything = (await gql(client, admin, LIST, {"includeRevoked": True}))["data"]
    assert [e["node"]["name"] for e in everything["oauthClients"]["edges"]] == [
        "Kept",
        "Partner portal",
    ]


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [UserRole.MEMBER, UserRole.VIEWER])
async def test_only_admins_manage_clients(
    client: httpx.AsyncClient, world: World, role: UserRole
) -> None:
    org = await world.organisation()
    admin, other = await world.token(org), await world.token(org, role=role)

    body = await gql(client, other, REGISTER, client_input())
    assert (body["data"], top_level_codes(body)) == (None, ["FORBIDDEN"])
    assert await world.count(OAuthClient) == 0

    node, _ = await registered(client, admin)
    target = {"input": {"oauthClient": node["id"]}}
    for query, variables in ((ROTATE, target), (REVOKE, target), (LIST, {})):
        body = await gql(client, other, query, variables)
        assert top_level_codes(body) == ["FORBIDDEN"], body
    assert (await gql(client, other, NODE, {"id": node["id"]}))["data"]["node"] is None
    assert (await world.get(OAuthClient, db_id(node["id"]))).revoked_at is None


async def test_another_organisation_neither_sees_nor_changes_a_client(
    client: httpx.AsyncClient, world: World
) -> None:
    owner, stranger = await world.organisation(), await world.organisation()
    owner_admin, stranger_admin = await world.token(owner), await world.token(stranger)
    node, _ = await registered(client, owner_admin)
    hashed = await stored_hash(world, node["clientId"])
    target = {"input": {"oauthClient": node["id"]}}

    for query, mutation in ((ROTATE, "rotateOAuthClientSecret"), (REVOKE, "revokeOAuthClient")):
        body = await gql(client, stranger_admin, query, target)
        assert user_errors(body, mutation) == [("oauthClient", "NOT_FOUND")]
    assert (await gql(client, stranger_admin, LIST))["data"]["oauthClients"]["edges"] == []
    assert (await gql(client, stranger_admin, NODE, {"id": node["id"]}))["data"]["node"] is None
    assert await stored_hash(world, node["clientId"]) == hashed
    assert (await world.get(OAuthClient, db_id(node["id"]))).revoked_at is None

    # its own organisation's admin finds it by ID
    found = (await gql(client, owner_admin, NODE, {"id": node["id"]}))["data"]["node"]
    assert found == {"__typename": "OAuthClient", "clientId": node["clientId"]}
