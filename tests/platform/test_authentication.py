"""Bearer authentication over real HTTP: who gets in, who gets a 401, and what the
transport around the GraphQL endpoint adds (request ids, probes, last-used times)."""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from auth.api_tokens import generate_token
from auth.scopes import ALL_SCOPES, ROLE_SCOPES, Scope
from db.enums import UserRole
from db.models import ApiToken, AuditEntry, Event, utcnow
from tests.builders import Org, World, gql

VIEWER_SCOPES = "{ viewer { scopes } }"
LIST_TOKENS = "{ apiTokens { edges { node { id lastFour lastUsedAt } } } }"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer ")
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def token_ids(client: httpx.AsyncClient, admin_token: str) -> dict[str, uuid.UUID]:
    """Ids of the organisation's live tokens by their last four characters, as an admin
    finds them through the API."""
    body = await gql(client, admin_token, LIST_TOKENS)
    ids = {}
    for edge in body["data"]["apiTokens"]["edges"]:
        type_name, raw = base64.b64decode(edge["node"]["id"]).decode().split(":", 1)
        assert type_name == "ApiToken"
        ids[edge["node"]["lastFour"]] = uuid.UUID(raw)
    return ids


async def count_tokens(world: World, org: Org) -> int:
    async with world.sessions() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(ApiToken).where(ApiToken.organisation_id == org.id)
            )
            or 0
        )


# --- who gets in -----------------------------------------------------------------------


