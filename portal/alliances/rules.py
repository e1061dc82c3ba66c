"""Pure rules of alliances: the charter and its limits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from db.enums import AllianceStatus
from portal.kernel.errors import BadInput

NAME_MAX = 200
STEERING_COMMITTEE = "Steering Committee"
CHARTER_TEXT_MAX = 20_000


@dataclass(frozen=True, slots=True)
class Charter:
    """Charter fields to set; ``None`` leaves a field as it is."""

    name: str | None = None
    purpose: str | None = None
    strategy: str | None = None
    vision: str | None = None
    status: AllianceStatus | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


def validate_charter(charter: Charter) -> None:
    """The charter's name and texts are within their limits (``BadInput`` otherwise)."""
    if charter.name is not None and not (0 < len(charter.name.strip()) <= NAME_MAX):
        raise BadInput(f"name must have 1 to {NAME_MAX} characters", field="name")
    for field in ("purpose", "strategy", "vision"):
        value = getattr(charter, field)
        if value is not None and len(value) > CHARTER_TEXT_MAX:
            raise BadInput(f"{field} is limited to {CHARTER_TEXT_MAX} characters", field=field)


def check_dates(starts_on: dt.date | None, ends_on: dt.date | None) -> None:
    """An alliance does not end before it starts."""
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        raise BadInput("the alliance cannot end before it starts", field="endsOn")
