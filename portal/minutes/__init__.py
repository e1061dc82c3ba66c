"""Minutes of meetings: drafted, circulated for objection, approved. Its modules are
``rules.py``, ``queries.py``, ``service.py``, ``jobs.py``; this is the surface other
packages use: ``from portal import minutes``."""

from __future__ import annotations

from portal.minutes.jobs import (
    DUE_FOR_TACIT_APPROVAL,
    approve_due_minutes,
)
from portal.minutes.queries import (
    get_minutes,
)
from portal.minutes.rules import (
    BODY_MAX,
    REASON_MAX,
    Audience,
    check_body,
)
from portal.minutes.service import (
    approve_minutes,
    approve_tacitly,
    circulate_minutes,
    draft_minutes,
    edit_minutes,
    object_to_minutes,
)

__all__ = [
    "BODY_MAX",
    "DUE_FOR_TACIT_APPROVAL",
    "REASON_MAX",
    "Audience",
    "approve_due_minutes",
    "approve_minutes",
    "approve_tacitly",
    "check_body",
    "circulate_minutes",
    "draft_minutes",
    "edit_minutes",
    "get_minutes",
    "object_to_minutes",
]
