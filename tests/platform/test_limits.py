"""The limits a request meets, each tried just under and just over, through the ASGI app:
HTTP first (URL, headers, body size and deadline), then the document (characters, tokens,
depth, aliases, directives, repeated fields), and what errors may say."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Message
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from portal.app import create_app
from portal.settings import Settings
from schema.kernel import limits as document_limits
from tests.builders import World, counting, gid

DEFAULTS = Settings()


@pytest.fixture
async def token(world: World) -> str:
    return await world.token(await world.organisation("helix"))


async def post(
    client: httpx.AsyncClient, token: str, query: str, **variables: Any
) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )


def codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json().get("errors", [])]


def too_complex(response: httpx.Response, measure: str) -> bool:
    errors = response.json().get("errors", [])
    return [e["extensions"].get("limit", {}).get("measure") for e in errors] == [measure]


# --- the document -------------------------------------------------------------------------


def nested(depth: int) -> str:
    """A valid document whose deepest field is at ``depth`` (root fields at 0)."""
    inner = "name"
    for _ in range(depth - 4):
        inner = f"ofType {{ {inner} }}"
    return f"{{ __schema {{ types {{ fields {{ type {{ {inner} }} }} }} }} }}"


def aliased(count: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


def directed(count: int) -> str:
    return "{ " + " ".join(f"d{i}: __typename @skip(if: false)" for i in range(count)) + " }"


def repeated(count: int) -> str:
    return "{ " + " ".join("__typename" for _ in range(count)) + " }"


def tokens(count: int) -> str:
    """``{ __typename }`` (3 tokens) after variable definitions of 4 tokens each, plus the
    operation's ``query Q ( )`` (4 tokens)."""
    variables = (count - 7) // 4
    assert 7 + 4 * variables == count
    definitions = " ".join(f"$v{i}: Int" for i in range(variables))
    return f"query Q({definitions}) {{ __typename }}"


@pytest.mark.parametrize(
    ("measure", "build", "limit"),
    [
        ("depth", nested, DEFAULTS.max_depth),
        ("aliases", aliased, DEFAULTS.max_aliases),
        ("directives", directed, DEFAULTS.max_directives),
        ("repeated fields", repeated, DEFAULTS.max_repeated_fields),
    ],
)
async def test_a_document_at_its_limit_runs_and_one_over_is_refused_before_validation(
    client: httpx.AsyncClient,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
    measure: str,
    build: Any,
    limit: int,
) -> None:
    at_limit = await post(client, token, build(limit))
    assert at_limit.status_code == 200
    assert "errors" not in at_limit.json(), at_limit.json()

    validated: list[object] = []

    def spy(*args: Any) -> Any:
        validated.append(args)
        return validate_document(*args)

    monkeypatch.setattr(document_limits, "validate_document", spy)
    over = await post(client, token, build(limit + 1))
    assert codes(over) == ["QUERY_TOO_COMPLEX"]
    assert too_complex(over, measure)
    assert over.json()["errors"][0]["extensions"]["limit"] == {
        "measure": measure,
        "max": limit,
        "found": limit + 1,
    }
    assert "data" not in over.json() or over.json()["data"] is None
    assert validated == []  # no validation rule saw the refused document


async def test_tokens_are_counted_before_parsing(client: httpx.AsyncClient, token: str) -> None:
    limit = DEFAULTS.max_tokens
    under = limit - (limit - 7) % 4
    at_limit = await post(client, token, tokens(under))
    # the variables are unused (a validation error), but the document was not too long
    assert "QUERY_TOO_COMPLEX" not in codes(at_limit)
    assert codes(at_limit)
    over = await post(client, token, tokens(under + 4))
    assert codes(over) == ["QUERY_TOO_COMPLEX"]
    assert over.json()["errors"][0]["extensions"]["limit"] == {
        "measure": "tokens",
        "max": limit,
        "found": limit + 1,
    }


async def test_characters_are_counted_before_parsing(client: httpx.AsyncClient, token: str) -> None:
    limit = DEFAULTS.max_document_characters
    base = "{ __typename } #"
    at_limit = await post(client, token, base + "x" * (limit - len(base)))
    assert at_limit.json()["data"] == {"__typename": "Query"}
    over = await post(client, token, base + "x" * (limit - len(base) + 1))
    assert codes(over) == ["QUERY_TOO_COMPLEX"]
    assert too_complex(over, "characters")


