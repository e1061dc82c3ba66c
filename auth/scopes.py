"""Scopes: what a credential may do. One place for their names and for who may hold them."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from db.enums import UserRole


class Scope(enum.StrEnum):
    ALLIANCES_READ = "alliances:read"
    """Read alliances, their charters and members."""
    ALLIANCES_WRITE = "alliances:write"
    """Create alliances and change charters (within the membership role's rights)."""
    GOVERNANCE_READ = "governance:read"
    """Read committees, meetings, minutes, decisions, action items and issues."""
    GOVERNANCE_WRITE = "governance:write"
    """Act in governance within the organisation's seats: schedule, minute, vote, raise."""
    ADMIN = "admin"
    """Act as an organisation admin: membership of alliances the organisation leads, tokens."""


ALL_SCOPES: frozenset[Scope] = frozenset(Scope)

ROLE_SCOPES: dict[UserRole, frozenset[Scope]] = {
    UserRole.ADMIN: ALL_SCOPES,
    UserRole.MEMBER: frozenset(
        {Scope.ALLIANCES_READ, Scope.ALLIANCES_WRITE, Scope.GOVERNANCE_READ, Scope.GOVERNANCE_WRITE}
    ),
    UserRole.VIEWER: frozenset({Scope.ALLIANCES_READ, Scope.GOVERNANCE_READ}),
}


def parse_scopes(values: Iterable[str]) -> frozenset[Scope]:
    """Scopes from their names; raises ``ValueError`` naming the first unknown one."""
    scopes = set()
    for value in values:
        try:
            scopes.add(Scope(value))
        except ValueError:
            raise ValueError(f"unknown scope {value!r}") from None
    return frozenset(scopes)
