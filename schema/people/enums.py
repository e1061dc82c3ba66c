"""Enums of the people area, registered with strawberry once here.

Schema code imports them from this module (not from where they are defined), so the
registration has always happened before a type uses them. The schema calls a user a
person: ``UserRole`` is ``PersonRole`` there, ``UserStatus`` is ``PersonStatus``."""

from __future__ import annotations

import strawberry

from db.enums import UserRole, UserStatus

strawberry.enum(
    UserRole,
    name="PersonRole",
    description="A person's role in their organisation: ADMIN (manages its people, "
    "credentials and memberships), MEMBER (reads and acts in the organisation's "
    "alliances) or VIEWER (reads only).",
)
strawberry.enum(
    UserStatus,
    name="PersonStatus",
    description="Where a person stands: INVITED (an admin invited them; no sign-in yet), "
    "ACTIVE (signed in at least once through the organisation's identity provider) or "
    "DEACTIVATED (may not sign in; every credential they held or made was ended).",
)

__all__ = ["UserRole", "UserStatus"]
