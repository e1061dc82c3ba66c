"""A real OpenID provider for the tests: ``provider.mjs`` (panva's oidc-provider) run by
Node.js on a loopback port, with the accounts, clients and signing keys a test gives it.

``login`` plays the person's browser: it follows the provider's redirects, signs the account
in through the provider's programmatic interaction, and returns where the provider sends the
browser back to (the relying party's redirect URI, with code and state), unrequested.

The provider keeps everything (sessions, codes, grants, tokens) in memory: a restart (and so
``rotate_keys``, ``add_account``, ``add_client`` on a running provider) forgets them all, but
keeps the port, the keys, the accounts and the clients.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
import pytest
from joserfc.jwk import ECKey, KeySetSerialization, RSAKey

HERE = Path(__file__).parent
START_SECONDS = 20.0
STOP_SECONDS = 10.0
MAX_REDIRECTS = 10
REDIRECTS = frozenset({301, 302, 303, 307, 308})

DEFAULT_RESOURCE_SCOPE = "openid alliances:read governance:read admin"
"""The scopes the provider's resource server (``resource``) knows: the portal's."""

EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})


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
    """A relying party registered at the provider (the portal, in the tests).
    ``id_token_signed_response_alg`` defaults to the provider's ``alg``; another algorithm
    needs a key of its kind among the provider's keys."""

    client_id: str
    client_secret: str
    redirect_uris: Sequence[str]
    token_endpoint_auth_method: str = "client_secret_basic"
    id_token_signed_response_alg: str | None = None


def ensure_installed() -> None:
    """``npm ci`` if the provider's packages are missing or not the pinned version. Skips
    the test only when Node.js itself is absent; any other failure fails it."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed: the identity provider tests need it")
    pinned = json.loads((HERE / "package.json").read_text())["dependencies"]["oidc-provider"]
    installed = HERE / "node_modules" / "oidc-provider" / "package.json"
    if installed.is_file() and json.loads(installed.read_text())["version"] == pinned:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("Node.js is installed but npm is not: cannot install oidc-provider")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"npm ci failed in {HERE}:\n{done.stdout}\n{done.stderr}")


def free_port() -> int:
    """A loopback port nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def new_key(alg: str = "ES256") -> dict[str, Any]:
    """A private signing JWK for ``alg`` with a fresh ``kid``."""
    parameters: Any = {"kid": secrets.token_hex(8), "alg": alg, "use": "sig"}
    if alg in EC_CURVES:
        key: ECKey | RSAKey = ECKey.generate_key(EC_CURVES[alg], parameters, private=True)
    elif alg in RSA_ALGORITHMS:
        key = RSAKey.generate_key(2048, parameters, private=True)
    else:
        raise ValueError(f"no key type for {alg}")
    return dict(key.as_dict(private=True))


