"""Shortcuts: a query the pipeline answered from one compiled statement is answered again
from that statement alone, with the request start and the budget, and with nothing else
of what the pipeline decides (schema.planner.Shortcuts, portal.app)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from auth.scopes import Scope
from db.models import utcnow
from db.session import SERVER_ROLE, create_server_engine
from portal.app import GraphQLEndpoint, create_app
from portal.database import as_role
from portal.settings import Settings
from tests.builders import World, gid

PAGE = "query($id: ID!) { alliance(id: $id) { id name plans { id title } } }"


def _endpoint(app: Starlette) -> GraphQLEndpoint:
    route = next(r for r in app.routes if getattr(r, "path", None) == "/graphql")
    endpoint = getattr(route, "app", None)
    assert isinstance(endpoint, GraphQLEndpoint)
    return endpoint


@pytest.fixture
def apps(server_engine: AsyncEngine, settings: Settings) -> dict[str, Starlette]:
    return {
        mode: create_app(settings.model_copy(update={"compiled_reads": mode}), server_engine)
        for mode in ("on", "off")
    }


@pytest.fixture
async def on(apps: dict[str, Starlette]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=apps["on"])
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        yield client


@pytest.fixture
async def off(apps: dict[str, Starlette]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=apps["off"])
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        yield client


def _without_pipeline(monkeypatch: pytest.MonkeyPatch, app: Starlette) -> None:
    """From now on, a request reaching the GraphQL pipeline fails (HTTP 500)."""

    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the request reached the pipeline")

    monkeypatch.setattr(_endpoint(app), "execute_single", refuse)


async def _post(
    client: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
    )


async def test_a_repeated_query_is_served_without_the_pipeline(
    apps: dict[str, Starlette],
    on: httpx.AsyncClient,
    world: World,
    portfolio: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = await world.token(portfolio["orgs"]["helix-pharma"])
    variables = {"id": gid("Alliance", portfolio["alliance"])}
    first = await _post(on, token, PAGE, variables)
    assert "errors" not in first.json()
    _without_pipeline(monkeypatch, apps["on"])
    again = await _post(on, token, PAGE, variables)
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    # anything else is the pipeline's: other variables, another document
    other = {"id": gid("Alliance", portfolio["orgs"]["helix-pharma"].id)}
    assert (await _post(on, token, PAGE, other)).status_code == 500
    assert (await _post(on, token, PAGE + " ", variables)).status_code == 500


async def test_a_shortcut_answers_each_organisation_as_it_may_see(
    apps: dict[str, Starlette],
    on: httpx.AsyncClient,
    off: httpx.AsyncClient,
    world: World,
    portfolio: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The statement is the same for every organisation (the key holds no organisation);
    the transaction names whose rows it reads. A member's shortcut serves an outsider the
    outsider's own answer. (Tokens made by no user: a user is part of the key.)"""
    variables = {"id": gid("Alliance", portfolio["alliance"])}
    member = await world.token(portfolio["orgs"]["helix-pharma"], role=None)
    assert (await _post(on, member, PAGE, variables)).json()["data"]["alliance"]["plans"]
    outsider = await world.token(await world.organisation("outsider"), role=None)
    others = [outsider, *[await world.token(o, role=None) for o in portfolio["orgs"].values()]]
    expected = [(await _post(off, token, PAGE, variables)).json() for token in others]
    _without_pipeline(monkeypatch, apps["on"])
    served = [(await _post(on, token, PAGE, variables)).json() for token in others]
    assert served == expected
    assert served[0]["data"] == {"alliance": None}


async def test_a_shortcut_is_never_taken_with_other_scopes_or_by_a_revoked_token(
    apps: dict[str, Starlette],
    on: httpx.AsyncClient,
    off: httpx.AsyncClient,
    world: World,
    portfolio: dict[str, Any],
) -> None:
    helix = portfolio["orgs"]["helix-pharma"]
    variables = {"id": gid("Alliance", portfolio["alliance"])}
    assert "errors" not in (await _post(on, await world.token(helix), PAGE, variables)).json()
    narrow = await world.token(helix, scopes=frozenset({Scope.ALLIANCES_READ}))
    refused = await _post(on, narrow, PAGE, variables)
    assert refused.json() == (await _post(off, narrow, PAGE, variables)).json()
    assert refused.json()["data"]["alliance"]["plans"] == []  # plans:read it lacks
    revoked = await world.token(helix, revoked=True)
    assert (await _post(on, revoked, PAGE, variables)).status_code == 401


async def test_a_shortcut_is_charged_and_refused_by_the_budget(
    server_engine: AsyncEngine, world: World, portfolio: dict[str, Any], settings: Settings
) -> None:
    budgeted = settings.model_copy(
        update={"compiled_reads": "on", "cost_budget_per_credential": 10}
    )
    app = create_app(budgeted, server_engine)
    token = await world.token(portfolio["orgs"]["helix-pharma"])
    query = "{ alliances(first: 3) { edges { node { name } } } }"  # requested cost 4
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        assert "errors" not in (await _post(client, token, query)).json()  # the pipeline: 4
        assert "errors" not in (await _post(client, token, query)).json()  # a shortcut: 8
        refused = await _post(client, token, query)  # 8 + 4 > 10: the pipeline refuses
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_trusted_only_token_takes_no_shortcut(
    on: httpx.AsyncClient, world: World, portfolio: dict[str, Any]
) -> None:
    helix = portfolio["orgs"]["helix-pharma"]
    token = await world.token(helix)
    query = "{ viewer { organisation { name } } }"
    assert "errors" not in (await _post(on, token, query)).json()
    created = await _post(
        on,
        token,
        "mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) {"
        " secret userErrors { code } } }",
        {
            "input": {
                "name": "web",
                "scopes": ["alliances:read"],
                "expiresAt": (utcnow() + dt.timedelta(days=30)).isoformat(),
                "trustedDocumentsOnly": True,
            }
        },
    )
    assert created.json()["data"]["createApiToken"]["userErrors"] == []
    trusted_only = created.json()["data"]["createApiToken"]["secret"]
    refused = await _post(on, trusted_only, query)
    assert refused.status_code == 403
    assert "trusted documents only" in refused.json()["errors"][0]["message"]


