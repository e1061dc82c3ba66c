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
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.principal import Principal
from auth.scopes import Scope
from db.enums import CommitteeTier, MembershipRole, SeatRole, Visibility
from db.governance import (
    Committee,
    Issue,
    IssueMove,
    Minutes,
    MinutesVersion,
    Seat,
    Signature,
    VisibilityGrant,
)
from db.identity import IdentityProvider, OAuthClient, OAuthGrant
from db.models import Alliance, ApiToken, Membership, Organisation, User
from db.persisted import PersistedDocument
from db.portfolio import (
    Contribution,
    ContributionStep,
    ContributionValuation,
    IdempotencyKey,
    IpAccessRequest,
    IpAsset,
    IpAssetOwner,
    Milestone,
    Plan,
    PlanVersion,
)

Record = TypeVar("Record")


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


def own_identity_provider(principal: Principal) -> Select[IdentityProvider]:
    """The principal's organisation's identity provider (one at most; admins manage it)."""
    return select(IdentityProvider).where(
        IdentityProvider.organisation_id == principal.organisation_id
    )


def own_oauth_clients(principal: Principal) -> Select[OAuthClient]:
    """OAuth clients of the principal's organisation (only admins may list them)."""
    return select(OAuthClient).where(OAuthClient.organisation_id == principal.organisation_id)


def own_oauth_grants(principal: Principal) -> Select[OAuthGrant]:
    """Sign-ins (grants) of the principal's organisation's people, for revoking them."""
    return select(OAuthGrant).where(OAuthGrant.organisation_id == principal.organisation_id)


def own_persisted_documents(principal: Principal) -> Select[PersistedDocument]:
    """The GraphQL documents the principal's organisation has persisted (trusted or
    automatic); no organisation can run, or learn of, another's."""
    return select(PersistedDocument).where(
        PersistedDocument.organisation_id == principal.organisation_id
    )


def current_membership(
    principal: Principal, alliance_id: uuid.UUID, organisation_id: uuid.UUID
) -> Select[Membership]:
    """An organisation's current membership of an alliance the principal can see."""
    return visible_memberships(principal).where(
        Membership.alliance_id == alliance_id,
        Membership.organisation_id == organisation_id,
        Membership.left_at.is_(None),
    )


def current_member_ids(principal: Principal, alliance_id: uuid.UUID) -> Select[uuid.UUID]:
    """The organisations that are current members of an alliance the principal can see."""
    return (
        visible_memberships(principal, include_former=False)
        .where(Membership.alliance_id == alliance_id)
        .with_only_columns(Membership.organisation_id)
    )


def own_users(principal: Principal) -> Select[User]:
    """The people of the principal's own organisation (other organisations' users are seen
    only as seat representatives)."""
    return select(User).where(User.organisation_id == principal.organisation_id)


def own_organisation(principal: Principal) -> Select[Organisation]:
    """The principal's own organisation; changes to its people lock this row, so that
    checks such as "another active admin remains" see each other's results."""
    return select(Organisation).where(Organisation.id == principal.organisation_id)


def own_membership(principal: Principal, alliance_id: uuid.UUID) -> Select[Membership]:
    """The principal's organisation's current membership of an alliance."""
    return current_membership(principal, alliance_id, principal.organisation_id)


# Governance. Committees, seats, meetings, agendas, attendance, decisions, votes and action
# items are alliance-wide records: every current member sees them. Minutes and issues have
# an audience (SPEC §4 visibility), mirrored by the RLS policies of migration 0002.


def alliance_records(principal: Principal, model: type[Record]) -> Select[Record]:
    """Rows of an alliance-wide governance table, in alliances the principal is active in."""
    alliance_id: Any = model.alliance_id  # type: ignore[attr-defined]
    return select(model).where(alliance_id.in_(_active_alliance_ids(principal)))


def seated_committee_ids(principal: Principal) -> Select[uuid.UUID]:
    """Committees on which the principal's organisation holds a seat."""
    return select(Seat.committee_id).where(
        Seat.organisation_id == principal.organisation_id,
        Seat.alliance_id.in_(_active_alliance_ids(principal)),
    )


def own_seat(principal: Principal, committee_id: uuid.UUID) -> Select[Seat]:
    """The principal's organisation's seat on a committee, if it has one."""
    return alliance_records(principal, Seat).where(
        Seat.committee_id == committee_id, Seat.organisation_id == principal.organisation_id
    )


def _in_audience(principal: Principal, model: Any, *also: ColumnElement[bool]) -> Any:
    granted = select(VisibilityGrant.object_id).where(
        VisibilityGrant.organisation_id == principal.organisation_id
    )
    return or_(
        model.visibility == Visibility.ALLIANCE,
        (model.visibility == Visibility.COMMITTEE)
        & model.visibility_committee_id.in_(seated_committee_ids(principal)),
        (model.visibility == Visibility.ORGANISATIONS) & model.id.in_(granted),
        *also,
    )


