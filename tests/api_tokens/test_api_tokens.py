"""API tokens through GraphQL: createApiToken, revokeApiToken, apiTokens and node."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from auth.api_tokens import TOKEN_LENGTH, hash_token, is_well_formed
from auth.scopes import ALL_SCOPES, Scope
from db.enums import CredentialKind, UserRole
from db.models import ApiToken, AuditEntry, Event, utcnow
from tests.builders import Org, World, gid, gql

CREATE = """
mutation Create($input: CreateApiTokenInput!) {
  createApiToken(input: $input) {
    secret
    apiToken { id name lastFour scopes expiresAt lastUsedAt revokedAt createdAt }
    userErrors { field code message }
  }
}
"""
REVOKE = """
mutation Revoke($input: RevokeApiTokenInput!) {
  revokeApiToken(input: $input) {
    apiToken { id lastFour revokedAt }
    userErrors { field code message }
  }
}
"""
LIST = """
query List($includeRevoked: Boolean! = false) {
  apiTokens(includeRevoked: $includeRevoked) {
    edges { node { id name lastFour scopes expiresAt lastUsedAt revokedAt createdAt } }
  }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { __typename ... on ApiToken { id lastFour } } }"
VIEWER_SCOPES = "{ viewer { scopes } }"

READ = frozenset({Scope.ALLIANCES_READ})
READ_WRITE = frozenset({Scope.ALLIANCES_READ, Scope.ALLIANCES_WRITE})


def create_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "ci pipeline",
        "scopes": ["alliances:read"],
        "expiresAt": (utcnow() + dt.timedelta(days=30)).isoformat(),
    }
    values.update(overrides)
    return {"input": values}


def uuid_of(global_id: str) -> uuid.UUID:
    type_name, raw = base64.b64decode(global_id).decode().split(":", 1)
    assert type_name == "ApiToken"
    return uuid.UUID(raw)


async def token_id(client: httpx.AsyncClient, admin_token: str, secret: str) -> uuid.UUID:
    """A token's id, as its organisation's admin finds it through the API."""
    body = await gql(client, admin_token, LIST, {"includeRevoked": True})
    found = [
        edge["node"]["id"]
        for edge in body["data"]["apiTokens"]["edges"]
        if edge["node"]["lastFour"] == secret[-4:]
    ]
    assert len(found) == 1, body
    return uuid_of(found[0])


async def count_tokens(world: World, org: Org) -> int:
    async with world.sessions() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(ApiToken).where(ApiToken.organisation_id == org.id)
            )
            or 0
        )


async def records(world: World) -> tuple[list[Event], list[AuditEntry]]:
    """Every event and audit entry, read as the operator (no row-level security)."""
    async with world.sessions() as session:
        events = (await session.scalars(select(Event).order_by(Event.position))).all()
        audits = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        return list(events), list(audits)


async def record_ids(world: World) -> tuple[list[int], list[int]]:
    """Positions of every event and ids of every audit entry, to compare before/after."""
    events, audits = await records(world)
    return [e.position for e in events], [a.id for a in audits]


