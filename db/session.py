"""Engines and sessions, and the tenant context every transaction runs under.

Each transaction of a tenant session starts with ``set_config(..., true)``: it switches to
the unprivileged application role and records the acting organisation for the row-level
security policies. Both settings are transaction-local, so a pooled connection never
carries one tenant's context into another's transaction.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

APP_ROLE = "portal_app"
"""The role every tenant transaction runs as: not superuser, not owner, no BYPASSRLS."""
SERVER_ROLE = "portal_server"
"""The role the server logs in as: a member of ``APP_ROLE`` that inherits nothing and has
no privilege of its own, so ``RESET ROLE`` leaves a connection with nothing to fall back
to. Operator commands (migrations, demo, tokens) log in as the schema's owner instead."""
JOB_ROLE = "portal_jobs"
"""The role in which scheduled jobs list what is due across tenants (ids only): the only
role that may call those definer functions, so no request can."""
SIGNIN_ROLE = "portal_signin"
"""The role of the sign-in endpoints (``/oauth/*``): before anyone is known they must find a
client, an organisation's identity provider and a person of any organisation, so this role
reads and writes the identity tables of every tenant and nothing of any alliance."""
ORGANISATION_SETTING = "portal.organisation_id"


@dataclass(frozen=True, slots=True)
class TenantContext:
    """The organisation a transaction acts for; ``None`` acts for nobody and sees nothing.

    A ``deferred`` context writes nothing when the transaction begins: the transaction's
    first statement is the request start (``auth.authenticate``), which finds the
    credential and sets the role and the organisation itself, in one round trip."""

    organisation_id: uuid.UUID | None
    role: str = APP_ROLE
    deferred: bool = False


START_CONTEXT = (
    f"set_config('role', '{APP_ROLE}', true) AS _role, "
    f"set_config('{ORGANISATION_SETTING}', %s, true) AS _tenant, "
    "set_config('plan_cache_mode', 'force_generic_plan', true) AS _plans"
)
"""The select-list items of a request start that enter the application role and the
organisation (``%s``: an SQL expression of its id as text), after the credential's lookup in
the same statement's FROM clause has run as the login role. The request's statements are
prepared once per connection; their generic plan is used from the first execution, since
planning a page's statement (policies included) can cost more than running it."""


def to_async_url(url: str) -> str:
    """Accept ``postgresql://`` URLs as users write them and use the asyncpg driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def create_engine(
    url: str, *, pool_size: int = 10, max_overflow: int | None = None, **kwargs: Any
) -> AsyncEngine:
    """An engine without pre-ping: a ping is a round trip on every checkout, and a request
    that finds its connection dead retries once on a new one instead (``portal.app``);
    SQLAlchemy then invalidates the rest of the pool, so one failure clears every stale
    connection."""
    return create_async_engine(
        to_async_url(url),
        pool_pre_ping=False,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        **kwargs,
    )


class LockedSession(AsyncSession):
    """An ``AsyncSession`` safe to share between concurrently running resolvers.

    strawberry resolves sibling fields concurrently; a connection runs one statement at a
    time. Every database round-trip takes the session's lock, so one operation keeps one
    transaction (and atomic mutations) without resolvers tripping over each other.
    (``scalars`` goes through ``execute``, so it is covered.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = asyncio.Lock()

    # The overrides only add the lock; under TYPE_CHECKING they are left out so type
    # checkers see AsyncSession's own, precise signatures.
    if not TYPE_CHECKING:

        async def execute(self, *args: Any, **kwargs: Any) -> Any:
            async with self.lock:
                return await super().execute(*args, **kwargs)

        async def scalar(self, *args: Any, **kwargs: Any) -> Any:
            async with self.lock:
                return await super().scalar(*args, **kwargs)

        async def get(self, *args: Any, **kwargs: Any) -> Any:
            async with self.lock:
                return await super().get(*args, **kwargs)

        async def flush(self, objects: Sequence[Any] | None = None) -> None:
            async with self.lock:
                await super().flush(objects)

        async def refresh(self, *args: Any, **kwargs: Any) -> None:
            async with self.lock:
                await super().refresh(*args, **kwargs)

        async def commit(self) -> None:
            async with self.lock:
                await super().commit()

        async def rollback(self) -> None:
            async with self.lock:
                await super().rollback()


def create_server_engine(url: str, *, pool_size: int) -> AsyncEngine:
    """The server's engine: up to ``pool_size`` connections, each kept once opened.

    No overflow: SQLAlchemy closes an overflow connection when it is returned, so under
    more concurrent requests than the pool holds every request would open a connection
    (a backend start, the type introspection, every statement prepared again) and close
    it; a request beyond ``pool_size`` waits for a connection instead."""
    return create_engine(url, pool_size=pool_size, max_overflow=0)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[LockedSession]:
    return async_sessionmaker(engine, class_=LockedSession, expire_on_commit=False)


@event.listens_for(Session, "after_begin")
def _apply_tenant_context(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    tenant = session.info.get("tenant")
    if not isinstance(tenant, TenantContext):
        return  # an operator session (migrations, CLI): runs as the connecting role
    if tenant.deferred:
        return  # the first statement is the request start, which sets both itself
    connection.execute(
        text("SELECT set_config('role', :role, true), set_config(:setting, :org, true)"),
        {
            "role": tenant.role,
            "setting": ORGANISATION_SETTING,
            "org": str(tenant.organisation_id or ""),
        },
    )


@asynccontextmanager
async def tenant_session(
    sessions: async_sessionmaker[LockedSession], organisation_id: uuid.UUID | None
) -> AsyncIterator[LockedSession]:
    """A session whose every transaction acts for ``organisation_id`` under RLS."""
    async with sessions() as session:
        session.info["tenant"] = TenantContext(organisation_id)
        yield session


@asynccontextmanager
async def request_session(
    sessions: async_sessionmaker[LockedSession],
) -> AsyncIterator[LockedSession]:
    """A session whose first statement must be a request start (``START_CONTEXT``): until it
    has run, the transaction is the login role's, which can read nothing."""
    async with sessions() as session:
        session.info["tenant"] = TenantContext(None, deferred=True)
        yield session


def started(session: AsyncSession, organisation_id: uuid.UUID) -> None:
    """Record that a request start switched ``session`` to ``organisation_id``, so a later
    transaction of the session begins in that context too."""
    session.info["tenant"] = TenantContext(organisation_id)


@asynccontextmanager
async def job_session(sessions: async_sessionmaker[LockedSession]) -> AsyncIterator[LockedSession]:
    """A session in the jobs' role, acting for no organisation: it may list what is due
    across tenants through the jobs' definer functions, and read nothing else."""
    async with sessions() as session:
        session.info["tenant"] = TenantContext(None, role=JOB_ROLE)
        yield session


@asynccontextmanager
async def signin_session(
    sessions: async_sessionmaker[LockedSession],
) -> AsyncIterator[LockedSession]:
    """A session in the sign-in role (``SIGNIN_ROLE``), acting for no organisation."""
    async with sessions() as session:
        session.info["tenant"] = TenantContext(None, role=SIGNIN_ROLE)
        yield session


async def set_tenant(session: AsyncSession, organisation_id: uuid.UUID) -> None:
    """Switch a tenant session to ``organisation_id`` from now on, including the
    transaction already open (authentication learns the organisation mid-transaction)."""
    session.info["tenant"] = TenantContext(organisation_id)
    if session.in_transaction():
        await session.execute(
            text("SELECT set_config(:setting, :org, true)"),
            {"setting": ORGANISATION_SETTING, "org": str(organisation_id)},
        )
