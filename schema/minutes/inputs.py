"""What the minutes mutations take: their input types."""

from __future__ import annotations

import strawberry

from schema.kernel.enums import Visibility

SECRETARY_RULE = (
    "Only the secretary of the meeting's committee, with governance:write (FORBIDDEN for "
    "anyone else who can see the minutes; NOT_FOUND for anyone who cannot)."
)


@strawberry.input(
    description="Draft the minutes of a meeting. "
    + SECRETARY_RULE
    + " One set of minutes per meeting (CONFLICT for a second); not for a cancelled meeting "
    "(BAD_USER_INPUT). The draft is version 1."
)
class DraftMinutesInput:
    meeting: strawberry.ID = strawberry.field(description="The meeting's ID.")
    body: str = strawberry.field(description="The text (not blank, at most 200,000 characters).")
    visibility: Visibility = strawberry.field(
        default=Visibility.COMMITTEE,
        description="Who may see them: COMMITTEE (the seat holders of the meeting's "
        "committee, the default), ALLIANCE (every member) or ORGANISATIONS (audience).",
    )
    audience: list[str] | None = strawberry.field(
        default=None,
        description="With visibility ORGANISATIONS only: slugs of the current member "
        "organisations that may see the minutes. Your own organisation is always included.",
    )


@strawberry.input(
    description="Replace the text of draft minutes with a new version; older versions stay "
    "readable. "
    + SECRETARY_RULE
    + " Drafts only: circulated minutes must first be reopened by an objection, approved "
    "minutes never change (both BAD_USER_INPUT)."
)
class EditMinutesInput:
    minutes: strawberry.ID = strawberry.field(description="The minutes' ID.")
    version: int = strawberry.field(
        description="The version you edited; if it is no longer current you get CONFLICT."
    )
    body: str = strawberry.field(description="The new text (not blank).")


@strawberry.input(
    description="Circulate draft minutes to the committee's seat holders; the alliance's "
    "objection period starts (objectionDeadline). "
    + SECRETARY_RULE
    + " Drafts only (BAD_USER_INPUT otherwise). Signed CIRCULATED."
)
class CirculateMinutesInput:
    minutes: strawberry.ID = strawberry.field(description="The minutes' ID.")
    version: int = strawberry.field(
        description="The version you circulate; if it is no longer current you get CONFLICT."
    )


@strawberry.input(
    description="Object to circulated minutes: they go back to draft for the secretary to "
    "revise and circulate again. Any organisation holding a seat on the committee "
    "(observers included), with governance:write (FORBIDDEN for members without a seat "
    "who can see the minutes). Only while circulated and before the objection deadline "
    "(BAD_USER_INPUT otherwise). Signed OBJECTED with the reason."
)
class ObjectToMinutesInput:
    minutes: strawberry.ID = strawberry.field(description="The minutes' ID.")
    version: int = strawberry.field(
        description="The version you object to; if it is no longer current you get CONFLICT."
    )
    reason: str = strawberry.field(description="Why (not blank, at most 5,000 characters).")


@strawberry.input(
    description="Approve circulated minutes; from then on they never change. Only the "
    "committee's chair, with governance:write (FORBIDDEN for anyone else who can see "
    "them). Only circulated minutes (approving a draft is BAD_USER_INPUT); the chair need "
    "not wait for the objection deadline. Signed APPROVED. Minutes nobody objects to are "
    "also approved tacitly by the server once the deadline passes (APPROVED_TACITLY)."
)
class ApproveMinutesInput:
    minutes: strawberry.ID = strawberry.field(description="The minutes' ID.")
    version: int = strawberry.field(
        description="The version you approve; if it is no longer current you get CONFLICT."
    )
    note: str = strawberry.field(
        default="", description="An optional statement recorded with the signature."
    )
