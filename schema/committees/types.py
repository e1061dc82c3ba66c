"""Committees, seats, their representatives and the alliance's governance rules: types,
queries and mutations (issue 3).

Reading needs ``governance:read`` and shows an alliance's whole structure to its current
members; writing needs ``governance:write`` and the rules of ``portal.committees``.
Other areas reach these types through ``load_committee`` and ``load_seat``.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import governance as models
from db.enums import CommitteeTier, MajorityRule, SeatRole
from db.models import User
from portal.committees import service as committees
from portal.kernel.errors import BadInput, NotFound
from schema.context import Info
from schema.kernel.errors import UserError, guarded
from schema.kernel.ids import expect_global_id, to_global_id
from schema.kernel.nodes import AreaNode, load_list, load_required
from schema.kernel.pagination import Connection, Ordering, PageRequest, connection_from, paginate
from schema.kernel.scopes import Needs
from schema.organisations.types import Organisation, load_organisation

if TYPE_CHECKING:
    from schema.alliances.types import Alliance
    from schema.loaders import Loaders
    from schema.meetings.types import Meeting

strawberry.enum(
    CommitteeTier,
    name="CommitteeTier",
    description="Level of a committee: STRATEGIC (the steering committee), TACTICAL or "
    "OPERATIONAL. Issues escalate to higher tiers.",
)
strawberry.enum(
    SeatRole,
    name="SeatRole",
    description="A seat's role: CHAIR and SECRETARY (one each per committee), MEMBER or "
    "OBSERVER (never votes).",
)
strawberry.enum(
    MajorityRule,
    name="MajorityRule",
    description="How a committee's decisions pass: SIMPLE (more votes for than against) or "
    "QUALIFIED (at least two thirds of the votes cast are for).",
)


# --- loaders --------------------------------------------------------------------------------


def _known(info: Info, row: models.Committee) -> Committee:
    """A committee read through the policy: remembered for the request, so that nested
    look-ups of it (a seat's committee, a child's parent) cost no statement."""
    info.context.loaders.committees.by_id.prime(row.id, row)
    return Committee.from_model(row)


# --- types ------------------------------------------------------------------------------------


@strawberry.type(
    description="A person named by an organisation to sit for its seat. Visible to every "
    "current member of the alliance."
)
class Representative:
    user_id: strawberry.ID = strawberry.field(
        description="The user's ID (as viewer.userId shows it to the user)."
    )
    display_name: str = strawberry.field(description="The person's name.")
    email: str = strawberry.field(description="Where to reach the person.")

    @classmethod
    def from_model(cls, row: User) -> Representative:
        return cls(
            user_id=strawberry.ID(str(row.id)), display_name=row.display_name, email=row.email
        )


@strawberry.type(
    description="A body of an alliance: the steering committee (STRATEGIC, one per "
    "alliance, made with it) or a TACTICAL or OPERATIONAL committee whose parent is its "
    "escalation path. Visible to every current member of the alliance (governance:read)."
)
class Committee(AreaNode):
    db_id: relay.NodeID[str]
    alliance_id: strawberry.Private[uuid.UUID]
    parent_id: strawberry.Private[uuid.UUID | None]
    name: str = strawberry.field(description="The committee's name.")
    tier: CommitteeTier = strawberry.field(description="Strategic, tactical or operational.")
    mandate: str = strawberry.field(description="What the committee is for and may decide.")
    quorum: float = strawberry.field(
        description="Share of the voting seats (0 to 1, three decimals) that must vote for "
        "a decision to be valid; 0.667 by default."
    )
    majority: MajorityRule = strawberry.field(description="How its decisions pass.")
    veto_allowed: bool = strawberry.field(
        description="Whether a voting party may veto a decision of this committee."
    )
    version: int = strawberry.field(
        description="Version of the committee's settings; send it back with updateCommittee."
    )
    created_at: dt.datetime = strawberry.field(description="When the committee was set up.")

    @classmethod
    def from_model(cls, row: models.Committee) -> Committee:
        return cls(
            db_id=str(row.id),
            alliance_id=row.alliance_id,
            parent_id=row.parent_id,
            name=row.name,
            tier=row.tier,
            mandate=row.mandate,
            quorum=float(row.quorum),
            majority=row.majority,
            veto_allowed=row.veto_allowed,
            version=row.version,
            created_at=row.created_at,
        )

    @strawberry.field(
        description="The committee issues escalate to; null for the steering committee."
    )
    async def parent(self, info: Info) -> Committee | None:
        if self.parent_id is None:
            return None
        return await load_committee(info, self.parent_id)

    @strawberry.field(description="Committees whose parent this is, oldest first.")
    async def children(self, info: Info) -> list[Committee]:
        rows = await info.context.loaders.committees.of_parent.load(uuid.UUID(self.db_id))
        return [_known(info, row) for row in rows]

    @strawberry.field(
        description="Its seats: chair, secretary, members, observers; each by seniority."
    )
    async def seats(self, info: Info) -> list[Seat]:
        rows = await info.context.loaders.committees.seats_of_committee.load(uuid.UUID(self.db_id))
        return [Seat.from_model(row) for row in rows]

    @strawberry.field(
        description="The committee's meetings, earliest first (past and upcoming); page "
        "through them with the top-level meetings query."
    )
    async def meetings(
        self, info: Info
    ) -> list[Annotated[Meeting, strawberry.lazy("schema.meetings.types")]]:
        return await load_list(
            info, info.context.loaders.meetings.of_committee, uuid.UUID(self.db_id)
        )

    @strawberry.field(
        description="The alliance the committee belongs to.",
        extensions=[Needs(Scope.ALLIANCES_READ)],
    )
    async def alliance(
        self, info: Info
    ) -> Annotated[Alliance, strawberry.lazy("schema.alliances.types")]:
        return await load_required(info, info.context.loaders.alliances.by_id, self.alliance_id)

    read_scope = Scope.GOVERNANCE_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.committees.by_id


@strawberry.type(
    description="An organisation's seat on a committee: its role, whether it votes and the "
    "people who sit for it. Visible to every current member of the alliance "
    "(governance:read)."
)
class Seat(AreaNode):
    db_id: relay.NodeID[str]
    committee_id: strawberry.Private[uuid.UUID]
    organisation_id: strawberry.Private[uuid.UUID]
    role: SeatRole = strawberry.field(description="Chair, secretary, member or observer.")
    voting: bool = strawberry.field(
        description="Whether the seat votes (one vote per organisation); observers never do."
    )
    created_at: dt.datetime = strawberry.field(description="When the seat was assigned.")

    @classmethod
    def from_model(cls, row: models.Seat) -> Seat:
        return cls(
            db_id=str(row.id),
            committee_id=row.committee_id,
            organisation_id=row.organisation_id,
            role=row.role,
            voting=row.voting,
            created_at=row.created_at,
        )

    @strawberry.field(description="The organisation holding the seat.")
    async def organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)

    @strawberry.field(description="The committee the seat is on.")
    async def committee(self, info: Info) -> Committee:
        return await load_committee(info, self.committee_id)

    @strawberry.field(
        description="The people the organisation named to sit for it (by name); its own "
        "admins name them with setSeatRepresentatives."
    )
    async def representatives(self, info: Info) -> list[Representative]:
        users = await info.context.loaders.committees.representatives_of_seat.load(
            uuid.UUID(self.db_id)
        )
        return [Representative.from_model(user) for user in users]

    read_scope = Scope.GOVERNANCE_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.committees.seat_by_id


@strawberry.type(
    description="An alliance's procedural rules, in days (as a consortium agreement sets "
    "them). Visible to every current member (governance:read); the lead organisation's "
    "admins change them with updateGovernanceRules."
)
class GovernanceRules:
    alliance_id: strawberry.Private[uuid.UUID]
    ordinary_notice_days: int = strawberry.field(
        description="Minimum notice for an ordinary meeting."
    )
    extraordinary_notice_days: int = strawberry.field(
        description="Minimum notice for an extraordinary meeting."
    )
    agenda_deadline_days: int = strawberry.field(
        description="Agenda items can be added until this many days before a meeting."
    )
    objection_period_days: int = strawberry.field(
        description="Circulated minutes are approved tacitly when no seat holder objects "
        "within this period."
    )
    operational_response_days: int = strawberry.field(
        description="An operational committee answers an issue within this many days, or "
        "it escalates."
    )
    tactical_response_days: int = strawberry.field(
        description="A tactical committee answers an issue within this many days, or it escalates."
    )
    strategic_response_days: int = strawberry.field(
        description="The steering committee answers an issue within this many days."
    )
    version: int = strawberry.field(
        description="Version of the rules; send it back with updateGovernanceRules."
    )

    @classmethod
    def from_model(cls, row: models.GovernanceRules) -> GovernanceRules:
        return cls(
            alliance_id=row.alliance_id,
            ordinary_notice_days=row.ordinary_notice_days,
            extraordinary_notice_days=row.extraordinary_notice_days,
            agenda_deadline_days=row.agenda_deadline_days,
            objection_period_days=row.objection_period_days,
            operational_response_days=row.operational_response_days,
            tactical_response_days=row.tactical_response_days,
            strategic_response_days=row.strategic_response_days,
            version=row.version,
        )

    @strawberry.field(
        description="The alliance these rules govern.", extensions=[Needs(Scope.ALLIANCES_READ)]
    )
    async def alliance(
        self, info: Info
    ) -> Annotated[Alliance, strawberry.lazy("schema.alliances.types")]:
        return await load_required(info, info.context.loaders.alliances.by_id, self.alliance_id)


# --- helpers for other areas --------------------------------------------------------------------


async def load_committees_of_alliance(info: Info, alliance_id: uuid.UUID) -> list[Committee]:
    """An alliance's committees, steering committee first (oldest first), batched."""
    rows = await info.context.loaders.committees.of_alliance.load(alliance_id)
    return [_known(info, row) for row in rows]


