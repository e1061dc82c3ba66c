"""Enums of the IP assets area, registered with strawberry once here.

Schema code imports them from this module (not from where they are defined), so the
registration has always happened before a type uses them."""

from __future__ import annotations

import strawberry

from db.enums import AccessRequestStatus, IpKind
from portal.ip_assets import AccessDecision, AccessDirection

strawberry.enum(
    IpKind,
    name="IpKind",
    description="BACKGROUND: IP an organisation brings into the alliance. FOREGROUND: IP "
    "created by the alliance's work.",
)
strawberry.enum(
    AccessRequestStatus,
    name="IpAccessRequestStatus",
    description="PENDING until an owner organisation answers (GRANTED or REFUSED) or the "
    "requesting organisation withdraws it (WITHDRAWN); only a pending request changes.",
)
strawberry.enum(
    AccessDecision,
    name="IpAccessDecision",
    description="An owner's answer to an access request: GRANT or REFUSE.",
)
strawberry.enum(
    AccessDirection,
    name="IpAccessDirection",
    description="INCOMING: requests for assets your organisation owns. OUTGOING: requests "
    "your organisation made.",
)

__all__ = ["AccessDecision", "AccessDirection", "AccessRequestStatus", "IpKind"]
