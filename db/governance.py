"""Governance models: committees and seats, meetings, minutes, decisions, action items and
issues (SPEC §3). Every row carries its ``alliance_id`` so that row-level security can key
on it without joins."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.enums import (
    ActionItemStatus,
    AgendaItemKind,
    CommitteeTier,
    CredentialKind,
    DecisionOutcome,
    DecisionProcedure,
    DecisionStatus,
    IssueMoveKind,
    IssueSeverity,
    IssueStatus,
    MajorityRule,
    MeetingKind,
    MeetingStatus,
    MinutesStatus,
    SeatRole,
    SignatureMeaning,
    Visibility,
    VoteChoice,
)
from db.models import Base, created_at, text_enum, utcnow, uuid_pk


def alliance_fk() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("alliances.id", ondelete="CASCADE"), index=True)


class GovernanceRules(Base):
    """An alliance's procedural rules (consortium-agreement style), one row per alliance."""

    __tablename__ = "governance_rules"

    alliance_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("alliances.id", ondelete="CASCADE"), primary_key=True
    )
    ordinary_notice_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    extraordinary_notice_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    agenda_deadline_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    objection_period_days: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    operational_response_days: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    tactical_response_days: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    strategic_response_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __table_args__ = (
        CheckConstraint(
            "least(ordinary_notice_days, extraordinary_notice_days, agenda_deadline_days,"
            " objection_period_days, operational_response_days, tactical_response_days,"
            " strategic_response_days) >= 0",
            name="non_negative",
        ),
    )


class Committee(Base):
    """A body of an alliance. The strategic (steering) committee has no parent; every other
    committee's parent is its escalation path."""

    __tablename__ = "committees"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("committees.id"))
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[CommitteeTier] = mapped_column(text_enum(CommitteeTier, "tier"))
    mandate: Mapped[str] = mapped_column(Text, default="", server_default="")
    quorum: Mapped[Decimal] = mapped_column(
        Numeric(4, 3), default=Decimal("0.667"), server_default="0.667"
    )
    """Share of voting seats that must vote for a decision to be valid."""
    majority: Mapped[MajorityRule] = mapped_column(
        text_enum(MajorityRule, "majority"),
        default=MajorityRule.SIMPLE,
        server_default=MajorityRule.SIMPLE.value,
    )
    veto_allowed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        CheckConstraint("(tier = 'strategic') = (parent_id IS NULL)", name="parent_by_tier"),
        CheckConstraint("quorum > 0 AND quorum <= 1", name="quorum_share"),
        Index(
            "uq_committees_steering",
            "alliance_id",
            unique=True,
            postgresql_where=text("tier = 'strategic'"),
        ),
    )


class Seat(Base):
    """An organisation's seat on a committee."""

    __tablename__ = "seats"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[SeatRole] = mapped_column(text_enum(SeatRole, "role"))
    voting: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("committee_id", "organisation_id", name="uq_seats_one_per_organisation"),
        Index(
            "uq_seats_chair", "committee_id", unique=True, postgresql_where=text("role = 'chair'")
        ),
        Index(
            "uq_seats_secretary",
            "committee_id",
            unique=True,
            postgresql_where=text("role = 'secretary'"),
        ),
        # the seated committees of the transaction's organisation (every visibility policy)
        Index("ix_seats_organisation", "organisation_id", "alliance_id", "committee_id"),
    )


class SeatRepresentative(Base):
    """A named person of the seat's organisation who sits for it."""

    __tablename__ = "seat_representatives"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    seat_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seats.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (UniqueConstraint("seat_id", "user_id", name="uq_seat_representatives_once"),)


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[MeetingKind] = mapped_column(text_enum(MeetingKind, "kind"))
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime | None]
    location: Mapped[str] = mapped_column(String(500), default="", server_default="")
    status: Mapped[MeetingStatus] = mapped_column(
        text_enum(MeetingStatus, "status"),
        default=MeetingStatus.SCHEDULED,
        server_default=MeetingStatus.SCHEDULED.value,
    )
    agenda_deadline: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
        Index("ix_meetings_committee_starts", "committee_id", "starts_at", "id"),
    )


class AgendaItem(Base):
    __tablename__ = "agenda_items"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AgendaItemKind] = mapped_column(text_enum(AgendaItemKind, "kind"))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (UniqueConstraint("meeting_id", "position", name="uq_agenda_items_ordered"),)


class Attendance(Base):
    __tablename__ = "attendances"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    seat_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("seats.id", ondelete="SET NULL"))
    """The seat that attended; null once the seat is given up (the record stays)."""
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    """The organisation holding the seat at the meeting."""
    present: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (
        UniqueConstraint("meeting_id", "seat_id", name="uq_attendances_once_per_seat"),
    )


class VisibilityGrant(Base):
    """For objects with visibility ORGANISATIONS: the organisations that may see them."""

    __tablename__ = "visibility_grants"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    object_id: Mapped[uuid.UUID] = mapped_column(index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))

    __table_args__ = (
        UniqueConstraint("object_id", "organisation_id", name="uq_visibility_grants_once"),
        # the objects granted to the transaction's organisation (every visibility policy)
        Index("ix_visibility_grants_organisation", "organisation_id", "alliance_id", "object_id"),
    )