async def load_committee(info: Info, committee_id: uuid.UUID) -> Committee:
    """A committee the principal can see (batched per request); ``LookupError`` if it is
    not visible, which a visible object's committee always is."""
    row = await info.context.loaders.committees.by_id.load(committee_id)
    if row is None:
        raise LookupError(f"committee {committee_id} is not visible")
    return Committee.from_model(row)


async def load_seat(info: Info, seat_id: uuid.UUID) -> Seat | None:
    """A seat the principal can see (batched per request), or None (e.g. removed)."""
    row = await info.context.loaders.committees.seat_by_id.load(seat_id)
    return Seat.from_model(row) if row else None


NODE_TYPES: dict[str, type[relay.Node]] = {"Committee": Committee, "Seat": Seat}


# --- queries ----------------------------------------------------------------------------------


@strawberry.enum(description="Orders of a committee list.")
class CommitteeOrder(enum.Enum):
    CREATED_AT = strawberry.enum_value("created_at", description="Oldest first.")
    NAME = strawberry.enum_value("name", description="By name, A to Z.")


COMMITTEE_ORDERINGS = {
    CommitteeOrder.CREATED_AT: Ordering(
        "created", (models.Committee.created_at, models.Committee.id)
    ),
    CommitteeOrder.NAME: Ordering("name", (models.Committee.name, models.Committee.id)),
}