def visible_minutes(principal: Principal) -> Select[Minutes]:
    """Minutes whose audience includes the principal's organisation (by default the seat
    holders of the meeting's committee)."""
    return alliance_records(principal, Minutes).where(_in_audience(principal, Minutes))


def visible_minutes_versions(principal: Principal) -> Select[MinutesVersion]:
    ids = visible_minutes(principal).with_only_columns(Minutes.id)
    return select(MinutesVersion).where(MinutesVersion.minutes_id.in_(ids))


def visible_signatures(principal: Principal) -> Select[Signature]:
    ids = visible_minutes(principal).with_only_columns(Minutes.id)
    return select(Signature).where(Signature.minutes_id.in_(ids))


def visible_issues(principal: Principal) -> Select[Issue]:
    """Issues whose audience includes the organisation, those it raised, and those held now
    or before by a committee it sits on (a chair keeps sight of what it escalated)."""
    seated = seated_committee_ids(principal)
    held_by_my_committees = select(IssueMove.issue_id).where(
        or_(IssueMove.to_committee_id.in_(seated), IssueMove.from_committee_id.in_(seated))
    )
    return alliance_records(principal, Issue).where(
        _in_audience(
            principal,
            Issue,
            Issue.raised_by_organisation_id == principal.organisation_id,
            Issue.holding_committee_id.in_(seated),
            Issue.id.in_(held_by_my_committees),
        )
    )


def visible_issue_moves(principal: Principal) -> Select[IssueMove]:
    ids = visible_issues(principal).with_only_columns(Issue.id)
    return select(IssueMove).where(IssueMove.issue_id.in_(ids))


# Plans, contributions and IP (issue 4). Same audience rules as minutes and issues, plus:
# a plan is always visible to its owner, a contribution to its contributor, an IP asset to
# its owners; a valuation only to the contributor and steering-committee seat holders.


def steering_alliance_ids(principal: Principal) -> Select[uuid.UUID]:
    """Alliances in which the organisation holds a seat on the steering committee."""
    return (
        select(Seat.alliance_id)
        .join(Committee, Committee.id == Seat.committee_id)
        .where(
            Seat.organisation_id == principal.organisation_id,
            Committee.tier == CommitteeTier.STRATEGIC,
            Seat.alliance_id.in_(_active_alliance_ids(principal)),
        )
    )


def owned_ip_asset_ids(principal: Principal) -> Select[uuid.UUID]:
    return select(IpAssetOwner.ip_asset_id).where(
        IpAssetOwner.organisation_id == principal.organisation_id,
        IpAssetOwner.alliance_id.in_(_active_alliance_ids(principal)),
    )


def visible_plans(principal: Principal) -> Select[Plan]:
    return alliance_records(principal, Plan).where(
        _in_audience(principal, Plan, Plan.owner_organisation_id == principal.organisation_id)
    )


def visible_plan_versions(principal: Principal) -> Select[PlanVersion]:
    ids = visible_plans(principal).with_only_columns(Plan.id)
    return select(PlanVersion).where(PlanVersion.plan_id.in_(ids))


def visible_milestones(principal: Principal) -> Select[Milestone]:
    ids = visible_plans(principal).with_only_columns(Plan.id)
    return select(Milestone).where(Milestone.plan_id.in_(ids))


def visible_contributions(principal: Principal) -> Select[Contribution]:
    return alliance_records(principal, Contribution).where(
        _in_audience(
            principal,
            Contribution,
            Contribution.organisation_id == principal.organisation_id,
        )
    )


def visible_valuations(principal: Principal) -> Select[ContributionValuation]:
    """Valuations the principal may see: of its own organisation's contributions, or of any
    visible contribution when it sits on the alliance's steering committee. Every amount,
    total or ordering must be computed from this selection, never from the raw table."""
    ids = visible_contributions(principal).with_only_columns(Contribution.id)
    return select(ContributionValuation).where(
        ContributionValuation.contribution_id.in_(ids),
        or_(
            ContributionValuation.organisation_id == principal.organisation_id,
            ContributionValuation.alliance_id.in_(steering_alliance_ids(principal)),
        ),
    )


def visible_contribution_steps(principal: Principal) -> Select[ContributionStep]:
    ids = visible_contributions(principal).with_only_columns(Contribution.id)
    return select(ContributionStep).where(ContributionStep.contribution_id.in_(ids))


def visible_ip_assets(principal: Principal) -> Select[IpAsset]:
    return alliance_records(principal, IpAsset).where(
        _in_audience(principal, IpAsset, IpAsset.id.in_(owned_ip_asset_ids(principal)))
    )


def visible_ip_asset_owners(principal: Principal) -> Select[IpAssetOwner]:
    ids = visible_ip_assets(principal).with_only_columns(IpAsset.id)
    return select(IpAssetOwner).where(IpAssetOwner.ip_asset_id.in_(ids))


