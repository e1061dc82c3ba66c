"""Enums of the committees area, registered with strawberry once here.

Schema code imports them from this module (not from where they are defined), so the
registration has always happened before a type uses them."""

from __future__ import annotations

import strawberry

from db.enums import CommitteeTier, MajorityRule, SeatRole

strawberry.enum(
    CommitteeTier,
    name="CommitteeTier",
    description="Level of a committee: STRATEGIC (the steering committee), TACTICAL or "
    "OPERATIONAL. Issues escalate to higher tiers.",
)
strawberry.enum(
    SeatRole,
    name="SeatRole",
    description="A seat's role: CHAIR and SECRETARY (one each per committee), MEMBER or "
    "OBSERVER (never votes).",
)
strawberry.enum(
    MajorityRule,
    name="MajorityRule",
    description="How a committee's decisions pass: SIMPLE (more votes for than against) or "
    "QUALIFIED (at least two thirds of the votes cast are for).",
)

__all__ = ["CommitteeTier", "MajorityRule", "SeatRole"]
