"""Pure rules of meetings: notice periods and times."""

from __future__ import annotations

import datetime as dt

from db.enums import MeetingKind
from db.governance import GovernanceRules
from portal.kernel.errors import BadInput


def notice_days(rules: GovernanceRules, kind: MeetingKind) -> int:
    """The alliance's notice period for a meeting of ``kind``, in days."""
    if kind is MeetingKind.EXTRAORDINARY:
        return rules.extraordinary_notice_days
    return rules.ordinary_notice_days


def aware(value: dt.datetime, field: str) -> dt.datetime:
    """``value``, refused (``BadInput`` on ``field``) unless it carries its UTC offset."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadInput("give the time with its UTC offset", field=field)
    return value


def check_notice(
    rules: GovernanceRules, kind: MeetingKind, starts_at: dt.datetime, now: dt.datetime
) -> None:
    """A meeting of ``kind`` starting at ``starts_at`` gives the alliance's notice."""
    days = notice_days(rules, kind)
    earliest = now + dt.timedelta(days=days)
    if starts_at < earliest:
        raise BadInput(
            f"an {kind.value} meeting needs {days} days' notice: it can start at "
            f"{earliest.astimezone(dt.UTC).isoformat()} at the earliest",
            field="startsAt",
        )


def check_times(starts_at: dt.datetime, ends_at: dt.datetime | None) -> None:
    """A meeting ends after it starts."""
    if ends_at is not None and aware(ends_at, "endsAt") <= starts_at:
        raise BadInput("the meeting must end after it starts", field="endsAt")
