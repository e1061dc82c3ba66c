"""Test harness: one real PostgreSQL database per run, migrated once; every test starts
from empty tables; requests go through the ASGI app over HTTP.

Tables are emptied after each test that used the database with one script of ``DELETE``s
(children first) and sequence restarts: on tables holding a test's few rows that costs a
few milliseconds, where ``TRUNCATE`` of every table cost ~100 ms a test. A rollback per
test is not an option: the app commits through its own sessions and connections, as it
does in production.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from auth.api_tokens import TOKEN_LENGTH, TOKEN_PREFIX
from db.migrate import upgrade
from db.models import Base
from db.session import SERVER_ROLE, create_engine, make_sessionmaker, to_async_url
from db.unit_of_work import use_audit_key
from portal.app import create_app
from portal.database import as_role
from portal.logs import JsonFormatter
from portal.settings import Settings
from tests.builders import World

TEST_SECRET = "test-token-hashing-secret-of-sufficient-length"

EMPTY_TABLES = ";".join(
    [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
    + ["ALTER SEQUENCE events_position_seq RESTART", "ALTER SEQUENCE audit_entries_id_seq RESTART"]
)
"""Empties every table, children first, and restarts the identities (as TRUNCATE did)."""


def _server_url() -> str:
    configured = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if configured:
        return to_async_url(configured)
    from portal.embedded import start_embedded_postgres

    return start_embedded_postgres(Path(__file__).parent.parent / ".portal" / "test")


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A fresh database on the test server, migrated once, dropped at the end."""
    server = make_url(_server_url())
    name = f"portal_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, pool_size=1)
    await upgrade(engine)
    await engine.dispose()
    try:
        yield url
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture(autouse=True)
async def _empty_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    uses_database = bool({"engine", "server_engine"} & set(request.fixturenames))
    engine: AsyncEngine | None = request.getfixturevalue("engine") if uses_database else None
    yield
    if engine is None:
        return
    async with engine.connect() as connection:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.execute(EMPTY_TABLES)


TOKEN_SHAPED = re.compile(rf"{TOKEN_PREFIX}[0-9A-Za-z]{{{TOKEN_LENGTH - len(TOKEN_PREFIX)}}}")
"""What an API token looks like: none may appear in any log line, in any test."""


CLIENT_LOGGERS = ("httpx", "httpcore")
"""The tests' own HTTP client logs the URLs it requests: not the portal's logs."""


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(CLIENT_LOGGERS):
            self.lines.append(self.format(record))


@pytest.fixture(autouse=True)
def _no_credential_reaches_a_log() -> Iterator[None]:
    """Every log line a test causes (access log included, exceptions formatted) is read
    for anything shaped like a token."""
    root = logging.getLogger()
    lines, level = _Lines(), root.level
    root.addHandler(lines)
    root.setLevel(min(level, logging.INFO))
    try:
        yield
    finally:
        root.removeHandler(lines)
        root.setLevel(level)
    leaked = [line for line in lines.lines if TOKEN_SHAPED.search(line)]
    assert leaked == [], leaked


@pytest.fixture(scope="session", autouse=True)
def _audit_key() -> None:
    """What the app and the CLI do at start: sign audit entries with the portal's key."""
    use_audit_key(Settings(token_secret=TEST_SECRET).audit_key)  # type: ignore[arg-type]


@pytest.fixture
def settings() -> Settings:
    """The app's settings in tests. The cost budget is off here (its one read and one write
    per request would blur the statement counts); tests/platform/test_limits.py turns it on.
    Compiled reads run in verify mode: every query a test sends that the planner compiles
    is answered by both paths, and a difference fails the request."""
    return Settings(
        token_secret=TEST_SECRET,  # type: ignore[arg-type]
        database_url="unused://",
        cost_budget_per_credential=0,
        cost_budget_per_organisation=0,
        compiled_reads="verify",
    )


@pytest.fixture(scope="session")
async def server_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The engine the app runs on, logged in as ``portal_server`` as in production: the
    tests' own ``engine`` is the operator's (it sets up worlds and reads past RLS)."""
    engine = create_engine(as_role(database_url, SERVER_ROLE), pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture
async def client(
    settings: Settings, server_engine: AsyncEngine
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, server_engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test") as client:
        yield client


@pytest.fixture
def world(engine: AsyncEngine, settings: Settings) -> World:
    return World(make_sessionmaker(engine), settings.token_secret.get_secret_value())
