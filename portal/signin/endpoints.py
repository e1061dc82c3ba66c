"""The OAuth 2.0 / OpenID Connect endpoints of the portal, over starlette:

- ``GET /oauth/authorize``: which organisation (slug or claimed e-mail domain), then off to
  its identity provider; ``GET /oauth/callback``: back from it, on to the client with a code;
- ``POST /oauth/token`` (authorization_code with PKCE, refresh_token), ``POST /oauth/revoke``
  (RFC 7009), ``POST /oauth/introspect`` (RFC 7662);
- ``/.well-known/oauth-authorization-server`` (RFC 8414), ``/.well-known/openid-configuration``
  and ``/.well-known/jwks.json``.

Until a redirect URI is known to be the client's, errors are pages, never redirects (an
open redirector otherwise); after, they go back to the client (RFC 6749 §4.1.2.1) with the
``iss`` of RFC 9207.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import html
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from db.identity import IdentityProvider, OAuthClient
from db.models import utcnow
from db.session import LockedSession, signin_session
from portal.settings import Settings
from portal.signin import issuing, keys, server
from portal.signin.bearer import OwnKeys, own_expectations
from portal.signin.people import NotAdmitted, admit
from portal.signin.remote_keys import RemoteKeySets
from portal.signin.sealing import unseal
from portal.signin.server import OAuthError
from portal.signin.upstream import (
    UpstreamRefused,
    authorization_url,
    exchange_code,
    verify_id_token,
)
from portal.signin.validation import MAX_TOKEN_BYTES, InvalidToken, validate

log = logging.getLogger("portal.signin")

CLIENT_SECRET_PURPOSE = "identity_providers.client_secret"  # noqa: S105 - a label
CODE_LIFETIME = dt.timedelta(seconds=60)
MAX_FORM_BYTES = 16 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
PAGE_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
AUTHORIZE_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


@dataclass
class SignIn:
    """The sign-in endpoints and what they share: settings, sessions, key caches."""

    settings: Settings
    sessions: async_sessionmaker[LockedSession]
    own_keys: OwnKeys
    key_sets: RemoteKeySets = field(init=False)

    def __post_init__(self) -> None:
        self.key_sets = RemoteKeySets(
            timeout=self.settings.outbound_timeout,
            refresh_interval=self.settings.key_set_refresh_seconds,
        )

    @property
    def issuer(self) -> str:
        return self.settings.issuer

    @property
    def hashing_key(self) -> bytes:
        return self.settings.token_secret.get_secret_value().encode()

    @property
    def access_lifetime(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.settings.access_token_seconds)

    def routes(self) -> list[Route]:
        return [
            Route("/oauth/authorize", self.authorize, methods=["GET"]),
            Route("/oauth/callback", self.callback, methods=["GET"]),
            Route("/oauth/token", self.token, methods=["POST"]),
            Route("/oauth/revoke", self.revoke, methods=["POST"]),
            Route("/oauth/introspect", self.introspect, methods=["POST"]),
            Route("/.well-known/oauth-authorization-server", self.metadata, methods=["GET"]),
            Route("/.well-known/openid-configuration", self.metadata, methods=["GET"]),
            Route("/.well-known/jwks.json", self.jwks, methods=["GET"]),
        ]

    # --- discovery -------------------------------------------------------------------

    async def metadata(self, request: Request) -> Response:
        """RFC 8414 metadata (also served as OpenID Connect discovery)."""
        base = self.issuer
        return JSONResponse(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/oauth/authorize",
                "token_endpoint": f"{base}/oauth/token",
                "revocation_endpoint": f"{base}/oauth/revoke",
                "introspection_endpoint": f"{base}/oauth/introspect",
                "jwks_uri": f"{base}/.well-known/jwks.json",
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "none",
                ],
                "revocation_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "none",
                ],
                "introspection_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "scopes_supported": [server.OPENID, *sorted(server.PORTAL_SCOPES)],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [keys.ALGORITHM],
                "claims_supported": [
                    "sub",
                    "iss",
                    "aud",
                    "exp",
                    "iat",
                    "auth_time",
                    "nonce",
                    "name",
                    "org",
                ],
                "authorization_response_iss_parameter_supported": True,
                "resource": issuing.Audience(base).resource,
            },
            headers={"Cache-Control": "public, max-age=300"},
        )

    async def jwks(self, request: Request) -> Response:
        """The portal's published public keys (signing now, soon, or until their tokens end)."""
        async with signin_session(self.sessions) as session:
            published = await keys.published(session, utcnow(), self.access_lifetime)
        # short enough that a rotation's lead (an hour by default) outlasts any cache
        return JSONResponse({"keys": published}, headers={"Cache-Control": "public, max-age=300"})

    # --- authorization ---------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        """Start a sign-in: check the client and its redirect URI, ask for the organisation
        if the request does not name it, then send the person to its identity provider."""
        params = request.query_params
        now = utcnow()
        async with signin_session(self.sessions) as session:
            client = await server.client_by_id(session, params.get("client_id"))
            if client is None:
                return _page(
                    400,
                    "Unknown client",
                    "This application is not registered with the portal, or has been suspended.",
                )
            redirect_uri = params.get("redirect_uri")
            if redirect_uri not in client.redirect_uris:
                return _page(
                    400,
                    "Redirect URI not registered",
                    "The application asked to "
                    "return to an address it has not registered. Nothing was sent.",
                )
            back = _Back(redirect_uri, params.get("state"), self.issuer)
            try:
                if params.get("response_type") != "code":
                    raise OAuthError("unsupported_response_type", "response_type must be code")
                scopes = server.parse_scope(params.get("scope"))
                challenge = server.check_challenge(
                    params.get("code_challenge"), params.get("code_challenge_method")
                )
            except OAuthError as error:
                return back.error(error.code, error.description)
            slug, hint = params.get("organisation"), params.get("login_hint")
            if not slug and not hint:
                return _choose_organisation(params, None)
            organisation = await server.organisation_for(session, slug=slug, login_hint=hint)
            if organisation is None:
                return _choose_organisation(
                    params, "No organisation by that name or e-mail domain uses the portal."
                )
            provider = await server.provider_of(session, organisation.id)
            if provider is None:
                return _choose_organisation(
                    params, f"{organisation.name} has not set up sign-in yet: ask its admin."
                )
            started = await server.start(
                session,
                hashing_key=self.hashing_key,
                organisation_id=organisation.id,
                client=client,
                redirect_uri=redirect_uri,
                scopes=scopes,
                client_state=params.get("state"),
                client_nonce=params.get("nonce"),
                code_challenge=challenge,
                now=now,
                lifetime=dt.timedelta(seconds=self.settings.signin_seconds),
            )
            await session.commit()
        return RedirectResponse(
            authorization_url(
                provider,
                callback=f"{self.issuer}/oauth/callback",
                state=started.state,
                nonce=started.nonce,
                verifier=started.verifier,
                login_hint=hint,
            ),
            status_code=303,
            headers=NO_STORE,
        )

    async def callback(self, request: Request) -> Response:
        """Back from the identity provider: check the state, exchange the code, check the ID
        token, find the person, and send them back to the client with a portal code."""
        params = request.query_params
        now = utcnow()
        async with signin_session(self.sessions) as session:
            signin = await server.resume(
                session, hashing_key=self.hashing_key, state=params.get("state"), now=now
            )
            if signin is None:
                return _page(
                    400,
                    "Sign-in expired",
                    "This sign-in is unknown, expired or "
                    "already finished. Start again from the application.",
                )
            provider = await server.provider_of(session, signin.organisation_id)
            await session.commit()  # the state is spent whatever happens next
        back = _Back(signin.redirect_uri, signin.client_state, self.issuer)
        if provider is None:
            return back.error("access_denied", "the organisation's sign-in was removed")
        if params.get("error"):
            return back.error("access_denied", "the identity provider did not sign you in")
        if params.get("iss") is not None and params.get("iss") != provider.issuer:
            return back.error("access_denied", "the answer came from another issuer")
        # no transaction stays open while the provider is asked
        try:
            raw = await exchange_code(
                provider,
                self._client_secret(provider),
                code=params.get("code", ""),
                callback=f"{self.issuer}/oauth/callback",
                verifier=signin.upstream_verifier,
                seconds=self.settings.outbound_timeout,
            )
            identity = await verify_id_token(
                provider, raw, nonce=signin.upstream_nonce, key_sets=self.key_sets
            )
        except UpstreamRefused as error:
            return back.error("access_denied", str(error))
        except InvalidToken as error:
            log.warning("ID token of %s refused: %s", provider.issuer, error)
            return back.error("access_denied", f"the identity provider's ID token: {error}")
        async with signin_session(self.sessions) as session:
            try:
                user = await admit(session, provider, identity, now)
            except NotAdmitted as error:
                return back.error("access_denied", str(error))
            code = await server.issue_code(
                session,
                hashing_key=self.hashing_key,
                request=signin,
                user=user,
                now=now,
                lifetime=CODE_LIFETIME,
            )
            await session.commit()
        return back.success(code)

    def _client_secret(self, provider: IdentityProvider) -> str | None:
        sealed = provider.client_secret_encrypted
        if sealed is None:
            return None
        return unseal(self.settings.sealing_key, sealed, purpose=CLIENT_SECRET_PURPOSE)

    # --- the token endpoint and friends ----------------------------------------------

    async def token(self, request: Request) -> Response:
        """Tokens for a code (with its PKCE verifier) or a refresh token."""
        try:
            form = await _form(request)
            now = utcnow()
            async with signin_session(self.sessions) as session:
                client = await self._authenticate_client(session, request, form)
                grant_type = form.get("grant_type")
                if grant_type == "authorization_code":
                    granted = await server.redeem_code(
                        session,
                        hashing_key=self.hashing_key,
                        client=client,
                        code=form.get("code"),
                        redirect_uri=form.get("redirect_uri"),
                        verifier=form.get("code_verifier"),
                        now=now,
                        refresh_lifetime=dt.timedelta(days=self.settings.refresh_token_days),
                    )
                elif grant_type == "refresh_token":
                    granted = await server.refresh(
                        session,
                        hashing_key=self.hashing_key,
                        client=client,
                        token=form.get("refresh_token"),
                        scope=form.get("scope"),
                        now=now,
                    )
                elif grant_type is None:
                    raise OAuthError("invalid_request", "grant_type is required")
                else:
                    raise OAuthError("unsupported_grant_type", f"{grant_type} is not supported")
                body = await self._tokens(session, client, granted, now)
                await session.commit()
        except OAuthError as error:
            return _oauth_error(error)
        return JSONResponse(body, headers=NO_STORE)

    async def _tokens(
        self, session: LockedSession, client: OAuthClient, granted: server.Granted, now: dt.datetime
    ) -> dict[str, Any]:
        signer = await keys.signer(session, self.settings.sealing_key, now)
        portal_scopes = [s for s in granted.scopes if s != server.OPENID]
        body: dict[str, Any] = {
            "access_token": issuing.access_token(
                signer,
                issuer=self.issuer,
                user_id=granted.user.id,
                organisation_id=granted.grant.organisation_id,
                client_id=client.client_id,
                grant_id=granted.grant.id,
                scopes=portal_scopes,
                now=now,
                lifetime=self.access_lifetime,
            ),
            "token_type": "Bearer",
            "expires_in": self.settings.access_token_seconds,
            "refresh_token": granted.refresh_token,
            "scope": " ".join(granted.scopes),
        }
        if server.OPENID in granted.scopes and granted.auth_time is not None:
            body["id_token"] = issuing.id_token(
                signer,
                issuer=self.issuer,
                user_id=granted.user.id,
                client_id=client.client_id,
                nonce=granted.nonce,
                name=granted.user.display_name,
                organisation_id=granted.grant.organisation_id,
                auth_time=granted.auth_time,
                now=now,
                lifetime=self.access_lifetime,
            )
        return body

    async def revoke(self, request: Request) -> Response:
        """RFC 7009: revoke a refresh or access token's grant. Unknown tokens answer 200 too,
        so the endpoint tells nothing about tokens the client does not hold."""
        try:
            form = await _form(request)
            async with signin_session(self.sessions) as session:
                client = await self._authenticate_client(session, request, form)
                token = form.get("token")
                if not token:
                    raise OAuthError("invalid_request", "token is required")
                revoked = await server.revoke_refresh_token(
                    session, hashing_key=self.hashing_key, client=client, token=token
                )
                if not revoked:
                    claims = await self._own_access_token(session, token, client)
                    if claims is not None:
                        await server.revoke_grant_of_client(
                            session, client=client, grant_id=_uuid(claims["gid"])
                        )
                await session.commit()
        except OAuthError as error:
            return _oauth_error(error)
        return Response(status_code=200, headers=NO_STORE)

    async def introspect(self, request: Request) -> Response:
        """RFC 7662, for confidential clients about their own tokens: anything unknown,
        expired, revoked or another client's is ``{"active": false}`` and nothing else."""
        try:
            form = await _form(request)
            now = utcnow()
            async with signin_session(self.sessions) as session:
                client = await self._authenticate_client(session, request, form)
                if client.is_public:
                    raise OAuthError(
                        "invalid_client", "introspection is for confidential clients", 401
                    )
                token = form.get("token") or ""
                answer = await self._introspection(session, client, token, now)
        except OAuthError as error:
            return _oauth_error(error)
        return JSONResponse(answer, headers=NO_STORE)

    async def _introspection(
        self, session: LockedSession, client: OAuthClient, token: str, now: dt.datetime
    ) -> dict[str, Any]:
        inactive = {"active": False}
        if len(token) > MAX_TOKEN_BYTES:
            return inactive
        refresh = await server.active_refresh_token(
            session, hashing_key=self.hashing_key, client=client, token=token, now=now
        )
        if refresh is not None:
            return {
                "active": True,
                "token_type": "refresh_token",
                "client_id": client.client_id,
                "scope": " ".join(refresh.grant.scopes),
                "sub": str(refresh.grant.user_id),
                "exp": int(refresh.expires_at.timestamp()),
                "iss": self.issuer,
            }
        claims = await self._own_access_token(session, token, client)
        if claims is None:
            return inactive
        live = await server.live_grant(
            session, grant_id=_uuid(claims["gid"]), user_id=_uuid(claims["sub"])
        )
        if live is None:
            return inactive
        return {
            "active": True,
            "token_type": "Bearer",
            **{key: claims[key] for key in ("iss", "sub", "aud", "exp", "iat", "jti", "scope")},
            "client_id": client.client_id,
            "org": claims["org"],
        }

    async def _own_access_token(
        self, session: LockedSession, token: str, client: OAuthClient
    ) -> dict[str, Any] | None:
        """The claims of a valid access token of the portal issued to ``client``."""
        try:
            claims = validate(token, await self.own_keys.get(token), own_expectations(self.issuer))
        except InvalidToken:
            return None
        if claims.get("client_id") != client.client_id or "gid" not in claims:
            return None
        return claims

    async def _authenticate_client(
        self, session: LockedSession, request: Request, form: Mapping[str, str]
    ) -> OAuthClient:
        """The client making the request (RFC 6749 §2.3): a confidential one by its secret,
        in the Authorization header or the body but not both; a public one by its id."""
        header = request.headers.get("authorization")
        if header is not None:
            if "client_secret" in form:
                raise OAuthError("invalid_request", "send the client's secret one way only")
            client_id, secret = _basic(header)
        else:
            client_id, secret = form.get("client_id"), form.get("client_secret")
        if form.get("client_id") not in (None, client_id):
            raise OAuthError("invalid_request", "client_id differs from the authenticated client")
        client = await server.client_by_id(session, client_id)
        if client is None:
            raise _invalid_client()
        if client.is_public:
            if secret:
                raise _invalid_client()
            return client
        if (
            not secret
            or client.secret_hash is None
            or not issuing.secret_matches(client.secret_hash, secret, self.hashing_key)
        ):
            raise _invalid_client()
        return client