class Minutes(Base):
    """The minutes of one meeting; their text lives in immutable versions."""

    __tablename__ = "minutes"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    meeting_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), unique=True
    )
    committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committees.id"))
    status: Mapped[MinutesStatus] = mapped_column(
        text_enum(MinutesStatus, "status"),
        default=MinutesStatus.DRAFT,
        server_default=MinutesStatus.DRAFT.value,
    )
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    visibility: Mapped[Visibility] = mapped_column(
        text_enum(Visibility, "visibility"),
        default=Visibility.COMMITTEE,
        server_default=Visibility.COMMITTEE.value,
    )
    visibility_committee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("committees.id"))
    circulated_at: Mapped[dt.datetime | None]
    objection_deadline: Mapped[dt.datetime | None]
    approved_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        CheckConstraint(
            "(visibility = 'committee') = (visibility_committee_id IS NOT NULL)",
            name="committee_visibility",
        ),
    )


class MinutesVersion(Base):
    """One immutable text of minutes; every edit adds a version."""

    __tablename__ = "minutes_versions"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    minutes_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("minutes_id", "version", name="uq_minutes_versions_numbered"),
    )


class Signature(Base):
    """An e-signature on a version of minutes: who, when, through which credential, and
    what the signature means. Immutable."""

    __tablename__ = "signatures"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    minutes_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    meaning: Mapped[SignatureMeaning] = mapped_column(text_enum(SignatureMeaning, "meaning"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    credential_kind: Mapped[CredentialKind] = mapped_column(
        text_enum(CredentialKind, "credential_kind")
    )
    credential_id: Mapped[uuid.UUID | None]
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    signed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())


_OPEN = text("status = 'open'")
"""Decisions still taking votes (``Decision.text`` shadows ``text`` in the class body)."""


class Decision(Base):
    """A decision of a committee, in a meeting or by written procedure. It may reference the
    object it decides on (``subject_type``/``subject_id``, e.g. a plan version)."""

    __tablename__ = "decisions"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"))
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meetings.id"))
    procedure: Mapped[DecisionProcedure] = mapped_column(text_enum(DecisionProcedure, "procedure"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[DecisionStatus] = mapped_column(
        text_enum(DecisionStatus, "status"),
        default=DecisionStatus.OPEN,
        server_default=DecisionStatus.OPEN.value,
    )
    outcome: Mapped[DecisionOutcome | None] = mapped_column(text_enum(DecisionOutcome, "outcome"))
    quorum_met: Mapped[bool | None]
    votes_for: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    votes_against: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    votes_abstain: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    vetoed_by_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id")
    )
    subject_type: Mapped[str | None] = mapped_column(String(64))
    subject_id: Mapped[uuid.UUID | None]
    closes_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        CheckConstraint(
            "(procedure = 'meeting') = (meeting_id IS NOT NULL)", name="meeting_procedure"
        ),
        CheckConstraint("(status = 'closed') = (outcome IS NOT NULL)", name="outcome_when_closed"),
        Index("ix_decisions_subject", "subject_type", "subject_id"),
        Index("ix_decisions_meeting_created", "meeting_id", "created_at", "id"),
        # the decisions awaiting votes, by committee (pending votes across alliances)
        Index("ix_decisions_open_committee", "committee_id", postgresql_where=_OPEN),
    )


class Vote(Base):
    """One organisation's vote on a decision, cast through its voting seat."""

    __tablename__ = "votes"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"))
    seat_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("seats.id", ondelete="SET NULL"))
    """The seat it was cast through; null once that seat is given up (the vote stays)."""
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    choice: Mapped[VoteChoice] = mapped_column(text_enum(VoteChoice, "choice"))
    veto: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    cast_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (
        UniqueConstraint("decision_id", "organisation_id", name="uq_votes_one_per_organisation"),
    )


class ActionItem(Base):
    __tablename__ = "action_items"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committees.id", ondelete="CASCADE"))
    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    owner_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[dt.date]
    status: Mapped[ActionItemStatus] = mapped_column(
        text_enum(ActionItemStatus, "status"),
        default=ActionItemStatus.OPEN,
        server_default=ActionItemStatus.OPEN.value,
    )
    completed_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        Index("ix_action_items_due", "alliance_id", "status", "due_on"),
        Index("ix_action_items_meeting", "meeting_id", "due_on", "id"),
        Index("ix_action_items_owner_due", "owner_organisation_id", "status", "due_on", "id"),
    )


class Issue(Base):
    """A problem raised in an alliance, held by a committee and escalated up the tree."""

    __tablename__ = "issues"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    raised_by_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    severity: Mapped[IssueSeverity] = mapped_column(text_enum(IssueSeverity, "severity"))
    visibility: Mapped[Visibility] = mapped_column(
        text_enum(Visibility, "visibility"),
        default=Visibility.ALLIANCE,
        server_default=Visibility.ALLIANCE.value,
    )
    visibility_committee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("committees.id"))
    holding_committee_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("committees.id"))
    status: Mapped[IssueStatus] = mapped_column(
        text_enum(IssueStatus, "status"),
        default=IssueStatus.OPEN,
        server_default=IssueStatus.OPEN.value,
    )
    due_at: Mapped[dt.datetime]
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        CheckConstraint(
            "(visibility = 'committee') = (visibility_committee_id IS NOT NULL)",
            name="committee_visibility",
        ),
        Index("ix_issues_open_due", "status", "due_at"),
    )


class IssueMove(Base):
    """One step of an issue's history: raised, escalated (by a chair or automatically),
    resolved. Append-only."""

    __tablename__ = "issue_moves"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    issue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    kind: Mapped[IssueMoveKind] = mapped_column(text_enum(IssueMoveKind, "kind"))
    from_committee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("committees.id"))
    to_committee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("committees.id"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    moved_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
