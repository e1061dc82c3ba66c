from __future__ import annotations

import httpx

from auth.scopes import ALL_SCOPES
from tests.builders import World, gql


async def test_viewer_sees_its_organisation(client: httpx.AsyncClient, world: World) -> None:
    org = await world.organisation("helix")
    token = await world.token(org)
    body = await gql(client, token, "{ viewer { scopes organisation { slug } } }")
    assert body == {
        "data": {
            "viewer": {
                "scopes": sorted(scope.value for scope in ALL_SCOPES),
                "organisation": {"slug": "helix"},
            }
        }
    }