@strawberry.input(description="Narrow a committee list.")
class CommitteeFilter:
    tiers: list[CommitteeTier] | None = strawberry.field(
        default=None, description="Only committees of these tiers."
    )
    parent: strawberry.ID | None = strawberry.field(
        default=None, description="Only the committees directly under this committee."
    )


async def resolve_committees(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
    filter: Annotated[
        CommitteeFilter | None, strawberry.argument(description="Which committees.")
    ] = None,
    order_by: Annotated[
        CommitteeOrder, strawberry.argument(description="Sort order (oldest first by default).")
    ] = CommitteeOrder.CREATED_AT,
    first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to start after.")] = None,
    last: Annotated[int | None, strawberry.argument(description="Page size from the end.")] = None,
    before: Annotated[str | None, strawberry.argument(description="Cursor to end before.")] = None,
) -> Connection[Committee]:
    """An alliance's committees; empty when the alliance does not exist or your
    organisation is not a current member. Needs governance:read."""
    principal = info.context.principal
    chosen = filter or CommitteeFilter()
    ordering = COMMITTEE_ORDERINGS[order_by]
    page = PageRequest(first=first, after=after, last=last, before=before)
    page.size()
    try:
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
        parent_id = (
            expect_global_id(chosen.parent, "Committee", "parent")
            if chosen.parent is not None
            else None
        )
    except NotFound:  # an ID of another type names nothing: nothing matches
        return connection_from(([], False, False), ordering, Committee.from_model)
    query = committees.alliance_committees(
        principal, alliance_id, tiers=chosen.tiers, parent_id=parent_id
    )
    return await paginate(
        info.context.session, query, ordering, page, lambda row: _known(info, row)
    )


