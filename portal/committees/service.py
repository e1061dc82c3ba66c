"""Committees, seats, representatives and the alliance's governance rules: the domain rules.

Who may do what (SPEC §4), every write also needing the ``governance:write`` scope:

- The lead organisation's admins set up the governance structure: they create and edit
  committees, seat member organisations, change and remove seats, and set the alliance's
  procedural rules (``policy.may_manage_committees``).
- A seat's own organisation's admins name the people who sit for it; the lead's admins may
  only clear another organisation's representatives (they cannot see its users, and it is
  for each party to choose who speaks for it).
- Every current member reads the whole structure (``governance:read``).

Invariants kept here (the database keeps the ones it can express as well):

- An alliance has exactly one strategic committee, its steering committee, made with the
  alliance. Tactical and operational committees have a parent of a strictly higher tier in
  the same alliance: their escalation path, ending at the steering committee.
- Only current members hold seats, at most one per organisation and committee; a committee
  has at most one chair and one secretary; an observer never votes.
- The steering committee always keeps its chair: that seat cannot be removed or given
  another role, only handed over (``hand_over``) to another seat, which becomes the chair
  in the same change. Other committees may be left without a chair.

Seat changes lock their committee's row, so concurrent changes to one committee's seats run
one after the other and the checks above see each other's results.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import AllianceStatus, CommitteeTier, MajorityRule, SeatRole
from db.governance import Committee, GovernanceRules, Seat, SeatRepresentative, Vote
from db.models import Alliance, User
from db.session import LockedSession
from portal.committees.queries import get_committee, require_write
from portal.kernel.checks import check_version
from portal.kernel.errors import BadInput, Conflict, Forbidden, NotFound
from portal.kernel.lookup import get_visible

NAME_MAX = 200
MANDATE_MAX = 20_000
DAYS_MAX = 365
REPRESENTATIVES_MAX = 10
QUORUM_STEP = Decimal("0.001")
"""The quorum is stored with three decimals (``Numeric(4, 3)``)."""
UNIQUE_ROLES = frozenset({SeatRole.CHAIR, SeatRole.SECRETARY})
"""Roles a committee gives to one seat at most."""


@dataclass(frozen=True, slots=True)
class CommitteeFields:
    """A committee's editable fields; ``None`` leaves a field as it is (or at its default)."""

    name: str | None = None
    mandate: str | None = None
    quorum: Decimal | None = None
    """Share of voting seats that must vote, in (0, 1]; rounded to three decimals."""
    majority: MajorityRule | None = None
    veto_allowed: bool | None = None


@dataclass(frozen=True, slots=True)
class RuleChanges:
    """Governance rules to change, in days; ``None`` leaves a rule as it is."""

    ordinary_notice_days: int | None = None
    extraordinary_notice_days: int | None = None
    agenda_deadline_days: int | None = None
    objection_period_days: int | None = None
    operational_response_days: int | None = None
    tactical_response_days: int | None = None
    strategic_response_days: int | None = None


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# --- reading ------------------------------------------------------------------------------


# --- permissions and look-ups ---------------------------------------------------------------


async def _alliance(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID, *, field: str
) -> Alliance:
    """A visible alliance that is not closed."""
    alliance = await session.scalar(
        policy.visible_alliances(principal).where(Alliance.id == alliance_id)
    )
    if alliance is None:
        raise NotFound("no such alliance", field=field)
    if alliance.status is AllianceStatus.CLOSED:
        raise BadInput("the alliance is closed; its governance can no longer change", field=field)
    return alliance


async def _is_manager(session: LockedSession, principal: Principal, alliance_id: uuid.UUID) -> bool:
    own = await session.scalar(policy.own_membership(principal, alliance_id))
    return policy.may_manage_committees(principal, own)


async def _require_manager(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID, *, field: str
) -> None:
    """The alliance is visible and open, and the principal is one of its lead's admins."""
    await _alliance(session, principal, alliance_id, field=field)
    if not await _is_manager(session, principal, alliance_id):
        raise Forbidden(
            "only the lead organisation's admins manage committees, seats and governance rules"
        )


