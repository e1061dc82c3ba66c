"""Databases of the benchmark: URLs in the forms each client wants, a fresh database per
run, and the portal's migrations."""

from __future__ import annotations

import re
import uuid

import asyncpg
from sqlalchemy.engine import make_url

from db.migrate import upgrade
from db.session import SERVER_ROLE, create_engine

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def libpq_url(url: str) -> str:
    """``url`` as asyncpg and libpq read it (``postgresql://``, no SQLAlchemy driver)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, name: str) -> str:
    """``url`` naming database ``name`` instead."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def as_server(url: str) -> str:
    """``url`` logging in as ``portal_server`` (no password: trust or peer auth, as in the
    benchmark's own cluster), as ``portal serve`` connects."""
    return (
        make_url(url).set(username=SERVER_ROLE, password=None).render_as_string(hide_password=False)
    )


def fresh_name(prefix: str) -> str:
    """A database name nobody else uses."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    if not _NAME.match(name):
        raise ValueError(f"not a database name: {name}")
    return name


async def create_database(url: str, name: str) -> str:
    """Create database ``name`` on ``url``'s server (``url`` names any database there) and
    return its URL."""
    if not _NAME.match(name):
        raise ValueError(f"not a database name: {name}")
    connection = await asyncpg.connect(libpq_url(url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return with_database(url, name)


async def drop_database(url: str, name: str) -> None:
    """Drop database ``name`` on ``url``'s server, closing its connections."""
    if not _NAME.match(name):
        raise ValueError(f"not a database name: {name}")
    connection = await asyncpg.connect(libpq_url(url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def migrate(url: str) -> None:
    """Bring ``url``'s database to the portal's head revision, as the operator."""
    engine = create_engine(url, pool_size=1)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
