"""Persisted documents, and API tokens that run trusted documents only.

``persisted_documents`` holds each organisation's GraphQL documents by the SHA-256 of their
text: trusted ones (registered by the organisation's admin from a client's manifest) and
automatic ones (Apollo's automatic persisted queries). Row-level security keeps each
organisation to its own; an update may only make a document trusted, and only automatic
documents may be deleted (the cache evicting its oldest), so the application role can
neither demote nor remove a trusted document.

``api_tokens.trusted_documents_only`` marks a token whose requests must name a trusted
document; ``portal_api_token_by_hash`` returns it, so authentication carries it to the
principal.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from db import rls

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ME = rls.CURRENT_ORGANISATION

LOOKUP_SIGNATURE = "portal_api_token_by_hash(secret_hash bytea)"
_LOOKUP_COLUMNS = """id uuid, organisation_id uuid, created_by_user_id uuid, creator_role text,
                  scopes varchar[], expires_at timestamptz, revoked_at timestamptz"""
_LOOKUP_SELECT = """SELECT t.id, t.organisation_id, t.created_by_user_id, u.role::text, t.scopes,
                  t.expires_at, t.revoked_at{extra}
           FROM public.api_tokens t LEFT JOIN public.users u ON u.id = t.created_by_user_id
           WHERE t.token_hash = secret_hash"""


def _token_by_hash(*, trusted_documents_only: bool) -> None:
    """(Re)create the token lookup of 0001, with or without the new column: its result type
    changes, so it is dropped and created again, owned and granted as every definer is."""
    op.execute("DROP FUNCTION public.portal_api_token_by_hash(bytea)")
    extra = ", t.trusted_documents_only" if trusted_documents_only else ""
    columns = _LOOKUP_COLUMNS + (", trusted_documents_only boolean" if extra else "")
    rls.create_definer_function(
        LOOKUP_SIGNATURE, f"TABLE ({columns})", _LOOKUP_SELECT.format(extra=extra)
    )


def upgrade() -> None:
    op.create_table(
        "persisted_documents",
        sa.Column(
            "organisation_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("client", sa.String(100)),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("kind IN ('trusted', 'automatic')", name="kind"),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        sa.CheckConstraint("(kind = 'trusted') = (client IS NOT NULL)", name="trusted_by_client"),
    )
    op.create_index(
        "ix_persisted_documents_kind_created",
        "persisted_documents",
        ["organisation_id", "kind", "created_at"],
    )
    rls.protect("persisted_documents", ["SELECT", "INSERT", "UPDATE", "DELETE"])
    rls.policy("persisted_documents", "own_read", "SELECT", using=f"organisation_id = {ME}")
    rls.policy("persisted_documents", "own_write", "INSERT", check=f"organisation_id = {ME}")
    # an update only ever makes a document trusted (registering it); none is demoted
    rls.policy(
        "persisted_documents",
        "own_update",
        "UPDATE",
        using=f"organisation_id = {ME}",
        check=f"organisation_id = {ME} AND kind = 'trusted'",
    )
    # the automatic cache evicts its oldest; trusted documents are never removed by the app
    rls.policy(
        "persisted_documents",
        "evict_automatic",
        "DELETE",
        using=f"organisation_id = {ME} AND kind = 'automatic'",
    )

    op.add_column(
        "api_tokens",
        sa.Column(
            "trusted_documents_only", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )
    _token_by_hash(trusted_documents_only=True)


def downgrade() -> None:
    _token_by_hash(trusted_documents_only=False)
    op.drop_column("api_tokens", "trusted_documents_only")
    op.drop_table("persisted_documents")
