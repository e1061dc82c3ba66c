"""Which databases the portal uses, bringing their schema up to date, and checking that the
server's login can do nothing but become the application role."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from db.migrate import upgrade
from db.rls import DEFINER_ROLE
from db.session import APP_ROLE, SERVER_ROLE, create_engine
from portal.embedded import start_embedded_postgres
from portal.settings import Settings


@dataclass(frozen=True, slots=True)
class Databases:
    """The two connections: the server's (``portal serve``) and the operator's
    (migrations, ``demo``, ``token``, ``org``, ``audit``)."""

    server: str
    operator: str
    embedded: bool


def as_role(url: str, role: str) -> str:
    """``url`` logging in as ``role`` instead (no password: the embedded server trusts its
    socket)."""
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


def databases(settings: Settings) -> Databases:
    """The configured connections, or the embedded server's (started on demand): there the
    operator is the server's superuser and the server logs in as ``portal_server``."""
    if settings.database_url:
        operator = settings.operator_database_url or settings.database_url
        return Databases(settings.database_url, operator, embedded=False)
    operator = start_embedded_postgres(settings.data_dir)
    return Databases(as_role(operator, SERVER_ROLE), operator, embedded=True)


def operator_url(settings: Settings) -> str:
    """The connection of operator commands."""
    return databases(settings).operator


def migrate(url: str, *, server_password: str | None = None) -> None:
    """Run the migrations to head (from synchronous code such as the CLI); with
    ``server_password``, also set the password ``portal_server`` logs in with."""

    async def run() -> None:
        engine = create_engine(url, pool_size=1)
        try:
            await upgrade(engine)
            if server_password is not None:
                literal = "'" + server_password.replace("'", "''") + "'"
                async with engine.begin() as connection:
                    await connection.execute(text(f"ALTER ROLE {SERVER_ROLE} PASSWORD {literal}"))
        finally:
            await engine.dispose()

    asyncio.run(run())


async def login_problems(engine: AsyncEngine) -> list[str]:
    """What lets ``engine``'s login role do more than switch into the application role:
    empty for ``portal_server``, never empty for a superuser or the schema's owner."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    """
                    SELECT rolsuper, rolbypassrls,
                           pg_has_role(current_user, :definer, 'MEMBER') AS definer,
                           pg_has_role(current_user, :app, 'MEMBER') AS app,
                           has_table_privilege(current_user, 'public.organisations', 'SELECT')
                             AS reads
                    FROM pg_roles WHERE rolname = current_user
                    """
                ),
                {"definer": DEFINER_ROLE, "app": APP_ROLE},
            )
        ).one()
    problems = []
    if row.rolsuper:
        problems.append("it is a superuser")
    if row.rolbypassrls:
        problems.append("it bypasses row-level security")
    if row.definer:
        problems.append(f"it is a member of {DEFINER_ROLE}, which owns the definer functions")
    if not row.app:
        problems.append(f"it cannot switch into {APP_ROLE}")
    if row.reads:
        problems.append("it reads tenant tables without switching into the application role")
    return problems
