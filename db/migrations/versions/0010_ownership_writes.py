"""Write policies enforce ownership, as the application does: the database is a second wall.

Until now an UPDATE policy let any member organisation that could see a row write it, and
only the application checked whose it was. Now:

- ``WITH CHECK`` on every UPDATE (and INSERT/DELETE where they were open to any member)
  names who may write: a plan's owner (or a committee chair of its alliance, who records
  its approval by decision); a contribution's contributor (or the organisations that
  confirm deliveries: the plan's owner, the alliance's lead, the steering committee's seat
  holders); an IP asset's owner organisations, for the asset and its owner list; a
  milestone's plan owner, or its responsible organisation for its status; an access
  request's parties, where only the asset's owners may answer it.
- Locking a visible row (``SELECT ... FOR UPDATE``) stays allowed to whoever may see it
  (``USING`` is unchanged), so the application still answers FORBIDDEN, not NOT_FOUND, to a
  member that may see but not change an object.
- The columns that say whose a row is never change (a trigger refuses it with SQLSTATE
  42501): no one takes over another organisation's plan, contribution or request.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

from db import rls

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ME = rls.CURRENT_ORGANISATION
MINE = rls.MEMBER_ALLIANCES
MEMBER = f"alliance_id = ANY {MINE}"
OWNED = "((SELECT public.portal_owned_ip_assets())::uuid[])"
STEERING = "((SELECT public.portal_steering_alliances())::uuid[])"
CHAIRED = f"alliance_id IN (SELECT alliance_id FROM public.seats WHERE organisation_id = {ME}"
CHAIRED += " AND role = 'chair')"
LED = (
    "alliance_id IN (SELECT alliance_id FROM public.memberships"
    f" WHERE organisation_id = {ME} AND role = 'lead' AND left_at IS NULL)"
)
OWN_PLAN = f"plan_id IN (SELECT id FROM public.plans WHERE owner_organisation_id = {ME})"

IMMUTABLE = {
    "plans": ("alliance_id", "owner_organisation_id"),
    "contributions": ("alliance_id", "organisation_id"),
    "contribution_valuations": ("alliance_id", "organisation_id", "contribution_id"),
    "ip_assets": ("alliance_id",),
    "ip_access_requests": ("alliance_id", "organisation_id", "ip_asset_id"),
    "milestones": ("alliance_id", "plan_id"),
    "users": ("organisation_id",),
    "api_tokens": ("organisation_id",),
    "memberships": ("alliance_id", "organisation_id"),
}
"""The columns that say whose a row is, per table."""


def _replace(
    table: str, name: str, command: str, *, using: str | None = None, check: str | None = None
) -> None:
    op.execute(f"DROP POLICY IF EXISTS {table}_{name} ON public.{table}")
    rls.policy(table, name, command, using=using, check=check)


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION public.portal_keep_owner() RETURNS trigger
        LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp
        AS $$
        DECLARE
          col text;
        BEGIN
          FOREACH col IN ARRAY TG_ARGV LOOP
            IF to_jsonb(NEW) -> col IS DISTINCT FROM to_jsonb(OLD) -> col THEN
              RAISE EXCEPTION 'the % of a % row never changes', col, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
            END IF;
          END LOOP;
          RETURN NEW;
        END
        $$
        """
    )
    for table, columns in IMMUTABLE.items():
        arguments = ", ".join(f"'{column}'" for column in columns)
        op.execute(
            f"CREATE TRIGGER {table}_keep_owner BEFORE UPDATE ON public.{table}"
            f" FOR EACH ROW EXECUTE FUNCTION public.portal_keep_owner({arguments})"
        )

    plan_audience = rls.visible_to_audience(f"owner_organisation_id = {ME}")
    _replace(
        "plans",
        "update",
        "UPDATE",
        using=plan_audience,
        check=f"{MEMBER} AND (owner_organisation_id = {ME} OR {CHAIRED})",
    )

    contribution_audience = rls.visible_to_audience(f"organisation_id = {ME}")
    _replace(
        "contributions",
        "update",
        "UPDATE",
        using=contribution_audience,
        check=f"{MEMBER} AND (organisation_id = {ME} OR {OWN_PLAN} OR {LED}"
        f" OR alliance_id = ANY {STEERING})",
    )

    ip_audience = rls.visible_to_audience(f"id = ANY {OWNED}")
    _replace(
        "ip_assets", "update", "UPDATE", using=ip_audience, check=f"{MEMBER} AND id = ANY {OWNED}"
    )
    # A policy on ip_asset_owners cannot read ip_asset_owners itself (recursion): a
    # definer function answers whether an asset has its first owner yet.
    rls.create_definer_function(
        "portal_ip_asset_has_owners(asset uuid)",
        "boolean",
        "SELECT EXISTS (SELECT FROM public.ip_asset_owners WHERE ip_asset_id = asset"
        f" AND alliance_id = ANY {MINE})",
    )
    op.execute("DROP POLICY ip_asset_owners_member ON public.ip_asset_owners")
    rls.policy("ip_asset_owners", "read", "SELECT", using=MEMBER)
    # The registering organisation writes the first owner row itself; after that only
    # owners add or remove owners.
    rls.policy(
        "ip_asset_owners",
        "add",
        "INSERT",
        check=f"{MEMBER} AND (ip_asset_id = ANY {OWNED} OR (organisation_id = {ME}"
        " AND NOT public.portal_ip_asset_has_owners(ip_asset_id)))",
    )
    rls.policy(
        "ip_asset_owners", "remove", "DELETE", using=f"{MEMBER} AND ip_asset_id = ANY {OWNED}"
    )

    # An answer (granted or refused) comes from the asset's owners; the requester may only
    # withdraw its own request.
    parties = f"{MEMBER} AND (organisation_id = {ME} OR ip_asset_id = ANY {OWNED})"
    _replace(
        "ip_access_requests",
        "answer",
        "UPDATE",
        using=parties,
        check=f"{MEMBER} AND (ip_asset_id = ANY {OWNED}"
        f" OR (organisation_id = {ME} AND status IN ('pending', 'withdrawn')))",
    )

    with_plan = "plan_id IN (SELECT id FROM public.plans)"
    op.execute("DROP POLICY milestones_with_plan ON public.milestones")
    rls.policy("milestones", "read", "SELECT", using=f"{MEMBER} AND {with_plan}")
    rls.policy("milestones", "plan", "INSERT", check=f"{MEMBER} AND {OWN_PLAN}")
    rls.policy(
        "milestones",
        "update",
        "UPDATE",
        using=f"{MEMBER} AND {with_plan}",
        check=f"{MEMBER} AND ({OWN_PLAN} OR responsible_organisation_id = {ME})",
    )


