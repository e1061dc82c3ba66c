"""What partners bring and what the alliance does with it (issue 4): research plans with
immutable versions and milestones, the contributions ledger with confidential valuations,
the IP register with access requests, and idempotency keys for create mutations."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.enums import (
    AccessRequestStatus,
    ContributionKind,
    ContributionStatus,
    IpKind,
    MilestoneKind,
    MilestoneStatus,
    PlanStatus,
    Visibility,
)
from db.governance import alliance_fk
from db.models import Base, created_at, text_enum, utcnow, uuid_pk


def _visibility() -> Mapped[Visibility]:
    return mapped_column(
        text_enum(Visibility, "visibility"),
        default=Visibility.ALLIANCE,
        server_default=Visibility.ALLIANCE.value,
    )


def _committee_visibility_check() -> CheckConstraint:
    return CheckConstraint(
        "(visibility = 'committee') = (visibility_committee_id IS NOT NULL)",
        name="committee_visibility",
    )


class Plan(Base):
    """A research plan. Its content lives in immutable versions; ``version`` is the number
    of the current one (and the optimistic-concurrency token)."""

    __tablename__ = "plans"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    owner_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[PlanStatus] = mapped_column(
        text_enum(PlanStatus, "status"),
        default=PlanStatus.DRAFT,
        server_default=PlanStatus.DRAFT.value,
    )
    visibility: Mapped[Visibility] = _visibility()
    visibility_committee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("committees.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    approved_version: Mapped[int | None] = mapped_column(Integer)
    approved_by_decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decisions.id"))
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    __table_args__ = (
        _committee_visibility_check(),
        Index("ix_plans_alliance_updated", "alliance_id", "updated_at", "id"),
    )


class PlanVersion(Base):
    """One immutable state of a plan's content."""

    __tablename__ = "plan_versions"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (UniqueConstraint("plan_id", "number", name="uq_plan_versions_numbered"),)


class Milestone(Base):
    """A milestone or deliverable of a plan."""

    __tablename__ = "milestones"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    kind: Mapped[MilestoneKind] = mapped_column(text_enum(MilestoneKind, "kind"))
    title: Mapped[str] = mapped_column(String(200))
    responsible_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    due_on: Mapped[dt.date]
    status: Mapped[MilestoneStatus] = mapped_column(
        text_enum(MilestoneStatus, "status"),
        default=MilestoneStatus.PLANNED,
        server_default=MilestoneStatus.PLANNED.value,
    )
    completed_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (Index("ix_milestones_plan_due", "plan_id", "due_on", "id"),)


class Contribution(Base):
    """What an organisation puts into the alliance. Its valuation, which is confidential,
    lives in ``contribution_valuations`` under a stricter row-level policy."""

    __tablename__ = "contributions"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plans.id"))
    kind: Mapped[ContributionKind] = mapped_column(text_enum(ContributionKind, "kind"))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    unit: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]
    status: Mapped[ContributionStatus] = mapped_column(
        text_enum(ContributionStatus, "status"),
        default=ContributionStatus.PLEDGED,
        server_default=ContributionStatus.PLEDGED.value,
    )
    visibility: Mapped[Visibility] = _visibility()
    visibility_committee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("committees.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        _committee_visibility_check(),
        CheckConstraint("quantity > 0", name="positive_quantity"),
        CheckConstraint("period_end >= period_start", name="period"),
        # a plan's contributions, and the lists by alliance, kind or contributor, in order
        Index("ix_contributions_plan_created", "plan_id", "created_at", "id"),
        Index("ix_contributions_alliance_created", "alliance_id", "created_at", "id"),
        Index("ix_contributions_alliance_kind_created", "alliance_id", "kind", "created_at", "id"),
        Index("ix_contributions_organisation_created", "organisation_id", "created_at", "id"),
        Index("ix_contributions_created", "created_at", "id"),  # across alliances
    )


class ContributionValuation(Base):
    """The confidential amount of a contribution: exact decimal and ISO 4217 currency."""

    __tablename__ = "contribution_valuations"

    contribution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE"), primary_key=True
    )
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    currency: Mapped[str] = mapped_column(String(3))

    __table_args__ = (
        CheckConstraint("amount >= 0", name="non_negative"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="iso_4217"),
    )


class ContributionStep(Base):
    """Who moved a contribution to a status, and when. Append-only."""

    __tablename__ = "contribution_steps"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    contribution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE")
    )
    status: Mapped[ContributionStatus] = mapped_column(text_enum(ContributionStatus, "status"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (
        Index("ix_contribution_steps_contribution_at", "contribution_id", "at", "id"),
    )


class IpAsset(Base):
    """A piece of background or foreground intellectual property."""

    __tablename__ = "ip_assets"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    kind: Mapped[IpKind] = mapped_column(text_enum(IpKind, "kind"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    licence_terms: Mapped[str] = mapped_column(Text, default="", server_default="")
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plans.id"))
    visibility: Mapped[Visibility] = _visibility()
    visibility_committee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("committees.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (_committee_visibility_check(),)


class IpAssetOwner(Base):
    __tablename__ = "ip_asset_owners"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    ip_asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ip_assets.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))

    __table_args__ = (
        UniqueConstraint("ip_asset_id", "organisation_id", name="uq_ip_asset_owners_once"),
    )


class IpAccessRequest(Base):
    """A member organisation's request for access rights to an IP asset, and the answer."""

    __tablename__ = "ip_access_requests"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = alliance_fk()
    ip_asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ip_assets.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[AccessRequestStatus] = mapped_column(
        text_enum(AccessRequestStatus, "status"),
        default=AccessRequestStatus.PENDING,
        server_default=AccessRequestStatus.PENDING.value,
    )
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    answered_by_organisation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organisations.id")
    )
    answered_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at()


class IdempotencyKey(Base):
    """The first result of a create mutation under a client's idempotency key: a replay
    returns it; the same key with a different input is refused."""

    __tablename__ = "idempotency_keys"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    operation: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    input_hash: Mapped[bytes] = mapped_column(LargeBinary)
    result_id: Mapped[uuid.UUID]
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("organisation_id", "operation", "key", name="uq_idempotency_keys_key"),
    )
