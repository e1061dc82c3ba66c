"""The real thing: `portal demo` and `portal serve` on the embedded PostgreSQL, over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.platform.serving import serving


def test_serve_with_embedded_postgres_answers_over_http(data_dir: Path) -> None:
    with serving(data_dir) as served:
        assert {"organisation", "token", "client_id"} == set(served.tokens[0])
        assert len(served.tokens) >= 6
        base = served.base
        unauthenticated = httpx.post(f"{base}/graphql", json={"query": "{ viewer { scopes } }"})
        assert unauthenticated.status_code == 401
        helix = served.token("helix-pharma")
        query = "{ viewer { organisation { slug } } alliances { edges { node { name } } } }"
        answer = httpx.post(
            f"{base}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {helix}"}
        ).json()
        assert answer["data"]["viewer"]["organisation"]["slug"] == "helix-pharma"
        assert len(answer["data"]["alliances"]["edges"]) == 2
        # a credential in the URL is refused, and must not reach the log either
        refused = httpx.get(f"{base}/graphql", params={"query": "{ __typename }", "t": helix})
        assert refused.status_code == 400
        # sign-in: the portal made its key at start, and the demo clients are registered
        assert httpx.get(f"{base}/.well-known/jwks.json").json()["keys"]
        metadata = httpx.get(f"{base}/.well-known/oauth-authorization-server").json()
        assert metadata["issuer"] == base
        chooser = httpx.get(
            f"{base}/oauth/authorize",
            params={
                "response_type": "code",
                "client_id": served.tokens[0]["client_id"],
                "redirect_uri": "http://127.0.0.1:5173/callback",
                "code_challenge": "x" * 43,
                "code_challenge_method": "S256",
            },
        )
        assert chooser.status_code == 200
        assert "Sign in to Alliance Portal" in chooser.text
    written = served.log.read_text()
    assert "POST /graphql 200" in written  # the access log is on
    assert "GET /graphql 400" in written  # and saw the credential sent in the URL
    for sent in served.tokens:
        assert sent["token"] not in written