async def test_a_fragment_bomb_is_measured_once_per_fragment_and_refused(
    client: httpx.AsyncClient, token: str
) -> None:
    # each fragment selects the next twice: 2**20 __typename fields once expanded
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(20)]
    document = "{ ...F0 } " + " ".join(fragments) + " fragment F20 on Query { __typename }"
    response = await post(client, token, document)
    assert codes(response) == ["QUERY_TOO_COMPLEX"]
    assert response.json()["errors"][0]["extensions"]["limit"]["found"] == 2**20


async def test_cyclic_and_unknown_fragments_get_validation_errors_not_internal_ones(
    client: httpx.AsyncClient, token: str
) -> None:
    unknown = await post(client, token, "{ ...Missing }")
    assert codes(unknown) == ["BAD_USER_INPUT"]
    assert unknown.json()["errors"][0]["message"] == "Unknown fragment 'Missing'."
    cyclic = await post(
        client,
        token,
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
    )
    assert codes(cyclic) == ["BAD_USER_INPUT"]
    assert "within itself" in cyclic.json()["errors"][0]["message"]


async def test_a_document_within_the_limits_is_measured_once(
    client: httpx.AsyncClient, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured: list[object] = []
    real_measure = document_limits.measure

    def spy(*args: Any) -> Any:
        measured.append(args)
        return real_measure(*args)

    monkeypatch.setattr(document_limits, "measure", spy)
    document = "{ viewer { scopes } __typename }"
    for _ in range(3):
        response = await post(client, token, document)
        assert "errors" not in response.json()
    assert len(measured) == 1


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ("{ viewr { scopes } }", {}),  # a field
        ("{ viewer { scopes(firts: 1) } }", {}),  # an argument
        ("query($s: Scop) { viewer { scopes } }", {}),  # a type
        ("{ ... on Quer { __typename } }", {}),  # a type in a fragment
        (
            "query($v: Visibility!) { __typename }",
            {"v": "ALLIANC"},  # an enum value in variables
        ),
    ],
)
async def test_no_error_suggests_a_name(
    client: httpx.AsyncClient, token: str, document: str, variables: dict[str, Any]
) -> None:
    response = await post(client, token, document, **variables)
    errors = response.json()["errors"]
    assert errors
    for error in errors:
        assert "Did you mean" not in error["message"], error
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_extensions_are_registered_as_classes_built_once() -> None:
    from schema import build_schema

    schema = build_schema(DEFAULTS)
    for extension in schema.extensions:
        assert isinstance(extension, type) or callable(extension)
        assert not isinstance(extension, SchemaExtension)


# --- HTTP ---------------------------------------------------------------------------------


async def test_a_body_at_the_cap_is_read_and_one_byte_over_is_413(
    client: httpx.AsyncClient, token: str
) -> None:
    cap = DEFAULTS.max_body_bytes
    head = json.dumps({"query": "{ __typename }", "variables": {"pad": ""}})
    padding = cap - len(head)
    body = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * padding}})
    assert len(body) == cap
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    at_cap = await client.post("/graphql", content=body, headers=headers)
    assert at_cap.json()["data"] == {"__typename": "Query"}
    over = await client.post("/graphql", content=body + " ", headers=headers)
    assert over.status_code == 413
    assert codes(over) == ["REQUEST_TOO_LARGE"]


async def test_url_and_header_sizes_are_bounded(client: httpx.AsyncClient, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    long_query = "{ __typename }" + " " * DEFAULTS.max_url_bytes
    response = await client.get("/graphql", params={"query": long_query}, headers=auth)
    assert response.status_code == 414
    assert codes(response) == ["REQUEST_TOO_LARGE"]
    headers = {**auth, "X-Padding": "x" * DEFAULTS.max_header_bytes}
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 431
    assert codes(response) == ["REQUEST_TOO_LARGE"]


async def _call(app: Any, scope: dict[str, Any], chunks: AsyncIterator[bytes]) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        try:
            chunk = await anext(chunks)
        except StopAsyncIteration:
            await asyncio.Event().wait()  # the client keeps the connection open
            raise AssertionError("unreachable") from None
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_a_slow_body_times_out_without_taking_a_database_connection(
    server_engine: AsyncEngine, world: World, token: str
) -> None:
    engine = server_engine
    settings = Settings(
        token_secret=world.secret,  # type: ignore[arg-type]
        database_url="unused://",
        body_read_timeout=0.3,
    )
    app = create_app(settings, engine)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "headers": [
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
        ],
        "scheme": "http",
        "server": ("portal.test", 80),
        "client": ("127.0.0.1", 5000),
        "http_version": "1.1",
        "root_path": "",
    }
    checked_out: list[int] = []

    async def trickle() -> AsyncIterator[bytes]:
        for part in (b'{"query": ', b'"{ __typename }"'):
            checked_out.append(engine.pool.checkedout())  # type: ignore[attr-defined]
            yield part
            await asyncio.sleep(0.1)
        checked_out.append(engine.pool.checkedout())  # type: ignore[attr-defined]

    uploads = [_call(app, dict(scope), trickle()) for _ in range(3)]
    answers = await asyncio.gather(*uploads)
    for sent in answers:
        assert sent[0]["status"] == 408
        assert json.loads(sent[1]["body"])["errors"][0]["extensions"]["code"] == ("REQUEST_TIMEOUT")
    assert set(checked_out) == {0}


