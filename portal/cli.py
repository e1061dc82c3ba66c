"""The ``portal`` command: serve, migrate, seed the demo, manage tokens, export the schema."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.scopes import ALL_SCOPES, parse_scopes
from db.enums import OrganisationKind
from db.models import ApiToken, Organisation, utcnow
from db.session import SERVER_ROLE, create_engine, create_server_engine, make_sessionmaker
from db.unit_of_work import Actor, act_as, use_audit_key
from portal.api_tokens import issue_token
from portal.database import databases, login_problems, migrate, operator_url
from portal.settings import Settings, get_settings

log = logging.getLogger("portal.cli")

app = typer.Typer(
    help="Alliance Portal: the shared backend of research alliances.",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
token_app = typer.Typer(
    help="API tokens of an organisation (operator commands).", no_args_is_help=True
)
schema_app = typer.Typer(help="The GraphQL schema.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail (operator commands).", no_args_is_help=True)
org_app = typer.Typer(help="Organisations (operator commands).", no_args_is_help=True)
keys_app = typer.Typer(
    help="The portal's token-signing keys (operator commands).", no_args_is_help=True
)


@app.callback()
def _start() -> None:
    """Every command signs what it records with the portal's audit key."""
    use_audit_key(get_settings().audit_key)


app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(schema_app, name="schema")
app.add_typer(audit_app, name="audit")
app.add_typer(org_app, name="org")
app.add_typer(keys_app, name="keys")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface (default PORTAL_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PORTAL_PORT).")] = None,
) -> None:
    """Run the server. Without PORTAL_DATABASE_URL it starts an embedded PostgreSQL in
    PORTAL_DATA_DIR and migrates it; a configured database is migrated in development only
    (run `portal db upgrade` in production)."""
    import uvicorn

    from portal.app import create_app
    from portal.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    found = databases(settings)
    if found.embedded or settings.is_dev:
        migrate(found.operator, server_password=_server_password(settings))
    _check_login(found.server, refuse=not settings.is_dev)
    host = host or settings.host
    port = settings.port if port is None else port
    # the default issuer (no PORTAL_PUBLIC_URL) is where this server listens
    settings = settings.model_copy(update={"host": host, "port": port})
    config = uvicorn.Config(
        create_app(settings, create_server_engine(found.server, pool_size=settings.db_pool_size)),
        host=host,
        port=port,
        log_config=None,
        # uvicorn's access log writes the query string; portal.logs.AccessLog writes paths
        access_log=False,
        proxy_headers=True,
    )
    server = uvicorn.Server(config)
    where = (
        "embedded PostgreSQL in " + str(settings.data_dir)
        if found.embedded
        else "PORTAL_DATABASE_URL"
    )
    typer.echo(f"Alliance Portal on http://{host}:{port}/graphql (database: {where})", err=True)
    server.run()


def _server_password(settings: Settings) -> str | None:
    secret = settings.server_role_password
    return secret.get_secret_value() if secret is not None else None


def _check_login(url: str, *, refuse: bool) -> None:
    """The server's login must be able to become the application role and nothing else;
    in production anything more stops the server, in development it is a warning."""

    async def check() -> list[str]:
        engine = create_engine(url, pool_size=1)
        try:
            return await login_problems(engine)
        finally:
            await engine.dispose()

    problems = asyncio.run(check())
    if not problems:
        return
    message = (
        "the server's database login can do more than become the application role: "
        + "; ".join(problems)
        + f". Log in as {SERVER_ROLE} (see README, 'Database roles')."
    )
    if refuse:
        typer.echo(message, err=True)
        raise typer.Exit(1)
    log.warning("%s", message)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured (or embedded) database, as the operator; with
    PORTAL_SERVER_ROLE_PASSWORD, also set the password of the server's login role."""
    settings = get_settings()
    migrate(operator_url(settings), server_password=_server_password(settings))
    typer.echo("database is up to date", err=True)


@app.command()
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="Print only JSON.")] = False,
) -> None:
    """Seed the demo world (idempotent) and print a fresh all-scopes token per organisation."""
    from portal.demo import DEMO_REDIRECT_URI, seed_demo

    settings = get_settings()
    url = operator_url(settings)
    migrate(url, server_password=_server_password(settings))
    access = asyncio.run(seed_demo(url, settings.token_secret.get_secret_value()))
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {"organisation": a.slug, "token": a.token, "client_id": a.client_id}
                    for a in access
                ]
            )
        )
        return
    base = settings.issuer
    typer.echo("Demo organisations and fresh API tokens (shown once):")
    for entry in access:
        typer.echo(f"  {entry.slug:<24} {entry.token}")
    typer.echo(
        '\nTry: curl -H "Authorization: Bearer <token>" -H "Content-Type: application/json"'
        ' -d \'{"query":"{ viewer { organisation { name } } }"}\' '
        f"{base}/graphql"
    )
    typer.echo(
        "\nSign-in: each organisation has a registered public test client (PKCE, redirect "
        f"URI {DEMO_REDIRECT_URI}):"
    )
    for entry in access:
        typer.echo(f"  {entry.slug:<24} client_id {entry.client_id}")
    typer.echo(
        f"Open {base}/oauth/authorize?response_type=code&client_id=<client_id>"
        f"&redirect_uri={DEMO_REDIRECT_URI}&scope=openid%20alliances:read"
        "&code_challenge=<S256 of your verifier>&code_challenge_method=S256&state=<random>"
        "\nThe portal asks for the organisation and sends you to its identity provider, once "
        "its admin registered one (README: Sign-in)."
    )


