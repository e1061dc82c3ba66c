"""Shortcuts: a query the pipeline answered from one compiled statement is answered again
from that statement alone, with the request start and the budget, and with nothing else
of what the pipeline decides (schema.planner.Shortcuts, portal.app)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from auth.scopes import Scope
from db.models import utcnow
from portal.app import GraphQLEndpoint, create_app
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
