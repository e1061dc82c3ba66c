"""What the plans mutations take: their input types."""

from __future__ import annotations

import datetime as dt

import strawberry

from schema.kernel.enums import Visibility
from schema.plans.enums import MilestoneKind, MilestoneStatus

OWNER_RULE = (
    "The plan's owner organisation only, with plans:write (FORBIDDEN for other "
    "organisations that can see the plan, NOT_FOUND for those that cannot)."
)


VERSION_FIELD = "The plan version you read; if it is no longer current you get CONFLICT."


@strawberry.input(
    description="Create a research plan in DRAFT with its version 1. Any current member "
    "organisation of the alliance, with plans:write; your organisation owns the plan. "
    "COMMITTEE visibility names a committee of the alliance; ORGANISATIONS lists current "
    "member organisations by slug (your organisation always sees its plan). Invalid input "
    "is BAD_USER_INPUT; an alliance you are not a member of is NOT_FOUND."
)
class CreatePlanInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")
    title: str = strawberry.field(description="The title (1-200 characters).")
    summary: str = strawberry.field(default="", description="A summary (at most 10,000).")
    body: str = strawberry.field(default="", description="The full text (at most 200,000).")
    visibility: Visibility = strawberry.field(
        default=Visibility.ALLIANCE,
        description="Who may see it: ALLIANCE (the default), COMMITTEE or ORGANISATIONS.",
    )
    visibility_committee: strawberry.ID | None = strawberry.field(
        default=None, description="With COMMITTEE visibility only: the committee's ID."
    )
    audience: list[str] | None = strawberry.field(
        default=None,
        description="With ORGANISATIONS visibility only: slugs of the current member "
        "organisations that may see the plan (may be empty: only your organisation).",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any string up to 200 characters: a retry with the same key returns "
        "the plan created first; the same key with a different input gets CONFLICT.",
    )


@strawberry.input(
    description="Write a new version of a plan; omitted fields are carried over, every "
    "earlier version stays readable. "
    + OWNER_RULE
    + " Only while DRAFT, PROPOSED or APPROVED (BAD_USER_INPUT otherwise); the plan goes "
    "back to DRAFT and must be proposed again, approvedVersion keeps naming the last "
    "approved version. A revision that changes nothing is BAD_USER_INPUT."
)
class RevisePlanInput:
    plan: strawberry.ID = strawberry.field(description="The plan's ID.")
    version: int = strawberry.field(description=VERSION_FIELD)
    title: str | None = strawberry.field(default=None, description="The new title.")
    summary: str | None = strawberry.field(default=None, description="The new summary.")
    body: str | None = strawberry.field(default=None, description="The new full text.")


@strawberry.input(
    description="Put the current version forward for approval by a committee decision: "
    "DRAFT → PROPOSED. " + OWNER_RULE + " From DRAFT only (BAD_USER_INPUT otherwise)."
)
class ProposePlanInput:
    plan: strawberry.ID = strawberry.field(description="The plan's ID.")
    version: int = strawberry.field(description=VERSION_FIELD)


@strawberry.input(
    description="Start work on an approved plan: APPROVED → ACTIVE. "
    + OWNER_RULE
    + " From APPROVED only (BAD_USER_INPUT otherwise)."
)
class ActivatePlanInput:
    plan: strawberry.ID = strawberry.field(description="The plan's ID.")
    version: int = strawberry.field(description=VERSION_FIELD)


@strawberry.input(
    description="Close an active plan: ACTIVE → COMPLETED. "
    + OWNER_RULE
    + " From ACTIVE only, and only once every milestone is DONE or CANCELLED "
    "(BAD_USER_INPUT otherwise)."
)
class CompletePlanInput:
    plan: strawberry.ID = strawberry.field(description="The plan's ID.")
    version: int = strawberry.field(description=VERSION_FIELD)


@strawberry.input(
    description="Abandon a plan: any state but COMPLETED or CANCELLED → CANCELLED; its "
    "open milestones are cancelled with it. " + OWNER_RULE
)
class CancelPlanInput:
    plan: strawberry.ID = strawberry.field(description="The plan's ID.")
    version: int = strawberry.field(description=VERSION_FIELD)


MILESTONE_RESPONSIBLE = (
    "The responsible organisation must be a current member of the alliance that can see "
    "the plan (BAD_USER_INPUT otherwise)."
)


@strawberry.input(
    description="Add a milestone or deliverable to a plan that is not COMPLETED or "
    "CANCELLED. " + OWNER_RULE + " " + MILESTONE_RESPONSIBLE
)
class AddMilestoneInput:
    plan: strawberry.ID = strawberry.field(description="The plan's ID.")
    kind: MilestoneKind = strawberry.field(
        default=MilestoneKind.MILESTONE, description="MILESTONE (default) or DELIVERABLE."
    )
    title: str = strawberry.field(description="What is to be reached (1-200 characters).")
    responsible_organisation: strawberry.ID = strawberry.field(
        description="The responsible organisation's ID."
    )
    due_on: dt.date = strawberry.field(description="The day it is due.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any string up to 200 characters: a retry with the same key returns "
        "the milestone added first; the same key with a different input gets CONFLICT.",
    )


@strawberry.input(
    description="Change a milestone's kind, title, responsible organisation or due date; "
    "omitted fields stay. The plan's owner organisation only, with plans:write (FORBIDDEN "
    "for other organisations that can see it, NOT_FOUND for those that cannot). Not once "
    "the plan is COMPLETED or CANCELLED. " + MILESTONE_RESPONSIBLE
)
class UpdateMilestoneInput:
    milestone: strawberry.ID = strawberry.field(description="The milestone's ID.")
    version: int = strawberry.field(
        description="The milestone version you read; if it changed you get CONFLICT."
    )
    kind: MilestoneKind | None = strawberry.field(default=None, description="The new kind.")
    title: str | None = strawberry.field(default=None, description="The new title.")
    responsible_organisation: strawberry.ID | None = strawberry.field(
        default=None, description="The new responsible organisation's ID."
    )
    due_on: dt.date | None = strawberry.field(default=None, description="The new due day.")


@strawberry.input(
    description="Move a milestone to another status (work may also be reopened). The "
    "plan's owner organisation or the milestone's responsible organisation, with "
    "plans:write (FORBIDDEN for others who can see it, NOT_FOUND for those who cannot). "
    "Not once the plan is COMPLETED or CANCELLED. DONE records completedAt."
)
class SetMilestoneStatusInput:
    milestone: strawberry.ID = strawberry.field(description="The milestone's ID.")
    version: int = strawberry.field(
        description="The milestone version you read; if it changed you get CONFLICT."
    )
    status: MilestoneStatus = strawberry.field(description="The new status.")
