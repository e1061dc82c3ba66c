"""SQLAlchemy models: the tables of Alliance Portal.

Primary keys and timestamps are generated in Python so that inserts never need
``RETURNING``: row-level security would otherwise demand that a freshly inserted row be
readable before the statement finishes (an alliance is readable only once its first
membership exists). Relationships raise instead of loading implicitly; nested data is
loaded through DataLoaders.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from db.enums import (
    AllianceStatus,
    CredentialKind,
    MembershipRole,
    OrganisationKind,
    UserRole,
    UserStatus,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def text_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A VARCHAR with a CHECK constraint: adding a value later is a one-line migration."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        uuid.UUID: UUID(as_uuid=True),
        dt.datetime: DateTime(timezone=True),
        dt.date: Date(),
        dict[str, Any]: JSONB(),
    }


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(
        primary_key=True, default=uuid.uuid4, server_default=func.gen_random_uuid()
    )


def created_at() -> Mapped[dt.datetime]:
    return mapped_column(default=utcnow, server_default=func.now())


class Organisation(Base):
    """A tenant: a company, university, hospital or foundation taking part in alliances."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = uuid_pk()
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(text_enum(OrganisationKind, "kind"))
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format"),
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country_iso"),
    )


class User(Base):
    """A person in one organisation, identified by its identity provider's (issuer, subject)."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(text_enum(UserRole, "role"))
    status: Mapped[UserStatus] = mapped_column(
        text_enum(UserStatus, "status"), default=UserStatus.ACTIVE, server_default="active"
    )
    issuer: Mapped[str | None] = mapped_column(String(500))
    """With ``subject``, who the person is: bound at the first sign-in, never an e-mail."""
    subject: Mapped[str | None] = mapped_column(String(255))
    invited_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    signed_in_at: Mapped[dt.datetime | None]
    deactivated_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("issuer", "subject", name="identity"),
        CheckConstraint(
            "status <> 'active' OR (issuer IS NOT NULL AND subject IS NOT NULL)",
            name="identity_bound",
        ),
        Index("ix_users_organisation_email", "organisation_id", text("lower(email)"), unique=True),
    )


class Alliance(Base):
    """A research alliance: its charter, status and dates."""

    __tablename__ = "alliances"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="", server_default="")
    strategy: Mapped[str] = mapped_column(Text, default="", server_default="")
    vision: Mapped[str] = mapped_column(Text, default="", server_default="")
    status: Mapped[AllianceStatus] = mapped_column(
        text_enum(AllianceStatus, "status"),
        default=AllianceStatus.FORMING,
        server_default=AllianceStatus.FORMING.value,
    )
    starts_on: Mapped[dt.date | None]
    ends_on: Mapped[dt.date | None]
    created_by_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )

    __table_args__ = (
        CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates"
        ),
        Index("ix_alliances_name_id", "name", "id"),
    )


class Membership(Base):
    """An organisation's membership of an alliance; ``left_at`` set means it has ended."""

    __tablename__ = "memberships"

    id: Mapped[uuid.UUID] = uuid_pk()
    alliance_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alliances.id", ondelete="CASCADE"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[MembershipRole] = mapped_column(text_enum(MembershipRole, "role"))
    commitment: Mapped[str] = mapped_column(Text, default="", server_default="")
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    left_at: Mapped[dt.datetime | None]

    __table_args__ = (
        # one current membership per organisation and alliance; history rows may repeat
        Index(
            "uq_memberships_current",
            "alliance_id",
            "organisation_id",
            unique=True,
            postgresql_where=text("left_at IS NULL"),
        ),
        Index(
            "uq_memberships_lead",
            "alliance_id",
            unique=True,
            postgresql_where=text("left_at IS NULL AND role = 'lead'"),
        ),
        Index("ix_memberships_alliance_joined", "alliance_id", "joined_at", "id"),
    )


class ApiToken(Base):
    """A long-lived opaque credential of one organisation; only its keyed hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    last_four: Mapped[str] = mapped_column(String(4))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    expires_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = created_at()
    trusted_documents_only: Mapped[bool] = mapped_column(
        default=False, server_default=text("false")
    )


class Event(Base):
    """The outbox: one row per change, ids only, in commit order of ``position``."""

    __tablename__ = "events"

    position: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    alliance_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("alliances.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    type: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[uuid.UUID]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    request_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    # Inserting never reads back: RLS may not let the writer see the event it wrote (an
    # organisation leaving an alliance records that after it stopped being a member).
    __table_args__ = {"implicit_returning": False}


class AuditEntry(Base):
    """Who did what, when and through which credential. Append-only, hash-chained per
    organisation so that a changed or removed entry is detectable."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    credential_kind: Mapped[CredentialKind] = mapped_column(
        text_enum(CredentialKind, "credential_kind")
    )
    credential_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[uuid.UUID]
    alliance_id: Mapped[uuid.UUID | None]
    request_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'"))
    previous_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    entry_hash: Mapped[bytes] = mapped_column(LargeBinary)
    entry_mac: Mapped[bytes | None] = mapped_column(LargeBinary)
    """HMAC of ``entry_hash`` under the portal's audit key: an entry written by hand, without
    the key, is told apart (entries from before migration 0014 have none)."""
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())

    __table_args__ = (
        Index("ix_audit_entries_organisation_id", "organisation_id", "id"),
        {"implicit_returning": False},
    )


class CostSpent(Base):
    """Bookkeeping, not data anyone changes: the query cost an organisation, and each of its
    credentials, spent in one minute (the rate budget, shared by every server process).
    Written with one upsert per operation, outside the unit of work: no event, no audit."""

    __tablename__ = "cost_spent"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    """``organisation``, or ``credential:<id>``."""
    window_start: Mapped[dt.datetime] = mapped_column(primary_key=True)
    spent: Mapped[int] = mapped_column(BigInteger)


class AuditHead(Base):
    """The anchor of an organisation's audit chain: its newest entry, how many entries it
    has, and the portal's signature over both. Removing the newest entries, or appending
    entries by hand, no longer matches a head only the portal's key could have signed."""

    __tablename__ = "audit_heads"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id"), primary_key=True
    )
    last_entry_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[bytes] = mapped_column(LargeBinary)
    entries: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
