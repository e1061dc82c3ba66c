"""Schema extensions: error codes and masking, and the transaction outcome.

Resolvers raise domain errors (``portal.kernel.errors.DomainError``, ``auth.policy.MissingScope``)
as they are; these extensions turn them into top-level errors with their code, so no resolver
catches and re-raises them. Anything else is unexpected: logged, and masked as INTERNAL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

from auth.policy import MissingScope
from db.request_context import request_id
from portal.kernel.errors import DomainError, ErrorCode

log = logging.getLogger("portal.graphql")

MASKED_MESSAGE = "Internal server error."
_TOO_COMPLEX = ("exceeds maximum operation depth", "aliases found. Allowed:")


EXPECTED = (GraphQLError, DomainError, MissingScope)
"""Errors safe to show as they are: GraphQL's own (bad variables) and the domain's refusals."""


def _is_unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, EXPECTED)


def _should_mask(error: GraphQLError) -> bool:
    if _is_unexpected(error):
        log.error(
            "unexpected error in %s",
            ".".join(str(p) for p in error.path or []),
            exc_info=error.original_error,
            extra={"request_id": request_id.get()},
        )
        return True
    return False


# A factory, never an instance: an instance would be shared by concurrent operations.
MaskUnexpectedErrors = partial(
    MaskErrors, should_mask_error=_should_mask, error_message=MASKED_MESSAGE
)


class ErrorCodes(SchemaExtension):
    """Gives every error an ``extensions.code`` and marks the operation as failed so its
    transaction is rolled back. Registered before the masking extension so it sees the
    errors after they are masked."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if not errors:
            return
        context = self.execution_context.context
        if hasattr(context, "failed"):
            context.failed = True
        for error in errors:
            extensions = error.extensions if error.extensions is not None else {}
            if "code" not in extensions:
                extensions["code"] = _code_of(error).value
            error.extensions = extensions


def _code_of(error: GraphQLError) -> ErrorCode:
    original = error.original_error
    if isinstance(original, DomainError):
        return original.code
    if isinstance(original, MissingScope):
        return ErrorCode.FORBIDDEN
    if error.message == MASKED_MESSAGE:
        return ErrorCode.INTERNAL
    if any(marker in error.message for marker in _TOO_COMPLEX):
        return ErrorCode.QUERY_TOO_COMPLEX
    return ErrorCode.BAD_USER_INPUT  # parse and validation errors
