"""Alliances and their membership: the charter, members joining, leaving and the lead handed
over. Its modules are ``rules.py``, ``queries.py``, ``service.py``; this is the surface
other packages use: ``from portal import alliances``."""

from __future__ import annotations

from portal.alliances.queries import (
    get_alliance,
)
from portal.alliances.rules import (
    CHARTER_TEXT_MAX,
    NAME_MAX,
    STEERING_COMMITTEE,
    Charter,
    check_dates,
    validate_charter,
)
from portal.alliances.service import (
    add_member,
    create_alliance,
    leave_alliance,
    remove_member,
    transfer_lead,
    update_charter,
)

__all__ = [
    "CHARTER_TEXT_MAX",
    "NAME_MAX",
    "STEERING_COMMITTEE",
    "Charter",
    "add_member",
    "check_dates",
    "create_alliance",
    "get_alliance",
    "leave_alliance",
    "remove_member",
    "transfer_lead",
    "update_charter",
    "validate_charter",
]