class IdentityProvider:
    """One provider process; ``start``/``stop``/``restart`` keep its port and keys."""

    def __init__(
        self,
        workdir: Path,
        *,
        accounts: Iterable[Account],
        clients: Iterable[Client],
        resource: str | None = None,
        resource_scope: str = DEFAULT_RESOURCE_SCOPE,
        port: int | None = None,
        alg: str = "ES256",
    ) -> None:
        self.workdir = workdir
        self.accounts = list(accounts)
        self.clients = list(clients)
        self.resource = resource
        self.resource_scope = resource_scope
        self.port = free_port() if port is None else port
        self.alg = alg
        self.keys: list[dict[str, Any]] = [new_key(alg)]
        """Private JWKs, the signing one first."""
        self._process: subprocess.Popen[bytes] | None = None
        self._logs: list[IO[bytes]] = []

    def __repr__(self) -> str:
        return f"IdentityProvider({self.issuer}, running={self.running})"

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def signing_kid(self) -> str:
        """The kid of the key that signs (the first)."""
        return str(self.keys[0]["kid"])

    @property
    def private_jwks(self) -> KeySetSerialization:
        """The provider's private keys: for tests that forge what only it could sign."""
        return {"keys": [dict(key) for key in self.keys]}

    @property
    def _stdout(self) -> Path:
        return self.workdir / f"provider-{self.port}.stdout"

    @property
    def _stderr(self) -> Path:
        return self.workdir / f"provider-{self.port}.stderr"

    def start(self) -> IdentityProvider:
        """Start the process; return once it listens (it printed ``ready``)."""
        if self._process is not None:
            raise RuntimeError(f"{self.issuer} is started already")
        algorithms = {key["alg"] for key in self.keys}
        for client in self.clients:
            if (client.id_token_signed_response_alg or self.alg) not in algorithms:
                # oidc-provider would only fail at the client's first request
                raise ValueError(f"no {client.id_token_signed_response_alg} key for {client}")
        ensure_installed()
        config = self.workdir / f"provider-{self.port}.json"
        config.write_text(json.dumps(self._config(), indent=2))
        # Output goes to files, not pipes: a pipe nobody reads would block the provider once
        # full. Node writes to files synchronously, so "ready" is there once printed.
        self._logs = [self._stdout.open("wb"), self._stderr.open("wb")]
        self._process = subprocess.Popen(
            ["node", str(HERE / "provider.mjs"), str(config)],  # noqa: S607 - node from PATH
            cwd=HERE,
            stdin=subprocess.DEVNULL,
            stdout=self._logs[0],
            stderr=self._logs[1],
        )
        deadline = time.monotonic() + START_SECONDS
        while self._stdout.read_text().splitlines()[:1] != ["ready"]:
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"the identity provider at {self.issuer} did not start:\n"
                    + self._stderr.read_text()
                )
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop the process (if started); its port refuses connections after."""
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self._logs:
            log.close()
        self._logs = []

    def restart(self) -> None:
        """Stop and start again: same port, keys, accounts, clients; nothing in memory."""
        self.stop()
        self.start()

    def rotate_keys(self, *, keep_old: bool = True) -> None:
        """A new signing key first; the old ones still published if ``keep_old``. A running
        provider restarts to use it."""
        self.keys = [new_key(self.alg), *(self.keys if keep_old else [])]
        self._restart_if_running()

    def add_account(self, account: Account) -> None:
        """Another person; a running provider restarts to know them."""
        self.accounts.append(account)
        self._restart_if_running()

    def add_client(self, client: Client) -> None:
        """Another relying party; a running provider restarts to know it."""
        self.clients.append(client)
        self._restart_if_running()

    def _restart_if_running(self) -> None:
        if self._process is not None:
            self.restart()

    def _config(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "port": self.port,
            "jwks": self.private_jwks,
            "accounts": [asdict(account) for account in self.accounts],
            "clients": [
                {**asdict(client), "redirect_uris": list(client.redirect_uris)}
                for client in self.clients
            ],
            "resource": self.resource,
            "resource_scope": self.resource_scope,
        }

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


async def login(
    http: httpx.AsyncClient, authorization_url: str, sub: str, *, issuer: str | None = None
) -> str:
    """Sign ``sub`` in at the provider and return the first URL the provider sends the
    browser to off its own origin (the relying party's redirect URI, with code and state),
    unrequested.

    ``authorization_url`` is the provider's authorization request, or a URL that redirects
    to it (the relying party's sign-in link). The provider is ``issuer``'s origin if given,
    else that of the first URL carrying ``response_type``. Cookies stay in ``http``'s jar."""
    provider = _origin(issuer) if issuer is not None else None
    url, at_provider = authorization_url, False
    for _ in range(MAX_REDIRECTS):
        if provider is None and "response_type" in httpx.URL(url).params:
            provider = _origin(url)
        if _origin(url) == provider:
            at_provider = True
            path = urlsplit(url).path
            if path.startswith("/interaction/") and not path.endswith("/login"):
                url = f"{provider}{path}/login?{urlencode({'sub': sub})}"
        elif at_provider:
            return url
        response = await http.get(url, follow_redirects=False)
        if response.status_code not in REDIRECTS:
            raise AssertionError(f"{url}: HTTP {response.status_code} {response.text[:500]}")
        url = urljoin(url, response.headers["location"])
    raise AssertionError(f"more than {MAX_REDIRECTS} redirects from {authorization_url}")


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def token_request(
    http: httpx.AsyncClient, provider: IdentityProvider, client: Client, form: dict[str, str]
) -> dict[str, Any]:
    """POST ``form`` to the provider's token endpoint as ``client`` (authenticated as it is
    registered to); the JSON answer, which must be HTTP 200."""
    auth: httpx.Auth = httpx.BasicAuth(client.client_id, client.client_secret)
    if client.token_endpoint_auth_method == "client_secret_post":
        form = {**form, "client_id": client.client_id, "client_secret": client.client_secret}
        auth = httpx.Auth()  # sends the request as it is
    response = await http.post(f"{provider.issuer}/token", data=form, auth=auth)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def client_credentials_token(
    http: httpx.AsyncClient,
    provider: IdentityProvider,
    client: Client,
    resource: str | None = None,
    *,
    scope: str | None = None,
) -> str:
    """The client's own access token for ``resource`` (default: the provider's): a JWT."""
    form = {"grant_type": "client_credentials", "resource": resource or provider.resource or ""}
    if scope is not None:
        form["scope"] = scope
    token: str = (await token_request(http, provider, client, form))["access_token"]
    return token


async def provider_access_token(
    http: httpx.AsyncClient, idp: IdentityProvider, client: Client, sub: str, redirect_uri: str
) -> str:
    """A person's access token for the provider's ``resource`` (a JWT), obtained as the
    client with the authorization code flow."""
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid alliances:read admin",
        "resource": idp.resource or "",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    back = await login(http, str(httpx.URL(f"{idp.issuer}/auth", params=params)), sub)
    form = {
        "grant_type": "authorization_code",
        "code": httpx.URL(back).params["code"],
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "resource": idp.resource or "",
    }
    token: str = (await token_request(http, idp, client, form))["access_token"]
    return token
