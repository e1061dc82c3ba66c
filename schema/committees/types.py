"""Committees, seats, their representatives and the alliance's governance rules: types,
queries and mutations (issue 3).

Reading needs ``governance:read`` and shows an alliance's whole structure to its current
members; writing needs ``governance:write`` and the rules of ``portal.committees``.
Other areas reach these types through ``load_committee`` and ``load_seat``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import governance as models
from db.models import User
from schema.committees.enums import CommitteeTier, MajorityRule, SeatRole
from schema.context import Info
from schema.kernel import sql
from schema.kernel.nodes import AreaNode, load_list, load_required
from schema.kernel.scopes import Needs
from schema.organisations.types import Organisation, load_organisation

if TYPE_CHECKING:
    from schema.alliances.types import Alliance
    from schema.loaders import Loaders
    from schema.meetings.types import Meeting


def _known(info: Info, row: models.Committee) -> Committee:
    """A committee read through the policy: remembered for the request, so that nested
    look-ups of it (a seat's committee, a child's parent) cost no statement."""
    info.context.loaders.committees.by_id.prime(row.id, row)
    return Committee.from_model(row)


@strawberry.type(
    description="A person named by an organisation to sit for its seat: partners see their "
    "name and organisation; their e-mail address only their own organisation sees. "
    "Visible to every current member of the alliance."
)
class Representative:
    organisation_id: strawberry.Private[uuid.UUID]
    user_id: strawberry.ID = strawberry.field(
        description="The user's ID (as viewer.userId shows it to the user)."
    )
    display_name: str = strawberry.field(description="The person's name.")
    email: str | None = strawberry.field(
        description="Where to reach the person: shown to the people of their own "
        "organisation only; null for every other organisation (a partner's people and "
        "their addresses are its own to share)."
    )

    @classmethod
    def from_model(cls, row: User, viewer_organisation_id: uuid.UUID) -> Representative:
        """The representative ``row`` as the viewer's organisation may see them."""
        own = row.organisation_id == viewer_organisation_id
        return cls(
            organisation_id=row.organisation_id,
            user_id=strawberry.ID(str(row.id)),
            display_name=row.display_name,
            email=row.email if own else None,
        )

    @strawberry.field(description="The organisation the person belongs to (the seat's).")
    async def organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)


@strawberry.type(
    description="A body of an alliance: the steering committee (STRATEGIC, one per "
    "alliance, made with it) or a TACTICAL or OPERATIONAL committee whose parent is its "
    "escalation path. Visible to every current member of the alliance (governance:read)."
)
class Committee(AreaNode):
    db_id: relay.NodeID[str]
    alliance_id: strawberry.Private[uuid.UUID]
    parent_id: strawberry.Private[uuid.UUID | None]
    name: str = strawberry.field(
        metadata=sql.column("{t}.name"), description="The committee's name."
    )
    tier: CommitteeTier = strawberry.field(
        metadata=sql.column("{t}.tier", enum=CommitteeTier),
        description="Strategic, tactical or operational.",
    )
    mandate: str = strawberry.field(
        metadata=sql.column("{t}.mandate"), description="What the committee is for and may decide."
    )
    quorum: float = strawberry.field(
        description="Share of the voting seats (0 to 1, three decimals) that must vote for "
        "a decision to be valid; 0.667 by default."
    )
    majority: MajorityRule = strawberry.field(description="How its decisions pass.")
    veto_allowed: bool = strawberry.field(
        description="Whether a voting party may veto a decision of this committee."
    )
    version: int = strawberry.field(
        metadata=sql.column("{t}.version", "int"),
        description="Version of the committee's settings; send it back with updateCommittee.",
    )
    created_at: dt.datetime = strawberry.field(
        metadata=sql.column("{t}.created_at", "datetime"),
        description="When the committee was set up.",
    )

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

    sql_table = sql.alliance_records("committees")


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
        viewer = info.context.principal.organisation_id
        return [Representative.from_model(user, viewer) for user in users]

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
