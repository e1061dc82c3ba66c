"""Plans with immutable versions and milestones, the contributions ledger with confidential
valuations, the IP register with access requests, and idempotency keys.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from db import rls

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ME = rls.CURRENT_ORGANISATION
MINE = rls.MEMBER_ALLIANCES
UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)
VISIBILITY = ["alliance", "committee", "organisations"]
STATUSES = ["pledged", "committed", "delivered", "withdrawn"]


def _check(column: str, values: list[str]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN ({', '.join(map(repr, values))})", name=column)


def _id() -> sa.Column[Any]:
    return sa.Column("id", UUID, primary_key=True, server_default=sa.text("gen_random_uuid()"))


def _alliance() -> sa.Column[Any]:
    return sa.Column(
        "alliance_id",
        UUID,
        sa.ForeignKey("alliances.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def _fk(
    name: str, target: str, *, nullable: bool = False, cascade: bool = False, **kw: Any
) -> sa.Column[Any]:
    return sa.Column(
        name,
        UUID,
        sa.ForeignKey(target, ondelete="CASCADE" if cascade else None),
        nullable=nullable,
        **kw,
    )


def _now(name: str) -> sa.Column[Any]:
    return sa.Column(name, TS, nullable=False, server_default=sa.func.now())


def _str(name: str, length: int = 32, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=False, **kw)


def _text(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Text(), nullable=False, server_default="")


def _version() -> sa.Column[Any]:
    return sa.Column("version", sa.Integer(), nullable=False, server_default="1")


def _visibility() -> list[Any]:
    return [
        _str("visibility", server_default="alliance"),
        _fk("visibility_committee_id", "committees.id", nullable=True),
        _check("visibility", VISIBILITY),
        sa.CheckConstraint(
            "(visibility = 'committee') = (visibility_committee_id IS NOT NULL)",
            name="committee_visibility",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "plans",
        _id(),
        _alliance(),
        _fk("owner_organisation_id", "organisations.id"),
        _str("status", server_default="draft"),
        *_visibility(),
        _version(),
        sa.Column("approved_version", sa.Integer()),
        _fk("approved_by_decision_id", "decisions.id", nullable=True),
        _now("created_at"),
        _now("updated_at"),
        _check("status", ["draft", "proposed", "approved", "active", "completed", "cancelled"]),
    )
    op.create_table(
        "plan_versions",
        _id(),
        _alliance(),
        _fk("plan_id", "plans.id", cascade=True),
        sa.Column("number", sa.Integer(), nullable=False),
        _str("title", 200),
        _text("summary"),
        _text("body"),
        _fk("organisation_id", "organisations.id"),
        _fk("user_id", "users.id", nullable=True),
        _now("created_at"),
        sa.UniqueConstraint("plan_id", "number", name="uq_plan_versions_numbered"),
    )
    op.create_table(
        "milestones",
        _id(),
        _alliance(),
        _fk("plan_id", "plans.id", cascade=True),
        _str("kind"),
        _str("title", 200),
        _fk("responsible_organisation_id", "organisations.id"),
        sa.Column("due_on", sa.Date(), nullable=False),
        _str("status", server_default="planned"),
        sa.Column("completed_at", TS),
        _version(),
        _now("created_at"),
        _check("kind", ["milestone", "deliverable"]),
        _check("status", ["planned", "in_progress", "done", "cancelled"]),
    )
    op.create_index("ix_milestones_plan_due", "milestones", ["plan_id", "due_on", "id"])
    op.create_table(
        "contributions",
        _id(),
        _alliance(),
        _fk("organisation_id", "organisations.id", index=True),
        _fk("plan_id", "plans.id", nullable=True),
        _str("kind"),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Numeric(14, 3), nullable=False),
        _str("unit"),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        _str("status", server_default="pledged"),
        *_visibility(),
        _version(),
        _now("created_at"),
        _check("kind", ["personnel", "cash", "knowledge", "ip", "equipment"]),
        _check("status", STATUSES),
        sa.CheckConstraint("quantity > 0", name="positive_quantity"),
        sa.CheckConstraint("period_end >= period_start", name="period"),
    )
    op.create_table(
        "contribution_valuations",
        sa.Column(
            "contribution_id",
            UUID,
            sa.ForeignKey("contributions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _alliance(),
        _fk("organisation_id", "organisations.id"),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        _str("currency", 3),
        sa.CheckConstraint("amount >= 0", name="non_negative"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="iso_4217"),
    )
    op.create_table(
        "contribution_steps",
        _id(),
        _alliance(),
        _fk("contribution_id", "contributions.id", cascade=True),
        _str("status"),
        _fk("organisation_id", "organisations.id"),
        _fk("user_id", "users.id", nullable=True),
        _text("note"),
        _now("at"),
        _check("status", STATUSES),
    )
    op.create_table(
        "ip_assets",
        _id(),
        _alliance(),
        _str("kind"),
        _str("title", 200),
        _text("description"),
        _text("licence_terms"),
        _fk("plan_id", "plans.id", nullable=True),
        *_visibility(),
        _version(),
        _now("created_at"),
        _check("kind", ["background", "foreground"]),
    )
    op.create_table(
        "ip_asset_owners",
        _id(),
        _alliance(),
        _fk("ip_asset_id", "ip_assets.id", cascade=True),
        _fk("organisation_id", "organisations.id"),
        sa.UniqueConstraint("ip_asset_id", "organisation_id", name="uq_ip_asset_owners_once"),
    )
    op.create_table(
        "ip_access_requests",
        _id(),
        _alliance(),
        _fk("ip_asset_id", "ip_assets.id", cascade=True),
        _fk("organisation_id", "organisations.id"),
        sa.Column("purpose", sa.Text(), nullable=False),
        _str("status", server_default="pending"),
        _text("answer"),
        _fk("answered_by_organisation_id", "organisations.id", nullable=True),
        _fk("answered_by_user_id", "users.id", nullable=True),
        sa.Column("answered_at", TS),
        _now("created_at"),
        _check("status", ["pending", "granted", "refused", "withdrawn"]),
    )
    op.create_table(
        "idempotency_keys",
        _id(),
        _fk("organisation_id", "organisations.id"),
        _str("operation", 64),
        _str("key", 200),
        sa.Column("input_hash", sa.LargeBinary(), nullable=False),
        sa.Column("result_id", UUID, nullable=False),
        _now("created_at"),
        sa.UniqueConstraint("organisation_id", "operation", "key", name="uq_idempotency_keys_key"),
    )
    _row_level_security()


def _row_level_security() -> None:
    rls.let_definer_read("ip_asset_owners")
    # Alliances in which the organisation sits on the steering committee: those seats may
    # see every contribution's valuation (SPEC §4, confidential fields).
    rls.create_definer_function(
        "portal_steering_alliances()",
        "uuid[]",
        f"""SELECT coalesce(array_agg(s.alliance_id), '{{}}') FROM public.seats s
            JOIN public.committees c ON c.id = s.committee_id
            WHERE s.organisation_id = {ME} AND c.tier = 'strategic'
              AND s.alliance_id = ANY {MINE}""",
    )
    rls.create_definer_function(
        "portal_owned_ip_assets()",
        "uuid[]",
        f"""SELECT coalesce(array_agg(ip_asset_id), '{{}}') FROM public.ip_asset_owners
            WHERE organisation_id = {ME} AND alliance_id = ANY {MINE}""",
    )
    member = f"alliance_id = ANY {MINE}"
    steering = "((SELECT public.portal_steering_alliances())::uuid[])"
    owned = "((SELECT public.portal_owned_ip_assets())::uuid[])"

    plan_audience = rls.visible_to_audience(f"owner_organisation_id = {ME}")
    rls.protect("plans", ["SELECT", "INSERT", "UPDATE"])
    rls.policy("plans", "audience", "SELECT", using=plan_audience)
    rls.policy("plans", "create_own", "INSERT", check=f"{member} AND owner_organisation_id = {ME}")
    rls.policy("plans", "update", "UPDATE", using=plan_audience, check=member)

    with_plan = "plan_id IN (SELECT id FROM public.plans)"
    rls.protect("plan_versions", ["SELECT", "INSERT"])
    rls.policy("plan_versions", "with_plan", "SELECT", using=with_plan)
    rls.policy(
        "plan_versions",
        "write_own",
        "INSERT",
        check=f"{member} AND organisation_id = {ME} AND {with_plan}",
    )
    rls.protect("milestones", ["SELECT", "INSERT", "UPDATE"])
    rls.policy("milestones", "with_plan", "ALL", using=f"{member} AND {with_plan}")

    contribution_audience = rls.visible_to_audience(f"organisation_id = {ME}")
    rls.protect("contributions", ["SELECT", "INSERT", "UPDATE"])
    rls.policy("contributions", "audience", "SELECT", using=contribution_audience)
    rls.policy(
        "contributions", "record_own", "INSERT", check=f"{member} AND organisation_id = {ME}"
    )
    rls.policy("contributions", "update", "UPDATE", using=contribution_audience, check=member)

    # The amount: the contributor and steering-committee seat holders only, and only for a
    # contribution they can see at all. Aggregates over this table inherit the rule.
    with_contribution = "contribution_id IN (SELECT id FROM public.contributions)"
    rls.protect("contribution_valuations", ["SELECT", "INSERT", "UPDATE"])
    rls.policy(
        "contribution_valuations",
        "confidential",
        "SELECT",
        using=f"(organisation_id = {ME} OR alliance_id = ANY {steering}) AND {with_contribution}",
    )
    rls.policy(
        "contribution_valuations",
        "contributor_writes",
        "ALL",
        using=f"{member} AND organisation_id = {ME}",
        check=f"{member} AND organisation_id = {ME} AND {with_contribution}",
    )
    rls.protect("contribution_steps", ["SELECT", "INSERT"])
    rls.policy("contribution_steps", "with_contribution", "SELECT", using=with_contribution)
    rls.policy(
        "contribution_steps",
        "record",
        "INSERT",
        check=f"{member} AND organisation_id = {ME} AND {with_contribution}",
    )

    ip_audience = rls.visible_to_audience(f"id = ANY {owned}")
    rls.protect("ip_assets", ["SELECT", "INSERT", "UPDATE"])
    rls.policy("ip_assets", "audience", "SELECT", using=ip_audience)
    rls.policy("ip_assets", "register", "INSERT", check=member)
    rls.policy("ip_assets", "update", "UPDATE", using=ip_audience, check=member)
    rls.protect("ip_asset_owners", ["SELECT", "INSERT", "DELETE"])
    rls.policy("ip_asset_owners", "member", "ALL", using=member)
    # Access requests concern the requester and the asset's owners only.
    parties = f"{member} AND (organisation_id = {ME} OR ip_asset_id = ANY {owned})"
    rls.protect("ip_access_requests", ["SELECT", "INSERT", "UPDATE"])
    rls.policy("ip_access_requests", "parties", "SELECT", using=parties)
    rls.policy(
        "ip_access_requests",
        "request",
        "INSERT",
        check=f"{member} AND organisation_id = {ME}"
        " AND ip_asset_id IN (SELECT id FROM public.ip_assets)",
    )
    rls.policy("ip_access_requests", "answer", "UPDATE", using=parties, check=parties)

    rls.protect("idempotency_keys", ["SELECT", "INSERT"])
    rls.policy("idempotency_keys", "own", "ALL", using=f"organisation_id = {ME}")


def downgrade() -> None:
    for table in (
        "idempotency_keys",
        "ip_access_requests",
        "ip_asset_owners",
        "ip_assets",
        "contribution_steps",
        "contribution_valuations",
        "contributions",
        "milestones",
        "plan_versions",
        "plans",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION public.portal_owned_ip_assets()")
    op.execute("DROP FUNCTION public.portal_steering_alliances()")
    op.execute("DROP POLICY ip_asset_owners_definer_read ON public.ip_asset_owners")
