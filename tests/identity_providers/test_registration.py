"""Registering an organisation's identity provider against a real OpenID provider: what is
checked, what is stored (the client secret sealed), who may, and who sees it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from db.enums import UserRole
from db.identity import IdentityProvider as ProviderRow
from db.models import AuditEntry
from portal.identity_providers import CLIENT_SECRET_PURPOSE
from portal.settings import Settings
from portal.signin.sealing import unseal
from tests.builders import World, db_id, gql, succeeded, top_level_codes, user_errors
from tests.identity_providers.conftest import (
    NODE,
    READ,
    REGISTER,
    REMOVE,
    register,
    registration,
    stored,
)
from tests.idp.harness import IdentityProvider

SECRET = "the-portal-client-secret-at-the-provider"


def errors_of(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["userErrors"]]


async def test_registration_checks_the_provider_and_stores_the_secret_sealed(
    client: httpx.AsyncClient, world: World, settings: Settings, idp: IdentityProvider
) -> None:
    org = await world.organisation()
    admin = await world.token(org)

    payload = await register(
        client,
        admin,
        idp.issuer,
        audience="https://portal.test/graphql",
        roleClaim="groups",
        roleValues=[{"value": "portal-admins", "role": "admin"}],
        provisionUnknown=True,
        acceptAccessTokens=True,
    )
    assert payload["userErrors"] == []
    provider = payload["identityProvider"]
    assert provider["issuer"] == idp.issuer
    assert provider["clientId"] == "alliance-portal"
    assert provider["algorithms"] == ["ES256"]
    assert provider["subjectClaim"] == "sub"
    assert provider["roleValues"] == [{"value": "portal-admins", "role": "admin"}]
    assert provider["tenantClaim"] is None
    assert provider["tenantIds"] == []
    assert provider["provisionUnknown"] is True
    assert provider["acceptAccessTokens"] is True
    assert provider["authorizationEndpoint"] == f"{idp.issuer}/auth"
    assert provider["jwksUri"] == f"{idp.issuer}/jwks"

    row = await stored(world, org)
    assert row is not None
    assert row.id == db_id(provider["id"])
    assert row.created_by_user_id == org.admin
    assert row.metadata_["issuer"] == idp.issuer
    async with world.sessions() as session:  # the operator reads the column the app cannot
        sealed = await session.scalar(
            select(ProviderRow.client_secret_encrypted).where(ProviderRow.id == row.id)
        )
    assert sealed is not None
    assert SECRET.encode() not in sealed
    assert unseal(settings.sealing_key, sealed, purpose=CLIENT_SECRET_PURPOSE) == SECRET

    # the audit trail records the change, never the secret
    async with world.sessions() as session:
        audits = (await session.scalars(select(AuditEntry))).all()
    recorded = [a for a in audits if a.object_type == "IdentityProvider"]
    assert len(recorded) == 1
    assert SECRET not in str(recorded[0].changes)
    assert recorded[0].changes["client_secret_encrypted"] == "[redacted]"


async def test_no_query_ever_returns_the_client_secret(
    client: httpx.AsyncClient, world: World, idp: IdentityProvider
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    payload = await register(client, admin, idp.issuer)

    response = await client.post(
        "/graphql", json={"query": READ}, headers={"Authorization": f"Bearer {admin}"}
    )
    assert response.json()["data"]["identityProvider"]["id"] == payload["identityProvider"]["id"]
    assert SECRET not in response.text
    body = await gql(client, admin, '{ __type(name: "IdentityProvider") { fields { name } } }')
    fields = {field["name"] for field in body["data"]["__type"]["fields"]}
    assert not {name for name in fields if "secret" in name.lower()}


async def test_registering_again_replaces_the_registration(
    client: httpx.AsyncClient, world: World, idp: IdentityProvider
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    first = (await register(client, admin, idp.issuer))["identityProvider"]

    again = await register(
        client, admin, idp.issuer, clientId="portal-2", clientSecret=None, nameClaim="nickname"
    )
    assert again["userErrors"] == []
    second = again["identityProvider"]
    assert second["id"] == first["id"]
    assert second["createdAt"] == first["createdAt"]
    assert second["updatedAt"] > first["updatedAt"]
    assert (second["clientId"], second["nameClaim"]) == ("portal-2", "nickname")
    async with world.sessions() as session:
        sealed = await session.scalar(
            select(ProviderRow.client_secret_encrypted).where(ProviderRow.organisation_id == org.id)
        )
    assert sealed is None  # no secret given this time: the portal is a public client there
    assert await world.count(ProviderRow) == 1


@pytest.mark.parametrize(
    ("suffix", "message"),
    [("/", "names its issuer 'http://127.0.0.1:"), ("/tenant", "HTTP 404")],
    ids=["trailing-slash", "other-path"],
)
async def test_an_issuer_not_exactly_the_providers_is_refused(
    client: httpx.AsyncClient, world: World, idp: IdentityProvider, suffix: str, message: str
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    payload = await register(client, admin, idp.issuer + suffix)
    assert errors_of(payload) == [("issuer", "BAD_USER_INPUT")]
    assert message in payload["userErrors"][0]["message"]
    assert payload["identityProvider"] is None
    assert await stored(world, org) is None


async def test_a_provider_that_is_down_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, world: World, tmp_path_factory: pytest.TempPathFactory
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    provider = IdentityProvider(tmp_path_factory.mktemp("idp-down"), accounts=[], clients=[])
    with provider:
        issuer = provider.issuer
    # stopped: nothing listens on its port any more

    payload = await register(client, admin, issuer)
    [error] = payload["userErrors"]
    assert (error["field"], error["code"]) == ("issuer", "BAD_USER_INPUT")
    assert "could not be reached" in error["message"]
    assert await stored(world, org) is None
    async with world.sessions() as session:
        audited = await session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "IdentityProvider")
        )
        assert audited.all() == []


@pytest.mark.parametrize(
    ("algorithms", "message"),
    [
        (["none"], "none may not be used"),
        (["HS256"], "HS256 may not be used"),
        (["ES256", "HS512"], "HS512 may not be used"),
        ([], "at least one"),
        (["RS256"], "signs ID tokens with none of RS256 (it lists ES256)"),
    ],
    ids=["none", "hs256", "hs512-among-others", "empty", "unsupported-by-the-provider"],
)
async def test_algorithms_must_be_asymmetric_and_supported(
    client: httpx.AsyncClient,
    world: World,
    idp: IdentityProvider,
    algorithms: list[str],
    message: str,
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    payload = await register(client, admin, idp.issuer, algorithms=algorithms)
    [error] = payload["userErrors"]
    assert (error["field"], error["code"]) == ("algorithms", "BAD_USER_INPUT")
    assert message in error["message"]
    assert await stored(world, org) is None


# --- one issuer, several organisations --------------------------------------------------


async def test_a_second_organisation_shares_an_issuer_only_with_disjoint_tenants(
    client: httpx.AsyncClient, world: World, idp: IdentityProvider
) -> None:
    first, second, third = [await world.organisation(slug) for slug in ("helix", "orbit", "nova")]
    first_admin, second_admin, third_admin = [await world.token(o) for o in (first, second, third)]
    succeeded(
        await gql(client, first_admin, REGISTER, registration(idp.issuer)),
        "registerIdentityProvider",
    )

    # the first organisation signs in through the issuer without a tenant claim: taken
    for tenants in ({}, {"tenantClaim": "tid", "tenantIds": ["orbit"]}):
        payload = await register(client, second_admin, idp.issuer, **tenants)
        [error] = payload["userErrors"]
        assert (error["field"], error["code"]) == ("issuer", "BAD_USER_INPUT")
        assert "another organisation" in error["message"]
        for name in ("helix", "Helix", str(first.id)):  # which one is never said
            assert name not in error["message"]
        assert await stored(world, second) is None

    # once the first names its tenant, a second with another tenant is accepted
    tenant = {"tenantClaim": "tid"}
    await register(client, first_admin, idp.issuer, tenantIds=["helix"], **tenant)
    payload = await register(client, second_admin, idp.issuer, tenantIds=["orbit"], **tenant)
    assert payload["userErrors"] == []
    assert payload["identityProvider"]["tenantIds"] == ["orbit"]

    # a third overlapping either is refused; without a tenant claim too
    for tenants in ({"tenantIds": ["nova", "orbit"], **tenant}, {}):
        payload = await register(client, third_admin, idp.issuer, **tenants)
        assert errors_of(payload) == [("issuer", "BAD_USER_INPUT")]
    assert await stored(world, third) is None
    payload = await register(client, third_admin, idp.issuer, tenantIds=["nova"], **tenant)
    assert payload["userErrors"] == []

    # an organisation registering again keeps its own tenants: its own row is no clash
    payload = await register(
        client, second_admin, idp.issuer, tenantIds=["orbit", "orbit-eu"], **tenant
    )
    assert payload["userErrors"] == []


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [UserRole.MEMBER, UserRole.VIEWER])
async def test_only_admins_register_read_and_remove(
    client: httpx.AsyncClient, world: World, idp: IdentityProvider, role: UserRole
) -> None:
    org = await world.organisation()
    admin, other = await world.token(org), await world.token(org, role=role)

    body = await gql(client, other, REGISTER, registration(idp.issuer))
    assert body["data"] is None
    assert top_level_codes(body) == ["FORBIDDEN"]
    assert await stored(world, org) is None

    payload = succeeded(
        await gql(client, admin, REGISTER, registration(idp.issuer)), "registerIdentityProvider"
    )
    provider_id = payload["identityProvider"]["id"]
    for query, variables in (
        (READ, {}),
        (REMOVE, {"input": {"identityProvider": provider_id}}),
    ):
        body = await gql(client, other, query, variables)
        assert top_level_codes(body) == ["FORBIDDEN"], body
    assert (await gql(client, other, NODE, {"id": provider_id}))["data"]["node"] is None
    assert await stored(world, org) is not None

    body = await gql(client, admin, REMOVE, {"input": {"identityProvider": provider_id}})
    assert succeeded(body, "removeIdentityProvider")["removedIdentityProviderId"] == provider_id
    assert await stored(world, org) is None


async def test_another_organisations_admin_neither_sees_nor_removes_the_provider(
    client: httpx.AsyncClient, world: World, idp: IdentityProvider
) -> None:
    owner, stranger = await world.organisation(), await world.organisation()
    owner_admin, stranger_admin = await world.token(owner), await world.token(stranger)
    payload = await register(client, owner_admin, idp.issuer)
    provider_id = payload["identityProvider"]["id"]

    assert (await gql(client, stranger_admin, READ))["data"]["identityProvider"] is None
    assert (await gql(client, stranger_admin, NODE, {"id": provider_id}))["data"]["node"] is None
    body = await gql(client, stranger_admin, REMOVE, {"input": {"identityProvider": provider_id}})
    assert user_errors(body, "removeIdentityProvider") == [("identityProvider", "NOT_FOUND")]
    assert await stored(world, owner) is not None

    # the owner sees it, by the query and by ID
    assert (await gql(client, owner_admin, READ))["data"]["identityProvider"]["id"] == provider_id
    node = (await gql(client, owner_admin, NODE, {"id": provider_id}))["data"]["node"]
    assert node == {"__typename": "IdentityProvider", "issuer": idp.issuer}


async def test_two_organisations_registering_one_issuer_at_once_cannot_both_succeed(
    client: httpx.AsyncClient, world: World, idp: IdentityProvider
) -> None:
    orgs = [await world.organisation() for _ in range(2)]
    tokens = [await world.token(org) for org in orgs]

    payloads = await asyncio.gather(*(register(client, token, idp.issuer) for token in tokens))
    assert sorted(len(payload["userErrors"]) for payload in payloads) == [0, 1]
    assert await world.count(ProviderRow) == 1
