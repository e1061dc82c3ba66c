"""The server acting on its own: scheduled jobs run as credential kind ``system`` on behalf
of an organisation, under the same row-level security as any request."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import TextClause
from sqlalchemy.ext.asyncio import async_sessionmaker

from auth.principal import Principal
from auth.scopes import ALL_SCOPES
from db.enums import CredentialKind
from db.session import LockedSession, job_session, tenant_session
from db.unit_of_work import Actor, act_as
from portal.kernel.errors import DomainError

log = logging.getLogger("portal.jobs")

Sessions = async_sessionmaker[LockedSession]
Job = Callable[[Sessions, dt.datetime], Awaitable[int]]
"""A job handles what is due at the given moment and says how many items it handled."""


def system_principal(organisation_id: uuid.UUID) -> Principal:
    """The server itself, acting for ``organisation_id``."""
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


DueItem = tuple[uuid.UUID, uuid.UUID, uuid.UUID | None]
"""What a due-items statement returns: the item, its alliance, and an organisation seated
on the item's committee to act for (null when the committee has no seats)."""
Handle = Callable[[LockedSession, Principal, uuid.UUID], Awaitable[bool]]
"""Handles one due item acting for an organisation; False when it was no longer due."""


async def handle_due_items(
    sessions: Sessions, due: TextClause, now: dt.datetime, *, what: str, handle: Handle
) -> int:
    """The shape of every job: list what is due at ``now`` (in the jobs' role, acting for
    nobody: the SQL function that lists due items runs with its owner's rights, returns ids
    only, and no request may call it), then
    handle each item in its own transaction for the organisation the list names, so one
    failing item never holds up the rest. Returns how many items were handled."""
    async with job_session(sessions) as session, session.begin():
        items: list[Any] = list((await session.execute(due, {"at": now})).all())
    handled = 0
    for item_id, alliance_id, organisation_id in items:
        if organisation_id is None:
            log.warning(
                "%s %s is due but its committee has no seat holder to act for", what, item_id
            )
            continue
        try:
            async with acting_for(sessions, organisation_id) as (session, principal):
                handled += bool(await handle(session, principal, item_id))
        except DomainError as refusal:
            log.warning(
                "%s %s (alliance %s) was refused: %s", what, item_id, alliance_id, refusal.message
            )
        except Exception:  # one broken item must not stall the others
            log.exception("%s %s (alliance %s) failed", what, item_id, alliance_id)
    return handled
