"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/): the media type a
client gets, the status of request and execution errors, the refusals of what is not a
GraphQL request; in process first, then the graphql-http conformance audit (npm) against
the real server, `portal serve` on the embedded PostgreSQL."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from portal.graphql_http import negotiate
from schema.kernel import limits as document_limits
from tests.builders import World
from tests.platform.serving import serving

GRAPHQL_RESPONSE = "application/graphql-response+json"
GRAPHQL_RESPONSE_CONTENT_TYPE = f"{GRAPHQL_RESPONSE}; charset=utf-8"
LEGACY = "application/json"
NO_ACCEPT = None
"""Sent as the Accept value: the request has no Accept header at all."""


@pytest.fixture
async def token(world: World) -> str:
    return await world.token(await world.organisation("helix"))


async def post(
    client: httpx.AsyncClient,
    token: str,
    body: dict[str, Any] | str,
    accept: str | None,
    content_type: str | None = "application/json",
) -> httpx.Response:
    """POST ``body`` (a JSON object, or text sent as it is) with exactly these headers."""
    headers = {"Authorization": f"Bearer {token}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    content = body if isinstance(body, str) else json.dumps(body)
    request = client.build_request("POST", "/graphql", content=content, headers=headers)
    _set_accept(request, accept)
    return await client.send(request)


async def get(
    client: httpx.AsyncClient, token: str, params: dict[str, str], accept: str | None
) -> httpx.Response:
    """GET with ``params`` in the query string, and this Accept (None: none)."""
    request = client.build_request(
        "GET", "/graphql", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    _set_accept(request, accept)
    return await client.send(request)


def _set_accept(request: httpx.Request, accept: str | None) -> None:
    # httpx sends Accept: */* unless told otherwise; None means no Accept header at all
    del request.headers["accept"]
    if accept is not None:
        request.headers["accept"] = accept


def assert_coded_errors(response: httpx.Response, code: str = "BAD_USER_INPUT") -> list[Any]:
    """The response is a GraphQL error response: errors only, each with ``code``."""
    body = response.json()
    assert "data" not in body, body
    assert body["errors"], body
    assert [error["extensions"]["code"] for error in body["errors"]] == [code] * len(body["errors"])
    errors: list[Any] = body["errors"]
    return errors


# --- the media type -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json;q=0.9", GRAPHQL_RESPONSE),  # the spec's advice
        (f"{GRAPHQL_RESPONSE}, application/json", GRAPHQL_RESPONSE),  # listed first
        (f"application/json, {GRAPHQL_RESPONSE}", LEGACY),
        (f"application/json, {GRAPHQL_RESPONSE};q=0.5", LEGACY),
        (f"{GRAPHQL_RESPONSE}; charset=utf-8", GRAPHQL_RESPONSE),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON", GRAPHQL_RESPONSE),
        ("application/json", LEGACY),
        ("*/*", LEGACY),
        ("application/*", LEGACY),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", LEGACY),  # browsers
        (f"*/*;q=0.1, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"application/json;q=0, {GRAPHQL_RESPONSE};q=0.1", GRAPHQL_RESPONSE),
        ("application/json;q=0, */*", GRAPHQL_RESPONSE),  # the specific range decides
        (NO_ACCEPT, LEGACY),
        ("", LEGACY),
        ("text/html", None),
        ("application/json;q=0", None),
        (f"{GRAPHQL_RESPONSE};q=nonsense", None),
    ],
)
def test_the_media_type_is_negotiated_from_accept(accept: str | None, chosen: str | None) -> None:
    assert negotiate(accept) == chosen


async def test_graphql_response_json_is_answered_when_accepted(
    client: httpx.AsyncClient, token: str
) -> None:
    for accept in (GRAPHQL_RESPONSE, f"{GRAPHQL_RESPONSE}, application/json;q=0.9"):
        response = await post(client, token, {"query": "{ __typename }"}, accept)
        assert response.status_code == 200
        assert response.headers["content-type"] == GRAPHQL_RESPONSE_CONTENT_TYPE
        assert response.json()["data"] == {"__typename": "Query"}
    response = await get(client, token, {"query": "{ __typename }"}, GRAPHQL_RESPONSE)
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_CONTENT_TYPE
    assert response.json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize("accept", [LEGACY, "*/*", NO_ACCEPT])
async def test_legacy_clients_get_application_json(
    client: httpx.AsyncClient, token: str, accept: str | None
) -> None:
    response = await post(client, token, {"query": "{ __typename }"}, accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"] == {"__typename": "Query"}


async def test_an_accept_allowing_neither_type_is_406(
    client: httpx.AsyncClient, token: str
) -> None:
    response = await post(client, token, {"query": "{ __typename }"}, "text/html")
    assert response.status_code == 406
    assert response.headers["content-type"] == "application/json"
    assert GRAPHQL_RESPONSE in assert_coded_errors(response)[0]["message"]


# --- request errors and execution errors ----------------------------------------------------

REQUEST_ERRORS = [
    pytest.param({"query": "{"}, "BAD_USER_INPUT", id="syntax"),
    pytest.param({"query": "{ noSuchField }"}, "BAD_USER_INPUT", id="validation"),
    pytest.param(
        {"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": None}},
        "BAD_USER_INPUT",
        id="variable",
    ),
    pytest.param(
        {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"},
        "QUERY_TOO_COMPLEX",
        id="document-limit",
    ),
]


@pytest.mark.parametrize(("body", "code"), REQUEST_ERRORS)
async def test_a_request_error_is_400_without_data_in_graphql_response_json(
    client: httpx.AsyncClient, token: str, body: dict[str, Any], code: str
) -> None:
    response = await post(client, token, body, GRAPHQL_RESPONSE)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_CONTENT_TYPE
    for error in assert_coded_errors(response, code):
        assert "path" not in error


@pytest.mark.parametrize(("body", "code"), REQUEST_ERRORS)
@pytest.mark.parametrize("accept", [LEGACY, NO_ACCEPT])
async def test_a_request_error_is_200_without_data_in_application_json(
    client: httpx.AsyncClient, token: str, body: dict[str, Any], code: str, accept: str | None
) -> None:
    response = await post(client, token, body, accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert_coded_errors(response, code)


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, LEGACY])
async def test_an_execution_error_is_200_with_its_data(
    client: httpx.AsyncClient, token: str, accept: str
) -> None:
    response = await post(
        client, token, {"query": '{ node(id: "not-a-global-id") { id } __typename }'}, accept
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == {"node": None, "__typename": "Query"}
    assert [error["path"] for error in body["errors"]] == [["node"]]
    assert all(error["extensions"]["code"] for error in body["errors"])


@pytest.mark.parametrize(("accept", "status"), [(GRAPHQL_RESPONSE, 500), (LEGACY, 200)])
async def test_a_server_fault_before_execution_is_500_in_graphql_response_json(
    client: httpx.AsyncClient,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
    accept: str,
    status: int,
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("the measuring broke: a secret detail")

    monkeypatch.setattr(document_limits, "measure", broken)
    # a document of its own: measures are cached per document
    response = await post(client, token, {"query": f"{{ fault{status}: __typename }}"}, accept)
    assert response.status_code == status, response.text
    assert assert_coded_errors(response, "INTERNAL")[0]["message"] == "Internal server error."


@pytest.mark.parametrize(("accept", "status"), [(GRAPHQL_RESPONSE, 400), (LEGACY, 200)])
async def test_an_unknown_operation_name_is_a_request_error(
    client: httpx.AsyncClient, token: str, accept: str, status: int
) -> None:
    body = {"query": "query A { __typename } query B { __typename }", "operationName": "C"}
    response = await post(client, token, body, accept)
    assert response.status_code == status, response.text
    assert "C" in assert_coded_errors(response)[0]["message"]


# --- what is not a GraphQL request ----------------------------------------------------------


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
async def test_other_methods_are_405_with_allow(
    client: httpx.AsyncClient, token: str, method: str
) -> None:
    response = await client.request(
        method, "/graphql", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    if method != "HEAD":
        assert_coded_errors(response)


async def test_a_mutation_over_get_is_405_and_points_to_post(
    client: httpx.AsyncClient, token: str
) -> None:
    mutation = 'mutation { revokeApiToken(input: {id: "x"}) { userErrors { code } } }'
    response = await get(client, token, {"query": mutation}, GRAPHQL_RESPONSE)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_CONTENT_TYPE
    assert "mutations are not allowed" in assert_coded_errors(response)[0]["message"]


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "json",
        "application/json; charset=latin-1",
    ],
)
async def test_a_body_that_is_not_json_is_415(
    client: httpx.AsyncClient, token: str, content_type: str | None
) -> None:
    body = {"query": "{ __typename }"}
    response = await post(client, token, body, GRAPHQL_RESPONSE, content_type=content_type)
    assert response.status_code == 415
    assert response.headers["accept-post"] == "application/json"
    assert_coded_errors(response)


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", 'Application/JSON; Charset="UTF-8"']
)
async def test_json_in_utf_8_is_read_however_it_is_spelled(
    client: httpx.AsyncClient, token: str, content_type: str
) -> None:
    body = {"query": '{ __type(name: "Run🏃Swim🏊") { name } }'}
    response = await post(client, token, body, GRAPHQL_RESPONSE, content_type=content_type)
    assert response.json()["data"] == {"__type": None}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("", id="empty"),
        pytest.param('{ "not a JSON', id="malformed"),
        pytest.param("5", id="a-number"),
        pytest.param("null", id="null"),
        pytest.param('"{ __typename }"', id="a-string"),
        pytest.param({"qeury": "{ __typename }"}, id="no-query"),
        pytest.param({"query": ["{ __typename }"]}, id="query-not-a-string"),
        pytest.param({"query": "{ __typename }", "variables": "{}"}, id="variables-a-string"),
        pytest.param({"query": "{ __typename }", "extensions": 0}, id="extensions-a-number"),
        pytest.param({"query": "{ __typename }", "operationName": {}}, id="operation-name-object"),
        pytest.param([{"query": "{ __typename }"}], id="a-batch"),
    ],
)
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, LEGACY])
async def test_a_malformed_request_is_400_and_says_nothing_of_the_parser(
    client: httpx.AsyncClient, token: str, body: Any, accept: str
) -> None:
    response = await post(
        client, token, body if isinstance(body, str) else json.dumps(body), accept
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == (
        GRAPHQL_RESPONSE_CONTENT_TYPE if accept == GRAPHQL_RESPONSE else "application/json"
    )
    message = assert_coded_errors(response)[0]["message"]
    for raw in ("line 1 column", "Expecting", "object has no attribute", "Traceback"):
        assert raw not in message


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="no-query"),
        pytest.param({"query": "{ __typename }", "variables": "{ nope"}, id="variables-not-json"),
        pytest.param({"query": "{ __typename }", "variables": "[1]"}, id="variables-a-list"),
    ],
)
async def test_a_malformed_get_is_400(
    client: httpx.AsyncClient, token: str, params: dict[str, str]
) -> None:
    response = await get(client, token, params, "*/*")
    assert response.status_code == 400, response.text
    assert_coded_errors(response)


