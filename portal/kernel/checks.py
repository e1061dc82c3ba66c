"""Small checks every area applies to its input: text limits, optimistic concurrency, the
calendar day, patterns for ``LIKE``. Each raises a ``DomainError`` naming the input field."""

from __future__ import annotations

import datetime as dt

from portal.kernel.errors import BadInput, Conflict


def checked_text(value: str, field: str, *, limit: int, required: bool = True) -> str:
    """``value`` without surrounding white space, refused when empty (if ``required``) or
    longer than ``limit`` characters."""
    value = value.strip()
    if required and not value:
        raise BadInput(f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise BadInput(f"{field} is limited to {limit} characters", field=field)
    return value


def check_version(current: int, expected: int, what: str) -> None:
    """Optimistic concurrency: refuse an edit based on a version that is no longer current."""
    if current != expected:
        raise Conflict(
            f"the {what} changed since version {expected}; it is now at version {current}",
            field="version",
        )


def today_of(now: dt.datetime) -> dt.date:
    """The calendar day of ``now`` in UTC: due dates are compared with it. A naive ``now``
    is taken as UTC already (``astimezone`` would read it as the machine's local time)."""
    return now.astimezone(dt.UTC).date() if now.tzinfo else now.date()


def escape_like(text: str) -> str:
    """``text`` as a literal inside a ``LIKE`` pattern (``%`` and ``_`` lose their meaning)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
