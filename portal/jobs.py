"""Scheduled governance procedures that run inside the server: tacit approval of minutes
whose objection period has passed, escalation of issues left unanswered too long, and the
closing of written procedures at their deadline.

Every server process runs the loop; they cannot step on each other because each job handles
one item per transaction, locks the item's row and re-checks its state first, so an item
already handled by another process is skipped. Jobs act as the server itself (credential
kind ``system``) on behalf of an organisation of the committee concerned, under the same
row-level security as any request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import async_sessionmaker

from auth.principal import Principal
from auth.scopes import ALL_SCOPES
from db.enums import CredentialKind
from db.models import utcnow
from db.session import LockedSession, tenant_session
from portal.unit_of_work import Actor, act_as

log = logging.getLogger("portal.jobs")

Sessions = async_sessionmaker[LockedSession]
Job = Callable[[Sessions, dt.datetime], Awaitable[int]]
"""A job handles what is due at the given moment and says how many items it handled."""


def system_principal(organisation_id: uuid.UUID) -> Principal:
    return Principal(organisation_id, None, CredentialKind.SYSTEM, None, ALL_SCOPES)


@asynccontextmanager
async def acting_for(
    sessions: Sessions, organisation_id: uuid.UUID
) -> AsyncIterator[tuple[LockedSession, Principal]]:
    """One committed transaction in which the server acts for ``organisation_id``."""
    principal = system_principal(organisation_id)
    async with tenant_session(sessions, organisation_id) as session, session.begin():
        act_as(session, Actor.of(principal))
        yield session, principal


def registered_jobs() -> tuple[Job, ...]:
    # imported here: the domain modules import this one for ``acting_for``
    from portal.decisions import close_due_written_decisions
    from portal.issues import escalate_overdue_issues
    from portal.minutes import approve_due_minutes

    return (approve_due_minutes, escalate_overdue_issues, close_due_written_decisions)


async def run_due_jobs(sessions: Sessions, now: dt.datetime) -> int:
    """Run every job once for ``now``; a failing job is logged and does not stop the rest."""
    handled = 0
    for job in registered_jobs():
        try:
            handled += await job(sessions, now)
        except Exception:
            log.exception("job %s failed", job.__name__)
    return handled


async def run_forever(sessions: Sessions, interval: float) -> None:
    """The server's job loop, started by the app's lifespan."""
    while True:
        await run_due_jobs(sessions, utcnow())
        await asyncio.sleep(interval)
