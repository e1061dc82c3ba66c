"""The people of an organisation: listed by its members; invited, given roles, deactivated
and reactivated by its admins, with the credentials of a deactivated person ended. Its
modules are ``queries.py`` and ``service.py``; this is the surface other packages use:
``from portal import people``."""

from __future__ import annotations

from portal.people.queries import SEARCH_MAX, get_person, list_people
from portal.people.service import (
    DEACTIVATED_REASON,
    DISPLAY_NAME_MAX,
    Deactivation,
    add_invitation,
    adopt_oauth_client,
    change_person_role,
    deactivate_person,
    invite_person,
    reactivate_person,
)

__all__ = [
    "DEACTIVATED_REASON",
    "DISPLAY_NAME_MAX",
    "SEARCH_MAX",
    "Deactivation",
    "add_invitation",
    "adopt_oauth_client",
    "change_person_role",
    "deactivate_person",
    "get_person",
    "invite_person",
    "list_people",
    "reactivate_person",
]
