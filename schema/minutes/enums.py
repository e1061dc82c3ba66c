"""Enums of the minutes area, registered with strawberry once here.

Schema code imports them from this module (not from where they are defined), so the
registration has always happened before a type uses them."""

from __future__ import annotations

import strawberry

from db.enums import MinutesStatus, SignatureMeaning

strawberry.enum(
    MinutesStatus,
    name="MinutesStatus",
    description="Where minutes stand: DRAFT (the secretary edits), CIRCULATED (seat holders "
    "may object until the deadline) or APPROVED (final and immutable).",
)
strawberry.enum(
    SignatureMeaning,
    name="SignatureMeaning",
    description="What a signature on minutes means: CIRCULATED by the secretary, OBJECTED "
    "by a seat holder, APPROVED by the chair, or APPROVED_TACITLY by the server when the "
    "objection period passed without an objection.",
)

__all__ = ["MinutesStatus", "SignatureMeaning"]
