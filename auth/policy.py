"""The one place that decides what a principal may see and do.

Every query that reads tenant data starts from a ``visible_*`` selection here; resolvers
and domain functions never write their own membership filters (a test enforces this).
The same rules are enforced a second time by PostgreSQL row-level security, so a bug here
cannot leak another tenant's rows; keeping them expressible in SQL lets a whole GraphQL
selection compile into one statement later.

Objects outside a principal's view are indistinguishable from objects that do not exist;
FORBIDDEN is only ever said about a visible object the principal may not change.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, or_, select

from auth.principal import Principal
from auth.scopes import Scope
from db.enums import MembershipRole
from db.models import Alliance, ApiToken, Membership, Organisation


class MissingScope(Exception):
    """The credential lacks a scope the operation needs."""

    def __init__(self, scope: Scope) -> None:
        super().__init__(f"this credential lacks the {scope.value!r} scope")
        self.scope = scope


def require_scope(principal: Principal, scope: Scope) -> None:
    if not principal.has(scope):
        raise MissingScope(scope)


def _active_alliance_ids(principal: Principal) -> Select[uuid.UUID]:
    return select(Membership.alliance_id).where(
        Membership.organisation_id == principal.organisation_id,
        Membership.left_at.is_(None),
    )


def visible_alliances(principal: Principal) -> Select[Alliance]:
    """Alliances the principal's organisation is an active member of."""
    return select(Alliance).where(Alliance.id.in_(_active_alliance_ids(principal)))


def visible_memberships(principal: Principal, *, include_former: bool = True) -> Select[Membership]:
    """Memberships of alliances the organisation is active in; past ones too unless
    ``include_former`` is false."""
    query = select(Membership).where(Membership.alliance_id.in_(_active_alliance_ids(principal)))
    return query if include_former else query.where(Membership.left_at.is_(None))


def visible_organisations(principal: Principal) -> Select[Organisation]:
    """The principal's own organisation and every organisation sharing an alliance with it."""
    partners = select(Membership.organisation_id).where(
        Membership.alliance_id.in_(_active_alliance_ids(principal))
    )
    return select(Organisation).where(
        or_(Organisation.id == principal.organisation_id, Organisation.id.in_(partners))
    )


def own_api_tokens(principal: Principal) -> Select[ApiToken]:
    """API tokens of the principal's organisation (only admins may list them)."""
    return select(ApiToken).where(ApiToken.organisation_id == principal.organisation_id)


def current_membership(
    principal: Principal, alliance_id: uuid.UUID, organisation_id: uuid.UUID
) -> Select[Membership]:
    """An organisation's current membership of an alliance the principal can see."""
    return visible_memberships(principal).where(
        Membership.alliance_id == alliance_id,
        Membership.organisation_id == organisation_id,
        Membership.left_at.is_(None),
    )


def own_membership(principal: Principal, alliance_id: uuid.UUID) -> Select[Membership]:
    """The principal's organisation's current membership of an alliance."""
    return current_membership(principal, alliance_id, principal.organisation_id)


# Decisions about visible objects. Each takes what it needs already loaded.


def may_manage_membership(principal: Principal, own: Membership | None) -> bool:
    """Admins of the lead organisation manage who is in the alliance."""
    return own is not None and own.role is MembershipRole.LEAD and principal.has(Scope.ADMIN)


def may_edit_charter(principal: Principal, own: Membership | None) -> bool:
    """The lead organisation edits the charter (purpose, strategy, vision, status, dates)."""
    return (
        own is not None and own.role is MembershipRole.LEAD and principal.has(Scope.ALLIANCES_WRITE)
    )


def may_leave(principal: Principal, own: Membership | None) -> bool:
    """An organisation's admins decide to leave; the lead must hand over first."""
    return own is not None and principal.has(Scope.ADMIN)


def may_grant_scopes(principal: Principal, requested: frozenset[Scope]) -> bool:
    """A new credential never exceeds the rights of the credential creating it."""
    return principal.has(Scope.ADMIN) and requested <= principal.scopes