async def _get_seat(
    session: LockedSession,
    principal: Principal,
    seat_id: uuid.UUID,
    *,
    for_update: bool = False,
    fresh: bool = False,
) -> Seat:
    query = policy.alliance_records(principal, Seat)
    if fresh:
        query = query.execution_options(populate_existing=True)
    return await get_visible(
        session, query, seat_id, what="seat", field="seat", for_update=for_update
    )


async def _locked_seat(
    session: LockedSession, principal: Principal, seat_id: uuid.UUID
) -> tuple[Seat, Committee]:
    """A visible seat and its committee, whose row is locked; the seat is re-read after the
    lock so that checks see what concurrent changes left."""
    seat = await _get_seat(session, principal, seat_id)
    committee = await get_committee(
        session, principal, seat.committee_id, field="seat", for_update=True
    )
    return await _get_seat(session, principal, seat_id, fresh=True), committee


# --- validation ---------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not 0 < len(cleaned) <= NAME_MAX:
        raise BadInput(f"name must have 1 to {NAME_MAX} characters", field="name")
    return cleaned


def _clean_quorum(quorum: Decimal) -> Decimal:
    try:
        rounded = quorum.quantize(QUORUM_STEP, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise BadInput("quorum must be a share between 0 and 1", field="quorum") from None
    if not Decimal(0) < rounded <= Decimal(1):
        raise BadInput(
            "quorum is the share of voting seats that must vote: more than 0, at most 1",
            field="quorum",
        )
    return rounded


def _validated(changes: CommitteeFields) -> dict[str, object]:
    """The given fields, cleaned, by model attribute."""
    values: dict[str, object] = {}
    if changes.name is not None:
        values["name"] = _clean_name(changes.name)
    if changes.mandate is not None:
        if len(changes.mandate) > MANDATE_MAX:
            raise BadInput(f"mandate is limited to {MANDATE_MAX} characters", field="mandate")
        values["mandate"] = changes.mandate
    if changes.quorum is not None:
        values["quorum"] = _clean_quorum(changes.quorum)
    if changes.majority is not None:
        values["majority"] = changes.majority
    if changes.veto_allowed is not None:
        values["veto_allowed"] = changes.veto_allowed
    return values


def _voting(role: SeatRole, voting: bool | None, current: Seat | None = None) -> bool:
    """Whether a seat of ``role`` votes: an observer never does; otherwise as asked, or by
    default yes for a new seat or one leaving the observer role, else as it was."""
    if role is SeatRole.OBSERVER:
        if voting:
            raise BadInput("an observer never votes", field="voting")
        return False
    if voting is not None:
        return voting
    if current is None or current.role is SeatRole.OBSERVER:
        return True
    return current.voting


async def _take_role(
    session: LockedSession,
    principal: Principal,
    committee: Committee,
    role: SeatRole,
    *,
    hand_over: bool,
) -> None:
    """Make room for a seat taking ``role``: a committee's chair and secretary are unique.
    With ``hand_over`` the current holder becomes an ordinary member seat (its vote kept)."""
    if role not in UNIQUE_ROLES:
        return
    holder = await session.scalar(
        policy.alliance_records(principal, Seat).where(
            Seat.committee_id == committee.id, Seat.role == role
        )
    )
    if holder is None:
        return
    if not hand_over:
        raise Conflict(
            f"the committee already has a {role.value}; pass handOver to hand the role over",
            field="role",
        )
    holder.role = SeatRole.MEMBER
    await session.flush()  # the old holder steps down before the new one takes the role


def _keeps_steering_chair(committee: Committee, seat: Seat, *, field: str) -> None:
    if committee.tier is CommitteeTier.STRATEGIC and seat.role is SeatRole.CHAIR:
        raise BadInput(
            "the steering committee always keeps its chair: hand the chair to another seat "
            "(role CHAIR with handOver) instead",
            field=field,
        )


# --- committees ---------------------------------------------------------------------------


async def create_committee(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    *,
    parent_id: uuid.UUID,
    tier: CommitteeTier,
    committee: CommitteeFields,
) -> Committee:
    """Create a tactical or operational committee under ``parent_id``. Lead admins only."""
    require_write(principal)
    await _require_manager(session, principal, alliance_id, field="alliance")
    if tier is CommitteeTier.STRATEGIC:
        raise BadInput(
            "an alliance has one strategic committee, its steering committee, made with the "
            "alliance; create tactical or operational committees",
            field="tier",
        )
    parent = await get_committee(session, principal, parent_id, field="parent")
    if parent.alliance_id != alliance_id:
        raise BadInput("the parent committee belongs to another alliance", field="parent")
    if parent.tier.rank <= tier.rank:
        raise BadInput(
            f"a {tier.value} committee's parent must be of a higher tier; "
            f"{parent.name!r} is {parent.tier.value}",
            field="parent",
        )
    if committee.name is None:
        raise BadInput("a committee needs a name", field="name")
    values = _validated(committee)
    row = Committee(id=uuid.uuid4(), alliance_id=alliance_id, parent_id=parent.id, tier=tier)
    for attribute, value in values.items():
        setattr(row, attribute, value)
    session.add(row)
    await session.flush()
    return row


async def update_committee(
    session: LockedSession,
    principal: Principal,
    committee_id: uuid.UUID,
    *,
    expected_version: int,
    changes: CommitteeFields,
) -> Committee:
    """Change a committee's name, mandate and decision rules if nobody changed them since
    ``expected_version``. Lead admins only; tier and parent are fixed."""
    require_write(principal)
    committee = await get_committee(session, principal, committee_id, for_update=True)
    await _require_manager(session, principal, committee.alliance_id, field="committee")
    check_version(committee.version, expected_version, "committee")
    for attribute, value in _validated(changes).items():
        setattr(committee, attribute, value)
    committee.version += 1
    await session.flush()
    return committee


# --- seats --------------------------------------------------------------------------------


async def assign_seat(
    session: LockedSession,
    principal: Principal,
    committee_id: uuid.UUID,
    *,
    organisation_id: uuid.UUID,
    role: SeatRole,
    voting: bool | None = None,
    hand_over: bool = False,
) -> Seat:
    """Seat a current member organisation on a committee. Lead admins only."""
    require_write(principal)
    committee = await get_committee(session, principal, committee_id, for_update=True)
    await _require_manager(session, principal, committee.alliance_id, field="committee")
    member = await session.scalar(
        policy.current_membership(principal, committee.alliance_id, organisation_id)
    )
    if member is None:  # also for organisations the principal cannot see: same answer
        raise BadInput("only current members of the alliance can hold seats", field="organisation")
    taken = await session.scalar(
        policy.alliance_records(principal, Seat).where(
            Seat.committee_id == committee.id, Seat.organisation_id == organisation_id
        )
    )
    if taken is not None:
        raise Conflict(
            "the organisation already holds a seat on this committee; change that seat instead",
            field="organisation",
        )
    seat_votes = _voting(role, voting)
    await _take_role(session, principal, committee, role, hand_over=hand_over)
    seat = Seat(
        id=uuid.uuid4(),
        alliance_id=committee.alliance_id,
        committee_id=committee.id,
        organisation_id=organisation_id,
        role=role,
        voting=seat_votes,
    )
    session.add(seat)
    await session.flush()
    return seat


async def update_seat(
    session: LockedSession,
    principal: Principal,
    seat_id: uuid.UUID,
    *,
    role: SeatRole | None = None,
    voting: bool | None = None,
    hand_over: bool = False,
) -> Seat:
    """Change a seat's role or vote. Lead admins only."""
    require_write(principal)
    seat, committee = await _locked_seat(session, principal, seat_id)
    await _require_manager(session, principal, committee.alliance_id, field="seat")
    new_role = role if role is not None else seat.role
    if new_role is not seat.role:
        _keeps_steering_chair(committee, seat, field="role")
    new_voting = _voting(new_role, voting, seat)
    if new_role is not seat.role:
        await _take_role(session, principal, committee, new_role, hand_over=hand_over)
    seat.role = new_role
    seat.voting = new_voting
    await session.flush()
    return seat


async def remove_seat(session: LockedSession, principal: Principal, seat_id: uuid.UUID) -> Seat:
    """Take a seat, with its representatives, away from its organisation. Lead admins only.

    Refused for the steering committee's chair (hand it over first) and for a seat that has
    voted: its votes belong to the decision record (give the seat another role instead).
    """
    require_write(principal)
    seat, committee = await _locked_seat(session, principal, seat_id)
    await _require_manager(session, principal, committee.alliance_id, field="seat")
    _keeps_steering_chair(committee, seat, field="seat")
    voted = await session.scalar(
        policy.alliance_records(principal, Vote).where(Vote.seat_id == seat.id).limit(1)
    )
    if voted is not None:
        raise Conflict(
            "the seat has voted and its votes belong to the decision record; "
            "change its role instead",
            field="seat",
        )
    # deleted one by one (not by the database's cascade) so each leaves an event
    for representative in await session.scalars(
        policy.alliance_records(principal, SeatRepresentative).where(
            SeatRepresentative.seat_id == seat.id
        )
    ):
        await session.delete(representative)
    await session.delete(seat)
    await session.flush()
    return seat


async def set_seat_representatives(
    session: LockedSession,
    principal: Principal,
    seat_id: uuid.UUID,
    user_ids: Sequence[uuid.UUID],
) -> Seat:
    """Name exactly ``user_ids`` as the seat's representatives.

    The seat's own organisation's admins name its representatives, who must be users of
    that organisation. The lead organisation's admins may clear another organisation's
    representatives (an empty list) but never name them.
    """
    require_write(principal)
    seat = await _get_seat(session, principal, seat_id, for_update=True)
    await _alliance(session, principal, seat.alliance_id, field="seat")
    own_seat = seat.organisation_id == principal.organisation_id and principal.has(Scope.ADMIN)
    if not own_seat:
        if not await _is_manager(session, principal, seat.alliance_id):
            raise Forbidden("only the admins of the seat's organisation name its representatives")
        if user_ids:
            raise Forbidden(
                "the seat's organisation's admins name its representatives; the lead's admins "
                "may only clear them",
                field="users",
            )
    wanted = list(dict.fromkeys(user_ids))
    if len(wanted) > REPRESENTATIVES_MAX:
        raise BadInput(f"a seat has at most {REPRESENTATIVES_MAX} representatives", field="users")
    if wanted:
        found = set(
            await session.scalars(
                policy.own_users(principal)
                .where(User.id.in_(wanted), User.organisation_id == seat.organisation_id)
                .with_only_columns(User.id)
            )
        )
        if len(found) != len(wanted):
            raise BadInput(
                "representatives must be users of the seat's organisation", field="users"
            )
    current = {
        row.user_id: row
        for row in await session.scalars(
            policy.alliance_records(principal, SeatRepresentative).where(
                SeatRepresentative.seat_id == seat.id
            )
        )
    }
    for user_id, row in current.items():
        if user_id not in wanted:
            await session.delete(row)
    for user_id in wanted:
        if user_id not in current:
            session.add(
                SeatRepresentative(alliance_id=seat.alliance_id, seat_id=seat.id, user_id=user_id)
            )
    await session.flush()
    return seat


# --- governance rules ---------------------------------------------------------------------


async def update_governance_rules(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    *,
    expected_version: int,
    changes: RuleChanges,
) -> GovernanceRules:
    """Change the alliance's notice periods, deadlines and response times if nobody changed
    them since ``expected_version``. Lead admins only; each value 0 to 365 days."""
    require_write(principal)
    rules = await session.scalar(
        policy.alliance_records(principal, GovernanceRules)
        .where(GovernanceRules.alliance_id == alliance_id)
        .with_for_update()
    )
    if rules is None:
        raise NotFound("no such alliance", field="alliance")
    await _require_manager(session, principal, alliance_id, field="alliance")
    check_version(rules.version, expected_version, "governance rules")
    given = {f.name: getattr(changes, f.name) for f in fields(changes)}
    for name, value in given.items():
        if value is not None and not 0 <= value <= DAYS_MAX:
            raise BadInput(f"a number of days from 0 to {DAYS_MAX}", field=_camel(name))
    for name, value in given.items():
        if value is not None:
            setattr(rules, name, value)
    rules.version += 1
    await session.flush()
    return rules
