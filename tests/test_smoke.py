from __future__ import annotations

import httpx

from tests.builders import World, gql


async def test_viewer_sees_its_organisation(client: httpx.AsyncClient, world: World) -> None:
    org = await world.organisation("helix")
    token = await world.token(org)
    body = await gql(client, token, "{ viewer { scopes organisation { slug } } }")
    assert body == {
        "data": {
            "viewer": {
                "scopes": ["admin", "alliances:read", "alliances:write"],
                "organisation": {"slug": "helix"},
            }
        }
    }