async def test_null_parameters_are_as_good_as_absent_ones(
    client: httpx.AsyncClient, token: str
) -> None:
    for parameter in ("variables", "operationName", "extensions"):
        body = {"query": "{ __typename }", parameter: None}
        response = await post(client, token, body, GRAPHQL_RESPONSE)
        assert response.json()["data"] == {"__typename": "Query"}, parameter
    response = await get(
        client, token, {"query": "{ __typename }", "variables": "null"}, GRAPHQL_RESPONSE
    )
    assert response.json()["data"] == {"__typename": "Query"}


async def test_refusals_before_authentication_use_the_negotiated_type(
    client: httpx.AsyncClient,
) -> None:
    request = client.build_request(
        "POST", "/graphql", json={"query": "{ __typename }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    response = await client.send(request)
    assert response.status_code == 401
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_CONTENT_TYPE
    assert_coded_errors(response, "UNAUTHENTICATED")


# --- the conformance audit against the real server -----------------------------------------

AUDIT = Path(__file__).parent / "graphql_http_audit"


def _install_audit() -> None:
    """``npm ci`` in the audit's folder unless the locked graphql-http is installed there
    (a clean clone has no node_modules)."""
    locked = json.loads((AUDIT / "package-lock.json").read_text())
    wanted = locked["packages"]["node_modules/graphql-http"]["version"]
    installed = AUDIT / "node_modules" / "graphql-http" / "package.json"
    if installed.exists() and json.loads(installed.read_text())["version"] == wanted:
        return
    npm = shutil.which("npm")
    assert npm is not None, "node is installed but npm is not: cannot install the audit"
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=AUDIT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_graphql_http_audit_passes_against_the_real_server(data_dir: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: the graphql-http audit cannot run")
    _install_audit()
    with serving(data_dir) as served:
        url, log, token = f"{served.base}/graphql", served.log, served.token("helix-pharma")
        audit = subprocess.run(
            [node, "audit.mjs", url, token],
            cwd=AUDIT,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert audit.returncode == 0, audit.stderr
    results: list[dict[str, Any]] = json.loads(audit.stdout)
    assert len(results) >= 61  # the audit ran in full: graphql-http 1.23.1 has 61 checks
    failing = [
        f"{r['id']} {r['status']}: {r['name']} ({r['reason']})"
        for r in results
        if r["status"] != "ok"
    ]
    assert failing == [], "\n".join(failing)
    assert token not in log.read_text()
