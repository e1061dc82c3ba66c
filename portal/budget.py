"""The query-cost budget: how much an organisation, and each of its credentials, may spend
per minute, shared by every server process through PostgreSQL (``cost_spent``).

Before an operation runs, what was spent this minute is read in the operation's own
transaction (``seconds_to_wait``: a read, which locks nothing); an operation that would
exceed a budget is refused (``RATE_LIMITED``, HTTP 429 with ``Retry-After``: the seconds
until the minute ends). Its requested cost is charged in the same transaction just before it
commits (``charge_in``), so the rows it updates stay locked for one round trip only and
concurrent requests of one credential do not wait on each other. An operation that fails
rolls its transaction back, or never reaches the charge, so it is charged afterwards in a
transaction of its own (``charge``), as is a refusal (cost 1): failing is paid for too.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from auth.principal import Principal
from db.session import LockedSession, tenant_session

ORGANISATION = "organisation"

_SPENT = text(
    """
    SELECT coalesce(sum(spent) FILTER (WHERE subject = 'organisation'), 0) AS organisation,
           coalesce(sum(spent) FILTER (WHERE subject = :credential), 0) AS credential,
           extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now())
             AS seconds_left
    FROM public.cost_spent
    WHERE organisation_id = :organisation AND window_start = date_trunc('minute', now())
    """
)

_SPENT = text(
    """
    SELECT coalesce(sum(spent) FILTER (WHERE subject = 'organisation'), 0) AS organisation,
           coalesce(sum(spent) FILTER (WHERE subject = :credential), 0) AS credential,
           extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now())
             AS seconds_left
    FROM public.cost_spent
    WHERE organisation_id = :organisation AND window_start = date_trunc('minute', now())
    """
)

_CHARGE = text(
    """
    WITH forgotten AS (
      DELETE FROM public.cost_spent
      WHERE organisation_id = :organisation AND window_start < now() - interval '10 minutes'
    )
    INSERT INTO public.cost_spent (organisation_id, subject, window_start, spent)
    SELECT :organisation, subject, date_trunc('minute', now()), :cost
    FROM unnest(CAST(:subjects AS text[])) AS subject
    ON CONFLICT (organisation_id, subject, window_start)
    DO UPDATE SET spent = cost_spent.spent + EXCLUDED.spent
    """
)


@dataclass(frozen=True, slots=True)
class Budgets:
    """The cost each may spend per minute (``PORTAL_COST_BUDGET_PER_*``); 0: unlimited."""

    per_credential: int
    per_organisation: int

    @property
    def enabled(self) -> bool:
        return self.per_credential > 0 or self.per_organisation > 0


def _credential(principal: Principal) -> str:
    return f"credential:{principal.credential_id}"


def _subjects(principal: Principal) -> list[str]:
    subjects = [ORGANISATION]
    if principal.credential_id is not None:
        subjects.append(_credential(principal))
    return subjects


async def seconds_to_wait(
    session: LockedSession, principal: Principal, cost: int, budgets: Budgets
) -> int | None:
    """None if an operation of ``cost`` fits in what is left of this minute's budgets;
    otherwise how many seconds until the minute ends."""
    if not budgets.enabled:
        return None
    spent = (
        await session.execute(
            _SPENT,
            {"organisation": principal.organisation_id, "credential": _credential(principal)},
        )
    ).one()
    over = (budgets.per_organisation and spent.organisation + cost > budgets.per_organisation) or (
        budgets.per_credential
        and principal.credential_id is not None
        and spent.credential + cost > budgets.per_credential
    )
    return max(1, math.ceil(float(spent.seconds_left))) if over else None


async def charge_in(session: LockedSession, principal: Principal, cost: int) -> None:
    """Add ``cost`` to this minute's spending in the session's transaction: the operation's
    last statement before COMMIT, so its row locks last one round trip."""
    await session.execute(
        _CHARGE,
        {
            "organisation": principal.organisation_id,
            "cost": cost,
            "subjects": _subjects(principal),
        },
    )


async def charge(
    sessions: async_sessionmaker[LockedSession], principal: Principal, cost: int
) -> None:
    """Add ``cost`` to this minute's spending of the principal's organisation and
    credential, in a transaction of its own (forgetting minutes long past)."""
    organisation: uuid.UUID = principal.organisation_id
    async with tenant_session(sessions, organisation) as session, session.begin():
        await charge_in(session, principal, cost)
