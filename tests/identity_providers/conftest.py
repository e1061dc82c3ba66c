"""What the identity provider tests share: a real OpenID provider (tests/idp) for the
module, and the GraphQL documents that register, read and remove a provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.identity import IdentityProvider as ProviderRow
from tests.builders import Org, World, gql
from tests.idp.fixtures import start_provider
from tests.idp.harness import IdentityProvider

PROVIDER_FIELDS = """
  id issuer clientId audience algorithms subjectClaim emailClaim nameClaim roleClaim
  roleValues { value role } tenantClaim tenantIds provisionUnknown acceptAccessTokens
  authorizationEndpoint jwksUri createdAt updatedAt
"""
REGISTER = f"""
mutation Register($input: RegisterIdentityProviderInput!) {{
  registerIdentityProvider(input: $input) {{
    identityProvider {{ {PROVIDER_FIELDS} }}
    userErrors {{ field code message }}
  }}
}}
"""
READ = f"{{ identityProvider {{ {PROVIDER_FIELDS} }} }}"
REMOVE = """
mutation Remove($input: RemoveIdentityProviderInput!) {
  removeIdentityProvider(input: $input) {
    removedIdentityProviderId
    userErrors { field code message }
  }
}
"""
NODE = """
query Node($id: ID!) { node(id: $id) { __typename ... on IdentityProvider { issuer } } }
"""


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityProvider]:
    """A real OpenID provider (signing with ES256) for the module's tests."""
    yield from start_provider(tmp_path_factory, "registration", accounts=[], clients=[])


def registration(issuer: str, **overrides: Any) -> dict[str, Any]:
    """The variables of REGISTER: the portal's client at ``issuer``, with ``overrides``."""
    values: dict[str, Any] = {
        "issuer": issuer,
        "clientId": "alliance-portal",
        "clientSecret": "the-portal-client-secret-at-the-provider",
        "algorithms": ["ES256"],
    }
    values.update(overrides)
    return {"input": values}


async def register(
    client: httpx.AsyncClient, token: str, issuer: str, **overrides: Any
) -> dict[str, Any]:
    """The registerIdentityProvider payload (asserting no top-level error)."""
    body = await gql(client, token, REGISTER, registration(issuer, **overrides))
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["registerIdentityProvider"]
    return payload


async def stored(world: World, org: Org) -> ProviderRow | None:
    """The organisation's provider row, read past row-level security."""
    async with world.sessions() as session:
        found: ProviderRow | None = await session.scalar(
            select(ProviderRow).where(ProviderRow.organisation_id == org.id)
        )
        return found
