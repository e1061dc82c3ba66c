"""Action items of meetings: owned by a member organisation, due on a date, completed or
cancelled. Its modules are ``queries.py``, ``service.py``; this is the surface other
packages use: ``from portal import action_items``."""

from __future__ import annotations

from portal.action_items.queries import (
    get_action_item,
    is_overdue,
    list_query,
)
from portal.action_items.service import (
    TITLE_MAX,
    Changes,
    cancel_action_item,
    complete_action_item,
    create_action_item,
    update_action_item,
)

__all__ = [
    "TITLE_MAX",
    "Changes",
    "cancel_action_item",
    "complete_action_item",
    "create_action_item",
    "get_action_item",
    "is_overdue",
    "list_query",
    "update_action_item",
]
