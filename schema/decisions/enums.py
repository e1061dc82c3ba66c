"""Enums of the decisions area, registered with strawberry once here.

Schema code imports them from this module (not from where they are defined), so the
registration has always happened before a type uses them."""

from __future__ import annotations

import strawberry

from db.enums import DecisionOutcome, DecisionProcedure, DecisionStatus, VoteChoice

strawberry.enum(
    DecisionProcedure,
    name="DecisionProcedure",
    description="How a committee decides: in a MEETING, or by WRITTEN procedure (votes by "
    "correspondence until a deadline).",
)
strawberry.enum(
    DecisionStatus,
    name="DecisionStatus",
    description="OPEN while votes are cast; CLOSED once the chair has closed it.",
)
strawberry.enum(
    DecisionOutcome,
    name="DecisionOutcome",
    description="APPROVED or REJECTED by the votes, or DEFERRED when the quorum was not met.",
)
strawberry.enum(VoteChoice, name="VoteChoice", description="A vote: for, against or abstain.")

__all__ = ["DecisionOutcome", "DecisionProcedure", "DecisionStatus", "VoteChoice"]
