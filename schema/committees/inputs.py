"""What the committees mutations take: their input types."""

from __future__ import annotations

import strawberry

from portal import committees
from schema.committees.enums import CommitteeTier, MajorityRule, SeatRole

LEAD_ADMINS = (
    "Admins of the alliance's lead organisation only (admin and governance:write scopes); "
    "others get FORBIDDEN, organisations outside the alliance NOT_FOUND."
)


@strawberry.input(
    description="Set up a TACTICAL or OPERATIONAL committee under a parent of a strictly "
    "higher tier in the same alliance (the steering committee is made with the alliance; "
    "there is one). " + LEAD_ADMINS
)
class CreateCommitteeInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")
    parent: strawberry.ID = strawberry.field(
        description="The parent committee (its escalation path), of a higher tier."
    )
    name: str = strawberry.field(description="The committee's name (1-200 characters).")
    tier: CommitteeTier = strawberry.field(description="TACTICAL or OPERATIONAL.")
    mandate: str = strawberry.field(default="", description="What it is for and may decide.")
    quorum: float | None = strawberry.field(
        default=None,
        description="Share of voting seats that must vote: more than 0, at most 1, rounded "
        "to three decimals; 0.667 when omitted.",
    )
    majority: MajorityRule | None = strawberry.field(
        default=None, description="How decisions pass; SIMPLE when omitted."
    )
    veto_allowed: bool | None = strawberry.field(
        default=None, description="Whether a voting party may veto; false when omitted."
    )


@strawberry.input(
    description="Change a committee's name, mandate and decision rules (tier and parent "
    "are fixed). Omitted fields stay as they are. " + LEAD_ADMINS
)
class UpdateCommitteeInput:
    committee: strawberry.ID = strawberry.field(description="The committee's ID.")
    version: int = strawberry.field(
        description="The version you edited; if it changed meanwhile you get CONFLICT."
    )
    name: str | None = strawberry.field(default=None, description="New name (1-200).")
    mandate: str | None = strawberry.field(default=None, description="New mandate.")
    quorum: float | None = strawberry.field(
        default=None, description="New quorum: more than 0, at most 1, three decimals."
    )
    majority: MajorityRule | None = strawberry.field(default=None, description="New rule.")
    veto_allowed: bool | None = strawberry.field(default=None, description="Allow vetoes.")


HAND_OVER = strawberry.field(
    default=False,
    description="For CHAIR or SECRETARY: if another seat holds the role, it becomes a "
    "MEMBER seat (keeping its vote) in the same change. Without it a taken role is a "
    "CONFLICT.",
)


@strawberry.input(
    description="Seat a member organisation on a committee. The organisation must be a "
    "current member of the alliance (else BAD_USER_INPUT) and may hold one seat per "
    "committee (else CONFLICT); a committee has one chair and one secretary. " + LEAD_ADMINS
)
class AssignSeatInput:
    committee: strawberry.ID = strawberry.field(description="The committee's ID.")
    organisation: strawberry.ID = strawberry.field(
        description="The organisation's global ID (as alliance members list it)."
    )
    role: SeatRole = strawberry.field(description="Chair, secretary, member or observer.")
    voting: bool | None = strawberry.field(
        default=None,
        description="Whether the seat votes; true when omitted, except for an OBSERVER, "
        "which never votes (true is BAD_USER_INPUT).",
    )
    hand_over: bool = HAND_OVER


@strawberry.input(
    description="Change a seat's role or vote. The steering committee's chair seat keeps "
    "its role until another seat takes the chair with handOver. " + LEAD_ADMINS
)
class UpdateSeatInput:
    seat: strawberry.ID = strawberry.field(description="The seat's ID.")
    role: SeatRole | None = strawberry.field(default=None, description="New role.")
    voting: bool | None = strawberry.field(
        default=None,
        description="Whether the seat votes. When omitted: a seat becoming OBSERVER stops "
        "voting, one leaving the observer role votes, otherwise unchanged. An observer "
        "never votes.",
    )
    hand_over: bool = HAND_OVER


@strawberry.input(
    description="Take a seat (and its representatives) away from its organisation. "
    "Refused for the steering committee's chair (BAD_USER_INPUT: hand the chair over "
    "first, so the last escalation tier is never without a chair) and for a seat that has "
    "voted (CONFLICT: its votes belong to the decision record; change its role instead). "
    "Ending a membership removes the organisation's seats by itself. " + LEAD_ADMINS
)
class RemoveSeatInput:
    seat: strawberry.ID = strawberry.field(description="The seat's ID.")


@strawberry.input(
    description="Name exactly these people as the seat's representatives (an empty list "
    "clears them). The admins of the seat's own organisation name them, and they must be "
    "users of that organisation (else BAD_USER_INPUT). Admins of the lead organisation may "
    "only clear another organisation's representatives. Needs governance:write."
)
class SetSeatRepresentativesInput:
    seat: strawberry.ID = strawberry.field(description="The seat's ID.")
    users: list[strawberry.ID] = strawberry.field(
        description="User IDs (as viewer.userId and Representative.userId show them); at "
        f"most {committees.REPRESENTATIVES_MAX}."
    )


@strawberry.input(
    description="Change the alliance's procedural rules; omitted values stay as they are, "
    f"each value is 0 to {committees.DAYS_MAX} days. " + LEAD_ADMINS
)
class UpdateGovernanceRulesInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")
    version: int = strawberry.field(
        description="The version you edited; if it changed meanwhile you get CONFLICT."
    )
    ordinary_notice_days: int | None = strawberry.field(
        default=None, description="Notice for ordinary meetings."
    )
    extraordinary_notice_days: int | None = strawberry.field(
        default=None, description="Notice for extraordinary meetings."
    )
    agenda_deadline_days: int | None = strawberry.field(
        default=None, description="Days before a meeting its agenda closes."
    )
    objection_period_days: int | None = strawberry.field(
        default=None, description="Objection period of circulated minutes."
    )
    operational_response_days: int | None = strawberry.field(
        default=None, description="Response time of operational committees to issues."
    )
    tactical_response_days: int | None = strawberry.field(
        default=None, description="Response time of tactical committees to issues."
    )
    strategic_response_days: int | None = strawberry.field(
        default=None, description="Response time of the steering committee to issues."
    )
