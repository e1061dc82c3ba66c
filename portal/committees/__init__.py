"""Committees of an alliance, their seats and representatives, and the alliance's governance
rules. Its modules are ``queries.py``, ``service.py``; this is the surface other packages
use: ``from portal import committees``."""

from __future__ import annotations

from portal.committees.queries import (
    SEAT_ORDER,
    alliance_committees,
    get_committee,
    get_governance_rules,
    get_rules,
    own_seat,
    representatives_of,
    require_read,
    require_seat,
    require_write,
)
from portal.committees.service import (
    DAYS_MAX,
    MANDATE_MAX,
    NAME_MAX,
    QUORUM_STEP,
    REPRESENTATIVES_MAX,
    UNIQUE_ROLES,
    CommitteeFields,
    RuleChanges,
    assign_seat,
    create_committee,
    remove_seat,
    set_seat_representatives,
    update_committee,
    update_governance_rules,
    update_seat,
)

__all__ = [
    "DAYS_MAX",
    "MANDATE_MAX",
    "NAME_MAX",
    "QUORUM_STEP",
    "REPRESENTATIVES_MAX",
    "SEAT_ORDER",
    "UNIQUE_ROLES",
    "CommitteeFields",
    "RuleChanges",
    "alliance_committees",
    "assign_seat",
    "create_committee",
    "get_committee",
    "get_governance_rules",
    "get_rules",
    "own_seat",
    "remove_seat",
    "representatives_of",
    "require_read",
    "require_seat",
    "require_write",
    "set_seat_representatives",
    "update_committee",
    "update_governance_rules",
    "update_seat",
]