def downgrade() -> None:
    member = MEMBER
    with_plan = "plan_id IN (SELECT id FROM public.plans)"
    for name in ("read", "plan", "update"):
        op.execute(f"DROP POLICY milestones_{name} ON public.milestones")
    rls.policy("milestones", "with_plan", "ALL", using=f"{member} AND {with_plan}")
    parties = f"{member} AND (organisation_id = {ME} OR ip_asset_id = ANY {OWNED})"
    _replace("ip_access_requests", "answer", "UPDATE", using=parties, check=parties)
    for name in ("read", "add", "remove"):
        op.execute(f"DROP POLICY ip_asset_owners_{name} ON public.ip_asset_owners")
    rls.policy("ip_asset_owners", "member", "ALL", using=member)
    op.execute("DROP FUNCTION public.portal_ip_asset_has_owners(uuid)")
    _replace(
        "ip_assets",
        "update",
        "UPDATE",
        using=rls.visible_to_audience(f"id = ANY {OWNED}"),
        check=member,
    )
    _replace(
        "contributions",
        "update",
        "UPDATE",
        using=rls.visible_to_audience(f"organisation_id = {ME}"),
        check=member,
    )
    _replace(
        "plans",
        "update",
        "UPDATE",
        using=rls.visible_to_audience(f"owner_organisation_id = {ME}"),
        check=member,
    )
    for table in IMMUTABLE:
        op.execute(f"DROP TRIGGER {table}_keep_owner ON public.{table}")
    op.execute("DROP FUNCTION public.portal_keep_owner()")