async def works(client: httpx.AsyncClient, token: str) -> bool:
    response = await client.post(
        "/graphql", json={"query": VIEWER_SCOPES}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code in {200, 401}, response.text
    return response.status_code == 200


def the_error(body: dict[str, Any]) -> str:
    """The code of the only top-level error of a refused operation that returned no data."""
    assert body["data"] is None, body
    assert len(body["errors"]) == 1, body
    return str(body["errors"][0]["extensions"]["code"])


# --- creating ---------------------------------------------------------------------------


async def test_created_secret_works_at_once_and_only_its_keyed_hash_is_stored(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation("helix")
    admin = await world.token(org)

    body = await gql(
        client, admin, CREATE, create_input(scopes=["alliances:read", "alliances:write"])
    )
    payload = body["data"]["createApiToken"]
    assert payload["userErrors"] == []
    secret = payload["secret"]
    assert secret.startswith("ap_")
    assert len(secret) == TOKEN_LENGTH
    assert is_well_formed(secret)
    node = payload["apiToken"]
    assert node["name"] == "ci pipeline"
    assert node["lastFour"] == secret[-4:]
    assert node["scopes"] == ["alliances:read", "alliances:write"]
    assert node["revokedAt"] is None
    assert node["lastUsedAt"] is None

    # it works as a bearer on the very next request, with the scopes asked for
    assert (await gql(client, secret, VIEWER_SCOPES))["data"]["viewer"]["scopes"] == [
        "alliances:read",
        "alliances:write",
    ]

    row = await world.get(ApiToken, uuid_of(node["id"]))
    assert row.organisation_id == org.id
    assert row.created_by_user_id == org.admin
    assert row.last_four == secret[-4:]
    assert row.token_hash != secret.encode()
    assert secret.encode() not in row.token_hash
    assert row.token_hash == hash_token(secret, world.secret)
    for column in ApiToken.__table__.columns:
        value = getattr(row, column.key)
        assert secret not in str(value)
        assert value != secret.encode()


async def test_two_tokens_never_share_a_secret(client: httpx.AsyncClient, world: World) -> None:
    org = await world.organisation()
    admin = await world.token(org)

    first = (await gql(client, admin, CREATE, create_input()))["data"]["createApiToken"]
    second = (await gql(client, admin, CREATE, create_input()))["data"]["createApiToken"]
    assert first["secret"] != second["secret"]
    assert first["apiToken"]["id"] != second["apiToken"]["id"]


async def test_api_tokens_never_expose_the_secret(client: httpx.AsyncClient, world: World) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    listed = await world.token(org, scopes=READ)

    body = await gql(client, admin, '{ __type(name: "ApiToken") { fields { name } } }')
    fields = {field["name"] for field in body["data"]["__type"]["fields"]}
    assert fields == {
        "id",
        "name",
        "lastFour",
        "scopes",
        "expiresAt",
        "lastUsedAt",
        "revokedAt",
        "createdAt",
        "trustedDocumentsOnly",
    }

    response = await client.post(
        "/graphql", json={"query": LIST}, headers={"Authorization": f"Bearer {admin}"}
    )
    edges = response.json()["data"]["apiTokens"]["edges"]
    assert {edge["node"]["lastFour"] for edge in edges} == {admin[-4:], listed[-4:]}
    row = await world.get(ApiToken, await token_id(client, admin, listed))
    for leak in (listed, listed[3:-4], admin, row.token_hash.hex()):
        assert leak not in response.text


async def test_a_token_cannot_grant_scopes_it_lacks(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation()
    limited = await world.token(org, scopes=frozenset({Scope.ALLIANCES_READ, Scope.ADMIN}))
    full = await world.token(org)
    tokens_before = await count_tokens(world, org)
    recorded_before = await record_ids(world)

    body = await gql(
        client, limited, CREATE, create_input(scopes=["alliances:read", "alliances:write"])
    )
    payload = body["data"]["createApiToken"]
    assert payload["secret"] is None
    assert payload["apiToken"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [("scopes", "FORBIDDEN")]
    assert await count_tokens(world, org) == tokens_before
    assert await record_ids(world) == recorded_before

    # within its own scopes it may issue
    body = await gql(client, limited, CREATE, create_input(scopes=["admin", "alliances:read"]))
    assert body["data"]["createApiToken"]["userErrors"] == []
    # and a credential holding alliances:write may grant it
    body = await gql(
        client, full, CREATE, create_input(scopes=["alliances:read", "alliances:write"])
    )
    assert body["data"]["createApiToken"]["userErrors"] == []
    assert await count_tokens(world, org) == tokens_before + 2


async def test_a_token_made_by_a_member_cannot_grant_admin(
    client: httpx.AsyncClient, world: World
) -> None:
    """The creator's role caps the token at authentication: a demoted admin's tokens lose
    admin, so they cannot mint a fresh one that has it."""
    org = await world.organisation()
    by_member = await world.token(org, scopes=ALL_SCOPES, role=UserRole.MEMBER)
    by_admin = await world.token(org, scopes=ALL_SCOPES, role=UserRole.ADMIN)
    before = await count_tokens(world, org)

    body = await gql(client, by_member, CREATE, create_input(scopes=["admin"]))
    assert the_error(body) == "FORBIDDEN"
    assert await count_tokens(world, org) == before

    body = await gql(client, by_admin, CREATE, create_input(scopes=["admin"]))
    assert body["data"]["createApiToken"]["userErrors"] == []
    assert await count_tokens(world, org) == before + 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"scopes": ["alliances:read", "alliances:delete"]}, "scopes"),
        ({"scopes": ["ADMIN"]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"expiresAt": (utcnow() - dt.timedelta(minutes=1)).isoformat()}, "expiresAt"),
        (
            {"expiresAt": (utcnow() + dt.timedelta(days=1)).replace(tzinfo=None).isoformat()},
            "expiresAt",
        ),
        ({"expiresAt": (utcnow() + dt.timedelta(days=366)).isoformat()}, "expiresAt"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
    ],
    ids=[
        "unknown-scope",
        "scope-wrong-case",
        "no-scopes",
        "expired-already",
        "no-time-zone",
        "beyond-a-year",
        "empty-name",
        "blank-name",
        "long-name",
    ],
)
async def test_bad_input_is_refused_and_creates_nothing(
    client: httpx.AsyncClient, world: World, overrides: dict[str, Any], field: str
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    before = await count_tokens(world, org)

    body = await gql(client, admin, CREATE, create_input(**overrides))
    payload = body["data"]["createApiToken"]
    assert payload["secret"] is None
    assert payload["apiToken"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, "BAD_USER_INPUT")]
    assert payload["userErrors"][0]["message"]
    assert await count_tokens(world, org) == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"expiresAt": (utcnow() + dt.timedelta(days=364)).isoformat()},
        {
            "expiresAt": (utcnow() + dt.timedelta(days=30))
            .astimezone(dt.timezone(dt.timedelta(hours=-5)))
            .isoformat()
        },
        {"name": "x" * 100},
        {"scopes": ["alliances:read", "alliances:read"]},
    ],
    ids=["almost-a-year", "other-time-zone", "longest-name", "repeated-scope"],
)
async def test_input_at_the_limits_is_accepted(
    client: httpx.AsyncClient, world: World, overrides: dict[str, Any]
) -> None:
    org = await world.organisation()
    admin = await world.token(org)

    body = await gql(client, admin, CREATE, create_input(**overrides))
    payload = body["data"]["createApiToken"]
    assert payload["userErrors"] == []
    assert await works(client, payload["secret"])


