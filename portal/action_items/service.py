"""Action items: follow-ups agreed in a meeting, owned by a member organisation (and
optionally one of its people), due on a date, open until done or cancelled.

Who may do what (SPEC §4): the secretary or the chair of the meeting's committee creates
action items and may change, complete or cancel any of them; the owner organisation (with
governance:write) updates, completes or cancels its own. Only the committee's secretary or
chair hands an item to another organisation. Every member of the alliance sees them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import ActionItemStatus, MeetingStatus
from db.governance import ActionItem
from db.models import Organisation, User
from db.session import LockedSession
from portal.action_items.queries import get_action_item
from portal.committees import queries as governance
from portal.kernel.checks import check_version, today_of
from portal.kernel.errors import BadInput, Conflict, Forbidden, NotFound
from portal.meetings import get_meeting

TITLE_MAX = 200


@dataclass(frozen=True, slots=True)
class Changes:
    """Fields of an action item to change; ``None`` leaves a field as it is. The owner
    user changes only when ``set_owner_user`` is true (``owner_user_id=None`` clears it)."""

    title: str | None = None
    due_on: dt.date | None = None
    owner_organisation_slug: str | None = None
    owner_user_id: uuid.UUID | None = None
    set_owner_user: bool = False


# --- look-ups -------------------------------------------------------------------------


async def _member_organisation(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID, slug: str
) -> uuid.UUID:
    """The id of the organisation with ``slug``, which must be a current member."""
    organisation = await session.scalar(
        policy.visible_organisations(principal).where(Organisation.slug == slug.strip())
    )
    if organisation is None:
        raise NotFound("no such organisation", field="ownerOrganisationSlug")
    membership = await session.scalar(
        policy.current_membership(principal, alliance_id, organisation.id)
    )
    if membership is None:
        raise BadInput(
            "the organisation is not a current member of the alliance",
            field="ownerOrganisationSlug",
        )
    return organisation.id


async def _owner_user(
    session: LockedSession,
    principal: Principal,
    user_id: uuid.UUID,
    owner_organisation_id: uuid.UUID,
) -> uuid.UUID:
    """A user who may own an item of ``owner_organisation_id``. A principal knows only
    the people of its own organisation, so any other user is not found."""
    user = await session.scalar(policy.own_users(principal).where(User.id == user_id))
    if user is None:
        raise NotFound("no such user", field="ownerUser")
    if user.organisation_id != owner_organisation_id:
        raise BadInput("the owner user must belong to the owner organisation", field="ownerUser")
    return user.id


# --- rules ----------------------------------------------------------------------------


def _check_title(title: str) -> str:
    stripped = title.strip()
    if not 0 < len(stripped) <= TITLE_MAX:
        raise BadInput(f"title must have 1 to {TITLE_MAX} characters", field="title")
    return stripped


def _check_due(due_on: dt.date, now: dt.datetime) -> None:
    if due_on < today_of(now):
        raise BadInput("the due date lies in the past", field="dueOn")


async def _is_manager(session: LockedSession, principal: Principal, item: ActionItem) -> bool:
    seat = await governance.own_seat(session, principal, item.committee_id)
    return policy.holds(principal, seat, *policy.OFFICERS)


def _is_owner(principal: Principal, item: ActionItem) -> bool:
    return principal.organisation_id == item.owner_organisation_id and principal.has(
        Scope.GOVERNANCE_WRITE
    )


async def _editable(
    session: LockedSession,
    principal: Principal,
    action_item_id: uuid.UUID,
    expected_version: int,
    action: str,
) -> tuple[ActionItem, bool]:
    """The item, locked, open and at ``expected_version``, and whether the principal
    manages it as secretary or chair (otherwise it acts as the owner organisation)."""
    governance.require_write(principal)
    item = await get_action_item(session, principal, action_item_id, for_update=True)
    manager = await _is_manager(session, principal, item)
    if not (manager or _is_owner(principal, item)):
        raise Forbidden(
            f"only the owner organisation or the committee's secretary or chair may {action}"
        )
    check_version(item.version, expected_version, "action item")
    if item.status is not ActionItemStatus.OPEN:
        raise Conflict(f"the action item is {item.status.value}", field="actionItem")
    return item, manager


# --- changes --------------------------------------------------------------------------


async def create_action_item(
    session: LockedSession,
    principal: Principal,
    meeting_id: uuid.UUID,
    *,
    title: str,
    owner_organisation_slug: str,
    owner_user_id: uuid.UUID | None = None,
    due_on: dt.date,
    now: dt.datetime,
) -> ActionItem:
    """Record an action item from a meeting. The secretary or the chair of the meeting's
    committee; the owner organisation must be a current member of the alliance and the
    owner user one of its people; the due date must not lie in the past."""
    governance.require_write(principal)
    meeting = await get_meeting(session, principal, meeting_id)
    await governance.require_seat(
        session, principal, meeting.committee_id, *policy.OFFICERS, action="create action items"
    )
    if meeting.status is MeetingStatus.CANCELLED:
        raise Conflict("the meeting was cancelled", field="meeting")
    title = _check_title(title)
    owner = await _member_organisation(
        session, principal, meeting.alliance_id, owner_organisation_slug
    )
    user = None
    if owner_user_id is not None:
        user = await _owner_user(session, principal, owner_user_id, owner)
    _check_due(due_on, now)
    item = ActionItem(
        id=uuid.uuid4(),
        alliance_id=meeting.alliance_id,
        committee_id=meeting.committee_id,
        meeting_id=meeting.id,
        title=title,
        owner_organisation_id=owner,
        owner_user_id=user,
        due_on=due_on,
        status=ActionItemStatus.OPEN,
        version=1,
    )
    session.add(item)
    await session.flush()
    return item


async def update_action_item(
    session: LockedSession,
    principal: Principal,
    action_item_id: uuid.UUID,
    *,
    expected_version: int,
    changes: Changes,
    now: dt.datetime,
) -> ActionItem:
    """Change an open item's title, due date or owner. The owner organisation or the
    committee's secretary or chair; only the secretary or chair hands it to another
    organisation (which clears the owner user unless a new one is given)."""
    item, manager = await _editable(
        session, principal, action_item_id, expected_version, "update action items"
    )
    if changes.title is not None:
        item.title = _check_title(changes.title)
    if changes.due_on is not None and changes.due_on != item.due_on:
        _check_due(changes.due_on, now)
        item.due_on = changes.due_on
    if changes.owner_organisation_slug is not None:
        owner = await _member_organisation(
            session, principal, item.alliance_id, changes.owner_organisation_slug
        )
        if owner != item.owner_organisation_id:
            if not manager:
                raise Forbidden(
                    "only the committee's secretary or chair hands an action item to "
                    "another organisation",
                    field="ownerOrganisationSlug",
                )
            item.owner_organisation_id = owner
            if not changes.set_owner_user:
                item.owner_user_id = None
    if changes.set_owner_user:
        item.owner_user_id = (
            await _owner_user(session, principal, changes.owner_user_id, item.owner_organisation_id)
            if changes.owner_user_id is not None
            else None
        )
    item.version += 1
    await session.flush()
    return item


async def complete_action_item(
    session: LockedSession,
    principal: Principal,
    action_item_id: uuid.UUID,
    *,
    expected_version: int,
    now: dt.datetime,
) -> ActionItem:
    """Mark an open item done. The owner organisation or the secretary or chair."""
    item, _ = await _editable(
        session, principal, action_item_id, expected_version, "complete action items"
    )
    item.status = ActionItemStatus.DONE
    item.completed_at = now
    item.version += 1
    await session.flush()
    return item


async def cancel_action_item(
    session: LockedSession,
    principal: Principal,
    action_item_id: uuid.UUID,
    *,
    expected_version: int,
) -> ActionItem:
    """Cancel an open item. The owner organisation or the secretary or chair."""
    item, _ = await _editable(
        session, principal, action_item_id, expected_version, "cancel action items"
    )
    item.status = ActionItemStatus.CANCELLED
    item.version += 1
    await session.flush()
    return item
