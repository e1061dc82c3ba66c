"""Persisted documents through the ASGI app: Apollo's automatic persisted queries (miss,
register, hit, over GET and POST), GraphQL over HTTP's ``documentId``, trusted documents
registered by an admin, tokens that run trusted documents only, tenant isolation (also as
raw SQL under another tenant's context), and two server processes sharing the store."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.scopes import Scope
from db.enums import DocumentKind, UserRole
from db.models import AuditEntry, utcnow
from db.persisted import PersistedDocument
from db.session import SERVER_ROLE, create_engine, tenant_session
from portal import persisted
from portal.app import create_app
from portal.audit import verify_audit_trail
from portal.database import as_role
from portal.settings import Settings
from tests.builders import Org, World

ME = "query Me { viewer { organisation { slug } } }"
SCOPES = "query Scopes { viewer { scopes } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"

REGISTER = """
mutation Register($input: RegisterTrustedDocumentsInput!) {
  registerTrustedDocuments(input: $input) {
    documents { documentId client createdAt }
    userErrors { field code message }
  }
}
"""
CREATE_TOKEN = """
mutation Create($input: CreateApiTokenInput!) {
  createApiToken(input: $input) {
    secret
    apiToken { trustedDocumentsOnly }
    userErrors { field code }
  }
}
"""


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def apq(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(document)}}


async def send(
    client: httpx.AsyncClient,
    token: str,
    method: str = "POST",
    accept: str | None = None,
    **params: Any,
) -> httpx.Response:
    """A GraphQL request of ``params`` (``query``, ``variables``, ``extensions``,
    ``documentId``...) over GET (JSON-encoded in the URL) or POST."""
    headers = {"Authorization": f"Bearer {token}"}
    if accept is not None:
        headers["Accept"] = accept
    if method == "GET":
        query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        return await client.get("/graphql", params=query, headers=headers)
    return await client.post("/graphql", json=params, headers=headers)


def errors(response: httpx.Response) -> list[tuple[str, str]]:
    """The ``(message, code)`` of each top-level error."""
    return [(e["message"], e["extensions"]["code"]) for e in response.json().get("errors", [])]


def codes(response: httpx.Response) -> list[str]:
    return [code for _, code in errors(response)]


def slug_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return str(body["data"]["viewer"]["organisation"]["slug"])


async def stored(world: World) -> dict[tuple[str, str], DocumentKind]:
    """Every persisted document, read past row-level security: (organisation slug, hash)."""
    async with world.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT o.slug, d.sha256, d.kind FROM persisted_documents d "
                "JOIN organisations o ON o.id = d.organisation_id"
            )
        )
        return {(row.slug, row.sha256): DocumentKind(row.kind) for row in rows}


async def register(
    client: httpx.AsyncClient, token: str, documents: list[str], name: str = "partner-web"
) -> httpx.Response:
    return await send(
        client,
        token,
        query=REGISTER,
        variables={
            "input": {
                "client": name,
                "documents": [{"hash": sha(d), "document": d} for d in documents],
            }
        },
    )


async def trusted_only_token(client: httpx.AsyncClient, admin_token: str) -> str:
    """A token made through the API for trusted documents only."""
    response = await send(
        client,
        admin_token,
        query=CREATE_TOKEN,
        variables={
            "input": {
                "name": "partner web",
                "scopes": ["alliances:read", "admin"],
                "expiresAt": (utcnow() + dt.timedelta(days=30)).isoformat(),
                "trustedDocumentsOnly": True,
            }
        },
    )
    payload = response.json()["data"]["createApiToken"]
    assert payload["userErrors"] == []
    assert payload["apiToken"]["trustedDocumentsOnly"] is True
    return str(payload["secret"])


@pytest.fixture
async def helix(world: World) -> Org:
    return await world.organisation("helix")


@pytest.fixture
async def token(world: World, helix: Org) -> str:
    return await world.token(helix)


# --- automatic persisted queries -----------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_apq_misses_then_registers_then_hits(
    client: httpx.AsyncClient, world: World, token: str, method: str
) -> None:
    miss = await send(client, token, method, extensions=apq(ME))
    # what Apollo clients expect, so they send the query with its hash next
    assert miss.status_code == 200
    assert miss.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    assert miss.headers["cache-control"] == "private, no-cache, must-revalidate"
    assert await stored(world) == {}

    assert slug_of(await send(client, token, method, query=ME, extensions=apq(ME))) == "helix"
    assert await stored(world) == {("helix", sha(ME)): DocumentKind.AUTOMATIC}

    assert slug_of(await send(client, token, method, extensions=apq(ME))) == "helix"
    hit = await send(client, token, method, extensions=apq(ME), operationName="Me")
    assert slug_of(hit) == "helix"


async def test_a_miss_answers_200_in_either_media_type(
    client: httpx.AsyncClient, token: str
) -> None:
    miss = await send(client, token, accept=GRAPHQL_RESPONSE, extensions=apq(ME))
    assert miss.status_code == 200
    assert miss.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert codes(miss) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_hash_that_is_not_the_querys_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, world: World, token: str, method: str
) -> None:
    response = await send(client, token, method, query=ME, extensions=apq(SCOPES))
    assert response.status_code == 400
    assert errors(response) == [("provided sha does not match query", "BAD_USER_INPUT")]
    assert "data" not in response.json()
    assert await stored(world) == {}


@pytest.mark.parametrize(
    "params",
    [
        {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": sha(ME)}}},
        {"extensions": {"persistedQuery": {"version": True, "sha256Hash": sha(ME)}}},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}},
        {"extensions": {"persistedQuery": {"version": 1}}},
        {"extensions": {"persistedQuery": "yes"}},
        {"documentId": sha(ME)},  # the prefix is missing
        {"documentId": "md5:0123456789abcdef0123456789abcdef"},
        {"documentId": 42},
        {"documentId": f"sha256:{sha(ME)}", "query": ME},
        {"documentId": f"sha256:{sha(ME)}", "extensions": apq(ME)},
    ],
    ids=[
        "apq-version-2",
        "apq-version-true",
        "apq-short-hash",
        "apq-no-hash",
        "apq-not-an-object",
        "document-id-unprefixed",
        "document-id-md5",
        "document-id-number",
        "document-id-and-query",
        "document-id-and-apq",
    ],
)
async def test_malformed_persisted_parameters_are_refused_with_400(
    client: httpx.AsyncClient, world: World, token: str, params: dict[str, Any]
) -> None:
    for accept in (None, GRAPHQL_RESPONSE):
        response = await send(client, token, accept=accept, **params)
        assert response.status_code == 400, response.text
        assert codes(response) == ["BAD_USER_INPUT"]
    assert await stored(world) == {}


async def test_only_a_document_that_ran_without_errors_is_kept(
    client: httpx.AsyncClient, world: World, token: str
) -> None:
    invalid = "{ viewer { nothingHere } }"
    refused = await send(client, token, query=invalid, extensions=apq(invalid))
    assert codes(refused) == ["BAD_USER_INPUT"]
    deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType"
    deep += " { name } } } } } } } } } }"  # depth 9
    too_deep = await send(client, token, query=deep, extensions=apq(deep))
    assert codes(too_deep) == ["QUERY_TOO_COMPLEX"]
    assert await stored(world) == {}


async def test_the_oldest_automatic_documents_are_evicted_beyond_the_cap(
    client: httpx.AsyncClient, world: World, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(persisted, "MAX_AUTOMATIC_DOCUMENTS", 2)
    documents = [f"query Q{i} {{ viewer {{ scopes }} }}" for i in range(3)]
    for document in documents:
        response = await send(client, token, query=document, extensions=apq(document))
        assert "errors" not in response.json()
    assert set(await stored(world)) == {("helix", sha(d)) for d in documents[1:]}
    assert codes(await send(client, token, extensions=apq(documents[0]))) == [
        "PERSISTED_QUERY_NOT_FOUND"
    ]


# --- documentId and trusted documents -----------------------------------------------------


async def test_registering_trusted_documents_needs_the_admin_scope(
    client: httpx.AsyncClient, world: World, helix: Org
) -> None:
    reader = await world.token(helix, scopes=frozenset({Scope.ALLIANCES_READ}))
    member = await world.token(helix, role=UserRole.MEMBER)  # narrowed: no admin
    for credential in (reader, member):
        response = await register(client, credential, [ME])
        assert codes(response) == ["FORBIDDEN"]
    assert await stored(world) == {}


async def test_an_admin_registers_a_manifest_and_requests_name_it_by_document_id(
    client: httpx.AsyncClient, world: World, token: str
) -> None:
    response = await register(client, token, [ME, SCOPES, ME])  # a repeat counts once
    payload = response.json()["data"]["registerTrustedDocuments"]
    assert payload["userErrors"] == []
    assert [d["documentId"] for d in payload["documents"]] == sorted(
        f"sha256:{sha(d)}" for d in (ME, SCOPES)
    )
    assert {d["client"] for d in payload["documents"]} == {"partner-web"}
    assert await stored(world) == {
        ("helix", sha(ME)): DocumentKind.TRUSTED,
        ("helix", sha(SCOPES)): DocumentKind.TRUSTED,
    }
    for method in ("GET", "POST"):
        assert slug_of(await send(client, token, method, documentId=f"sha256:{sha(ME)}")) == (
            "helix"
        )
    # registering again changes nothing, and keeps the client that registered it first
    again = await register(client, token, [ME], name="partner-app")
    assert [d["client"] for d in again.json()["data"]["registerTrustedDocuments"]["documents"]] == [
        "partner-web"
    ]


async def test_an_unknown_document_id_is_a_request_error(
    client: httpx.AsyncClient, token: str
) -> None:
    legacy = await send(client, token, documentId=f"sha256:{sha(ME)}")
    assert legacy.status_code == 200
    assert codes(legacy) == ["PERSISTED_QUERY_NOT_FOUND"]
    spec = await send(client, token, accept=GRAPHQL_RESPONSE, documentId=f"sha256:{sha(ME)}")
    assert spec.status_code == 400
    assert codes(spec) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert "data" not in spec.json()


async def test_a_persisted_mutation_is_not_run_over_get(
    client: httpx.AsyncClient, token: str
) -> None:
    mutation = 'mutation { revokeApiToken(input: {apiToken: "x"}) { userErrors { code } } }'
    assert (await register(client, token, [mutation])).json()["data"]["registerTrustedDocuments"][
        "userErrors"
    ] == []
    response = await send(client, token, "GET", documentId=f"sha256:{sha(mutation)}")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"hash": "0" * 64, "document": ME}, "documents.1.hash"),
        ({"hash": "not-a-hash", "document": ME}, "documents.1.hash"),
        ({"hash": sha("{ viewer"), "document": "{ viewer"}, "documents.1.document"),
        (
            {"hash": sha("type T { a: Int }"), "document": "type T { a: Int }"},
            "documents.1.document",
        ),
        ({"hash": sha("x" * 20_001), "document": "x" * 20_001}, "documents.1.document"),
    ],
    ids=["wrong-hash", "malformed-hash", "syntax-error", "not-executable", "too-long"],
)
async def test_a_bad_manifest_entry_is_refused_and_nothing_is_registered(
    client: httpx.AsyncClient, world: World, token: str, entry: dict[str, str], field: str
) -> None:
    response = await send(
        client,
        token,
        query=REGISTER,
        variables={
            "input": {
                "client": "partner-web",
                "documents": [{"hash": f"sha256:{sha(ME)}", "document": ME}, entry],
            }
        },
    )
    payload = response.json()["data"]["registerTrustedDocuments"]
    assert payload["documents"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, "BAD_USER_INPUT")]
    assert await stored(world) == {}


async def test_an_automatic_document_registered_as_trusted_becomes_trusted(
    client: httpx.AsyncClient, world: World, token: str
) -> None:
    assert slug_of(await send(client, token, query=ME, extensions=apq(ME))) == "helix"
    await register(client, token, [ME])
    assert await stored(world) == {("helix", sha(ME)): DocumentKind.TRUSTED}
    # sent again with its hash, it stays trusted
    assert slug_of(await send(client, token, query=ME, extensions=apq(ME))) == "helix"
    assert await stored(world) == {("helix", sha(ME)): DocumentKind.TRUSTED}


# --- trusted-only credentials -------------------------------------------------------------


async def test_a_trusted_only_token_runs_trusted_documents_only(
    client: httpx.AsyncClient, world: World, token: str
) -> None:
    await register(client, token, [ME])
    # an automatic document, persisted by the organisation's ordinary token
    assert "errors" not in (await send(client, token, query=SCOPES, extensions=apq(SCOPES))).json()
    trusted_only = await trusted_only_token(client, token)

    refusals = [
        await send(client, trusted_only, query=ME),  # free-form, even a trusted text
        await send(client, trusted_only, extensions=apq(SCOPES)),
        await send(client, trusted_only, query=SCOPES, extensions=apq(SCOPES)),
        await send(client, trusted_only, documentId=f"sha256:{sha(SCOPES)}"),
        await send(client, trusted_only, "GET", query=ME),
    ]
    for refused in refusals:
        assert refused.status_code == 403, refused.text
        assert codes(refused) == ["FORBIDDEN"]
        assert "trusted documents only" in refused.json()["errors"][0]["message"]

    accepted = [
        await send(client, trusted_only, documentId=f"sha256:{sha(ME)}"),
        await send(client, trusted_only, "GET", documentId=f"sha256:{sha(ME)}"),
        await send(client, trusted_only, extensions=apq(ME)),
        await send(client, trusted_only, "GET", extensions=apq(ME)),
        await send(client, trusted_only, query=ME, extensions=apq(ME)),
    ]
    assert [slug_of(response) for response in accepted] == ["helix"] * len(accepted)
    # nothing it sent was kept
    assert await stored(world) == {
        ("helix", sha(ME)): DocumentKind.TRUSTED,
        ("helix", sha(SCOPES)): DocumentKind.AUTOMATIC,
    }


async def test_trusted_only_is_listed_with_the_token(client: httpx.AsyncClient, token: str) -> None:
    await trusted_only_token(client, token)
    listed = await send(
        client, token, query="{ apiTokens { edges { node { name trustedDocumentsOnly } } } }"
    )
    nodes = [e["node"] for e in listed.json()["data"]["apiTokens"]["edges"]]
    assert {(n["name"], n["trustedDocumentsOnly"]) for n in nodes} == {
        ("test", False),
        ("partner web", True),
    }


# --- tenants and processes ----------------------------------------------------------------


async def test_one_organisations_documents_are_not_anothers(
    client: httpx.AsyncClient, world: World, helix: Org, token: str
) -> None:
    basel = await world.organisation("basel")
    theirs = await world.token(basel)
    await register(client, token, [ME])
    assert "errors" not in (await send(client, token, query=SCOPES, extensions=apq(SCOPES))).json()

    for params in (
        {"extensions": apq(ME)},
        {"extensions": apq(SCOPES)},
        {"documentId": f"sha256:{sha(ME)}"},
    ):
        assert codes(await send(client, theirs, **params)) == ["PERSISTED_QUERY_NOT_FOUND"]
    # basel persisting the same text keeps its own copy; helix's stays trusted
    assert slug_of(await send(client, theirs, query=ME, extensions=apq(ME))) == "basel"
    assert await stored(world) == {
        ("helix", sha(ME)): DocumentKind.TRUSTED,
        ("helix", sha(SCOPES)): DocumentKind.AUTOMATIC,
        ("basel", sha(ME)): DocumentKind.AUTOMATIC,
    }


async def attempt(world: World, org: Org, statement: str, **params: Any) -> int | str:
    """Rows changed (or read) by ``statement`` under ``org``'s tenant context, or how it was
    refused."""
    async with tenant_session(world.sessions, org.id) as session:
        try:
            result = await session.execute(text(statement), params)
        except DBAPIError as error:
            await session.rollback()
            return "refused: " + str(error.orig).split("\n")[0]
        rows = len(result.all()) if result.returns_rows else int(result.rowcount)  # type: ignore[attr-defined]
        await session.commit()
        return rows


async def test_row_level_security_keeps_documents_to_their_organisation(
    client: httpx.AsyncClient, world: World, helix: Org, token: str
) -> None:
    basel = await world.organisation("basel")
    await register(client, token, [ME])
    assert "errors" not in (await send(client, token, query=SCOPES, extensions=apq(SCOPES))).json()
    before = await stored(world)

    assert await attempt(world, basel, "SELECT * FROM persisted_documents") == 0
    for statement in (
        "UPDATE persisted_documents SET document = '{ __typename }'",
        "UPDATE persisted_documents SET organisation_id = :me",
        "DELETE FROM persisted_documents",
    ):
        assert await attempt(world, basel, statement, me=basel.id) == 0, statement
    planted = await attempt(
        world,
        basel,
        "INSERT INTO persisted_documents (organisation_id, sha256, document, kind, client) "
        "VALUES (:them, :sha, '{ __typename }', 'trusted', 'x')",
        them=helix.id,
        sha=sha("{ __typename }"),
    )
    assert isinstance(planted, str)
    assert "row-level security" in planted
    # helix itself may neither demote nor remove a trusted document through the app role
    demoted = await attempt(world, helix, "UPDATE persisted_documents SET kind = 'automatic'")
    assert isinstance(demoted, str)
    assert "row-level security" in demoted
    assert (
        await attempt(world, helix, "DELETE FROM persisted_documents WHERE kind = 'trusted'") == 0
    )
    assert await stored(world) == before


@pytest.fixture
async def second_process(database_url: str, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another server process: its own app over its own engine (and connection pool)."""
    engine: AsyncEngine = create_engine(as_role(database_url, SERVER_ROLE), pool_size=1)
    app = create_app(settings, engine)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as other:
            yield other
    finally:
        await engine.dispose()


