"""Enums of the contributions area, registered with strawberry once here.

Schema code imports them from this module (not from where they are defined), so the
registration has always happened before a type uses them."""

from __future__ import annotations

import strawberry

from db.enums import ContributionKind, ContributionStatus
from portal.contributions import QuantityDimension, SummaryDimension, ValuationHiddenReason

strawberry.enum(
    ContributionKind,
    name="ContributionKind",
    description="What an organisation contributes: PERSONNEL, CASH, KNOWLEDGE, IP or EQUIPMENT.",
)
strawberry.enum(
    ContributionStatus,
    name="ContributionStatus",
    description="PLEDGED → COMMITTED → DELIVERED, or WITHDRAWN from PLEDGED or COMMITTED.",
)
strawberry.enum(
    ValuationHiddenReason,
    name="ValuationHiddenReason",
    description="Why a contribution's valuation is null: NOT_VALUED (none was recorded; "
    "said only to readers who would see one) or CONFIDENTIAL (the reader is neither the "
    "contributor nor seated on the steering committee; said whether or not one exists).",
)
strawberry.enum(
    SummaryDimension,
    name="ContributionSummaryDimension",
    description="What a valuation summary is grouped by. Amounts are always grouped by "
    "currency as well, whether CURRENCY is asked for or not.",
)
strawberry.enum(
    QuantityDimension,
    name="ContributionQuantityDimension",
    description="What a quantity summary is grouped by besides kind, unit and status.",
)

__all__ = [
    "ContributionKind",
    "ContributionStatus",
    "QuantityDimension",
    "SummaryDimension",
    "ValuationHiddenReason",
]
