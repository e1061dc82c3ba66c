"""Enums of the issues area, registered with strawberry once here.

Schema code imports them from this module (not from where they are defined), so the
registration has always happened before a type uses them."""

from __future__ import annotations

import strawberry

from db.enums import IssueMoveKind, IssueSeverity, IssueStatus

strawberry.enum(
    IssueSeverity, name="IssueSeverity", description="How serious an issue is for the alliance."
)
strawberry.enum(
    IssueStatus,
    name="IssueStatus",
    description="Open until the holding committee's chair resolves it; resolved is final.",
)
strawberry.enum(
    IssueMoveKind,
    name="IssueMoveKind",
    description="One step of an issue's history: raised, escalated by the holding "
    "committee's chair, escalated automatically when overdue, resolved.",
)

__all__ = ["IssueMoveKind", "IssueSeverity", "IssueStatus"]
