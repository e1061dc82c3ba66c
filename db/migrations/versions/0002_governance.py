"""Governance: rules, committees and seats, meetings and agendas, minutes with versions and
signatures, decisions and votes, action items, issues and their escalation history.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from db import rls

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ME = rls.CURRENT_ORGANISATION
MINE = rls.MEMBER_ALLIANCES
SEATED = rls.SEATED_COMMITTEES

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def _check(column: str, values: list[str]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=column)


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


def _int(name: str, default: int) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), nullable=False, server_default=str(default))


def _str(name: str, length: int = 32, **kw: Any) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=False, **kw)


def _text(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Text(), nullable=False, server_default="")


VISIBILITY = ["alliance", "committee", "organisations"]
KINDS = ["api_token", "operator", "system"]


def upgrade() -> None:
    op.drop_constraint("ck_audit_entries_credential_kind", "audit_entries")
    op.create_check_constraint(
        "credential_kind", "audit_entries", f"credential_kind IN ({', '.join(map(repr, KINDS))})"
    )
    op.create_table(
        "governance_rules",
        sa.Column(
            "alliance_id", UUID, sa.ForeignKey("alliances.id", ondelete="CASCADE"), primary_key=True
        ),
        _int("ordinary_notice_days", 14),
        _int("extraordinary_notice_days", 7),
        _int("agenda_deadline_days", 3),
        _int("objection_period_days", 15),
        _int("operational_response_days", 10),
        _int("tactical_response_days", 20),
        _int("strategic_response_days", 30),
        _int("version", 1),
        sa.CheckConstraint(
            "least(ordinary_notice_days, extraordinary_notice_days, agenda_deadline_days,"
            " objection_period_days, operational_response_days, tactical_response_days,"
            " strategic_response_days) >= 0",
            name="non_negative",
        ),
    )
    op.create_table(
        "committees",
        _id(),
        _alliance(),
        _fk("parent_id", "committees.id", nullable=True),
        _str("name", 200),
        _str("tier"),
        _text("mandate"),
        sa.Column("quorum", sa.Numeric(4, 3), nullable=False, server_default="0.667"),
        _str("majority", server_default="simple"),
        sa.Column("veto_allowed", sa.Boolean(), nullable=False, server_default="false"),
        _int("version", 1),
        _now("created_at"),
        _check("tier", ["strategic", "tactical", "operational"]),
        _check("majority", ["simple", "qualified"]),
        sa.CheckConstraint("(tier = 'strategic') = (parent_id IS NULL)", name="parent_by_tier"),
        sa.CheckConstraint("quorum > 0 AND quorum <= 1", name="quorum_share"),
    )
    op.create_index(
        "uq_committees_steering",
        "committees",
        ["alliance_id"],
        unique=True,
        postgresql_where=sa.text("tier = 'strategic'"),
    )
    op.create_table(
        "seats",
        _id(),
        _alliance(),
        _fk("committee_id", "committees.id", cascade=True),
        _fk("organisation_id", "organisations.id", index=True),
        _str("role"),
        sa.Column("voting", sa.Boolean(), nullable=False, server_default="true"),
        _now("created_at"),
        _check("role", ["chair", "secretary", "member", "observer"]),
        sa.UniqueConstraint(
            "committee_id", "organisation_id", name="uq_seats_one_per_organisation"
        ),
    )
    for role in ("chair", "secretary"):
        op.create_index(
            f"uq_seats_{role}",
            "seats",
            ["committee_id"],
            unique=True,
            postgresql_where=sa.text(f"role = '{role}'"),
        )
    op.create_table(
        "seat_representatives",
        _id(),
        _alliance(),
        _fk("seat_id", "seats.id", cascade=True),
        _fk("user_id", "users.id", cascade=True),
        _now("created_at"),
        sa.UniqueConstraint("seat_id", "user_id", name="uq_seat_representatives_once"),
    )
    op.create_table(
        "meetings",
        _id(),
        _alliance(),
        _fk("committee_id", "committees.id", cascade=True),
        _str("title", 200),
        _str("kind"),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS),
        sa.Column("location", sa.String(500), nullable=False, server_default=""),
        _str("status", server_default="scheduled"),
        sa.Column("agenda_deadline", TS, nullable=False),
        _int("version", 1),
        _now("created_at"),
        _check("kind", ["ordinary", "extraordinary"]),
        _check("status", ["scheduled", "held", "cancelled"]),
        sa.CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
    )
    op.create_index("ix_meetings_committee_starts", "meetings", ["committee_id", "starts_at", "id"])
    op.create_table(
        "agenda_items",
        _id(),
        _alliance(),
        _fk("meeting_id", "meetings.id", cascade=True),
        sa.Column("position", sa.Integer(), nullable=False),
        _str("title", 200),
        _str("kind"),
        _text("description"),
        _now("created_at"),
        _check("kind", ["information", "discussion", "decision"]),
        sa.UniqueConstraint("meeting_id", "position", name="uq_agenda_items_ordered"),
    )
    op.create_table(
        "attendances",
        _id(),
        _alliance(),
        _fk("meeting_id", "meetings.id", cascade=True),
        _fk("seat_id", "seats.id", cascade=True),
        sa.Column("present", sa.Boolean(), nullable=False),
        _now("recorded_at"),
        sa.UniqueConstraint("meeting_id", "seat_id", name="uq_attendances_once_per_seat"),
    )
    op.create_table(
        "visibility_grants",
        _id(),
        _alliance(),
        sa.Column("object_id", UUID, nullable=False, index=True),
        _fk("organisation_id", "organisations.id"),
        sa.UniqueConstraint("object_id", "organisation_id", name="uq_visibility_grants_once"),
    )
    op.create_table(
        "minutes",
        _id(),
        _alliance(),
        _fk("meeting_id", "meetings.id", cascade=True, unique=True),
        _fk("committee_id", "committees.id"),
        _str("status", server_default="draft"),
        _int("version", 1),
        _str("visibility", server_default="committee"),
        _fk("visibility_committee_id", "committees.id", nullable=True),
        sa.Column("circulated_at", TS),
        sa.Column("objection_deadline", TS),
        sa.Column("approved_at", TS),
        _now("created_at"),
        _check("status", ["draft", "circulated", "approved"]),
        _check("visibility", VISIBILITY),
        sa.CheckConstraint(
            "(visibility = 'committee') = (visibility_committee_id IS NOT NULL)",
            name="committee_visibility",
        ),
    )
    op.create_table(
        "minutes_versions",
        _id(),
        _alliance(),
        _fk("minutes_id", "minutes.id", cascade=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _fk("organisation_id", "organisations.id"),
        _fk("user_id", "users.id", nullable=True),
        _now("created_at"),
        sa.UniqueConstraint("minutes_id", "version", name="uq_minutes_versions_numbered"),
    )
    op.create_table(
        "signatures",
        _id(),
        _alliance(),
        _fk("minutes_id", "minutes.id", cascade=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _str("meaning"),
        _fk("organisation_id", "organisations.id"),
        _fk("user_id", "users.id", nullable=True),
        _str("credential_kind"),
        sa.Column("credential_id", UUID),
        _text("reason"),
        _now("signed_at"),
        _check("meaning", ["circulated", "objected", "approved", "approved_tacitly"]),
        _check("credential_kind", KINDS),
    )
    op.create_table(
        "decisions",
        _id(),
        _alliance(),
        _fk("committee_id", "committees.id", cascade=True),
        _fk("meeting_id", "meetings.id", nullable=True),
        _str("procedure"),
        sa.Column("text", sa.Text(), nullable=False),
        _str("status", server_default="open"),
        sa.Column("outcome", sa.String(32)),
        sa.Column("quorum_met", sa.Boolean()),
        _int("votes_for", 0),
        _int("votes_against", 0),
        _int("votes_abstain", 0),
        _fk("vetoed_by_organisation_id", "organisations.id", nullable=True),
        sa.Column("subject_type", sa.String(64)),
        sa.Column("subject_id", UUID),
        sa.Column("closes_at", TS),
        sa.Column("closed_at", TS),
        _now("created_at"),
        _check("procedure", ["meeting", "written"]),
        _check("status", ["open", "closed"]),
        _check("outcome", ["approved", "rejected", "deferred"]),
        sa.CheckConstraint(
            "(procedure = 'meeting') = (meeting_id IS NOT NULL)", name="meeting_procedure"
        ),
        sa.CheckConstraint(
            "(status = 'closed') = (outcome IS NOT NULL)", name="outcome_when_closed"
        ),
    )
    op.create_index("ix_decisions_subject", "decisions", ["subject_type", "subject_id"])
    op.create_table(
        "votes",
        _id(),
        _alliance(),
        _fk("decision_id", "decisions.id", cascade=True),
        _fk("seat_id", "seats.id"),
        _fk("organisation_id", "organisations.id"),
        _str("choice"),
        sa.Column("veto", sa.Boolean(), nullable=False, server_default="false"),
        _fk("user_id", "users.id", nullable=True),
        _now("cast_at"),
        _check("choice", ["for", "against", "abstain"]),
        sa.UniqueConstraint("decision_id", "organisation_id", name="uq_votes_one_per_organisation"),
    )
    op.create_table(
        "action_items",
        _id(),
        _alliance(),
        _fk("committee_id", "committees.id", cascade=True),
        _fk("meeting_id", "meetings.id", cascade=True),
        _str("title", 200),
        _fk("owner_organisation_id", "organisations.id"),
        _fk("owner_user_id", "users.id", nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        _str("status", server_default="open"),
        sa.Column("completed_at", TS),
        _int("version", 1),
        _now("created_at"),
        _check("status", ["open", "done", "cancelled"]),
    )
    op.create_index("ix_action_items_due", "action_items", ["alliance_id", "status", "due_on"])
    op.create_table(
        "issues",
        _id(),
        _alliance(),
        _fk("raised_by_organisation_id", "organisations.id"),
        _str("title", 200),
        _text("description"),
        _str("severity"),
        _str("visibility", server_default="alliance"),
        _fk("visibility_committee_id", "committees.id", nullable=True),
        _fk("holding_committee_id", "committees.id"),
        _str("status", server_default="open"),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("resolution", sa.Text()),
        sa.Column("resolved_at", TS),
        _int("version", 1),
        _now("created_at"),
        _check("severity", ["low", "medium", "high", "critical"]),
        _check("visibility", VISIBILITY),
        _check("status", ["open", "resolved"]),
        sa.CheckConstraint(
            "(visibility = 'committee') = (visibility_committee_id IS NOT NULL)",
            name="committee_visibility",
        ),
    )
    op.create_index("ix_issues_open_due", "issues", ["status", "due_at"])
    op.create_table(
        "issue_moves",
        _id(),
        _alliance(),
        _fk("issue_id", "issues.id", cascade=True),
        _str("kind"),
        _fk("from_committee_id", "committees.id", nullable=True),
        _fk("to_committee_id", "committees.id", nullable=True),
        _fk("organisation_id", "organisations.id"),
        _fk("user_id", "users.id", nullable=True),
        _text("note"),
        _now("moved_at"),
        _check("kind", ["raised", "escalated", "auto_escalated", "resolved"]),
    )
    _row_level_security()


def _row_level_security() -> None:
    for table in ("seats", "visibility_grants", "committees", "issues", "minutes"):
        rls.let_definer_read(table)
    rls.create_definer_function(
        "portal_seated_committees()",
        "uuid[]",
        f"""SELECT coalesce(array_agg(committee_id), '{{}}') FROM public.seats
            WHERE organisation_id = {ME} AND alliance_id = ANY {MINE}""",
    )
    rls.create_definer_function(
        "portal_granted_objects()",
        "uuid[]",
        f"""SELECT coalesce(array_agg(object_id), '{{}}') FROM public.visibility_grants
            WHERE organisation_id = {ME} AND alliance_id = ANY {MINE}""",
    )

    member = f"alliance_id = ANY {MINE}"
    # Alliance-wide records: every current member reads them and may write (the
    # application decides which role may do what; the database keeps tenants apart).
    for table in (
        "governance_rules",
        "committees",
        "meetings",
        "agenda_items",
        "decisions",
        "action_items",
        "visibility_grants",
    ):
        rls.protect(table, ["SELECT", "INSERT", "UPDATE"])
        rls.policy(table, "member", "ALL", using=member)
    for table in ("seats", "seat_representatives", "attendances"):
        rls.protect(table, ["SELECT", "INSERT", "UPDATE", "DELETE"])
        rls.policy(table, "member", "ALL", using=member)
    # Votes are cast by the voting organisation itself.
    rls.protect("votes", ["SELECT", "INSERT"])
    rls.policy("votes", "read", "SELECT", using=member)
    rls.policy("votes", "cast_own", "INSERT", check=f"{member} AND organisation_id = {ME}")

    # Minutes: their audience only; written by seat holders of their committee.
    rls.protect("minutes", ["SELECT", "INSERT", "UPDATE"])
    rls.policy("minutes", "audience", "SELECT", using=rls.visible_to_audience())
    rls.policy(
        "minutes", "seated_write", "INSERT", check=f"{member} AND committee_id = ANY {SEATED}"
    )
    rls.policy(
        "minutes", "seated_update", "UPDATE", using=f"{member} AND committee_id = ANY {SEATED}"
    )
    # Versions and signatures: readable with their minutes, never changed once written.
    for table in ("minutes_versions", "signatures"):
        rls.protect(table, ["SELECT", "INSERT"])
        rls.policy(
            table, "with_minutes", "SELECT", using="minutes_id IN (SELECT id FROM public.minutes)"
        )
        rls.policy(
            table,
            "seated_write",
            "INSERT",
            check=f"{member} AND organisation_id = {ME}"
            " AND minutes_id IN (SELECT id FROM public.minutes)",
        )

    # Issues: their audience, the organisation that raised them, and the holding committee.
    issue_audience = rls.visible_to_audience(
        f"raised_by_organisation_id = {ME}", f"holding_committee_id = ANY {SEATED}"
    )
    rls.protect("issues", ["SELECT", "INSERT", "UPDATE"])
    rls.policy("issues", "audience", "SELECT", using=issue_audience)
    rls.policy("issues", "raise", "INSERT", check=f"{member} AND raised_by_organisation_id = {ME}")
    rls.policy("issues", "move", "UPDATE", using=issue_audience, check=member)
    rls.protect("issue_moves", ["SELECT", "INSERT"])
    rls.policy(
        "issue_moves", "with_issue", "SELECT", using="issue_id IN (SELECT id FROM public.issues)"
    )
    rls.policy("issue_moves", "record", "INSERT", check=f"{member} AND organisation_id = {ME}")


def downgrade() -> None:
    for table in (
        "issue_moves",
        "issues",
        "action_items",
        "votes",
        "decisions",
        "signatures",
        "minutes_versions",
        "minutes",
        "visibility_grants",
        "attendances",
        "agenda_items",
        "meetings",
        "seat_representatives",
        "seats",
        "committees",
        "governance_rules",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION public.portal_granted_objects()")
    op.execute("DROP FUNCTION public.portal_seated_committees()")
    op.drop_constraint("ck_audit_entries_credential_kind", "audit_entries")
    op.create_check_constraint(
        "credential_kind", "audit_entries", "credential_kind IN ('api_token', 'operator')"
    )
