"""Unexpected failures are masked for the client and logged with the request id; the
production configuration refuses development secrets."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

import httpx
import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.api_tokens import generate_token
from auth.principal import Principal
from db.session import SERVER_ROLE, LockedSession, create_engine, create_server_engine
from portal import alliances
from portal.app import create_app
from portal.database import as_role
from portal.settings import DEVELOPMENT_TOKEN_SECRET, Environment, Settings
from tests.builders import World, gql

CREATE = """
mutation { createAlliance(input: {name: "Boom"}) { alliance { id } userErrors { code } } }
"""


async def test_unexpected_errors_are_masked_logged_and_roll_back(
    client: httpx.AsyncClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    org = await world.organisation()
    token = await world.token(org)
    create_alliance = alliances.create_alliance

    # the alliance is written, then an unexpected failure must undo it
    async def create_then_explode(
        session: LockedSession, principal: Principal, charter: alliances.Charter
    ) -> None:
        await create_alliance(session, principal, charter)
        raise RuntimeError("secret database detail")

    monkeypatch.setattr(alliances, "create_alliance", create_then_explode)
    with caplog.at_level(logging.ERROR, logger="portal.graphql"):
        response = await client.post(
            "/graphql",
            json={"query": CREATE},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-boom-1"},
        )
    body = response.json()
    assert body["errors"][0]["message"] == "Internal server error."
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL"
    assert "secret database detail" not in response.text
    assert any(getattr(r, "request_id", None) == "req-boom-1" for r in caplog.records)

    monkeypatch.undo()
    listed = await gql(client, token, "{ alliances { edges { node { name } } } }")
    assert listed["data"]["alliances"]["edges"] == []


@pytest.mark.parametrize(
    "variables",
    [{"i": {"name": "x", "bogus": 1}}, {"i": {"name": 5}}, {"i": {}}, {}],
    ids=["unknown-field", "wrong-type", "missing-field", "missing-variable"],
)
async def test_invalid_variables_are_bad_user_input_not_internal(
    client: httpx.AsyncClient, world: World, variables: dict[str, object]
) -> None:
    org = await world.organisation()
    token = await world.token(org)
    body = await gql(
        client,
        token,
        "mutation($i: CreateAllianceInput!) { createAlliance(input: $i) { userErrors { code } } }",
        variables,
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert "Variable" in body["errors"][0]["message"]


@pytest.mark.parametrize("secret", [DEVELOPMENT_TOKEN_SECRET, "too-short"])
def test_production_refuses_development_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="PORTAL_TOKEN_SECRET"):
        Settings(environment=Environment.PROD, token_secret=secret)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        (None, False),
        ("http://portal.example.org", False),
        ("ftp://portal.example.org", False),
        ("https://portal.example.org", True),
        ("http://localhost:8000", True),
    ],
)
def test_production_needs_a_public_https_url(url: str | None, accepted: bool) -> None:
    """The public URL is the issuer of the portal's tokens; RFC 8414 wants https."""
    build = partial(
        Settings, environment=Environment.PROD, token_secret=SecretStr("x" * 40), public_url=url
    )
    if accepted:
        assert build().issuer == url
    else:
        with pytest.raises(ValidationError, match="PORTAL_PUBLIC_URL"):
            build()


def test_a_short_key_encryption_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="PORTAL_KEY_ENCRYPTION_KEY"):
        Settings(key_encryption_key="short")  # type: ignore[arg-type]
    long = Settings(key_encryption_key="k" * 32)  # type: ignore[arg-type]
    assert long.sealing_key != Settings().sealing_key


def test_production_accepts_a_real_secret_and_hides_introspection() -> None:
    settings = Settings(
        environment=Environment.PROD,
        token_secret="x" * 40,  # type: ignore[arg-type]
        public_url="https://portal.example.org",
    )
    assert not settings.introspection_enabled
    assert Settings(environment=Environment.DEV).introspection_enabled


async def test_a_database_that_is_gone_gets_a_coded_error_not_a_traceback(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """As during a database restart: the connection cannot be made."""
    gone = create_engine("postgresql+asyncpg://portal_server@127.0.0.1:1/portal", pool_size=1)
    transport = httpx.ASGITransport(app=create_app(settings, gone))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as c:
            with caplog.at_level(logging.ERROR, logger="portal.app"):
                response = await c.post(
                    "/graphql",
                    json={"query": "{ viewer { scopes } }"},
                    headers={"Authorization": f"Bearer {generate_token()}"},
                )
            ready = await c.get("/readyz")
    finally:
        await gone.dispose()
    assert response.status_code == 500
    assert response.json() == {
        "errors": [{"message": "Internal server error.", "extensions": {"code": "INTERNAL"}}]
    }
    assert "Traceback" not in response.text
    assert any("outside GraphQL execution" in r.getMessage() for r in caplog.records)
    assert ready.status_code == 503


async def test_the_server_keeps_its_connections_under_more_requests_than_it_holds(
    settings: Settings, database_url: str, world: World
) -> None:
    """Bursts of more concurrent requests than the pool holds wait for a connection
    rather than opening and closing one each: the pool opens its few once and keeps them."""
    org = await world.organisation()
    token = await world.token(org)
    server = create_server_engine(as_role(database_url, SERVER_ROLE), pool_size=3)
    opened: list[object] = []
    event.listen(server.sync_engine, "connect", lambda connection, record: opened.append(record))
    transport = httpx.ASGITransport(app=create_app(settings, server))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as c:
            for _ in range(2):
                answers = await asyncio.gather(
                    *(gql(c, token, "{ viewer { organisation { slug } } }") for _ in range(12))
                )
                assert all(a["data"]["viewer"]["organisation"]["slug"] == org.slug for a in answers)
        assert len(opened) <= 3
        assert server.pool.checkedin() == len(opened)  # type: ignore[attr-defined]
    finally:
        await server.dispose()


async def test_a_pooled_connection_the_database_closed_is_replaced_without_failing_a_request(
    settings: Settings, database_url: str, engine: AsyncEngine, world: World
) -> None:
    """No pre-ping: a request whose pooled connection died (a database restart, a
    terminated backend) retries on a new one once, so the caller never sees it."""
    org = await world.organisation()
    token = await world.token(org)
    server = create_engine(as_role(database_url, SERVER_ROLE), pool_size=2)
    transport = httpx.ASGITransport(app=create_app(settings, server))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as c:
            first = await gql(c, token, "{ viewer { organisation { slug } } }")
            async with engine.begin() as connection:
                ended = await connection.scalar(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE usename = :role AND datname = current_database()"
                    ),
                    {"role": SERVER_ROLE},
                )
            second = await gql(c, token, "{ viewer { organisation { slug } } }")
    finally:
        await server.dispose()
    assert ended >= 1
    assert first == second
    assert second["data"]["viewer"]["organisation"]["slug"] == org.slug
