"""Enums of the alliances area, registered with strawberry once here.

Schema code imports them from this module (not from where they are defined), so the
registration has always happened before a type uses them."""

from __future__ import annotations

import strawberry

from db.enums import AllianceStatus, MembershipRole

strawberry.enum(AllianceStatus, name="AllianceStatus", description="Life-cycle of an alliance.")
strawberry.enum(MembershipRole, name="MembershipRole", description="An organisation's part in it.")

__all__ = ["AllianceStatus", "MembershipRole"]
