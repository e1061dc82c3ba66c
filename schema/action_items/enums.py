"""Enums of the action items area, registered with strawberry once here.

Schema code imports them from this module (not from where they are defined), so the
registration has always happened before a type uses them."""

from __future__ import annotations

import strawberry

from db.enums import ActionItemStatus

strawberry.enum(
    ActionItemStatus,
    name="ActionItemStatus",
    description="Open until its owner or the committee's secretary or chair marks it done "
    "or cancels it.",
)

__all__ = ["ActionItemStatus"]
