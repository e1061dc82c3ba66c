"""The query-cost budget: how much an organisation, and each of its credentials, may spend
per minute, shared by every server process through PostgreSQL (``cost_spent``).

A process takes budget from PostgreSQL in allowances: a fiftieth of the minute's budget
(``ALLOWANCE_SHARE``), or the operation's cost when that is more, or the operation's cost
alone when a whole allowance no longer fits. One statement per subject (the organisation,
the credential) adds the allowance to the minute's spending only if it still fits, so all
processes together never take more than the budget. Operations then spend the allowance
in memory: within it, an operation costs no statement. An operation whose cost fits in no
allowance is refused
(``RATE_LIMITED``, HTTP 429 with ``Retry-After``: the seconds until the minute ends).

The allowance is taken in the operation's own transaction, before it runs, so only the
operation that takes one holds the budget's rows (until it commits); the others of its
credential spend what it took. If that transaction rolls back, the database never
recorded the allowance: the process forgets it and charges the operation's cost in a
transaction of its own (``Allowances.charge``), as it charges an operation refused before
its cost was known (cost 1): failing is paid for too.

What is taken and not spent before the minute ends is spent for nobody: the figures in
``cost_spent`` are what the processes took, at most one allowance per process and subject
above what their operations spent.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

from auth.principal import Principal
from db.session import LockedSession, tenant_session

ORGANISATION = "organisation"
ALLOWANCE_SHARE = 50
"""An allowance is the budget's 1/50th (or the operation's cost, if more)."""
MINUTE = 60.0

_TAKE = text(
    """
    WITH forgotten AS (
      DELETE FROM public.cost_spent
      WHERE organisation_id = :organisation AND window_start < now() - interval '10 minutes'
    )
    INSERT INTO public.cost_spent AS c (organisation_id, subject, window_start, spent)
    VALUES (:organisation, :subject, date_trunc('minute', now()), :amount)
    ON CONFLICT (organisation_id, subject, window_start)
    DO UPDATE SET spent = c.spent + EXCLUDED.spent WHERE c.spent + EXCLUDED.spent <= :budget
    RETURNING extract(epoch FROM c.window_start)::float8 AS window_start
    """
)
"""Add ``amount`` to the minute's spending of one subject if the total stays within
``budget``: the window's start, or no row when it does not fit."""

_CHARGE = text(
    """
    INSERT INTO public.cost_spent AS c (organisation_id, subject, window_start, spent)
    SELECT :organisation, subject, date_trunc('minute', now()), :cost
    FROM unnest(CAST(:subjects AS text[])) AS subject
    ON CONFLICT (organisation_id, subject, window_start)
    DO UPDATE SET spent = c.spent + EXCLUDED.spent
    """
)
"""Add ``cost`` to the minute's spending of each subject, whatever the budget: a charge for
what already happened."""


@dataclass(frozen=True, slots=True)
class Budgets:
    """The cost each may spend per minute (``PORTAL_COST_BUDGET_PER_*``); 0: unlimited."""

    per_credential: int
    per_organisation: int

    @property
    def enabled(self) -> bool:
        return self.per_credential > 0 or self.per_organisation > 0

    def of(self, principal: Principal) -> dict[str, int]:
        """The principal's limited subjects and their budgets."""
        limits = {}
        if self.per_organisation:
            limits[ORGANISATION] = self.per_organisation
        if self.per_credential and principal.credential_id is not None:
            limits[f"credential:{principal.credential_id}"] = self.per_credential
        return limits


@dataclass(slots=True)
class _Allowance:
    window_start: float
    """The minute it was taken in (epoch seconds, the database's clock)."""
    left: int


def _seconds_left(now: float) -> int:
    return max(1, math.ceil(MINUTE - now % MINUTE))


@dataclass
class Allowances:
    """One process's allowances, by organisation and subject."""

    budgets: Budgets
    _left: dict[tuple[uuid.UUID, str], _Allowance] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.budgets.enabled

    def _current(self, key: tuple[uuid.UUID, str], now: float) -> _Allowance | None:
        found = self._left.get(key)
        if found is not None and found.window_start + MINUTE <= now:
            del self._left[key]
            return None
        return found

    async def take(self, session: LockedSession, principal: Principal, cost: int) -> int | None:
        """Spend ``cost`` from the principal's allowances, taking new ones in ``session``'s
        transaction where they run short: None, or the seconds until the minute ends when
        it does not fit. A session whose transaction took one says so in
        ``session.info["allowances"]`` (``forget`` them if it rolls back)."""
        now = time.time()
        limits = self.budgets.of(principal)
        if any(cost > budget for budget in limits.values()):
            return _seconds_left(now)
        short = {}
        for subject, budget in limits.items():
            found = self._current((principal.organisation_id, subject), now)
            if found is None or found.left < cost:
                short[subject] = budget
        for subject, budget in short.items():
            window_start = None
            for amount in dict.fromkeys((max(cost, budget // ALLOWANCE_SHARE), cost)):
                window_start = await session.scalar(
                    _TAKE,
                    {
                        "organisation": principal.organisation_id,
                        "subject": subject,
                        "amount": amount,
                        "budget": budget,
                    },
                )
                if window_start is not None:
                    break
            if window_start is None:
                self.forget(session)  # what this transaction took is rolled back with it
                return _seconds_left(now)
            key = (principal.organisation_id, subject)
            found = self._current(key, now)
            kept = found.left if found is not None and found.window_start == window_start else 0
            self._left[key] = _Allowance(window_start, kept + amount)
            session.info.setdefault("allowances", set()).add(key)
        for subject in limits:
            self._left[(principal.organisation_id, subject)].left -= cost
        return None

    def spend_held(self, principal: Principal, cost: int) -> bool:
        """Spend ``cost`` from the allowances this process holds, if every one of the
        principal's subjects has enough left (no statement); False, spending nothing, when
        one would have to be taken from PostgreSQL (``take`` does that)."""
        now = time.time()
        held = [
            self._current((principal.organisation_id, subject), now)
            for subject in self.budgets.of(principal)
        ]
        if any(found is None or found.left < cost for found in held):
            return False
        for found in held:
            assert found is not None
            found.left -= cost
        return True

    def forget(self, session: LockedSession) -> None:
        """Drop the allowances ``session``'s transaction took: it rolled back, so the
        database never recorded them."""
        for key in session.info.pop("allowances", ()):
            self._left.pop(key, None)

    async def charge(
        self, sessions: async_sessionmaker[LockedSession], principal: Principal, cost: int
    ) -> None:
        """Charge ``cost`` for what already happened (a failure, a refusal): from the
        allowances where they hold it, otherwise in a transaction of its own."""
        now = time.time()
        unpaid = []
        for subject in self.budgets.of(principal):
            found = self._current((principal.organisation_id, subject), now)
            if found is not None and found.left >= cost:
                found.left -= cost
            else:
                unpaid.append(subject)
        if not unpaid:
            return
        organisation = principal.organisation_id
        async with tenant_session(sessions, organisation) as session, session.begin():
            await session.execute(
                _CHARGE, {"organisation": organisation, "cost": cost, "subjects": unpaid}
            )