# --- who may manage tokens ----------------------------------------------------------------

NON_ADMINS = [
    pytest.param({"role": UserRole.MEMBER}, id="made-by-member"),
    pytest.param({"role": UserRole.VIEWER}, id="made-by-viewer"),
    pytest.param({"role": UserRole.ADMIN, "scopes": READ_WRITE}, id="admin-without-admin-scope"),
]


@pytest.mark.parametrize("principal", NON_ADMINS)
async def test_create_needs_the_admin_scope(
    client: httpx.AsyncClient, world: World, principal: dict[str, Any]
) -> None:
    org = await world.organisation()
    wrong = await world.token(org, **principal)
    right = await world.token(org)
    before = await count_tokens(world, org)
    recorded_before = await record_ids(world)

    body = await gql(client, wrong, CREATE, create_input())
    assert the_error(body) == "FORBIDDEN"
    assert body["errors"][0]["path"] == ["createApiToken"]
    assert await count_tokens(world, org) == before
    assert await record_ids(world) == recorded_before

    body = await gql(client, right, CREATE, create_input())
    assert body["data"]["createApiToken"]["userErrors"] == []
    assert await count_tokens(world, org) == before + 1


@pytest.mark.parametrize("principal", NON_ADMINS)
async def test_listing_needs_the_admin_scope(
    client: httpx.AsyncClient, world: World, principal: dict[str, Any]
) -> None:
    org = await world.organisation()
    wrong = await world.token(org, **principal)
    right = await world.token(org)

    assert the_error(await gql(client, wrong, LIST)) == "FORBIDDEN"

    body = await gql(client, right, LIST)
    assert len(body["data"]["apiTokens"]["edges"]) == 2


@pytest.mark.parametrize("principal", NON_ADMINS)
async def test_revoking_needs_the_admin_scope(
    client: httpx.AsyncClient, world: World, principal: dict[str, Any]
) -> None:
    org = await world.organisation()
    wrong = await world.token(org, **principal)
    right = await world.token(org)
    target = await world.token(org, scopes=READ)
    target_gid = gid("ApiToken", await token_id(client, right, target))

    body = await gql(client, wrong, REVOKE, {"input": {"apiToken": target_gid}})
    assert the_error(body) == "FORBIDDEN"
    assert await works(client, target)

    body = await gql(client, right, REVOKE, {"input": {"apiToken": target_gid}})
    assert body["data"]["revokeApiToken"]["userErrors"] == []
    assert not await works(client, target)


# --- revoking -----------------------------------------------------------------------------