async def test_no_authorization_header_gets_401_with_a_bearer_challenge(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation()
    token = await world.token(org)

    response = await client.post("/graphql", json={"query": VIEWER_SCOPES})
    assert_unauthenticated(response)

    response = await client.post("/graphql", json={"query": VIEWER_SCOPES}, headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["scopes"] == sorted(ALL_SCOPES)


async def test_non_bearer_scheme_gets_401(client: httpx.AsyncClient, world: World) -> None:
    org = await world.organisation()
    token = await world.token(org)

    basic = base64.b64encode(f"x:{token}".encode()).decode()
    for header in (f"Basic {basic}", f"Token {token}", token, "Bearer", "Bearer "):
        response = await client.post(
            "/graphql", json={"query": VIEWER_SCOPES}, headers={"Authorization": header}
        )
        assert_unauthenticated(response)

    # the scheme name is case-insensitive (RFC 7235)
    response = await client.post(
        "/graphql", json={"query": VIEWER_SCOPES}, headers={"Authorization": f"bearer {token}"}
    )
    assert response.status_code == 200


def _flip_last(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


TokenMaker = Callable[[World, Org], Awaitable[str]]


async def _malformed(world: World, org: Org) -> str:
    return "not-a-portal-token"


async def _short(world: World, org: Org) -> str:
    return (await world.token(org))[:-1]


async def _wrong_checksum(world: World, org: Org) -> str:
    return _flip_last(await world.token(org))


async def _unknown(world: World, org: Org) -> str:
    return generate_token()


async def _other_secret_prefix(world: World, org: Org) -> str:
    return "xx_" + (await world.token(org))[3:]


async def _revoked(world: World, org: Org) -> str:
    return await world.token(org, revoked=True)


async def _expired(world: World, org: Org) -> str:
    return await world.token(org, expires_in=-dt.timedelta(seconds=1))


@pytest.mark.parametrize(
    "make",
    [_malformed, _short, _wrong_checksum, _unknown, _other_secret_prefix, _revoked, _expired],
    ids=["malformed", "short", "wrong-checksum", "unknown", "wrong-prefix", "revoked", "expired"],
)
async def test_invalid_bearer_tokens_get_401(
    client: httpx.AsyncClient, world: World, make: TokenMaker
) -> None:
    org = await world.organisation()
    bad = await make(world, org)

    response = await client.post("/graphql", json={"query": VIEWER_SCOPES}, headers=bearer(bad))
    assert_unauthenticated(response)

    good = await world.token(org)
    response = await client.post("/graphql", json={"query": VIEWER_SCOPES}, headers=bearer(good))
    assert response.status_code == 200
    assert "errors" not in response.json()


async def test_a_token_stops_working_at_its_expiry(client: httpx.AsyncClient, world: World) -> None:
    org = await world.organisation()
    alive = await world.token(org, expires_in=dt.timedelta(minutes=1))
    dead = await world.token(org, expires_in=dt.timedelta(0))

    assert_unauthenticated(
        await client.post("/graphql", json={"query": VIEWER_SCOPES}, headers=bearer(dead))
    )
    response = await client.post("/graphql", json={"query": VIEWER_SCOPES}, headers=bearer(alive))
    assert response.status_code == 200


# --- credentials in the URL ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "params", "with_header"),
    [
        ("POST", lambda token: {"access_token": token}, False),
        ("POST", lambda token: {"access_token": token}, True),
        ("GET", lambda token: {"query": VIEWER_SCOPES, "access_token": token}, False),
        ("GET", lambda token: {"query": VIEWER_SCOPES, "token": token}, False),
        ("GET", lambda token: {"query": VIEWER_SCOPES, "token": token}, True),
        ("GET", lambda token: {"query": VIEWER_SCOPES, "ACCESS_TOKEN": "anything"}, True),
    ],
    ids=[
        "post-access_token",
        "post-access_token-and-header",
        "get-access_token",
        "get-token",
        "get-token-and-header",
        "get-access_token-any-case",
    ],
)
async def test_a_token_in_the_url_is_refused(
    client: httpx.AsyncClient,
    world: World,
    method: str,
    params: Callable[[str], dict[str, str]],
    with_header: bool,
) -> None:
    org = await world.organisation()
    token = await world.token(org)
    headers = bearer(token) if with_header else {}
    body: dict[str, Any] = {"json": {"query": VIEWER_SCOPES}} if method == "POST" else {}

    response = await client.request(
        method, "/graphql", params=params(token), headers=headers, **body
    )
    assert response.status_code == 400, response.text
    refused = response.json()
    assert "data" not in refused
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert token not in response.text

    # the same request with the token where it belongs is served
    clean = {"query": VIEWER_SCOPES} if method == "GET" else {}
    response = await client.request(method, "/graphql", params=clean, headers=bearer(token), **body)
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["scopes"] == sorted(ALL_SCOPES)


# --- GET ------------------------------------------------------------------------------


async def test_a_query_over_get_with_a_bearer_works(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation("helix")
    token = await world.token(org)
    query = "{ viewer { scopes organisation { slug } } }"

    assert_unauthenticated(await client.get("/graphql", params={"query": query}))

    response = await client.get("/graphql", params={"query": query}, headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "viewer": {"scopes": sorted(ALL_SCOPES), "organisation": {"slug": "helix"}}
    }


async def test_a_mutation_over_get_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation()
    token = await world.token(org)
    expires = (utcnow() + dt.timedelta(days=30)).isoformat()
    mutation = (
        'mutation { createApiToken(input: {name: "via get", scopes: ["alliances:read"], '
        f'expiresAt: "{expires}"}}) {{ secret userErrors {{ code }} }} }}'
    )
    before = await count_tokens(world, org)

    response = await client.get("/graphql", params={"query": mutation}, headers=bearer(token))
    assert response.status_code in {400, 405}, response.text
    assert "mutations are not allowed" in response.text
    assert await count_tokens(world, org) == before

    # the very same document over POST is a mutation like any other
    response = await client.post("/graphql", json={"query": mutation}, headers=bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["createApiToken"]["secret"].startswith("ap_")
    assert await count_tokens(world, org) == before + 1


# --- scopes narrowed to the creator ------------------------------------------------------


@pytest.mark.parametrize("role", [UserRole.VIEWER, UserRole.MEMBER], ids=["viewer", "member"])
async def test_token_scopes_are_narrowed_to_the_creators_role(
    client: httpx.AsyncClient, world: World, role: UserRole
) -> None:
    org = await world.organisation()
    narrowed = await world.token(org, scopes=ALL_SCOPES, role=role)
    admin = await world.token(org, scopes=ALL_SCOPES, role=UserRole.ADMIN)

    scopes = (await gql(client, narrowed, VIEWER_SCOPES))["data"]["viewer"]["scopes"]
    assert scopes == sorted(ROLE_SCOPES[role])
    assert "alliances:read" in scopes
    assert "admin" not in scopes
    if role is UserRole.VIEWER:
        assert all(scope.endswith(":read") for scope in scopes), scopes
    else:
        assert "alliances:write" in scopes
    # the stored admin scope does not act either: listing tokens needs it
    body = await gql(client, narrowed, LIST_TOKENS)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    body = await gql(client, admin, VIEWER_SCOPES)
    assert body["data"]["viewer"]["scopes"] == sorted(ALL_SCOPES)
    body = await gql(client, admin, LIST_TOKENS)
    assert "errors" not in body
    assert len(body["data"]["apiTokens"]["edges"]) == 2


@pytest.mark.parametrize(
    "scopes",
    [ALL_SCOPES, frozenset({Scope.ALLIANCES_READ}), frozenset({Scope.ADMIN})],
    ids=["all", "read", "admin"],
)
async def test_operator_tokens_keep_their_scopes(
    client: httpx.AsyncClient, world: World, scopes: frozenset[Scope]
) -> None:
    org = await world.organisation()
    token = await world.token(org, scopes=scopes, role=None)

    body = await gql(client, token, "{ viewer { scopes userId credentialKind } }")
    assert body["data"]["viewer"] == {
        "scopes": sorted(scopes),
        "userId": None,
        "credentialKind": "api_token",
    }


# --- request ids and probes --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/graphql"])
async def test_a_sane_request_id_is_echoed_back(client: httpx.AsyncClient, path: str) -> None:
    given = "req-42.retry_1"
    response = await client.get(path, headers={"X-Request-ID": given})
    assert response.headers["x-request-id"] == given


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Request-ID": ""},
        {"X-Request-ID": "has spaces in it"},
        {"X-Request-ID": "semi;colon"},
        {"X-Request-ID": "x" * 65},
    ],
    ids=["absent", "empty", "spaces", "punctuation", "too-long"],
)
@pytest.mark.parametrize("path", ["/healthz", "/graphql"])
async def test_a_request_id_is_made_up_when_absent_or_malformed(
    client: httpx.AsyncClient, path: str, headers: dict[str, str]
) -> None:
    first = (await client.get(path, headers=headers)).headers["x-request-id"]
    second = (await client.get(path, headers=headers)).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second
    assert first != headers.get("X-Request-ID")


@pytest.mark.parametrize(("path", "status"), [("/healthz", "ok"), ("/readyz", "ready")])
async def test_health_and_readiness_need_no_credentials(
    client: httpx.AsyncClient, path: str, status: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": status}


# --- last-used time ---------------------------------------------------------------------


async def test_last_used_time_is_recorded_after_a_request(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    worker = await world.token(org, scopes=frozenset({Scope.ALLIANCES_READ}))
    ids = await token_ids(client, admin)
    worker_id = ids[worker[-4:]]
    assert (await world.get(ApiToken, worker_id)).last_used_at is None
    async with world.sessions() as session:
        records_before = await session.scalar(select(func.count()).select_from(AuditEntry))
        events_before = await session.scalar(select(func.count()).select_from(Event))

    started = utcnow()
    await gql(client, worker, VIEWER_SCOPES)
    finished = utcnow()

    # written by a background task after the response; the ASGI transport awaits it
    used = (await world.get(ApiToken, worker_id)).last_used_at
    assert used is not None
    assert started <= used <= finished
    # the admin's listing request was recorded too
    assert (await world.get(ApiToken, ids[admin[-4:]])).last_used_at is not None

    # at most one write a minute per token: a second request leaves it alone
    await gql(client, worker, VIEWER_SCOPES)
    assert (await world.get(ApiToken, worker_id)).last_used_at == used

    # bookkeeping, not a change anyone made: no event, no audit entry
    async with world.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == records_before
        assert await session.scalar(select(func.count()).select_from(Event)) == events_before


async def test_refused_requests_do_not_count_as_use(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    worker = await world.token(org)
    worker_id = (await token_ids(client, admin))[worker[-4:]]

    response = await client.get("/graphql", params={"query": VIEWER_SCOPES, "access_token": worker})
    assert response.status_code == 400
    assert (await world.get(ApiToken, worker_id)).last_used_at is None

    await gql(client, worker, VIEWER_SCOPES)
    assert (await world.get(ApiToken, worker_id)).last_used_at is not None