async def _organisation(session: AsyncSession, slug: str) -> Organisation:
    found = await session.scalar(select(Organisation).where(Organisation.slug == slug))
    if found is None:
        raise typer.BadParameter(f"no organisation with slug {slug!r}", param_hint="--organisation")
    return found


@token_app.command("create")
def token_create(
    organisation: Annotated[str, typer.Option(help="The organisation's slug.")],
    name: Annotated[str, typer.Option(help="What the token is for.")],
    scope: Annotated[list[str] | None, typer.Option(help="A scope; repeat. Default: all.")] = None,
    days: Annotated[int, typer.Option(min=1, max=365, help="Lifetime in days.")] = 90,
    trusted_only: Annotated[
        bool, typer.Option(help="Run only the organisation's trusted documents.")
    ] = False,
) -> None:
    """Create a token for an organisation; prints the secret once."""
    settings = get_settings()
    url = operator_url(settings)
    try:
        scopes = parse_scopes(scope) if scope else ALL_SCOPES
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--scope") from None

    async def create() -> str:
        engine = create_engine(url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                org = await _organisation(session, organisation)
                act_as(session, Actor.operator(org.id))
                issued = await issue_token(
                    session,
                    organisation_id=org.id,
                    created_by_user_id=None,
                    name=name,
                    scopes=scopes,
                    expires_at=utcnow() + dt.timedelta(days=days),
                    hashing_secret=settings.token_secret.get_secret_value(),
                    trusted_documents_only=trusted_only,
                )
                return issued.secret
        finally:
            await engine.dispose()

    typer.echo(asyncio.run(create()))


@token_app.command("list")
def token_list(
    organisation: Annotated[str, typer.Option(help="The organisation's slug.")],
) -> None:
    """List an organisation's tokens (never their secrets)."""
    url = operator_url(get_settings())

    async def rows() -> list[ApiToken]:
        engine = create_engine(url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session:
                org = await _organisation(session, organisation)
                found = await session.scalars(
                    select(ApiToken)
                    .where(ApiToken.organisation_id == org.id)
                    .order_by(ApiToken.created_at.desc())
                )
                return list(found)
        finally:
            await engine.dispose()

    now = utcnow()
    for token in asyncio.run(rows()):
        state = (
            "revoked" if token.revoked_at else "expired" if token.expires_at <= now else "active"
        )
        typer.echo(
            f"{token.id}  ...{token.last_four}  {state:<8} {token.name}  "
            f"expires {token.expires_at:%Y-%m-%d}  scopes {','.join(token.scopes)}"
        )


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token's id.")]) -> None:
    """Revoke a token at once."""
    import uuid

    try:
        token_uuid = uuid.UUID(token_id)
    except ValueError:
        raise typer.BadParameter("not a token id (see `portal token list`)") from None
    url = operator_url(get_settings())

    async def revoke() -> bool:
        engine = create_engine(url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                token = await session.get(ApiToken, token_uuid, with_for_update=True)
                if token is None:
                    return False
                if token.revoked_at is None:
                    act_as(session, Actor.operator(token.organisation_id))
                    token.revoked_at = utcnow()
                return True
        finally:
            await engine.dispose()

    if not asyncio.run(revoke()):
        typer.echo(f"no token {token_id}", err=True)
        raise typer.Exit(1)
    typer.echo("revoked")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check that every organisation's audit entries form an unbroken hash chain; exits 1
    naming the first entry that does not follow from its predecessor."""
    from portal.audit import verify_audit_trail

    url = operator_url(get_settings())

    async def verify() -> list[Any]:
        engine = create_engine(url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session:
                return await verify_audit_trail(session, get_settings().audit_key)
        finally:
            await engine.dispose()

    reports = asyncio.run(verify())
    for report in reports:
        state = (
            "intact"
            if report.intact
            else f"BROKEN at entry {report.first_broken}"
            if report.first_broken is not None
            else f"BROKEN: {report.head_problem}"
        )
        typer.echo(f"{report.slug:<28} {report.entries:>6} entries  {state}")
    if not all(report.intact for report in reports):
        raise typer.Exit(1)


@schema_app.command("export")
def schema_export(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path("schema.graphql"),
) -> None:
    """Write the GraphQL schema (SDL) to a file; CI fails when it drifts from the code."""
    from portal.settings import Settings
    from schema import build_schema

    output.write_text(build_schema(Settings()).as_str() + "\n")
    typer.echo(f"wrote {output}", err=True)


@org_app.command("create")
def org_create(
    slug: Annotated[str, typer.Option(help="Short name: lower-case letters, digits, hyphens.")],
    name: Annotated[str, typer.Option(help="The organisation's full name.")],
    kind: Annotated[OrganisationKind, typer.Option(help="What kind of organisation it is.")],
    country: Annotated[str, typer.Option(help="ISO 3166 alpha-2 code, e.g. DE.")],
    admin_email: Annotated[str, typer.Option(help="E-mail of its first admin (invited).")],
    admin_name: Annotated[str, typer.Option(help="Name of its first admin.")] = "",
    domain: Annotated[
        list[str] | None,
        typer.Option(help="An e-mail domain it claims, for the sign-in page; repeat."),
    ] = None,
) -> None:
    """Onboard an organisation: prints it and its first admin's invitation with a bootstrap
    token (shown once, a week) to register the organisation's identity provider."""
    from portal.kernel.errors import BadInput
    from portal.onboarding import BOOTSTRAP_LIFETIME, onboard_organisation

    settings = get_settings()
    url = operator_url(settings)

    async def create() -> Any:
        engine = create_engine(url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session, session.begin():
                return await onboard_organisation(
                    session,
                    slug=slug,
                    name=name,
                    kind=kind,
                    country=country,
                    admin_email=admin_email,
                    admin_name=admin_name,
                    domains=domain or [],
                    hashing_secret=settings.token_secret.get_secret_value(),
                )
        finally:
            await engine.dispose()

    try:
        done = asyncio.run(create())
    except BadInput as error:
        raise typer.BadParameter(error.message, param_hint=f"--{error.field}") from None
    org = done.organisation
    typer.echo(f"organisation {org.slug} ({org.name}, {org.kind.value}, {org.country}) {org.id}")
    if done.domains:
        typer.echo(f"claims e-mail domains: {', '.join(done.domains)}")
    typer.echo(f"invited first admin: {done.admin.email} (pending until first sign-in)")
    typer.echo(
        f"bootstrap token for the admin, valid {BOOTSTRAP_LIFETIME.days} days (shown once):\n"
        f"  {done.bootstrap_token}\n"
        "With it, register the organisation's identity provider (registerIdentityProvider, "
        "see README: Sign-in); the admin then signs in through it."
    )


@org_app.command("list")
def org_list() -> None:
    """List organisations: slug, kind, country, people, identity provider."""
    from sqlalchemy import func

    from db.identity import IdentityProvider
    from db.models import User

    url = operator_url(get_settings())

    async def rows() -> list[Any]:
        engine = create_engine(url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session:
                people = (
                    select(func.count())
                    .where(User.organisation_id == Organisation.id)
                    .scalar_subquery()
                )
                found = await session.execute(
                    select(Organisation, people, IdentityProvider.issuer)
                    .outerjoin(IdentityProvider)
                    .order_by(Organisation.slug)
                )
                return list(found)
        finally:
            await engine.dispose()

    for org, people, issuer in asyncio.run(rows()):
        typer.echo(
            f"{org.slug:<24} {org.kind.value:<10} {org.country}  {people:>4} people  "
            f"{issuer or 'no identity provider'}"
        )


@keys_app.command("rotate")
def keys_rotate(
    lead_minutes: Annotated[
        int,
        typer.Option(
            min=0,
            help="Minutes the new key is published before it signs; longer than clients "
            "cache the key set.",
        ),
    ] = 60,
) -> None:
    """Make a new signing key: published now, signing after the lead; the current key stops
    signing then and stays published until its last access token has expired."""
    from db.session import signin_session
    from portal.signin import keys

    settings = get_settings()
    url = operator_url(settings)

    async def rotate() -> Any:
        engine = create_engine(url, pool_size=1)
        try:
            async with signin_session(make_sessionmaker(engine)) as session, session.begin():
                return await keys.rotate(
                    session, settings.sealing_key, utcnow(), dt.timedelta(minutes=lead_minutes)
                )
        finally:
            await engine.dispose()

    key = asyncio.run(rotate())
    typer.echo(f"new key {key.kid}: published now, signs from {key.signs_from:%Y-%m-%d %H:%M} UTC")


@keys_app.command("list")
def keys_list() -> None:
    """List the signing keys and when each signs."""
    from db.identity import SigningKey

    url = operator_url(get_settings())

    async def rows() -> list[SigningKey]:
        engine = create_engine(url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session:
                return list(
                    await session.scalars(select(SigningKey).order_by(SigningKey.signs_from))
                )
        finally:
            await engine.dispose()

    for key in asyncio.run(rows()):
        until = f"{key.signs_until:%Y-%m-%d %H:%M}" if key.signs_until else "now on"
        typer.echo(f"{key.kid}  {key.alg}  signs {key.signs_from:%Y-%m-%d %H:%M} .. {until}")