async def test_the_deepest_pages_of_a_partner_frontend_are_within_the_limits(
    client: httpx.AsyncClient, world: World
) -> None:
    helix, basel = await world.organisation("helix"), await world.organisation("basel")
    alliance = gid("Alliance", await world.alliance(helix, basel))
    token = await world.token(helix)
    pages = [
        """query($a: ID!) { plans(alliance: $a, first: 20) { edges { node {
             title contributions { kind description organisation { name } } } } } }""",
        """query($a: ID!) { committees(alliance: $a) { edges { node { name meetings {
             title minutes { status signatures { meaning organisation { name } } } } } } } }""",
    ]
    for page in pages:
        response = await post(client, token, page, a=alliance)
        assert "errors" not in response.json(), response.json()


# --- browsers -----------------------------------------------------------------------------


async def test_cors_allows_only_the_configured_origins(
    server_engine: AsyncEngine, world: World
) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    configured = Settings(
        token_secret=world.secret,  # type: ignore[arg-type]
        database_url="unused://",
        cors_origins=["https://frontend.helix.test"],
    )
    unconfigured = Settings(token_secret=world.secret, database_url="unused://")  # type: ignore[arg-type]
    for settings, origin, allowed in (
        (configured, "https://frontend.helix.test", True),
        (configured, "https://evil.test", False),
        (unconfigured, "https://frontend.helix.test", False),
    ):
        transport = httpx.ASGITransport(app=create_app(settings, server_engine))
        async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as c:
            answer = await c.options("/graphql", headers={"Origin": origin, **preflight})
            granted = answer.headers.get("access-control-allow-origin")
            assert (granted == origin) is allowed, (origin, answer.headers)
            assert "access-control-allow-credentials" not in answer.headers
            if allowed:
                assert "authorization" in answer.headers["access-control-allow-headers"].lower()
            token = await world.token(await world.organisation())
            plain = await c.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"Origin": origin, "Authorization": f"Bearer {token}"},
            )
            assert plain.json()["data"] == {"__typename": "Query"}
            assert (plain.headers.get("access-control-allow-origin") == origin) is allowed


# --- the event loop -----------------------------------------------------------------------


def worst_documents(count: int) -> list[str]:
    """Documents an attacker would send, each different so no cache helps: ~20 KB of
    conflicting aliased fields, and fragment bombs."""
    conflicting = " ".join(f"f{i}: __typename f{i}: viewer {{ scopes }}" for i in range(600))
    documents = []
    for n in range(count):
        if n % 2:
            bomb = " ".join(
                f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30)
            )
            documents.append(f"# {n}\n{{ ...F0 }} {bomb} fragment F30 on Query {{ __typename }}")
        else:
            documents.append(f"# {n}\n{{ {conflicting} }}"[: DEFAULTS.max_document_characters])
    return documents