def visible_access_requests(principal: Principal) -> Select[IpAccessRequest]:
    """Requests concern the requesting organisation and the asset's owners only."""
    return alliance_records(principal, IpAccessRequest).where(
        or_(
            IpAccessRequest.organisation_id == principal.organisation_id,
            IpAccessRequest.ip_asset_id.in_(owned_ip_asset_ids(principal)),
        )
    )


def own_idempotency_keys(principal: Principal) -> Select[IdempotencyKey]:
    return select(IdempotencyKey).where(IdempotencyKey.organisation_id == principal.organisation_id)


def may_manage_committees(principal: Principal, own: Membership | None) -> bool:
    """Admins of the lead organisation set up committees, seats and governance rules."""
    return may_manage_membership(principal, own)


def holds(principal: Principal, seat: Seat | None, *roles: SeatRole) -> bool:
    """The organisation's seat has one of ``roles`` and the credential may act in governance."""
    return seat is not None and seat.role in roles and principal.has(Scope.GOVERNANCE_WRITE)


# Who acts for a committee, by the seat it takes. Services pass these to ``holds`` (through
# ``portal.committees.queries.require_seat``); no role list is written anywhere else.

APPROVERS: tuple[SeatRole, ...] = (SeatRole.CHAIR,)
"""Who approves for a committee: the chair records, closes and so settles decisions (a plan
version is approved only by a decision its committee closes APPROVED), approves minutes,
and escalates or resolves the issues the committee holds."""

SECRETARIAT: tuple[SeatRole, ...] = (SeatRole.SECRETARY,)
"""Who keeps the committee's record: the secretary schedules and reschedules meetings and
drafts, edits and circulates minutes."""

OFFICERS: tuple[SeatRole, ...] = (SeatRole.SECRETARY, SeatRole.CHAIR)
"""Who runs a meeting's business: the secretary or the chair marks a meeting held and
creates and manages action items."""

VOTERS: tuple[SeatRole, ...] = (SeatRole.CHAIR, SeatRole.SECRETARY, SeatRole.MEMBER)
"""Seat roles that vote (observers never do), on seats flagged ``voting``."""

ANY_SEAT: tuple[SeatRole, ...] = tuple(SeatRole)
"""Every seat holder, observers included: who may object to circulated minutes."""


def is_voting_seat(seat: Seat | None) -> bool:
    """A seat that votes: flagged ``voting`` and of a voting role."""
    return seat is not None and seat.voting and seat.role in VOTERS


def may_vote(principal: Principal, seat: Seat | None) -> bool:
    """The principal's organisation holds a voting seat and the credential may act in
    governance."""
    return is_voting_seat(seat) and holds(principal, seat, *VOTERS)


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


def may_grant_free_documents(principal: Principal) -> bool:
    """Nor its restriction to trusted documents: a credential that runs trusted documents
    only creates only credentials that do the same."""
    return not principal.trusted_documents_only


# Decisions that read what they need, one row at a time and only while the rule is open.

DELIVERY_RULE = (
    "Delivery is confirmed by the organisation that manages what is received: the owner "
    "organisation of the contribution's plan when it has one, otherwise the alliance's lead "
    "organisation. The contributor never confirms its own delivery: when the plan's owner "
    "is the contributor itself, the lead confirms (the plan must be visible to it), and when "
    "the lead is the contributor, any other organisation holding a seat on the steering "
    "committee confirms."
)


async def confirms_delivery(
    session: AsyncSession, principal: Principal, contribution: Contribution
) -> bool:
    """Whether the principal's organisation is the one that confirms ``contribution``'s
    delivery under :data:`DELIVERY_RULE` (it is known not to be the contributor)."""
    caller = principal.organisation_id
    if contribution.plan_id is not None:
        plan = await session.scalar(visible_plans(principal).where(Plan.id == contribution.plan_id))
        if plan is None:
            return False  # the caller does not own a plan it cannot see
        if plan.owner_organisation_id != contribution.organisation_id:
            return plan.owner_organisation_id == caller
    lead = await session.scalar(
        visible_memberships(principal, include_former=False).where(
            Membership.alliance_id == contribution.alliance_id,
            Membership.role == MembershipRole.LEAD,
        )
    )
    if lead is not None and lead.organisation_id != contribution.organisation_id:
        return lead.organisation_id == caller
    steering = await session.scalar(
        steering_alliance_ids(principal).where(Seat.alliance_id == contribution.alliance_id)
    )
    return steering is not None


async def sees_valuation(
    principal: Principal,
    contributor_id: uuid.UUID,
    holds_steering_seat: Callable[[], Awaitable[bool]],
) -> bool:
    """The rule of :func:`visible_valuations` for one contribution, to say why a valuation
    is hidden: the contributing organisation sees it, and so do seat holders of the
    alliance's steering committee (asked only when the contributor rule does not decide)."""
    return contributor_id == principal.organisation_id or await holds_steering_seat()