async def resolve_governance_rules(
    info: Info,
    alliance: Annotated[strawberry.ID, strawberry.argument(description="The alliance's ID.")],
) -> GovernanceRules | None:
    """An alliance's procedural rules; null when it does not exist or your organisation is
    not a current member. Needs governance:read."""
    principal = info.context.principal
    try:
        alliance_id = expect_global_id(alliance, "Alliance", "alliance")
    except NotFound:
        return None
    row = await committees.get_governance_rules(info.context.session, principal, alliance_id)
    return GovernanceRules.from_model(row) if row else None


@strawberry.type
class Queries:
    committees: Connection[Committee] = strawberry.field(
        resolver=resolve_committees,
        description="An alliance's committees, visible to its current members; empty for "
        "an alliance you are not in or that does not exist. Needs governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
    governance_rules: GovernanceRules | None = strawberry.field(
        resolver=resolve_governance_rules,
        description="An alliance's procedural rules; null for an alliance you are not in or "
        "that does not exist. Needs governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )


# --- mutations --------------------------------------------------------------------------------

LEAD_ADMINS = (
    "Admins of the alliance's lead organisation only (admin and governance:write scopes); "
    "others get FORBIDDEN, organisations outside the alliance NOT_FOUND."
)


def _quorum(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


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


@strawberry.type(description="Result of createCommittee or updateCommittee.")
class CommitteePayload:
    committee: Committee | None = strawberry.field(description="The committee as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


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


@strawberry.type(description="Result of a seat change.")
class SeatPayload:
    seat: Seat | None = strawberry.field(description="The seat as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.input(
    description="Take a seat (and its representatives) away from its organisation. "
    "Refused for the steering committee's chair (BAD_USER_INPUT: hand the chair over "
    "first, so the last escalation tier is never without a chair) and for a seat that has "
    "voted (CONFLICT: its votes belong to the decision record; change its role instead). "
    "Ending a membership removes the organisation's seats by itself. " + LEAD_ADMINS
)
class RemoveSeatInput:
    seat: strawberry.ID = strawberry.field(description="The seat's ID.")


@strawberry.type(description="Result of removeSeat.")
class RemoveSeatPayload:
    removed_seat_id: strawberry.ID | None = strawberry.field(
        description="The ID the removed seat had."
    )
    committee: Committee | None = strawberry.field(description="Its committee, as it is now.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


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


@strawberry.type(description="Result of updateGovernanceRules.")
class GovernanceRulesPayload:
    governance_rules: GovernanceRules | None = strawberry.field(description="The rules as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


def _user_ids(values: list[strawberry.ID]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(str(value)) for value in values]
    except ValueError:
        raise BadInput("not a user ID", field="users") from None


def _seat_payload(row: models.Seat | None, errors: list[UserError]) -> SeatPayload:
    return SeatPayload(seat=Seat.from_model(row) if row else None, user_errors=errors)


def _committee_payload(row: models.Committee | None, errors: list[UserError]) -> CommitteePayload:
    return CommitteePayload(
        committee=Committee.from_model(row) if row else None, user_errors=errors
    )


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Set up a tactical or operational committee. Lead organisation's admins.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def create_committee(
        self,
        info: Info,
        input: Annotated[
            CreateCommitteeInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> CommitteePayload:
        ctx = info.context

        async def create() -> models.Committee:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            parent_id = expect_global_id(input.parent, "Committee", "parent")
            return await committees.create_committee(
                ctx.session,
                ctx.principal,
                alliance_id,
                parent_id=parent_id,
                tier=input.tier,
                committee=committees.CommitteeFields(
                    name=input.name,
                    mandate=input.mandate,
                    quorum=_quorum(input.quorum),
                    majority=input.majority,
                    veto_allowed=input.veto_allowed,
                ),
            )

        return _committee_payload(*await guarded(ctx.session, create))

    @strawberry.mutation(
        description="Change a committee's settings with optimistic concurrency. Lead "
        "organisation's admins.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def update_committee(
        self,
        info: Info,
        input: Annotated[
            UpdateCommitteeInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> CommitteePayload:
        ctx = info.context

        async def update() -> models.Committee:
            committee_id = expect_global_id(input.committee, "Committee", "committee")
            return await committees.update_committee(
                ctx.session,
                ctx.principal,
                committee_id,
                expected_version=input.version,
                changes=committees.CommitteeFields(
                    name=input.name,
                    mandate=input.mandate,
                    quorum=_quorum(input.quorum),
                    majority=input.majority,
                    veto_allowed=input.veto_allowed,
                ),
            )

        return _committee_payload(*await guarded(ctx.session, update))

    @strawberry.mutation(
        description=(
            "Seat a current member organisation on a committee. Lead organisation's admins."
        ),
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def assign_seat(
        self,
        info: Info,
        input: Annotated[
            AssignSeatInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> SeatPayload:
        ctx = info.context

        async def assign() -> models.Seat:
            committee_id = expect_global_id(input.committee, "Committee", "committee")
            organisation_id = expect_global_id(input.organisation, "Organisation", "organisation")
            return await committees.assign_seat(
                ctx.session,
                ctx.principal,
                committee_id,
                organisation_id=organisation_id,
                role=input.role,
                voting=input.voting,
                hand_over=input.hand_over,
            )

        return _seat_payload(*await guarded(ctx.session, assign))

    @strawberry.mutation(
        description="Change a seat's role or vote. Lead organisation's admins.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def update_seat(
        self,
        info: Info,
        input: Annotated[
            UpdateSeatInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> SeatPayload:
        ctx = info.context

        async def update() -> models.Seat:
            seat_id = expect_global_id(input.seat, "Seat", "seat")
            return await committees.update_seat(
                ctx.session,
                ctx.principal,
                seat_id,
                role=input.role,
                voting=input.voting,
                hand_over=input.hand_over,
            )

        return _seat_payload(*await guarded(ctx.session, update))

    @strawberry.mutation(
        description="Remove a seat. Lead organisation's admins.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def remove_seat(
        self,
        info: Info,
        input: Annotated[
            RemoveSeatInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> RemoveSeatPayload:
        ctx = info.context

        async def remove() -> models.Seat:
            seat_id = expect_global_id(input.seat, "Seat", "seat")
            return await committees.remove_seat(ctx.session, ctx.principal, seat_id)

        row, errors = await guarded(ctx.session, remove)
        if row is None:
            return RemoveSeatPayload(removed_seat_id=None, committee=None, user_errors=errors)
        return RemoveSeatPayload(
            removed_seat_id=strawberry.ID(str(to_global_id("Seat", row.id))),
            committee=await load_committee(info, row.committee_id),
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Name the people who sit for a seat. The seat's own organisation's "
        "admins; the lead's admins may only clear them.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def set_seat_representatives(
        self,
        info: Info,
        input: Annotated[
            SetSeatRepresentativesInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> SeatPayload:
        ctx = info.context

        async def name() -> models.Seat:
            seat_id = expect_global_id(input.seat, "Seat", "seat")
            return await committees.set_seat_representatives(
                ctx.session, ctx.principal, seat_id, _user_ids(input.users)
            )

        return _seat_payload(*await guarded(ctx.session, name))

    @strawberry.mutation(
        description="Change the alliance's notice periods, deadlines and response times "
        "with optimistic concurrency. Lead organisation's admins.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def update_governance_rules(
        self,
        info: Info,
        input: Annotated[
            UpdateGovernanceRulesInput,
            strawberry.argument(description="The change and the object it applies to."),
        ],
    ) -> GovernanceRulesPayload:
        ctx = info.context

        async def update() -> models.GovernanceRules:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            return await committees.update_governance_rules(
                ctx.session,
                ctx.principal,
                alliance_id,
                expected_version=input.version,
                changes=committees.RuleChanges(
                    ordinary_notice_days=input.ordinary_notice_days,
                    extraordinary_notice_days=input.extraordinary_notice_days,
                    agenda_deadline_days=input.agenda_deadline_days,
                    objection_period_days=input.objection_period_days,
                    operational_response_days=input.operational_response_days,
                    tactical_response_days=input.tactical_response_days,
                    strategic_response_days=input.strategic_response_days,
                ),
            )

        row, errors = await guarded(ctx.session, update)
        return GovernanceRulesPayload(
            governance_rules=GovernanceRules.from_model(row) if row else None, user_errors=errors
        )
