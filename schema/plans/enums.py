"""Enums of the plans area, registered with strawberry once here.

Schema code imports them from this module (not from where they are defined), so the
registration has always happened before a type uses them."""

from __future__ import annotations

import strawberry

from db.enums import MilestoneKind, MilestoneStatus, PlanStatus

strawberry.enum(
    PlanStatus,
    name="PlanStatus",
    description="Life cycle of a research plan: DRAFT (the owner writes and revises) → "
    "PROPOSED (put forward for approval) → APPROVED (by a committee decision on a version) "
    "→ ACTIVE → COMPLETED; CANCELLED from any state that is not final. A revision puts a "
    "DRAFT, PROPOSED or APPROVED plan back to DRAFT.",
)
strawberry.enum(
    MilestoneKind,
    name="MilestoneKind",
    description="MILESTONE (a point of progress) or DELIVERABLE (something handed over).",
)
strawberry.enum(
    MilestoneStatus,
    name="MilestoneStatus",
    description="PLANNED, IN_PROGRESS, DONE or CANCELLED.",
)

__all__ = ["MilestoneKind", "MilestoneStatus", "PlanStatus"]
