"""A real OpenID provider for the tests: ``provider.mjs`` (panva's oidc-provider) run by
Node.js on a loopback port, with the accounts, clients and signing keys a test gives it.

``login`` plays the person's browser: it follows the provider's redirects, signs the account
in through the provider's programmatic interaction, and returns where the provider sends the
browser back to (the relying party's redirect URI, with code and state), unrequested.
"""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from joserfc.jwk import ECKey

HERE = Path(__file__).parent
START_SECONDS = 30.0


@dataclass(frozen=True)
class Account:
    """A person at the provider."""

    sub: str
    email: str
    name: str
    groups: tuple[str, ...] = ()
    tid: str | None = None


@dataclass(frozen=True)
class Client:
    """A relying party registered at the provider (the portal, in the tests)."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    token_endpoint_auth_method: str = "client_secret_basic"


def ensure_installed() -> None:
    """``npm ci`` once, if the provider's packages are not installed yet."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: the sign-in tests need it (.ci/run has it)")
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],  # noqa: S607 - npm from PATH, as CI
            cwd=HERE,
            check=True,
            capture_output=True,
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _new_key() -> dict[str, Any]:
    key = ECKey.generate_key(
        "P-256",
        parameters={"kid": secrets.token_hex(8), "alg": "ES256", "use": "sig"},
        private=True,
    )
    return dict(key.as_dict(private=True))


@dataclass
class IdentityProvider:
    """One provider process; ``start``/``stop``/``restart`` keep its port and keys."""

    workdir: Path
    accounts: list[Account]
    clients: list[Client]
    resource: str | None = None
    port: int = field(default_factory=_free_port)
    keys: list[dict[str, Any]] = field(default_factory=lambda: [_new_key()])
    _process: subprocess.Popen[str] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def signing_kid(self) -> str:
        """The kid of the key that signs (the first)."""
        return str(self.keys[0]["kid"])

    @property
    def private_jwks(self) -> dict[str, Any]:
        """The provider's private keys: for tests that forge what only it could sign."""
        return {"keys": list(self.keys)}

    def start(self) -> IdentityProvider:
        ensure_installed()
        config = self.workdir / f"provider-{self.port}.json"
        config.write_text(
            json.dumps(
                {
                    "issuer": self.issuer,
                    "port": self.port,
                    "alg": "ES256",
                    "jwks": self.private_jwks,
                    "accounts": [asdict(account) for account in self.accounts],
                    "clients": [asdict(client) for client in self.clients],
                    "resource": self.resource,
                }
            )
        )
        self._process = subprocess.Popen(
            ["node", str(HERE / "provider.mjs"), str(config)],  # noqa: S607 - node from PATH
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if line.strip() != "ready":
            self.stop()
            raise RuntimeError(f"the identity provider did not start: {line}")
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.communicate(timeout=10)
            self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def rotate_keys(self, *, keep_old: bool = True) -> None:
        """A new signing key first; the old ones still published if ``keep_old``."""
        self.keys = [_new_key(), *(self.keys if keep_old else [])]
        self.restart()

    def __enter__(self) -> IdentityProvider:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def login(http: httpx.AsyncClient, authorization_url: str, sub: str) -> str:
    """Sign ``sub`` in at the provider ``authorization_url`` belongs to; the URL the provider
    then sends the browser to (off the provider), unrequested."""
    provider = _origin(authorization_url)
    url = authorization_url
    for _ in range(10):
        if _origin(url) != provider:
            return url
        path = urlsplit(url).path
        if path.startswith("/interaction/") and not path.endswith("/login"):
            url = f"{provider}{path}/login?sub={sub}"
        response = await http.get(url, follow_redirects=False)
        if response.status_code not in (302, 303):
            raise AssertionError(f"{url}: HTTP {response.status_code} {response.text[:500]}")
        url = urljoin(url, response.headers["location"])
    raise AssertionError("the provider redirected too often")


async def provider_access_token(
    http: httpx.AsyncClient, idp: IdentityProvider, client: Client, sub: str, redirect_uri: str
) -> str:
    """A person's access token for the provider's ``resource`` (a JWT), obtained as the
    client with the authorization code flow (no PKCE needed: a confidential client)."""
    import base64
    import hashlib

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid alliances:read admin",
        "resource": idp.resource or "",
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    }
    back = await login(http, str(httpx.URL(f"{idp.issuer}/auth", params=params)), sub)
    code = httpx.URL(back).params["code"]
    response = await http.post(
        f"{idp.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
            "resource": idp.resource or "",
        },
        auth=(client.client_id, client.client_secret),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
