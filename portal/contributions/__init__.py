"""The contributions ledger: the domain rules.

A contribution is what one organisation puts into an alliance: personnel, cash, knowledge,
IP or equipment, as a quantity in a unit (FTE, person-months, units, ...) over a period,
optionally for one of the alliance's plans. Its life cycle is PLEDGED → COMMITTED →
DELIVERED, or WITHDRAWN from PLEDGED or COMMITTED; every step is kept as a
``ContributionStep`` naming the organisation and user that took it and when.

Who may do what:

- **read**: organisations in the contribution's audience (SPEC §4): every current member
  for ``ALLIANCE``, seat holders of the named committee for ``COMMITTEE``, the listed
  member organisations for ``ORGANISATIONS``; the contributing organisation always. Needs
  ``contributions:read``.
- **the valuation** (an exact decimal amount and an ISO 4217 currency) is confidential:
  only the contributing organisation and organisations holding a seat on the alliance's
  steering (strategic) committee see it. Everybody else sees the contribution without it.
  Every amount, total, count of valued contributions, amount filter and amount ordering is
  computed from ``policy.visible_valuations`` only, so nothing a reader may not see leaks
  through an aggregate, a filter or a sort order (row-level security enforces the same
  rule a second time).
- **record, update, commit, withdraw**: the contributing organisation only, with
  ``contributions:write`` (FORBIDDEN for other organisations that can see the
  contribution, NOT_FOUND for those that cannot). Updates stop once a contribution is
  DELIVERED or WITHDRAWN.
- **confirm delivery**: the organisation that manages what is received (see
  :func:`confirm_delivery`), never the contributor itself.

State errors are ``BadInput``; ``Conflict`` is kept for a stale ``version`` and for an
idempotency key reused with a different input.
"""

from portal.contributions.money import (
    AMOUNT_LIMIT,
    CENT,
    CURRENCY_PATTERN,
    ISO_4217_CURRENCIES,
    QUANTITY_LIMIT,
    QUANTITY_STEP,
    ZERO_DECIMAL_CURRENCIES,
    Money,
    checked_amount,
    checked_currency,
    checked_money,
    checked_quantity,
)
from portal.contributions.queries import (
    UNVALUED_SORT_AMOUNT,
    ContributionFilter,
    Listing,
    alliance_contributions,
    get_contribution,
    require_read,
    require_write,
    visible_amounts,
)
from portal.contributions.rules import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    OPEN_STATUSES,
    UNIT_MAX,
    Changes,
    Draft,
    ValuationHiddenReason,
)
from portal.contributions.service import (
    commit_contribution,
    confirm_delivery,
    record_contribution,
    update_contribution,
    withdraw_contribution,
)
from portal.contributions.summaries import (
    QuantityDimension,
    QuantityTotals,
    SummaryDimension,
    ValuationTotals,
    quantity_summary,
    valuation_summary,
)
from portal.kernel.audience import Audience

__all__ = [
    "AMOUNT_LIMIT",
    "CENT",
    "CURRENCY_PATTERN",
    "DESCRIPTION_MAX",
    "ISO_4217_CURRENCIES",
    "NOTE_MAX",
    "OPEN_STATUSES",
    "QUANTITY_LIMIT",
    "QUANTITY_STEP",
    "UNIT_MAX",
    "UNVALUED_SORT_AMOUNT",
    "ZERO_DECIMAL_CURRENCIES",
    "Audience",
    "Changes",
    "ContributionFilter",
    "Draft",
    "Listing",
    "Money",
    "QuantityDimension",
    "QuantityTotals",
    "SummaryDimension",
    "ValuationHiddenReason",
    "ValuationTotals",
    "alliance_contributions",
    "checked_amount",
    "checked_currency",
    "checked_money",
    "checked_quantity",
    "commit_contribution",
    "confirm_delivery",
    "get_contribution",
    "quantity_summary",
    "record_contribution",
    "require_read",
    "require_write",
    "update_contribution",
    "valuation_summary",
    "visible_amounts",
    "withdraw_contribution",
]
