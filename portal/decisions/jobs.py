"""Written procedures close at their deadline: the server closes them acting for the
committee's chair, exactly as the chair would."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text

from auth import policy
from auth.principal import Principal
from db.enums import DecisionStatus
from db.governance import Decision
from db.session import LockedSession
from portal.committees.queries import get_committee
from portal.decisions.service import close_locked
from portal.kernel.system import Sessions, handle_due_items

DUE_WRITTEN_DECISIONS = text("SELECT * FROM public.portal_written_decisions_due(:at)")


async def close_due_written_decisions(sessions: Sessions, now: dt.datetime) -> int:
    """Close every written procedure whose deadline is at or before ``now``; returns how
    many it closed. Each decision is locked and re-checked, so several server processes
    never close one twice; one that cannot close (a plan revised since the vote) is left
    to the chair."""

    async def close(session: LockedSession, principal: Principal, decision_id: uuid.UUID) -> bool:
        decision = await session.scalar(
            policy.alliance_records(principal, Decision)
            .where(Decision.id == decision_id)
            .with_for_update()
        )
        if (
            decision is None
            or decision.status is not DecisionStatus.OPEN
            or decision.closes_at is None
            or decision.closes_at > now
        ):
            return False  # closed meanwhile, by the chair or another process
        committee = await get_committee(session, principal, decision.committee_id)
        await close_locked(session, principal, decision, committee, now=now)
        return True

    return await handle_due_items(
        sessions, DUE_WRITTEN_DECISIONS, now, what="written decision", handle=close
    )
