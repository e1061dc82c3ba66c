"""Pure rules of contributions: limits, states and the checks of a draft."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal

from db.enums import ContributionKind, ContributionStatus
from portal.contributions.money import Money, checked_money, checked_quantity
from portal.kernel.audience import Audience
from portal.kernel.checks import checked_text
from portal.kernel.errors import BadInput

DESCRIPTION_MAX = 20_000
UNIT_MAX = 32
NOTE_MAX = 2_000
OPEN_STATUSES = frozenset({ContributionStatus.PLEDGED, ContributionStatus.COMMITTED})
"""States in which a contribution can still change (be updated, move on, be withdrawn)."""


class ValuationHiddenReason(enum.StrEnum):
    """Why a contribution shows no valuation to the reader."""

    NOT_VALUED = "not_valued"
    """No valuation was recorded (said only to readers who would see one)."""
    CONFIDENTIAL = "confidential"
    """The reader is neither the contributor nor seated on the steering committee. Said
    whether or not a valuation exists, so not even its existence leaks."""


@dataclass(frozen=True, slots=True)
class Draft:
    """A contribution to record."""

    kind: ContributionKind
    description: str
    quantity: Decimal
    unit: str
    period_start: dt.date
    period_end: dt.date
    plan_id: uuid.UUID | None = None
    valuation: Money | None = None
    audience: Audience = field(default_factory=Audience)


@dataclass(frozen=True, slots=True)
class Changes:
    """Fields of a contribution to change; ``None`` keeps a field as it is. The plan is
    changed only when ``set_plan`` is true (then ``plan_id`` None removes it)."""

    kind: ContributionKind | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    plan_id: uuid.UUID | None = None
    set_plan: bool = False
    valuation: Money | None = None


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise BadInput("the period cannot end before it starts", field="periodEnd")


def checked_draft(draft: Draft) -> Draft:
    """The draft with its plain fields checked and normalised (before anything is read)."""
    check_period(draft.period_start, draft.period_end)
    return replace(
        draft,
        description=checked_text(draft.description, "description", limit=DESCRIPTION_MAX),
        quantity=checked_quantity(draft.quantity),
        unit=checked_text(draft.unit, "unit", limit=UNIT_MAX),
        valuation=checked_money(draft.valuation) if draft.valuation is not None else None,
        audience=replace(
            draft.audience,
            organisation_slugs=tuple(
                sorted({s.strip() for s in draft.audience.organisation_slugs if s.strip()})
            ),
        ),
    )
