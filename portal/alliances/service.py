"""Alliances and their membership: the domain rules.

Functions take a session and a principal, check permissions through ``auth.policy``,
change models and flush; the caller's transaction (one per GraphQL operation) commits.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict

from sqlalchemy import text

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import AllianceStatus, CommitteeTier, MembershipRole, SeatRole
from db.governance import Committee, GovernanceRules, Seat, SeatRepresentative
from db.models import Alliance, Membership, utcnow
from db.session import LockedSession
from portal.alliances.queries import get_alliance
from portal.alliances.rules import (
    STEERING_COMMITTEE,
    Charter,
    check_dates,
    validate_charter,
)
from portal.kernel.errors import BadInput, Conflict, Forbidden, NotFound
from portal.kernel.idempotency import create_once


async def _own_membership(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID
) -> Membership | None:
    return await session.scalar(policy.own_membership(principal, alliance_id))


async def create_alliance(
    session: LockedSession,
    principal: Principal,
    charter: Charter,
    *,
    idempotency_key: str | None = None,
) -> Alliance:
    """Found an alliance; the principal's organisation becomes its lead. With an
    ``idempotency_key`` a replay returns the alliance founded first, and the same key with
    another charter is refused (CONFLICT)."""
    policy.require_scope(principal, Scope.ALLIANCES_WRITE)
    return await create_once(
        session,
        principal,
        operation="createAlliance",
        key=idempotency_key,
        payload={field: str(value) for field, value in asdict(charter).items()},
        create=lambda: _found(session, principal, charter),
        load=lambda alliance_id: get_alliance(session, principal, alliance_id),
    )


async def _found(session: LockedSession, principal: Principal, charter: Charter) -> Alliance:
    if charter.name is None:
        raise BadInput("an alliance needs a name", field="name")
    validate_charter(charter)
    check_dates(charter.starts_on, charter.ends_on)
    alliance = Alliance(
        id=uuid.uuid4(),
        name=charter.name.strip(),
        purpose=charter.purpose or "",
        strategy=charter.strategy or "",
        vision=charter.vision or "",
        status=charter.status or AllianceStatus.FORMING,
        starts_on=charter.starts_on,
        ends_on=charter.ends_on,
        created_by_organisation_id=principal.organisation_id,
    )
    session.add(alliance)
    await session.flush()
    session.add(
        Membership(
            alliance_id=alliance.id,
            organisation_id=principal.organisation_id,
            role=MembershipRole.LEAD,
        )
    )
    await session.flush()
    # Every alliance is governed from day one: default rules and a steering committee
    # chaired by the lead, who then seats the partners.
    steering = Committee(
        id=uuid.uuid4(),
        alliance_id=alliance.id,
        name=STEERING_COMMITTEE,
        tier=CommitteeTier.STRATEGIC,
        mandate="Oversees the research plans, governs the collaboration and ensures compliance.",
    )
    session.add_all([GovernanceRules(alliance_id=alliance.id), steering])
    await session.flush()
    session.add(
        Seat(
            alliance_id=alliance.id,
            committee_id=steering.id,
            organisation_id=principal.organisation_id,
            role=SeatRole.CHAIR,
            voting=True,
        )
    )
    await session.flush()
    return alliance


async def _release_seats(
    session: LockedSession, principal: Principal, membership: Membership
) -> None:
    """A member that leaves gives up its committee seats (and their representatives)."""
    seats = await session.scalars(
        policy.alliance_records(principal, Seat).where(
            Seat.alliance_id == membership.alliance_id,
            Seat.organisation_id == membership.organisation_id,
        )
    )
    for seat in seats.all():
        representatives = await session.scalars(
            policy.alliance_records(principal, SeatRepresentative).where(
                SeatRepresentative.seat_id == seat.id
            )
        )
        for representative in representatives.all():
            await session.delete(representative)  # each leaves its own event
        # before the seat: the database would otherwise cascade them away first
        await session.flush()
        await session.delete(seat)
    await session.flush()


async def update_charter(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    *,
    expected_version: int,
    charter: Charter,
) -> Alliance:
    """Change the charter if nobody changed it since ``expected_version`` was read."""
    policy.require_scope(principal, Scope.ALLIANCES_WRITE)
    alliance = await get_alliance(session, principal, alliance_id, for_update=True)
    if not policy.may_edit_charter(
        principal, await _own_membership(session, principal, alliance.id)
    ):
        raise Forbidden("only the lead organisation edits the charter")
    if alliance.version != expected_version:
        raise Conflict(
            f"the charter changed since version {expected_version}; it is now at "
            f"version {alliance.version}",
            field="version",
        )
    validate_charter(charter)
    check_dates(
        charter.starts_on if charter.starts_on is not None else alliance.starts_on,
        charter.ends_on if charter.ends_on is not None else alliance.ends_on,
    )
    for field in ("name", "purpose", "strategy", "vision", "status", "starts_on", "ends_on"):
        value = getattr(charter, field)
        if value is not None:
            setattr(alliance, field, value.strip() if field == "name" else value)
    alliance.version += 1
    await session.flush()
    return alliance


async def _managed_alliance(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID
) -> Alliance:
    alliance = await get_alliance(session, principal, alliance_id, for_update=True)
    if not policy.may_manage_membership(
        principal, await _own_membership(session, principal, alliance.id)
    ):
        raise Forbidden("only the lead organisation's admins manage membership")
    if alliance.status is AllianceStatus.CLOSED:
        raise BadInput("the alliance is closed", field="alliance")
    return alliance


async def add_member(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    *,
    organisation_slug: str,
    role: MembershipRole,
    commitment: str = "",
) -> Membership:
    """Admit an organisation, known by its slug, to the alliance."""
    policy.require_scope(principal, Scope.ADMIN)
    alliance = await _managed_alliance(session, principal, alliance_id)
    if role is MembershipRole.LEAD:
        raise BadInput("an alliance has one lead; use transferLead", field="role")
    # Only the slug's owner is revealed, and only its id: an invitation needs no more.
    organisation_id = await session.scalar(
        text("SELECT public.portal_organisation_id(:slug)"), {"slug": organisation_slug}
    )
    if organisation_id is None:
        raise NotFound("no such organisation", field="organisationSlug")
    current = await session.scalar(
        policy.current_membership(principal, alliance.id, organisation_id)
    )
    if current is not None:
        raise Conflict("the organisation is already a member", field="organisationSlug")
    membership = Membership(
        alliance_id=alliance.id, organisation_id=organisation_id, role=role, commitment=commitment
    )
    session.add(membership)
    await session.flush()
    return membership


async def _visible_membership(
    session: LockedSession, principal: Principal, membership_id: uuid.UUID
) -> Membership:
    membership = await session.scalar(
        policy.visible_memberships(principal).where(Membership.id == membership_id)
    )
    if membership is None or membership.left_at is not None:
        raise NotFound("no such membership", field="membership")
    return membership


async def remove_member(
    session: LockedSession, principal: Principal, membership_id: uuid.UUID
) -> Membership:
    """End another organisation's membership. The lead cannot be removed."""
    policy.require_scope(principal, Scope.ADMIN)
    membership = await _visible_membership(session, principal, membership_id)
    await _managed_alliance(session, principal, membership.alliance_id)
    if membership.role is MembershipRole.LEAD:
        raise BadInput("the lead cannot be removed; transfer the lead first", field="membership")
    await _release_seats(session, principal, membership)
    membership.left_at = utcnow()
    await session.flush()
    return membership


