"""The query-cost budget: how much an organisation, and each of its credentials, may spend
per minute, shared by every server process through PostgreSQL (``cost_spent``).

Before an operation runs, one statement in the operation's own transaction reads what was
spent this minute and, if the operation fits, charges its requested cost (``spend``); one
that would exceed a budget is refused (``RATE_LIMITED``, HTTP 429 with ``Retry-After``: the
seconds until the minute ends). The charge commits with the operation. An operation that
fails rolls its transaction back, charge included, so it is charged again afterwards in a
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

_SPEND = text(
    """
    WITH limits AS (
      SELECT CAST(:cost AS bigint) AS cost,
             CAST(:per_organisation AS bigint) AS per_organisation,
             CAST(:per_credential AS bigint) AS per_credential
    ),
    spent AS (
      SELECT coalesce(sum(spent) FILTER (WHERE subject = 'organisation'), 0) AS organisation,
             coalesce(sum(spent) FILTER (WHERE subject = :credential), 0) AS credential
      FROM public.cost_spent
      WHERE organisation_id = :organisation AND window_start = date_trunc('minute', now())
    ),
    verdict AS (
      SELECT (per_organisation > 0 AND organisation + cost > per_organisation)
             OR (per_credential > 0 AND CAST(:has_credential AS boolean)
                 AND credential + cost > per_credential) AS over
      FROM spent, limits
    ),
    forgotten AS (
      DELETE FROM public.cost_spent
      WHERE organisation_id = :organisation AND window_start < now() - interval '10 minutes'
    ),
    charged AS (
      INSERT INTO public.cost_spent (organisation_id, subject, window_start, spent)
      SELECT :organisation, subject, date_trunc('minute', now()), limits.cost
      FROM unnest(CAST(:subjects AS text[])) AS subject, verdict, limits
      WHERE NOT verdict.over
      ON CONFLICT (organisation_id, subject, window_start)
      DO UPDATE SET spent = cost_spent.spent + EXCLUDED.spent
    )
    SELECT over,
           extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now())
             AS seconds_left
    FROM verdict
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


async def spend(
    session: LockedSession, principal: Principal, cost: int, budgets: Budgets
) -> int | None:
    """Charge ``cost`` in the session's transaction if it fits in what is left of this
    minute's budgets, and answer None; otherwise charge nothing and answer how many seconds
    until the minute ends. One statement."""
    if not budgets.enabled:
        return None
    verdict = (
        await session.execute(
            _SPEND,
            {
                "organisation": principal.organisation_id,
                "credential": _credential(principal),
                "cost": cost,
                "per_organisation": budgets.per_organisation,
                "per_credential": budgets.per_credential,
                "has_credential": principal.credential_id is not None,
                "subjects": _subjects(principal),
            },
        )
    ).one()
    return max(1, math.ceil(float(verdict.seconds_left))) if verdict.over else None


async def charge(
    sessions: async_sessionmaker[LockedSession], principal: Principal, cost: int
) -> None:
    """Add ``cost`` to this minute's spending of the principal's organisation and
    credential, in a transaction of its own (forgetting minutes long past)."""
    organisation: uuid.UUID = principal.organisation_id
    async with tenant_session(sessions, organisation) as session, session.begin():
        await session.execute(
            _CHARGE,
            {"organisation": organisation, "cost": cost, "subjects": _subjects(principal)},
        )
