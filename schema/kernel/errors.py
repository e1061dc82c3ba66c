"""Errors as the API shows them: typed ``userErrors`` and top-level ``extensions.code``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from portal.kernel.errors import DomainError, ErrorCode

T = TypeVar("T")

strawberry.enum(ErrorCode, name="ErrorCode", description="Why a request failed.")


@strawberry.type(description="An expected failure of a mutation; nothing was changed.")
class UserError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    message: str = strawberry.field(description="What went wrong, for people.")
    code: ErrorCode = strawberry.field(description="What went wrong, for programs.")


INPUT_DESCRIPTION = "What to change; its type's description says who may do it and the rules."
"""The description of every mutation's one ``input`` argument."""


async def guarded(
    session: AsyncSession, action: Callable[[], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run a mutation's domain call in a savepoint; expected failures roll it back and
    become ``userErrors``, so a refused mutation changes nothing.

    A missing scope is an error of the credential, not of the input: ``MissingScope``
    passes through and becomes a top-level FORBIDDEN error (``schema.kernel.extensions``).
    """
    try:
        async with session.begin_nested():
            return await action(), []
    except DomainError as error:
        return None, [UserError(field=error.field, message=error.message, code=error.code)]