async def test_a_revoked_token_is_refused_on_its_next_request(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    victim = await world.token(org, scopes=READ)
    victim_id = await token_id(client, admin, victim)
    assert await works(client, victim)

    started = utcnow()
    body = await gql(client, admin, REVOKE, {"input": {"apiToken": gid("ApiToken", victim_id)}})
    payload = body["data"]["revokeApiToken"]
    assert payload["userErrors"] == []
    assert payload["apiToken"]["id"] == gid("ApiToken", victim_id)
    assert payload["apiToken"]["lastFour"] == victim[-4:]
    assert dt.datetime.fromisoformat(payload["apiToken"]["revokedAt"]) >= started

    assert not await works(client, victim)
    row = await world.get(ApiToken, victim_id)
    assert row.revoked_at is not None
    assert row.revoked_by_user_id == org.admin
    # gone from the default list, still in the full one
    listed = await gql(client, admin, LIST)
    assert victim[-4:] not in {e["node"]["lastFour"] for e in listed["data"]["apiTokens"]["edges"]}
    everything = await gql(client, admin, LIST, {"includeRevoked": True})
    revoked = [
        e["node"]
        for e in everything["data"]["apiTokens"]["edges"]
        if e["node"]["lastFour"] == victim[-4:]
    ]
    assert revoked[0]["revokedAt"] == payload["apiToken"]["revokedAt"]


async def test_a_token_may_revoke_itself(client: httpx.AsyncClient, world: World) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    own_id = await token_id(client, admin, admin)

    body = await gql(client, admin, REVOKE, {"input": {"apiToken": gid("ApiToken", own_id)}})
    assert body["data"]["revokeApiToken"]["userErrors"] == []
    assert not await works(client, admin)


async def test_revoking_twice_is_idempotent(client: httpx.AsyncClient, world: World) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    victim = await world.token(org, scopes=READ)
    victim_gid = gid("ApiToken", await token_id(client, admin, victim))

    first = await gql(client, admin, REVOKE, {"input": {"apiToken": victim_gid}})
    assert first["data"]["revokeApiToken"]["userErrors"] == []
    recorded = await record_ids(world)

    second = await gql(client, admin, REVOKE, {"input": {"apiToken": victim_gid}})
    assert second == first
    # nothing changed, so nothing was recorded
    assert await record_ids(world) == recorded
    assert not await works(client, victim)


async def test_another_organisations_token_looks_like_no_token_at_all(
    client: httpx.AsyncClient, world: World
) -> None:
    a, b = await world.organisation("alpha"), await world.organisation("beta")
    a_admin, b_admin = await world.token(a), await world.token(b)
    a_worker = await world.token(a, scopes=READ)
    a_worker_gid = gid("ApiToken", await token_id(client, a_admin, a_worker))
    made_up_gid = gid("ApiToken", uuid.uuid4())

    attack = await gql(client, b_admin, REVOKE, {"input": {"apiToken": a_worker_gid}})
    made_up = await gql(client, b_admin, REVOKE, {"input": {"apiToken": made_up_gid}})
    assert attack["data"]["revokeApiToken"]["apiToken"] is None
    assert [e["code"] for e in attack["data"]["revokeApiToken"]["userErrors"]] == ["NOT_FOUND"]
    assert attack == made_up
    assert await works(client, a_worker)
    assert (await world.get(ApiToken, uuid_of(a_worker_gid))).revoked_at is None

    # its own organisation's admin can revoke it
    body = await gql(client, a_admin, REVOKE, {"input": {"apiToken": a_worker_gid}})
    assert body["data"]["revokeApiToken"]["userErrors"] == []
    assert not await works(client, a_worker)


@pytest.mark.parametrize(
    ("make_id", "code"),
    [
        (lambda: gid("ApiToken", uuid.uuid4()), "NOT_FOUND"),
        (lambda: gid("Alliance", uuid.uuid4()), "NOT_FOUND"),
        (lambda: "not-a-global-id", "BAD_USER_INPUT"),
    ],
    ids=["unknown-token", "other-type", "garbage"],
)
async def test_revoke_errors_name_the_input_field(
    client: httpx.AsyncClient, world: World, make_id: Any, code: str
) -> None:
    org = await world.organisation()
    admin = await world.token(org)

    body = await gql(client, admin, REVOKE, {"input": {"apiToken": make_id()}})
    errors = body["data"]["revokeApiToken"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [("apiToken", code)]


async def test_node_never_shows_another_organisations_token(
    client: httpx.AsyncClient, world: World
) -> None:
    a, b = await world.organisation("alpha"), await world.organisation("beta")
    a_admin, b_admin = await world.token(a), await world.token(b)
    a_member = await world.token(a, role=UserRole.MEMBER)
    a_token_gid = gid("ApiToken", await token_id(client, a_admin, a_admin))

    for stranger in (b_admin, a_member):
        body = await gql(client, stranger, NODE, {"id": a_token_gid})
        assert body == {"data": {"node": None}}
        made_up = await gql(client, stranger, NODE, {"id": gid("ApiToken", uuid.uuid4())})
        assert made_up == body

    body = await gql(client, a_admin, NODE, {"id": a_token_gid})
    assert body == {
        "data": {"node": {"__typename": "ApiToken", "id": a_token_gid, "lastFour": a_admin[-4:]}}
    }


# --- what is recorded -----------------------------------------------------------------------


def _no_hash_in(changes: dict[str, Any], row: ApiToken) -> None:
    text = json.dumps(changes)
    assert row.token_hash.hex() not in text
    assert base64.b64encode(row.token_hash).decode() not in text
    if "token_hash" in changes:
        value = changes["token_hash"]
        assert value == "[redacted]" or value == {"from": "[redacted]", "to": "[redacted]"}


async def test_every_token_mutation_writes_one_event_and_one_audit_entry(
    client: httpx.AsyncClient, world: World
) -> None:
    org = await world.organisation()
    admin = await world.token(org)
    admin_id = await token_id(client, admin, admin)
    events_at_start, audits_at_start = await records(world)

    response = await client.post(
        "/graphql",
        json={"query": CREATE, "variables": create_input(scopes=["alliances:read"])},
        headers={"Authorization": f"Bearer {admin}", "X-Request-ID": "create-1"},
    )
    payload = response.json()["data"]["createApiToken"]
    assert payload["userErrors"] == []
    new_id = uuid_of(payload["apiToken"]["id"])
    row = await world.get(ApiToken, new_id)

    events, audits = await records(world)
    new_events = events[len(events_at_start) :]
    new_audits = audits[len(audits_at_start) :]
    assert [(e.type, e.object_type, e.object_id) for e in new_events] == [
        ("apitoken.created", "ApiToken", new_id)
    ]
    assert new_events[0].organisation_id == org.id
    assert new_events[0].alliance_id is None
    assert new_events[0].request_id == "create-1"
    assert [(a.action, a.object_type, a.object_id) for a in new_audits] == [
        ("apitoken.created", "ApiToken", new_id)
    ]
    created = new_audits[0]
    assert created.organisation_id == org.id
    assert created.user_id == org.admin
    assert created.credential_kind is CredentialKind.API_TOKEN
    assert created.credential_id == admin_id
    assert created.request_id == "create-1"
    assert created.changes["token_hash"] == "[redacted]"
    assert created.changes["last_four"] == payload["secret"][-4:]
    assert payload["secret"] not in json.dumps(created.changes)
    _no_hash_in(created.changes, row)

    response = await client.post(
        "/graphql",
        json={"query": REVOKE, "variables": {"input": {"apiToken": gid("ApiToken", new_id)}}},
        headers={"Authorization": f"Bearer {admin}", "X-Request-ID": "revoke-1"},
    )
    assert response.json()["data"]["revokeApiToken"]["userErrors"] == []

    events_after, audits_after = await records(world)
    assert [(e.type, e.object_id, e.request_id) for e in events_after[len(events) :]] == [
        ("apitoken.updated", new_id, "revoke-1")
    ]
    revoked = audits_after[len(audits) :]
    assert [(a.action, a.object_id, a.request_id) for a in revoked] == [
        ("apitoken.updated", new_id, "revoke-1")
    ]
    assert revoked[0].credential_kind is CredentialKind.API_TOKEN
    assert revoked[0].credential_id == admin_id
    assert revoked[0].user_id == org.admin
    assert set(revoked[0].changes) == {"revoked_at", "revoked_by_user_id"}
    assert revoked[0].changes["revoked_at"]["from"] is None
    assert revoked[0].changes["revoked_by_user_id"] == {"from": None, "to": str(org.admin)}
    _no_hash_in(revoked[0].changes, row)
    # the audit chain links the new entries to what came before
    assert revoked[0].previous_hash == created.entry_hash


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (CREATE, create_input(scopes=["alliances:write"])),
        (CREATE, create_input(scopes=[])),
        (REVOKE, {"input": {"apiToken": gid("ApiToken", uuid.uuid4())}}),
    ],
    ids=["escalation", "bad-input", "unknown-token"],
)
async def test_refused_mutations_record_nothing(
    client: httpx.AsyncClient, world: World, query: str, variables: dict[str, Any]
) -> None:
    org = await world.organisation()
    limited = await world.token(org, scopes=frozenset({Scope.ALLIANCES_READ, Scope.ADMIN}))
    before = await record_ids(world)

    body = await gql(client, limited, query, variables)
    assert body["data"] is not None
    assert next(iter(body["data"].values()))["userErrors"]
    assert await record_ids(world) == before
