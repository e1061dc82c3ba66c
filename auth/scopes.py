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
    PLANS_READ = "plans:read"
    """Read research plans, their versions and milestones."""
    PLANS_WRITE = "plans:write"
    """Create and revise plans the organisation owns; update milestones it is responsible for."""
    CONTRIBUTIONS_READ = "contributions:read"
    """Read the contributions ledger (valuations only where SPEC §4 allows) and summaries."""
    CONTRIBUTIONS_WRITE = "contributions:write"
    """Record and update the organisation's contributions; confirm deliveries it manages."""
    IP_READ = "ip:read"
    """Read the IP register and the access requests the organisation is party to."""
    IP_WRITE = "ip:write"
    """Register IP, answer access requests to the organisation's IP, request access."""
    ADMIN = "admin"
    """Act as an organisation admin: membership of alliances the organisation leads, tokens."""


ALL_SCOPES: frozenset[Scope] = frozenset(Scope)

ROLE_SCOPES: dict[UserRole, frozenset[Scope]] = {
    UserRole.ADMIN: ALL_SCOPES,
    UserRole.MEMBER: ALL_SCOPES - {Scope.ADMIN},
    UserRole.VIEWER: frozenset(scope for scope in Scope if scope.value.endswith(":read")),
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