async def test_a_document_persisted_through_one_process_runs_in_another(
    client: httpx.AsyncClient,
    second_process: httpx.AsyncClient,
    world: World,
    token: str,
) -> None:
    assert codes(await send(second_process, token, extensions=apq(ME))) == [
        "PERSISTED_QUERY_NOT_FOUND"
    ]
    assert slug_of(await send(client, token, query=ME, extensions=apq(ME))) == "helix"
    assert slug_of(await send(second_process, token, extensions=apq(ME))) == "helix"

    await register(client, token, [SCOPES])
    trusted_only = await trusted_only_token(client, token)
    response = await send(second_process, trusted_only, documentId=f"sha256:{sha(SCOPES)}")
    assert response.json()["data"]["viewer"]["scopes"] == ["admin", "alliances:read"]
    async with world.sessions() as session:
        kinds = set(await session.scalars(select(PersistedDocument.kind)))
    assert kinds == {DocumentKind.AUTOMATIC, DocumentKind.TRUSTED}


async def test_a_trusted_only_token_mints_only_trusted_only_tokens(
    client: httpx.AsyncClient, token: str
) -> None:
    """Its restriction is one of its rights: a credential never creates one with more."""
    await register(client, token, [CREATE_TOKEN])
    trusted_only = await trusted_only_token(client, token)

    async def create(restricted: bool) -> dict[str, Any]:
        response = await send(
            client,
            trusted_only,
            documentId=f"sha256:{sha(CREATE_TOKEN)}",
            variables={
                "input": {
                    "name": "minted",
                    "scopes": ["alliances:read"],
                    "expiresAt": (utcnow() + dt.timedelta(days=30)).isoformat(),
                    "trustedDocumentsOnly": restricted,
                }
            },
        )
        assert response.status_code == 200, response.text
        payload: dict[str, Any] = response.json()["data"]["createApiToken"]
        return payload

    free = await create(restricted=False)
    assert free["userErrors"] == [{"field": "trustedDocumentsOnly", "code": "FORBIDDEN"}]
    assert free["secret"] is None
    restricted = await create(restricted=True)
    assert restricted["userErrors"] == []
    assert restricted["apiToken"] == {"trustedDocumentsOnly": True}


async def test_trusting_a_document_is_audited_once(
    client: httpx.AsyncClient, world: World, token: str
) -> None:
    """Trust widens what trusted-only credentials may run: each document trusted leaves a
    signed audit entry, and registering it again leaves none."""

    async def trusted_entries() -> list[tuple[str, dict[str, Any]]]:
        async with world.sessions() as session:
            rows = await session.execute(
                select(AuditEntry.action, AuditEntry.changes).where(
                    AuditEntry.object_type == "PersistedDocument"
                )
            )
            return [(row.action, row.changes) for row in rows]

    await register(client, token, [ME, SCOPES])
    await register(client, token, [ME])
    entries = await trusted_entries()
    assert sorted(changes["sha256"] for _, changes in entries) == sorted([sha(ME), sha(SCOPES)])
    assert {action for action, _ in entries} == {"persisteddocument.trusted"}
    async with world.sessions() as session:
        reports = await verify_audit_trail(session, Settings(token_secret=world.secret).audit_key)  # type: ignore[arg-type]
    assert all(report.intact for report in reports)
