"""Foundation: organisations, users, alliances, memberships, API tokens, the event outbox
and the audit trail, all under forced row-level security.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from db import rls
from db.session import APP_ROLE

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ME = rls.CURRENT_ORGANISATION
MINE = rls.MEMBER_ALLIANCES


def _enum_check(column: str, values: list[str]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=column)


def _uuid_pk() -> sa.Column[Any]:
    return sa.Column(
        "id", pg.UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")
    )


def _now(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def upgrade() -> None:
    op.create_table(
        "organisations",
        _uuid_pk(),
        sa.Column("slug", sa.String(63), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        _now("created_at"),
        _enum_check(
            "kind", ["pharma", "biotech", "academic", "hospital", "cro", "foundation", "other"]
        ),
        sa.CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format"),
        sa.CheckConstraint("country ~ '^[A-Z]{2}$'", name="country_iso"),
    )
    op.create_table(
        "users",
        _uuid_pk(),
        sa.Column(
            "organisation_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        _now("created_at"),
        _enum_check("role", ["admin", "member", "viewer"]),
        sa.UniqueConstraint("issuer", "subject", name="identity"),
    )
    op.create_table(
        "alliances",
        _uuid_pk(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False, server_default=""),
        sa.Column("strategy", sa.Text(), nullable=False, server_default=""),
        sa.Column("vision", sa.Text(), nullable=False, server_default=""),
        sa.Column("status", sa.String(32), nullable=False, server_default="forming"),
        sa.Column("starts_on", sa.Date()),
        sa.Column("ends_on", sa.Date()),
        sa.Column(
            "created_by_organisation_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey("organisations.id"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        _now("created_at"),
        _now("updated_at"),
        _enum_check("status", ["forming", "active", "closing", "closed"]),
        sa.CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates"
        ),
    )
    op.create_index("ix_alliances_name_id", "alliances", ["name", "id"])
    op.create_table(
        "memberships",
        _uuid_pk(),
        sa.Column(
            "alliance_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey("alliances.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "organisation_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("commitment", sa.Text(), nullable=False, server_default=""),
        _now("joined_at"),
        sa.Column("left_at", sa.DateTime(timezone=True)),
        _enum_check("role", ["lead", "partner", "associate", "observer"]),
    )
    op.create_index(
        "uq_memberships_current",
        "memberships",
        ["alliance_id", "organisation_id"],
        unique=True,
        postgresql_where=sa.text("left_at IS NULL"),
    )
    op.create_index(
        "uq_memberships_lead",
        "memberships",
        ["alliance_id"],
        unique=True,
        postgresql_where=sa.text("left_at IS NULL AND role = 'lead'"),
    )
    op.create_index(
        "ix_memberships_alliance_joined", "memberships", ["alliance_id", "joined_at", "id"]
    )
    op.create_table(
        "api_tokens",
        _uuid_pk(),
        sa.Column(
            "organisation_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey("organisations.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("created_by_user_id", pg.UUID(as_uuid=True), sa.ForeignKey("users.id")),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False, unique=True),
        sa.Column("last_four", sa.String(4), nullable=False),
        sa.Column("scopes", pg.ARRAY(sa.String(64)), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_by_user_id", pg.UUID(as_uuid=True), sa.ForeignKey("users.id")),
        _now("created_at"),
    )
    op.create_table(
        "events",
        sa.Column("position", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column(
            "alliance_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey("alliances.id", ondelete="CASCADE"),
            index=True,
        ),
        sa.Column(
            "organisation_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey("organisations.id"),
            nullable=False,
        ),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("object_type", sa.String(64), nullable=False),
        sa.Column("object_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("data", pg.JSONB(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("request_id", sa.String(64)),
        _now("occurred_at"),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column(
            "organisation_id",
            pg.UUID(as_uuid=True),
            sa.ForeignKey("organisations.id"),
            nullable=False,
        ),
        sa.Column("user_id", pg.UUID(as_uuid=True), sa.ForeignKey("users.id")),
        sa.Column("credential_kind", sa.String(32), nullable=False),
        sa.Column("credential_id", pg.UUID(as_uuid=True)),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_type", sa.String(64), nullable=False),
        sa.Column("object_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("alliance_id", pg.UUID(as_uuid=True)),
        sa.Column("request_id", sa.String(64)),
        sa.Column("changes", pg.JSONB(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("previous_hash", sa.LargeBinary()),
        sa.Column("entry_hash", sa.LargeBinary(), nullable=False),
        _now("occurred_at"),
        _enum_check("credential_kind", ["api_token", "operator"]),
    )
    op.create_index("ix_audit_entries_organisation_id", "audit_entries", ["organisation_id", "id"])

    _row_level_security()


def _row_level_security() -> None:
    rls.create_roles()
    rls.create_context_function()
    for table in ("memberships", "alliances", "api_tokens", "users", "organisations"):
        rls.let_definer_read(table)

    rls.create_definer_function(
        "portal_member_alliances()",
        "uuid[]",
        f"""SELECT coalesce(array_agg(alliance_id), '{{}}') FROM public.memberships
            WHERE organisation_id = {ME} AND left_at IS NULL""",
    )
    # The founding organisation may write the first (lead) membership of the alliance it
    # has just created; every later membership needs an active member to write it.
    rls.create_definer_function(
        "portal_may_found_alliance(alliance uuid)",
        "boolean",
        f"""SELECT EXISTS (SELECT 1 FROM public.alliances a
                           WHERE a.id = alliance AND a.created_by_organisation_id = {ME})
             AND NOT EXISTS (SELECT 1 FROM public.memberships m WHERE m.alliance_id = alliance)""",
    )
    # Inviting a partner needs its id; the slug is how partners tell each other who they are.
    rls.create_definer_function(
        "portal_organisation_id(organisation_slug text)",
        "uuid",
        "SELECT id FROM public.organisations WHERE slug = organisation_slug",
    )
    # Authentication happens before the organisation is known: the only way the app role
    # can find a token row of any organisation is by the keyed hash of its secret.
    rls.create_definer_function(
        "portal_api_token_by_hash(secret_hash bytea)",
        """TABLE (id uuid, organisation_id uuid, created_by_user_id uuid, creator_role text,
                  scopes varchar[], expires_at timestamptz, revoked_at timestamptz)""",
        """SELECT t.id, t.organisation_id, t.created_by_user_id, u.role::text, t.scopes,
                  t.expires_at, t.revoked_at
           FROM public.api_tokens t LEFT JOIN public.users u ON u.id = t.created_by_user_id
           WHERE t.token_hash = secret_hash""",
    )

    rls.protect("organisations", ["SELECT", "UPDATE"])
    # Your own organisation, and those sharing an alliance with it (through the visible
    # memberships, themselves filtered below).
    shared = f"id = {ME} OR id IN (SELECT organisation_id FROM public.memberships)"
    rls.policy("organisations", "read", "SELECT", using=shared)
    rls.policy("organisations", "update_own", "UPDATE", using=f"id = {ME}")

    rls.protect("users", ["SELECT", "INSERT", "UPDATE"])
    rls.policy("users", "own_organisation", "ALL", using=f"organisation_id = {ME}")

    rls.protect("alliances", ["SELECT", "INSERT", "UPDATE"])
    rls.policy("alliances", "member_read", "SELECT", using=f"id = ANY {MINE}")
    rls.policy("alliances", "member_update", "UPDATE", using=f"id = ANY {MINE}")
    rls.policy("alliances", "found", "INSERT", check=f"created_by_organisation_id = {ME}")

    rls.protect("memberships", ["SELECT", "INSERT", "UPDATE"])
    rls.policy(
        "memberships", "read", "SELECT", using=f"organisation_id = {ME} OR alliance_id = ANY {MINE}"
    )
    rls.policy(
        "memberships",
        "insert",
        "INSERT",
        check=f"""alliance_id = ANY {MINE}
                  OR (organisation_id = {ME} AND public.portal_may_found_alliance(alliance_id))""",
    )
    rls.policy(
        "memberships",
        "update",
        "UPDATE",
        using=f"alliance_id = ANY {MINE}",
        check=f"organisation_id = {ME} OR alliance_id = ANY {MINE}",
    )

    rls.protect("api_tokens", ["SELECT", "INSERT", "UPDATE"])
    rls.policy("api_tokens", "own_organisation", "ALL", using=f"organisation_id = {ME}")

    rls.protect("events", ["SELECT", "INSERT"])
    rls.policy(
        "events",
        "read",
        "SELECT",
        using=f"alliance_id = ANY {MINE} OR (alliance_id IS NULL AND organisation_id = {ME})",
    )
    rls.policy("events", "write_own", "INSERT", check=f"organisation_id = {ME}")

    # Append-only: the app role may read and add its organisation's entries, never change
    # or remove them (no UPDATE or DELETE grant, and no policy that would allow either).
    rls.protect("audit_entries", ["SELECT", "INSERT"])
    rls.policy("audit_entries", "own_read", "SELECT", using=f"organisation_id = {ME}")
    rls.policy("audit_entries", "own_write", "INSERT", check=f"organisation_id = {ME}")

    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}, {rls.DEFINER_ROLE}")
    op.execute(f"GRANT USAGE ON SEQUENCE events_position_seq, audit_entries_id_seq TO {APP_ROLE}")


def downgrade() -> None:
    for table in (
        "audit_entries",
        "events",
        "api_tokens",
        "memberships",
        "alliances",
        "users",
        "organisations",
    ):
        op.drop_table(table)
    for function in (
        "portal_api_token_by_hash(bytea)",
        "portal_organisation_id(text)",
        "portal_may_found_alliance(uuid)",
        "portal_member_alliances()",
        "portal_current_organisation()",
    ):
        op.execute(f"DROP FUNCTION public.{function}")