async def leave_alliance(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID
) -> Membership:
    """End the principal's own organisation's membership."""
    policy.require_scope(principal, Scope.ADMIN)
    alliance = await get_alliance(session, principal, alliance_id, for_update=True)
    own = await _own_membership(session, principal, alliance.id)
    if not policy.may_leave(principal, own) or own is None:
        raise Forbidden("only the organisation's admins decide to leave")
    if own.role is MembershipRole.LEAD:
        raise BadInput(
            "the lead cannot leave; transfer the lead to another member first", field="alliance"
        )
    await _release_seats(session, principal, own)
    own.left_at = utcnow()
    await session.flush()
    return own


async def transfer_lead(
    session: LockedSession, principal: Principal, membership_id: uuid.UUID
) -> Membership:
    """Hand the lead to another current member; the old lead becomes a partner."""
    policy.require_scope(principal, Scope.ADMIN)
    successor = await _visible_membership(session, principal, membership_id)
    alliance = await _managed_alliance(session, principal, successor.alliance_id)
    own = await _own_membership(session, principal, alliance.id)
    assert own is not None  # _managed_alliance checked the principal leads
    if successor.id == own.id:
        raise BadInput("the organisation already leads the alliance", field="membership")
    own.role = MembershipRole.PARTNER
    await session.flush()  # the old lead steps down before the new one takes over
    successor.role = MembershipRole.LEAD
    await session.flush()
    return successor