def _uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise OAuthError("invalid_request", "malformed token") from None


@dataclass(frozen=True, slots=True)
class _Back:
    """The way back to a client's verified redirect URI."""

    redirect_uri: str
    state: str | None
    issuer: str

    def _to(self, params: dict[str, str]) -> Response:
        if self.state is not None:
            params["state"] = self.state
        params["iss"] = self.issuer
        parts = urlsplit(self.redirect_uri)
        query = urlencode([*parse_qsl(parts.query), *params.items()])
        target = urlunsplit(parts._replace(query=query))
        return RedirectResponse(target, status_code=303, headers=NO_STORE)

    def error(self, code: str, description: str) -> Response:
        return self._to({"error": code, "error_description": description})

    def success(self, code: str) -> Response:
        return self._to({"code": code})


def _invalid_client() -> OAuthError:
    return OAuthError("invalid_client", "client authentication failed", 401)


def _oauth_error(error: OAuthError) -> Response:
    headers = dict(NO_STORE)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="portal"'
    return JSONResponse(
        {"error": error.code, "error_description": error.description},
        status_code=error.status,
        headers=headers,
    )


async def _form(request: Request) -> dict[str, str]:
    """The request's form parameters, each once (RFC 6749 §3.2: parameters must not repeat)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != (
        "application/x-www-form-urlencoded"
    ):
        raise OAuthError("invalid_request", "send application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise OAuthError("invalid_request", "the request is too large")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=False, strict_parsing=False)
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "the form is not UTF-8") from None
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise OAuthError("invalid_request", f"{key} is repeated")
        form[key] = value
    return form


def _basic(header: str) -> tuple[str | None, str | None]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError("invalid_client", "client authentication must be HTTP Basic", 401)
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "malformed Basic credentials", 401) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "malformed Basic credentials", 401)
    return unquote_plus(client_id), unquote_plus(secret)


def _page(status: int, title: str, message: str) -> Response:
    return HTMLResponse(_html(title, f"<p>{html.escape(message)}</p>"), status, PAGE_HEADERS)


def _choose_organisation(params: Mapping[str, str], problem: str | None) -> Response:
    """The page asking which organisation the person signs in with. It lists none: which
    organisations use the portal is not the page's to tell."""
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
        for name in AUTHORIZE_PARAMETERS
        if name in params
    )
    warning = f'<p role="alert">{html.escape(problem)}</p>' if problem else ""
    body = (
        f'{warning}<form method="get" action="/oauth/authorize">{hidden}'
        '<p><label>Your work e-mail address <input type="email" name="login_hint" '
        'autocomplete="email"></label></p>'
        '<p><label>or your organisation\'s short name <input name="organisation" '
        'autocomplete="organization"></label></p>'
        '<p><button type="submit">Continue</button></p></form>'
    )
    return HTMLResponse(
        _html("Sign in to Alliance Portal", body), 400 if problem else 200, PAGE_HEADERS
    )


def _html(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}</html>"
    )
