"""Minutes of meetings: the domain rules (SPEC §3-4, issue 3).

The procedure, as consortium agreements write it:

- the committee's **secretary** drafts the minutes of a meeting (one set of minutes per
  meeting) and edits the draft; every edit appends an immutable ``MinutesVersion`` and
  bumps ``Minutes.version`` (optimistic concurrency: an edit names the version it was based
  on, a stale one is a ``Conflict``);
- the secretary **circulates** a draft to the seat holders: the objection period of the
  alliance's ``GovernanceRules`` starts;
- any **seat holder** may **object** while the period runs, with a reason: the minutes go
  back to draft, to be edited and circulated again;
- the committee's **chair** approves circulated minutes explicitly, or the server approves
  them **tacitly** once the objection period has passed without an objection
  (:func:`approve_due_minutes`, a scheduled job);
- approved minutes are immutable; every version stays readable.

Every step of circulation, objection and approval leaves a ``Signature``: which version,
what the signature means, the organisation, the user and the credential it came through.

State errors (editing circulated or approved minutes, approving a draft, objecting out of
time) are ``BadInput``; ``Conflict`` is kept for a stale ``version`` and for a second set
of minutes for the same meeting. Minutes outside the caller's view (SPEC §4 visibility,
by default the seat holders of the meeting's committee) are ``NotFound``; visible minutes
the caller may not act on are ``Forbidden``.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy.exc import IntegrityError

from auth import policy
from auth.principal import Principal
from db.enums import MeetingStatus, MinutesStatus, SignatureMeaning, Visibility
from db.governance import Minutes, MinutesVersion, Signature, VisibilityGrant
from db.session import LockedSession
from portal.committees import queries as governance
from portal.kernel.audience import current_member_ids
from portal.kernel.checks import check_version
from portal.kernel.errors import BadInput, Conflict, NotFound
from portal.meetings import get_meeting
from portal.minutes.queries import get_minutes
from portal.minutes.rules import REASON_MAX, Audience, check_body

log = logging.getLogger("portal.minutes")


async def _lock(session: LockedSession, principal: Principal, minutes: Minutes) -> Minutes:
    """Lock the row for the rest of the transaction and read its current state.

    Taken only after the permission check: row-level security lets only seat holders of
    the committee lock (update) minutes, and a visible row that cannot be locked must be
    refused as FORBIDDEN, not reported as missing.
    """
    locked = await session.scalar(
        policy.visible_minutes(principal)
        .where(Minutes.id == minutes.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:  # removed from view between the two reads
        raise NotFound("no such minutes", field="minutes")
    return locked


def _sign(
    principal: Principal,
    minutes: Minutes,
    meaning: SignatureMeaning,
    *,
    now: dt.datetime,
    reason: str = "",
) -> Signature:
    return Signature(
        id=uuid.uuid4(),
        alliance_id=minutes.alliance_id,
        minutes_id=minutes.id,
        version=minutes.version,
        meaning=meaning,
        organisation_id=principal.organisation_id,
        user_id=principal.user_id,
        credential_kind=principal.credential_kind,
        credential_id=principal.credential_id,
        reason=reason,
        signed_at=now,
    )


async def draft_minutes(
    session: LockedSession,
    principal: Principal,
    meeting_id: uuid.UUID,
    *,
    body: str,
    audience: Audience | None = None,
    now: dt.datetime,
) -> Minutes:
    """Draft the minutes of a meeting: version 1, status draft.

    Only the secretary of the meeting's committee; the meeting must not be cancelled and
    must not have minutes yet. Visible by default to the committee's seat holders; ALLIANCE
    opens them to every member; ORGANISATIONS to the listed current members, always
    together with the drafting organisation (which must keep seeing what it drafts)."""
    governance.require_write(principal)
    audience = audience or Audience()
    meeting = await get_meeting(session, principal, meeting_id)
    await governance.require_seat(
        session, principal, meeting.committee_id, *policy.SECRETARIAT, action="draft minutes"
    )
    if meeting.status is MeetingStatus.CANCELLED:
        raise BadInput("the meeting was cancelled; it has no minutes", field="meeting")
    existing = await session.scalar(
        policy.visible_minutes(principal).where(Minutes.meeting_id == meeting.id)
    )
    if existing is not None:
        raise Conflict("the meeting already has minutes; edit those", field="meeting")
    body = check_body(body)
    if audience.visibility is not Visibility.ORGANISATIONS and audience.organisation_slugs:
        raise BadInput("list organisations only with visibility ORGANISATIONS", field="audience")

    minutes = Minutes(
        id=uuid.uuid4(),
        alliance_id=meeting.alliance_id,
        meeting_id=meeting.id,
        committee_id=meeting.committee_id,
        status=MinutesStatus.DRAFT,
        version=1,
        visibility=audience.visibility,
        visibility_committee_id=(
            meeting.committee_id if audience.visibility is Visibility.COMMITTEE else None
        ),
        created_at=now,
    )
    if audience.visibility is Visibility.ORGANISATIONS:
        listed = await current_member_ids(
            session, principal, meeting.alliance_id, audience.organisation_slugs, at_least_one=True
        )
        # The grants go in first: the minutes must be readable by their author as soon
        # as they exist.
        session.add_all(
            VisibilityGrant(
                id=uuid.uuid4(),
                alliance_id=meeting.alliance_id,
                object_id=minutes.id,
                organisation_id=organisation_id,
            )
            for organisation_id in sorted({*listed, principal.organisation_id})
        )
        await session.flush()
    try:
        async with session.begin_nested():
            session.add(minutes)
            await session.flush()
    except IntegrityError:
        # minutes out of the caller's view, or drafted concurrently
        raise Conflict("the meeting already has minutes", field="meeting") from None
    session.add(
        MinutesVersion(
            id=uuid.uuid4(),
            alliance_id=minutes.alliance_id,
            minutes_id=minutes.id,
            version=1,
            body=body,
            organisation_id=principal.organisation_id,
            user_id=principal.user_id,
            created_at=now,
        )
    )
    await session.flush()
    return minutes


async def edit_minutes(
    session: LockedSession,
    principal: Principal,
    minutes_id: uuid.UUID,
    *,
    expected_version: int,
    body: str,
    now: dt.datetime,
) -> Minutes:
    """Replace the text of draft minutes with a new version.

    Only the committee's secretary, only in draft (circulated minutes are reopened by an
    objection; approved ones never change), and only from the current version."""
    governance.require_write(principal)
    minutes = await get_minutes(session, principal, minutes_id)
    await governance.require_seat(
        session, principal, minutes.committee_id, *policy.SECRETARIAT, action="edit minutes"
    )
    minutes = await _lock(session, principal, minutes)
    if minutes.status is MinutesStatus.APPROVED:
        raise BadInput("approved minutes cannot be changed", field="minutes")
    if minutes.status is MinutesStatus.CIRCULATED:
        raise BadInput(
            "circulated minutes cannot be edited; an objection reopens them", field="minutes"
        )
    check_version(minutes.version, expected_version, "minutes")
    body = check_body(body)
    minutes.version += 1
    session.add(
        MinutesVersion(
            id=uuid.uuid4(),
            alliance_id=minutes.alliance_id,
            minutes_id=minutes.id,
            version=minutes.version,
            body=body,
            organisation_id=principal.organisation_id,
            user_id=principal.user_id,
            created_at=now,
        )
    )
    await session.flush()
    return minutes


async def circulate_minutes(
    session: LockedSession,
    principal: Principal,
    minutes_id: uuid.UUID,
    *,
    expected_version: int,
    now: dt.datetime,
) -> Minutes:
    """Circulate a draft to the seat holders; the alliance's objection period starts.

    Only the committee's secretary, only drafts, only the current version (the one the
    seat holders will read)."""
    governance.require_write(principal)
    minutes = await get_minutes(session, principal, minutes_id)
    await governance.require_seat(
        session, principal, minutes.committee_id, *policy.SECRETARIAT, action="circulate minutes"
    )
    minutes = await _lock(session, principal, minutes)
    if minutes.status is not MinutesStatus.DRAFT:
        raise BadInput(f"the minutes are {minutes.status.value}, not a draft", field="minutes")
    check_version(minutes.version, expected_version, "minutes")
    rules = await governance.get_rules(session, principal, minutes.alliance_id)
    minutes.status = MinutesStatus.CIRCULATED
    minutes.circulated_at = now
    minutes.objection_deadline = now + dt.timedelta(days=rules.objection_period_days)
    session.add(_sign(principal, minutes, SignatureMeaning.CIRCULATED, now=now))
    await session.flush()
    return minutes


async def object_to_minutes(
    session: LockedSession,
    principal: Principal,
    minutes_id: uuid.UUID,
    *,
    expected_version: int,
    reason: str,
    now: dt.datetime,
) -> Minutes:
    """Object to circulated minutes: they go back to draft for the secretary to revise.

    Any organisation holding a seat on the committee (observers included), while the
    objection period runs, with a reason."""
    governance.require_write(principal)
    minutes = await get_minutes(session, principal, minutes_id)
    await governance.require_seat(
        session, principal, minutes.committee_id, *policy.ANY_SEAT, action="object to minutes"
    )
    minutes = await _lock(session, principal, minutes)
    if minutes.status is not MinutesStatus.CIRCULATED:
        raise BadInput(
            f"the minutes are {minutes.status.value}; only circulated minutes take objections",
            field="minutes",
        )
    if minutes.objection_deadline is None or now >= minutes.objection_deadline:
        raise BadInput("the objection period has ended", field="minutes")
    check_version(minutes.version, expected_version, "minutes")
    reason = reason.strip()
    if not reason:
        raise BadInput("an objection needs a reason", field="reason")
    if len(reason) > REASON_MAX:
        raise BadInput(f"the reason is limited to {REASON_MAX} characters", field="reason")
    session.add(_sign(principal, minutes, SignatureMeaning.OBJECTED, now=now, reason=reason))
    minutes.status = MinutesStatus.DRAFT
    minutes.circulated_at = None
    minutes.objection_deadline = None
    await session.flush()
    return minutes


async def approve_minutes(
    session: LockedSession,
    principal: Principal,
    minutes_id: uuid.UUID,
    *,
    expected_version: int,
    note: str = "",
    now: dt.datetime,
) -> Minutes:
    """Approve circulated minutes explicitly; from then on they never change.

    Only the committee's chair, only circulated minutes (a draft has not been seen by the
    seat holders), only the current version."""
    governance.require_write(principal)
    minutes = await get_minutes(session, principal, minutes_id)
    await governance.require_seat(
        session, principal, minutes.committee_id, *policy.APPROVERS, action="approve minutes"
    )
    minutes = await _lock(session, principal, minutes)
    if minutes.status is not MinutesStatus.CIRCULATED:
        raise BadInput(
            f"the minutes are {minutes.status.value}; only circulated minutes can be approved",
            field="minutes",
        )
    check_version(minutes.version, expected_version, "minutes")
    if len(note) > REASON_MAX:
        raise BadInput(f"the note is limited to {REASON_MAX} characters", field="note")
    minutes.status = MinutesStatus.APPROVED
    minutes.approved_at = now
    session.add(_sign(principal, minutes, SignatureMeaning.APPROVED, now=now, reason=note.strip()))
    await session.flush()
    return minutes


async def approve_tacitly(
    session: LockedSession, principal: Principal, minutes_id: uuid.UUID, *, now: dt.datetime
) -> Minutes | None:
    """Approve minutes whose objection period has passed without an objection, as the
    server acting for a seat holder of the committee; None when they are not (or no
    longer) due.

    The row is locked and its state re-read first, so when several server processes run
    the job, the first approves and the others find the minutes approved and skip them.
    An objection always sends minutes back to draft, so circulated minutes have had no
    objection since they were last circulated."""
    minutes = await session.scalar(
        policy.visible_minutes(principal)
        .where(Minutes.id == minutes_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if minutes is None:
        # e.g. minutes for listed organisations that do not include the committee's
        # current secretary: nobody the job may act for can see them
        log.warning(
            "minutes %s are due but not visible to organisation %s acting for their committee",
            minutes_id,
            principal.organisation_id,
        )
        return None
    if (
        minutes.status is not MinutesStatus.CIRCULATED
        or minutes.objection_deadline is None
        or minutes.objection_deadline > now
    ):
        return None
    minutes.status = MinutesStatus.APPROVED
    minutes.approved_at = now
    session.add(
        _sign(
            principal,
            minutes,
            SignatureMeaning.APPROVED_TACITLY,
            now=now,
            reason="No objection within the objection period.",
        )
    )
    await session.flush()
    return minutes
