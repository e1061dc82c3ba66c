"""Persisted GraphQL documents, per organisation, keyed by the SHA-256 of their text.

Kept in PostgreSQL so that every server process sees a document as soon as another has
stored it. Written with upserts outside the unit of work (``portal.persisted``): automatic
ones are a cache any request may fill; trusted ones come from the organisation's admin.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.enums import DocumentKind
from db.models import Base, created_at, text_enum


class PersistedDocument(Base):
    """One GraphQL document an organisation's clients may name by its hash instead of
    sending it: trusted (from a client's manifest) or automatic (Apollo's APQ)."""

    __tablename__ = "persisted_documents"

    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The lower-case hexadecimal SHA-256 of ``document`` (UTF-8), checked before storing."""
    document: Mapped[str] = mapped_column(Text)
    kind: Mapped[DocumentKind] = mapped_column(text_enum(DocumentKind, "kind"))
    client: Mapped[str | None] = mapped_column(String(100))
    """The client (manifest) whose registration made it trusted; None for automatic ones."""
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        CheckConstraint("(kind = 'trusted') = (client IS NOT NULL)", name="trusted_by_client"),
        # the oldest automatic documents are evicted first when an organisation's are capped
        Index("ix_persisted_documents_kind_created", "organisation_id", "kind", "created_at"),
    )
