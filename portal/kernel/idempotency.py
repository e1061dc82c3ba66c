"""Idempotency keys for create mutations.

A client that retries a create (a timeout, a dropped connection) sends the same key: the
first result is returned again and nothing is created twice. The same key with a different
input is refused with CONFLICT, because silently returning an object the client did not
ask for would be worse than failing. Requests with the same key are serialised with a
transaction-level advisory lock, so two concurrent retries cannot both create.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, select

from auth import policy
from auth.principal import Principal
from db.portfolio import IdempotencyKey
from db.session import LockedSession
from portal.kernel.errors import BadInput, Conflict

KEY_MAX = 200


class HasId(Protocol):
    id: uuid.UUID


Created = TypeVar("Created", bound=HasId)


def _fingerprint(payload: dict[str, Any]) -> bytes:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).digest()


async def create_once(
    session: LockedSession,
    principal: Principal,
    *,
    operation: str,
    key: str | None,
    payload: dict[str, Any],
    create: Callable[[], Awaitable[Created]],
    load: Callable[[uuid.UUID], Awaitable[Created]],
) -> Created:
    """Run ``create`` unless this organisation already ran ``operation`` under ``key``; then
    ``load`` the first result (and refuse if ``payload`` differs from the first one)."""
    if key is None:
        return await create()
    if not (0 < len(key) <= KEY_MAX):
        raise BadInput(f"an idempotency key has 1 to {KEY_MAX} characters", field="idempotencyKey")
    await session.execute(
        select(
            func.pg_advisory_xact_lock(
                func.hashtextextended(f"{principal.organisation_id}:{operation}:{key}", 0)
            )
        )
    )
    fingerprint = _fingerprint(payload)
    earlier = await session.scalar(
        policy.own_idempotency_keys(principal).where(
            IdempotencyKey.operation == operation, IdempotencyKey.key == key
        )
    )
    if earlier is not None:
        if earlier.input_hash != fingerprint:
            raise Conflict(
                "this idempotency key was used with a different input", field="idempotencyKey"
            )
        return await load(earlier.result_id)
    created = await create()
    session.add(
        IdempotencyKey(
            organisation_id=principal.organisation_id,
            operation=operation,
            key=key,
            input_hash=fingerprint,
            result_id=created.id,
        )
    )
    await session.flush()
    return created