async def test_a_burst_of_the_worst_documents_barely_delays_a_cheap_request(
    client: httpx.AsyncClient, token: str
) -> None:
    """A cheap request sent with 20 of the worst documents is compared with the same
    request sent with 20 trivial ones: the requests themselves (authentication, HTTP) cost
    the same, so the ratio is what the documents cost the event loop. Before the limits,
    one such document held the loop for seconds (a ratio in the hundreds)."""
    loop = asyncio.get_running_loop()

    async def cheap() -> float:
        started = loop.time()
        response = await post(client, token, "{ viewer { scopes } }")
        assert "errors" not in response.json()
        return loop.time() - started

    async def beside(documents: list[str]) -> float:
        took, *answers = await asyncio.gather(
            cheap(), *(post(client, token, doc) for doc in documents)
        )
        assert all(codes(a) in ([], ["QUERY_TOO_COMPLEX"]) for a in answers)  # type: ignore[arg-type]
        return float(took)  # type: ignore[arg-type]

    await cheap()  # warm the caches and the connection pool
    alone = sorted([await cheap() for _ in range(5)])[2]
    trivial = sorted(
        [await beside([f"# {r} {n}\n{{ __typename }}" for n in range(20)]) for r in range(5)]
    )[2]
    worst = sorted(
        [await beside([f"# {r}\n{doc}" for doc in worst_documents(20)]) for r in range(5)]
    )[2]
    print(
        f"a cheap request: alone {alone * 1e3:.1f} ms, beside trivial documents "
        f"{trivial * 1e3:.1f} ms, beside the worst {worst * 1e3:.1f} ms"
    )
    assert worst / trivial < 3, (worst, trivial)


# --- cost ---------------------------------------------------------------------------------


