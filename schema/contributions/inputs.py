"""What the contributions mutations take: their input types."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from auth import policy
from schema.contributions.enums import ContributionKind
from schema.kernel.enums import Visibility


@strawberry.input(
    description="An exact amount of money. The amount is a decimal string such as "
    '"1234567.89": not negative, below 10^16, at most two decimals (whole numbers for '
    "currencies without a minor unit, such as JPY)."
)
class MoneyInput:
    amount: Decimal = strawberry.field(description='The exact amount, e.g. "1234567.89".')
    currency: str = strawberry.field(
        description="ISO 4217 code of a currency in circulation (three capital letters, "
        "e.g. EUR, USD, CHF); unknown codes are refused."
    )


@strawberry.input(
    description="Record a contribution of your own organisation to an alliance. Any current "
    "member organisation may, with contributions:write; it becomes the contributor and the "
    "contribution starts PLEDGED with a first step. Its valuation is confidential: only "
    "your organisation and the steering committee's seat holders will see it."
)
class RecordContributionInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")
    kind: ContributionKind = strawberry.field(
        description="PERSONNEL, CASH, KNOWLEDGE, IP or EQUIPMENT."
    )
    description: str = strawberry.field(
        description="What exactly is contributed (1-20,000 characters)."
    )
    quantity: Decimal = strawberry.field(
        description="How much, in unit: a positive decimal string with at most three "
        'decimals, e.g. "1.5". Every reader of the contribution sees it.'
    )
    unit: str = strawberry.field(
        description="The unit of quantity (1-32 characters), e.g. FTE, person-months, units, EUR."
    )
    period_start: dt.date = strawberry.field(description="First day of the contribution.")
    period_end: dt.date = strawberry.field(
        description="Last day of the contribution; not before periodStart."
    )
    plan: strawberry.ID | None = strawberry.field(
        default=None, description="The plan it is for: one of the alliance's that you can see."
    )
    valuation: MoneyInput | None = strawberry.field(
        default=None, description="What it is worth (confidential); omit if not valued."
    )
    visibility: Visibility = strawberry.field(
        default=Visibility.ALLIANCE,
        description="Who sees the contribution: ALLIANCE (default, every member), COMMITTEE "
        "(seat holders of visibilityCommittee) or ORGANISATIONS (those listed in audience). "
        "Your organisation always sees it. Fixed once recorded.",
    )
    visibility_committee: strawberry.ID | None = strawberry.field(
        default=None,
        description="With visibility COMMITTEE (required then): a committee of the "
        "alliance. Not allowed otherwise.",
    )
    audience: list[str] | None = strawberry.field(
        default=None,
        description="With visibility ORGANISATIONS (required then): slugs of the member "
        "organisations to share it with. Not allowed otherwise.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any string of 1-200 characters: a retry with the same key returns the "
        "first result instead of recording twice; the same key with a different input is "
        "refused (CONFLICT).",
    )


@strawberry.input(
    description="Change a PLEDGED or COMMITTED contribution, its valuation included. The "
    "contributing organisation only, with contributions:write (FORBIDDEN for other "
    "organisations that can see it). DELIVERED and WITHDRAWN contributions no longer "
    "change. Omitted fields stay as they are; visibility cannot be changed."
)
class UpdateContributionInput:
    contribution: strawberry.ID = strawberry.field(description="The contribution's ID.")
    version: int = strawberry.field(
        description="The version you edited; if it changed meanwhile you get CONFLICT."
    )
    kind: ContributionKind | None = strawberry.field(default=None, description="A new kind.")
    description: str | None = strawberry.field(
        default=None, description="A new description (1-20,000 characters)."
    )
    quantity: Decimal | None = strawberry.field(
        default=None, description="A new quantity: positive, at most three decimals."
    )
    unit: str | None = strawberry.field(default=None, description="A new unit (1-32 chars).")
    period_start: dt.date | None = strawberry.field(default=None, description="A new first day.")
    period_end: dt.date | None = strawberry.field(default=None, description="A new last day.")
    plan: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A plan of the alliance you can see; null removes the plan, omitted keeps it.",
    )
    valuation: MoneyInput | None = strawberry.field(
        default=None,
        description="A new or corrected valuation (confidential). Omitted or null keeps the "
        "current one: a valuation can be corrected but not removed.",
    )


@strawberry.input(
    description="Commit to a pledged contribution: PLEDGED → COMMITTED. The contributing "
    "organisation only, with contributions:write."
)
class CommitContributionInput:
    contribution: strawberry.ID = strawberry.field(description="The contribution's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )
    note: str = strawberry.field(
        default="", description="Kept in the step (up to 2,000 characters)."
    )


@strawberry.input(
    description="Confirm that a committed contribution was delivered: COMMITTED → "
    "DELIVERED, with a step naming your organisation, user and the time. With "
    "contributions:write. " + policy.DELIVERY_RULE
)
class ConfirmDeliveryInput:
    contribution: strawberry.ID = strawberry.field(description="The contribution's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )
    note: str = strawberry.field(
        default="", description="Kept in the step (up to 2,000 characters)."
    )


@strawberry.input(
    description="Withdraw a pledged or committed contribution: → WITHDRAWN (final). The "
    "contributing organisation only, with contributions:write."
)
class WithdrawContributionInput:
    contribution: strawberry.ID = strawberry.field(description="The contribution's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )
    note: str = strawberry.field(
        default="", description="Why it is withdrawn (up to 2,000 characters)."
    )
