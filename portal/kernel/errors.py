"""Expected failures of domain operations, each with a machine-readable code (SPEC §6)."""

from __future__ import annotations

import enum


class ErrorCode(enum.StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    INTERNAL = "INTERNAL"


class DomainError(Exception):
    """A refusal the caller can act on; becomes a typed ``userError`` or error code."""

    code: ErrorCode = ErrorCode.BAD_USER_INPUT

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """Absent, or outside the principal's view: the two are never distinguished."""

    code = ErrorCode.NOT_FOUND


class Forbidden(DomainError):
    """Visible, but the principal may not do this to it."""

    code = ErrorCode.FORBIDDEN


class Conflict(DomainError):
    """The object changed since the caller read it, or the change clashes with its state."""

    code = ErrorCode.CONFLICT


class BadInput(DomainError):
    code = ErrorCode.BAD_USER_INPUT
