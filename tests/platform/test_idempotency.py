"""Create mutations with an idempotency key: a retry returns the first result, the same
key with a different input is refused, and concurrent retries create once."""

from __future__ import annotations

import asyncio

import httpx

from tests.builders import World, gql

CREATE = """
mutation($name: String!, $key: String) {
  createAlliance(input: {name: $name, idempotencyKey: $key}) {
    alliance { id name } userErrors { field code }
  }
}
"""
COUNT = "{ alliances { edges { node { id } } } }"


async def test_a_retry_returns_the_first_alliance(client: httpx.AsyncClient, world: World) -> None:
    token = await world.token(await world.organisation())
    first = await gql(client, token, CREATE, {"name": "Oncology", "key": "k-1"})
    again = await gql(client, token, CREATE, {"name": "Oncology", "key": "k-1"})
    assert again == first
    assert first["data"]["createAlliance"]["userErrors"] == []

    other = await gql(client, token, CREATE, {"name": "Cardiology", "key": "k-1"})
    assert other["data"]["createAlliance"] == {
        "alliance": None,
        "userErrors": [{"field": "idempotencyKey", "code": "CONFLICT"}],
    }
    assert len((await gql(client, token, COUNT))["data"]["alliances"]["edges"]) == 1


async def test_keys_belong_to_one_organisation(client: httpx.AsyncClient, world: World) -> None:
    mine = await world.token(await world.organisation())
    theirs = await world.token(await world.organisation())
    first = await gql(client, mine, CREATE, {"name": "Oncology", "key": "shared"})
    second = await gql(client, theirs, CREATE, {"name": "Oncology", "key": "shared"})
    ids = {body["data"]["createAlliance"]["alliance"]["id"] for body in (first, second)}
    assert len(ids) == 2


async def test_concurrent_retries_create_once(client: httpx.AsyncClient, world: World) -> None:
    token = await world.token(await world.organisation())
    bodies = await asyncio.gather(
        *(gql(client, token, CREATE, {"name": "Oncology", "key": "race"}) for _ in range(4))
    )
    ids = {body["data"]["createAlliance"]["alliance"]["id"] for body in bodies}
    assert len(ids) == 1
    assert len((await gql(client, token, COUNT))["data"]["alliances"]["edges"]) == 1


async def test_without_a_key_each_call_creates(client: httpx.AsyncClient, world: World) -> None:
    token = await world.token(await world.organisation())
    for _ in range(2):
        await gql(client, token, CREATE, {"name": "Oncology", "key": None})
    assert len((await gql(client, token, COUNT))["data"]["alliances"]["edges"]) == 2
