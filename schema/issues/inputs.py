"""What the issues mutations take: their input types."""

from __future__ import annotations

import strawberry

from schema.issues.enums import IssueSeverity
from schema.kernel.enums import Visibility


@strawberry.input(
    description="Raise an issue in an alliance. Any current member organisation may, with "
    "governance:write. The issue is held by the committee you name (an operational or "
    "tactical committee, or the steering committee directly) and is due after that "
    "committee's tier's response days; a RAISED move starts its history."
)
class RaiseIssueInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")
    committee: strawberry.ID = strawberry.field(
        description="The committee to hold the issue; it must belong to the alliance."
    )
    title: str = strawberry.field(description="What the problem is (1-200 characters).")
    description: str = strawberry.field(
        default="", description="The problem in detail (up to 20,000 characters)."
    )
    severity: IssueSeverity = strawberry.field(description="LOW, MEDIUM, HIGH or CRITICAL.")
    visibility: Visibility = strawberry.field(
        default=Visibility.ALLIANCE,
        description="Who sees it: ALLIANCE (default, every member), COMMITTEE (seat holders "
        "of visibilityCommittee) or ORGANISATIONS (those listed in audience). Your "
        "organisation and the holding committee's seat holders always see it.",
    )
    visibility_committee: strawberry.ID | None = strawberry.field(
        default=None,
        description="With visibility COMMITTEE: a committee of the alliance whose seat "
        "holders see the issue; the holding committee when omitted. Not allowed otherwise.",
    )
    audience: list[str] | None = strawberry.field(
        default=None,
        description="With visibility ORGANISATIONS (required then): slugs of the member "
        "organisations to share it with. Not allowed otherwise.",
    )


@strawberry.input(
    description="Escalate an open issue to the parent of its holding committee. Only the "
    "holding committee's chair may, with governance:write. The deadline restarts with the "
    "parent's tier. The steering committee is the last tier: escalating there is refused "
    "(BAD_USER_INPUT), as is escalating a resolved issue."
)
class EscalateIssueInput:
    issue: strawberry.ID = strawberry.field(description="The issue's ID.")
    version: int = strawberry.field(
        description="The version you saw; if the issue moved meanwhile you get CONFLICT."
    )
    note: str = strawberry.field(
        default="", description="Why it goes up (up to 20,000 characters); kept in its history."
    )


@strawberry.input(
    description="Resolve an open issue. Only the holding committee's chair may, with "
    "governance:write. A resolution text is required; a resolved issue cannot be resolved "
    "or escalated again (BAD_USER_INPUT)."
)
class ResolveIssueInput:
    issue: strawberry.ID = strawberry.field(description="The issue's ID.")
    version: int = strawberry.field(
        description="The version you saw; if the issue moved meanwhile you get CONFLICT."
    )
    resolution: str = strawberry.field(
        description="How the issue was resolved (1-20,000 characters)."
    )
