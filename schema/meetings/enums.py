"""Enums of the meetings area, registered with strawberry once here.

Schema code imports them from this module (not from where they are defined), so the
registration has always happened before a type uses them."""

from __future__ import annotations

import strawberry

from db.enums import AgendaItemKind, MeetingKind, MeetingStatus

strawberry.enum(
    MeetingKind,
    name="MeetingKind",
    description="Ordinary meetings need the alliance's ordinary notice period; "
    "extraordinary ones its (usually shorter) extraordinary notice period.",
)
strawberry.enum(
    MeetingStatus,
    name="MeetingStatus",
    description="Scheduled, then held or cancelled.",
)
strawberry.enum(
    AgendaItemKind,
    name="AgendaItemKind",
    description="What an agenda item asks of the meeting: to take note, to discuss, or to decide.",
)

__all__ = ["AgendaItemKind", "MeetingKind", "MeetingStatus"]