async def test_every_response_reports_its_requested_and_actual_cost(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await post(client, token, "{ viewer { scopes organisation { name } } }")
    body = response.json()
    assert "errors" not in body
    # the operation, viewer, organisation: requested and returned alike
    assert body["extensions"]["cost"] == {"requested": 3, "actual": 3, "max": DEFAULTS.max_cost}


async def test_page_sizes_cost_the_same_as_literals_and_as_variables(
    client: httpx.AsyncClient, token: str
) -> None:
    literal = await post(client, token, "{ alliances(first: 7) { edges { node { name } } } }")
    variable = await post(
        client, token, "query($n: Int) { alliances(first: $n) { edges { node { name } } } }", n=7
    )
    default = await post(client, token, "{ alliances { edges { node { name } } } }")
    # the operation, then each alliance the page may hold
    assert literal.json()["extensions"]["cost"]["requested"] == 1 + 7
    assert variable.json()["extensions"]["cost"]["requested"] == 1 + 7
    assert default.json()["extensions"]["cost"]["requested"] == 1 + 20


async def test_an_operation_over_the_maximum_is_refused_before_any_resolver_runs(
    server_engine: AsyncEngine, world: World, token: str
) -> None:
    settings = Settings(
        token_secret=world.secret,  # type: ignore[arg-type]
        database_url="unused://",
        max_cost=50,
    )
    transport = httpx.ASGITransport(app=create_app(settings, server_engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        query = "query($n: Int) { alliances(first: $n) { edges { node { name } } } }"
        at_maximum = await post(client, token, query, n=49)
        assert "errors" not in at_maximum.json()
        with counting() as statements:
            over = await post(client, token, query, n=50)
    body = over.json()
    assert codes(over) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["extensions"]["cost"] == {"requested": 51, "actual": None, "max": 50}
    assert not any("alliances" in statement for statement in statements), statements


# --- the budget ---------------------------------------------------------------------------


def budgeted(world: World, **budgets: int) -> Settings:
    return Settings(
        token_secret=world.secret,  # type: ignore[arg-type]
        database_url="unused://",
        **budgets,  # type: ignore[arg-type]
    )


PAGE_OF_THREE = "{ alliances(first: 3) { edges { node { name } } } }"
"""Requested cost 4: the operation and the three alliances its page may hold."""


async def test_a_credential_over_its_budget_gets_429_with_retry_after_in_every_process(
    server_engine: AsyncEngine, world: World, token: str
) -> None:
    settings = budgeted(world, cost_budget_per_credential=10, cost_budget_per_organisation=0)
    # two server processes over one database: the budget is the database's
    processes = [create_app(settings, server_engine) for _ in range(2)]
    transports = [httpx.ASGITransport(app=app) for app in processes]
    async with (
        httpx.AsyncClient(transport=transports[0], base_url="http://one.test") as one,
        httpx.AsyncClient(transport=transports[1], base_url="http://two.test") as two,
    ):
        assert "errors" not in (await post(one, token, PAGE_OF_THREE)).json()
        assert "errors" not in (await post(two, token, PAGE_OF_THREE)).json()  # spent 8
        refused = await post(one, token, PAGE_OF_THREE)  # 8 + 4 > 10
        assert refused.status_code == 429
        assert codes(refused) == ["RATE_LIMITED"]
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.json()["errors"][0]["extensions"]["retryAfter"] == int(
            refused.headers["retry-after"]
        )
        cheap = await post(two, token, "{ __typename }")  # 8 + 1 still fits
        assert "errors" not in cheap.json()


async def test_an_organisations_credentials_share_its_budget_and_failures_are_paid_for(
    server_engine: AsyncEngine, world: World
) -> None:
    helix, basel = await world.organisation("helix"), await world.organisation("basel")
    first, second = await world.token(helix), await world.token(helix)
    outsider = await world.token(basel)
    settings = budgeted(world, cost_budget_per_credential=0, cost_budget_per_organisation=10)
    transport = httpx.ASGITransport(app=create_app(settings, server_engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        failing = await post(client, first, "{ alliance(id: 0) { name } }")  # cost 2
        assert failing.json()["errors"]
        assert "errors" not in (await post(client, first, PAGE_OF_THREE)).json()  # 6
        refused = await post(client, second, "{ alliances(first: 4) { edges { node { name } } } }")
        assert refused.status_code == 429  # 6 + 5 > 10, for any credential of helix
        assert "errors" not in (await post(client, outsider, PAGE_OF_THREE)).json()  # basel's own


async def test_within_its_allowance_an_operation_costs_no_budget_statement(
    server_engine: AsyncEngine, world: World, token: str
) -> None:
    """A process takes budget in allowances (a fiftieth of the minute's), one statement per
    subject in the operation's own transaction, before the operation runs; the operations
    after it spend the allowance in memory. A failure or a refusal inside the allowance is
    paid from it too: no statement, no second transaction."""
    # a budget beyond 32 bits, as an operator may set to make it all but unlimited
    settings = budgeted(
        world, cost_budget_per_credential=10_000, cost_budget_per_organisation=10**15
    )
    transport = httpx.ASGITransport(app=create_app(settings, server_engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        await post(client, token, "{ __typename }")  # the token's first use is recorded
        first = await spent(world)
        with counting() as statements:
            assert "errors" not in (await post(client, token, PAGE_OF_THREE)).json()
            assert (await post(client, token, "{ alliance(id: 0) { name } }")).json()["errors"]
            assert (await post(client, token, "{ alliance }")).json()["errors"]
    assert not [s for s in statements if "cost_spent" in s], statements
    assert not [s for s in statements if s.startswith("SELECT set_config('role'")], statements
    assert first == {"organisation": 2 * 10**13, "credential": 200}  # the two allowances
    assert await spent(world) == first


async def test_an_allowance_taken_by_a_failed_operation_is_forgotten_and_its_cost_charged(
    server_engine: AsyncEngine, world: World, token: str
) -> None:
    """A failed operation rolls back, allowance and all: the process forgets it and charges
    what the operation cost in a transaction of its own."""
    settings = budgeted(world, cost_budget_per_credential=10_000, cost_budget_per_organisation=0)
    transport = httpx.ASGITransport(app=create_app(settings, server_engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        failed = await post(client, token, "{ alliance(id: 0) { name } }")  # cost 2
        assert failed.json()["errors"]
        assert await spent(world) == {"credential": 2}
        assert "errors" not in (await post(client, token, PAGE_OF_THREE)).json()
        assert await spent(world) == {"credential": 2 + 200}  # a new allowance


async def test_processes_together_never_take_more_than_the_budget(
    server_engine: AsyncEngine, world: World, token: str
) -> None:
    settings = budgeted(world, cost_budget_per_credential=400, cost_budget_per_organisation=0)
    transports = [httpx.ASGITransport(app=create_app(settings, server_engine)) for _ in "12"]
    clients = [httpx.AsyncClient(transport=t, base_url="http://p.test") for t in transports]
    served, refused = 0, set[int]()
    while len(refused) < len(clients):  # five requests each in turn, until each is refused
        for number, client in enumerate(clients):
            for _ in range(5 if number not in refused else 0):
                response = await post(client, token, PAGE_OF_THREE)
                if response.status_code == 429:
                    refused.add(number)
                    break
                assert response.status_code == 200
                served += 1
    for client in clients:
        await client.aclose()
    assert 90 <= served <= 100  # 400 / 4, less what an allowance left unspent
    # and the two refusals, charged 1 each: what happened is paid for, budget or not
    assert (await spent(world))["credential"] <= 400 + 2


async def spent(world: World) -> dict[str, int]:
    """This minute's ``cost_spent``, by kind of subject, read past row-level security."""
    async with world.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT split_part(subject, ':', 1) AS kind, sum(spent) AS spent"
                " FROM public.cost_spent WHERE window_start = date_trunc('minute', now())"
                " GROUP BY 1"
            )
        )
        return {row.kind: int(row.spent) for row in rows}
