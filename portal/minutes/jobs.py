"""Tacit approval: circulated minutes nobody objected to within the objection period are
approved by the server, acting for a seat holder of the committee (the secretary when there
is one)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text

from auth.principal import Principal
from db.session import LockedSession
from portal.kernel.system import Sessions, handle_due_items
from portal.minutes.service import approve_tacitly

DUE_FOR_TACIT_APPROVAL = text(
    "SELECT minutes_id, alliance_id, organisation_id"
    " FROM public.portal_minutes_due_for_tacit_approval(:at)"
)


async def approve_due_minutes(sessions: Sessions, now: dt.datetime) -> int:
    """Tacitly approve every set of circulated minutes whose objection deadline is at or
    before ``now``; returns how many it approved."""

    async def approve(session: LockedSession, principal: Principal, minutes_id: uuid.UUID) -> bool:
        return await approve_tacitly(session, principal, minutes_id, now=now) is not None

    return await handle_due_items(
        sessions, DUE_FOR_TACIT_APPROVAL, now, what="tacit approval of minutes", handle=approve
    )