def _without_session(monkeypatch: pytest.MonkeyPatch, app: Starlette) -> None:
    """From now on, a request that needs a session fails (HTTP 500): only the direct path
    (asyncpg alone on a pooled connection) answers."""

    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the request needed a session")

    monkeypatch.setattr(_endpoint(app), "_through_session", refuse)


async def test_a_repeated_query_of_an_api_token_needs_no_session(
    apps: dict[str, Starlette],
    on: httpx.AsyncClient,
    off: httpx.AsyncClient,
    world: World,
    portfolio: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The direct path runs the request start and the kept statement itself; it answers
    only its own principal's shortcut, and leaves the rest to the session's path."""
    variables = {"id": gid("Alliance", portfolio["alliance"])}
    helix = await world.token(portfolio["orgs"]["helix-pharma"])
    first = await _post(on, helix, PAGE, variables)
    _without_session(monkeypatch, apps["on"])
    again = await _post(on, helix, PAGE, variables)
    assert again.status_code == 200
    assert again.content == first.content
    # someone else's request of the same page: their own start, no shortcut of theirs yet
    other = await world.token(portfolio["orgs"]["nordic-biotech"])
    assert (await _post(on, other, PAGE, variables)).status_code == 500
    revoked = await world.token(portfolio["orgs"]["helix-pharma"], revoked=True)
    assert (await _post(on, revoked, PAGE, variables)).status_code == 500
    monkeypatch.undo()
    assert (await _post(on, revoked, PAGE, variables)).status_code == 401
    answered = await _post(on, other, PAGE, variables)
    assert answered.json() == (await _post(off, other, PAGE, variables)).json()


async def test_the_direct_path_leaves_its_connection_as_it_found_it(
    world: World, portfolio: dict[str, Any], settings: Settings, database_url: str
) -> None:
    """COMMIT ends the role and the tenant the request start entered: the next user of the
    connection is the login role again, acting for nobody."""
    single = create_server_engine(as_role(database_url, SERVER_ROLE), pool_size=1)
    app = create_app(settings.model_copy(update={"compiled_reads": "on"}), single)
    token = await world.token(portfolio["orgs"]["helix-pharma"])
    variables = {"id": gid("Alliance", portfolio["alliance"])}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as c:
            for _ in range(3):
                assert (await _post(c, token, PAGE, variables)).status_code == 200
        async with single.connect() as connection:
            found = (
                await connection.execute(
                    text(
                        "SELECT current_user, current_setting('portal.organisation_id', true),"
                        " current_setting('plan_cache_mode')"
                    )
                )
            ).one()
    finally:
        await single.dispose()
    assert tuple(found) == (SERVER_ROLE, "", "auto")


async def test_the_direct_path_replaces_a_connection_the_database_closed(
    apps: dict[str, Starlette],
    on: httpx.AsyncClient,
    engine: AsyncEngine,
    world: World,
    portfolio: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No pre-ping: the direct path finds its connection dead at BEGIN, before anything
    happened, and leaves the request to the session's path, which retries once."""
    token = await world.token(portfolio["orgs"]["helix-pharma"])
    variables = {"id": gid("Alliance", portfolio["alliance"])}
    first = await _post(on, token, PAGE, variables)
    async with engine.begin() as connection:
        ended = await connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE usename = :role AND datname = current_database()"
            ),
            {"role": SERVER_ROLE},
        )
    assert ended >= 1
    again = await _post(on, token, PAGE, variables)
    assert again.status_code == 200
    assert again.content == first.content
    assert any("retrying in a session" in r.getMessage() for r in caplog.records)


async def test_the_direct_path_spends_the_allowances_the_process_holds(
    server_engine: AsyncEngine,
    engine: AsyncEngine,
    world: World,
    portfolio: dict[str, Any],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A budget of 1,000 a minute is taken 20 at a time (a fiftieth): an operation of cost
    4 takes one allowance, the next four spend it with no statement, the sixth takes
    another. The database records what was taken, never more than the budget."""
    budgeted = settings.model_copy(
        update={"compiled_reads": "on", "cost_budget_per_credential": 1000}
    )
    app = create_app(budgeted, server_engine)
    token = await world.token(portfolio["orgs"]["helix-pharma"])
    query = "{ alliances(first: 3) { edges { node { name } } } }"  # requested cost 4
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        answers = [await _post(client, token, query)]
        _without_session(monkeypatch, app)
        answers += [await _post(client, token, query) for _ in range(4)]
        assert (await _post(client, token, query)).status_code == 500  # an allowance to take
        monkeypatch.undo()
        answers.append(await _post(client, token, query))
    assert all(a.status_code == 200 and "errors" not in a.json() for a in answers)
    async with engine.connect() as connection:
        spent = await connection.scalar(
            text("SELECT sum(spent) FROM cost_spent WHERE subject LIKE 'credential:%'")
        )
    assert spent == 40
