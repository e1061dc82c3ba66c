"""Reading action items: the getter, when one is overdue, and the list selection."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, and_, not_

from auth import policy
from auth.principal import Principal
from db.enums import ActionItemStatus
from db.governance import ActionItem
from db.session import LockedSession
from portal.kernel.checks import today_of
from portal.kernel.lookup import get_visible


async def get_action_item(
    session: LockedSession,
    principal: Principal,
    action_item_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> ActionItem:
    """An action item in an alliance the principal is active in, or ``NotFound``."""
    return await get_visible(
        session,
        policy.alliance_records(principal, ActionItem),
        action_item_id,
        what="action item",
        field="actionItem",
        for_update=for_update,
    )


def is_overdue(item: ActionItem, now: dt.datetime) -> bool:
    """Open and due before today (the date of ``now`` in UTC)."""
    return item.status is ActionItemStatus.OPEN and item.due_on < today_of(now)


def list_query(
    principal: Principal,
    alliance_id: uuid.UUID | None,
    *,
    committee_id: uuid.UUID | None = None,
    owner_organisation_id: uuid.UUID | None = None,
    owner_user_id: uuid.UUID | None = None,
    statuses: Sequence[ActionItemStatus] | None = None,
    overdue: bool | None = None,
    due_before: dt.date | None = None,
    due_after: dt.date | None = None,
    now: dt.datetime,
) -> Select[ActionItem]:
    """The action items the principal sees in one alliance, or with ``alliance_id`` None
    in every alliance its organisation is a current member of (the same policy selection,
    so an alliance it has left drops out), narrowed by the filters (``due_before`` and
    ``due_after`` exclusive; ``overdue`` as in :func:`is_overdue`)."""
    query = policy.alliance_records(principal, ActionItem)
    if alliance_id is not None:
        query = query.where(ActionItem.alliance_id == alliance_id)
    if committee_id is not None:
        query = query.where(ActionItem.committee_id == committee_id)
    if owner_organisation_id is not None:
        query = query.where(ActionItem.owner_organisation_id == owner_organisation_id)
    if owner_user_id is not None:
        query = query.where(ActionItem.owner_user_id == owner_user_id)
    if statuses:
        query = query.where(ActionItem.status.in_(statuses))
    if overdue is not None:
        late = and_(
            ActionItem.status == ActionItemStatus.OPEN,
            ActionItem.due_on < today_of(now),
        )
        query = query.where(late if overdue else not_(late))
    if due_before is not None:
        query = query.where(ActionItem.due_on < due_before)
    if due_after is not None:
        query = query.where(ActionItem.due_on > due_after)
    return query
