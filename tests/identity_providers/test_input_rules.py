"""What registerIdentityProvider refuses before it asks the provider anything: each rule
refused with a userError on its field, and nothing stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.builders import World, gql, user_errors
from tests.identity_providers.conftest import REGISTER, registration, stored

ISSUER = "https://idp.example"
"""Never asked: every case here is refused first."""

CASES: list[tuple[str, dict[str, Any], str, str]] = [
    ("plain-http", {"issuer": "http://idp.example"}, "issuer", "must use https"),
    ("no-host", {"issuer": "https:///realm"}, "issuer", "with a host"),
    ("relative", {"issuer": "/realms/helix"}, "issuer", "with a host"),
    ("query", {"issuer": "https://idp.example/?tenant=1"}, "issuer", "no query or fragment"),
    ("fragment", {"issuer": "https://idp.example/#x"}, "issuer", "no query or fragment"),
    ("userinfo", {"issuer": "https://me:pw@idp.example"}, "issuer", "user name or password"),
    ("bad-port", {"issuer": "https://idp.example:99999"}, "issuer", "not a valid URL"),
    ("too-long", {"issuer": ISSUER + "/" + "a" * 500}, "issuer", "at most 500"),
    ("empty-client-id", {"clientId": "  "}, "clientId", "1 to 255"),
    ("empty-secret", {"clientSecret": ""}, "clientSecret", "1 to 2000"),
    ("empty-subject-claim", {"subjectClaim": ""}, "subjectClaim", "1 to 100"),
    (
        "unknown-role",
        {"roleClaim": "groups", "roleValues": [{"value": "ops", "role": "owner"}]},
        "roleValues",
        "not a portal role",
    ),
    (
        "role-values-without-claim",
        {"roleValues": [{"value": "ops", "role": "admin"}]},
        "roleValues",
        "need a role claim",
    ),
    (
        "role-value-twice",
        {
            "roleClaim": "groups",
            "roleValues": [{"value": "ops", "role": "admin"}, {"value": "ops", "role": "viewer"}],
        },
        "roleValues",
        "once",
    ),
    ("tenant-claim-without-ids", {"tenantClaim": "tid"}, "tenantIds", "name the tenant ids"),
    ("ids-without-tenant-claim", {"tenantIds": ["helix"]}, "tenantIds", "need a tenant claim"),
    ("empty-tenant-id", {"tenantClaim": "tid", "tenantIds": [" "]}, "tenantIds", "1 to 255"),
    (
        "access-tokens-without-audience",
        {"acceptAccessTokens": True},
        "audience",
        "needs the audience",
    ),
    ("algorithm-none", {"algorithms": ["none"]}, "algorithms", "may not be used"),
    ("algorithm-hs256", {"algorithms": ["HS256"]}, "algorithms", "may not be used"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_a_rule_broken_is_refused_on_its_field(
    client: httpx.AsyncClient,
    world: World,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    body = await gql(client, admin, REGISTER, registration(**{"issuer": ISSUER, **overrides}))
    assert user_errors(body, "registerIdentityProvider") == [(field, "BAD_USER_INPUT")]
    assert message in body["data"]["registerIdentityProvider"]["userErrors"][0]["message"]
    assert body["data"]["registerIdentityProvider"]["identityProvider"] is None
    assert await stored(world, org) is None
