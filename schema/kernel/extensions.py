"""What every error says, and the transaction outcome.

Resolvers raise domain errors (``portal.kernel.errors.DomainError``, ``auth.policy.MissingScope``)
as they are; :func:`settle` turns each into a top-level error with its code, so no resolver
catches and re-raises them. Anything else is unexpected: logged with the request id, and
masked as INTERNAL. No message keeps graphql-core's "Did you mean ...?" hints.

:func:`settle` runs from ``Schema.process_errors``, which strawberry calls on every path an
error can take (parsing, validation, an extension's own failure, execution), where an
extension's ``on_operation`` would miss the errors raised before execution starts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from auth.policy import MissingScope
from db.request_context import request_id
from portal.kernel.errors import DomainError, ErrorCode
from schema.kernel.limits import without_suggestions

log = logging.getLogger("portal.graphql")

MASKED_MESSAGE = "Internal server error."

EXPECTED = (GraphQLError, DomainError, MissingScope)
"""Errors safe to show as they are: GraphQL's own (bad variables) and the domain's refusals."""


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, EXPECTED)


def _code_of(error: GraphQLError) -> ErrorCode:
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code
    if isinstance(original, MissingScope):
        return ErrorCode.FORBIDDEN
    return ErrorCode.BAD_USER_INPUT  # parse, validation and variable errors


def settle(errors: Sequence[GraphQLError]) -> None:
    """Give each error its final words, in place: masked if unexpected, without name
    suggestions, with an ``extensions.code``. Idempotent, so errors that a cache shares
    between requests (validation's) are safe to settle again."""
    for error in errors:
        extensions = dict(error.extensions or {})
        if _is_unexpected(error):
            log.error(
                "unexpected error in %s",
                ".".join(str(p) for p in error.path or []) or "the operation",
                exc_info=error.original_error,
                extra={"request_id": request_id.get()},
            )
            error.message = MASKED_MESSAGE
            extensions = {"code": ErrorCode.INTERNAL.value}
        else:
            error.message = without_suggestions(error.message)
            extensions.setdefault("code", _code_of(error).value)
        error.extensions = extensions


class PortalSchema(strawberry.Schema):
    """strawberry's schema whose errors are settled (:func:`settle`) whatever raised them."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Settle the errors; log only the unexpected ones (strawberry's default logs all)."""
        settle(errors)


class RollbackOnErrors(SchemaExtension):
    """Marks the operation as failed when it answers with errors, so the endpoint rolls its
    transaction back: a mutation that fails changes nothing."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        context = self.execution_context.context
        if getattr(result, "errors", None) and hasattr(context, "failed"):
            context.failed = True
