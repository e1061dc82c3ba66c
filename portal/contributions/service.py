"""The contributions ledger: the domain rules (issue 4).

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

from __future__ import annotations

import datetime as dt
import enum
import re
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Numeric, Select, Subquery, case, func, literal, select

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import ContributionKind, ContributionStatus, MembershipRole, Visibility
from db.governance import Seat, VisibilityGrant
from db.models import Membership, Organisation
from db.portfolio import Contribution, ContributionStep, ContributionValuation, Plan
from db.session import LockedSession
from portal.committees import queries as governance
from portal.kernel.errors import BadInput, Forbidden, NotFound
from portal.kernel.idempotency import create_once

DESCRIPTION_MAX = 20_000
UNIT_MAX = 32
NOTE_MAX = 2_000
AUDIENCE_MAX = 100
"""Most organisations an ORGANISATIONS contribution may list."""

CENT = Decimal("0.01")
AMOUNT_LIMIT = Decimal(10) ** 16
"""Valuations are stored as NUMERIC(18, 2): below 10^16 with two decimals."""
QUANTITY_STEP = Decimal("0.001")
QUANTITY_LIMIT = Decimal(10) ** 11
"""Quantities are stored as NUMERIC(14, 3): below 10^11 with three decimals."""
UNVALUED_SORT_AMOUNT = Decimal(-1)
"""Sort key of a contribution without a valuation the reader may see: below every real
amount (amounts are never negative), so hidden and absent valuations sort alike, last."""

CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


ISO_4217_CURRENCIES = _codes(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD
    BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
    EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
    JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA
    MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK
    PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
    SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV
    WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """
)
"""ISO 4217 codes of the currencies in circulation. Fund codes (BOV, CHE, CLF, ...),
precious metals (XAU, ...), bond units, SDRs and the testing and no-currency codes (XTS,
XXX) are not currencies a contribution can be valued in and are refused, as are
withdrawn codes (HRK, ...)."""
ZERO_DECIMAL_CURRENCIES = _codes("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF")
"""Currencies without a minor unit: their amounts are whole numbers. (The three-decimal
currencies, BHD, KWD and the like, are kept to two decimals by the ledger's storage.)"""

OPEN_STATUSES = frozenset({ContributionStatus.PLEDGED, ContributionStatus.COMMITTED})
"""States in which a contribution can still change (be updated, move on, be withdrawn)."""


class ValuationHiddenReason(enum.StrEnum):
    """Why a contribution shows no valuation to the reader."""

    NOT_VALUED = "not_valued"
    """No valuation was recorded (said only to readers who would see one)."""
    CONFIDENTIAL = "confidential"
    """The reader is neither the contributor nor seated on the steering committee. Said
    whether or not a valuation exists, so not even its existence leaks."""


class SummaryDimension(enum.StrEnum):
    """What a valuation summary is grouped by (the currency always is)."""

    ORGANISATION = "organisation"
    KIND = "kind"
    CURRENCY = "currency"
    PLAN = "plan"


class QuantityDimension(enum.StrEnum):
    """What a quantity summary is grouped by besides kind, unit and status (always)."""

    ORGANISATION = "organisation"
    PLAN = "plan"


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in an ISO 4217 currency."""

    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may read a contribution besides its contributor: ``visibility``; for
    ``COMMITTEE`` the committee; for ``ORGANISATIONS`` the slugs of the member
    organisations listed."""

    visibility: Visibility = Visibility.ALLIANCE
    committee_id: uuid.UUID | None = None
    organisation_slugs: tuple[str, ...] = ()


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
    audience: Audience = Audience()


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


@dataclass(frozen=True, slots=True)
class ContributionFilter:
    """Which contributions of an alliance to list; ``None`` does not narrow. The currency
    and amount conditions match only valuations the reader may see."""

    organisation_id: uuid.UUID | None = None
    kinds: Sequence[ContributionKind] | None = None
    statuses: Sequence[ContributionStatus] | None = None
    plan_id: uuid.UUID | None = None
    currency: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """The contributions a reader may see, narrowed by a filter, and their amount sort key:
    the visible amount, or ``UNVALUED_SORT_AMOUNT`` when there is none to see."""

    query: Select[Any]
    sort_amount: ColumnElement[Decimal]


@dataclass(frozen=True, slots=True)
class ValuationTotals:
    """One row of a valuation summary; a dimension not grouped by is ``None``."""

    currency: str
    organisation_id: uuid.UUID | None
    kind: ContributionKind | None
    plan_id: uuid.UUID | None
    pledged: Decimal
    committed: Decimal
    delivered: Decimal
    withdrawn: Decimal
    valued_count: int


@dataclass(frozen=True, slots=True)
class QuantityTotals:
    """One row of a quantity summary; a dimension not grouped by is ``None``."""

    kind: ContributionKind
    unit: str
    status: ContributionStatus
    organisation_id: uuid.UUID | None
    plan_id: uuid.UUID | None
    count: int
    quantity: Decimal


def require_read(principal: Principal) -> None:
    policy.require_scope(principal, Scope.CONTRIBUTIONS_READ)


def require_write(principal: Principal) -> None:
    policy.require_scope(principal, Scope.CONTRIBUTIONS_WRITE)


# --- checking input -------------------------------------------------------------------------


def checked_currency(code: str, *, field: str) -> str:
    """An ISO 4217 code of a currency in circulation (three capital letters)."""
    if not CURRENCY_PATTERN.match(code):
        raise BadInput("a currency is an ISO 4217 code of three capital letters", field=field)
    if code not in ISO_4217_CURRENCIES:
        raise BadInput(f"{code!r} is not an ISO 4217 currency in circulation", field=field)
    return code


def checked_amount(amount: Decimal, *, field: str, currency: str | None = None) -> Decimal:
    """A finite, non-negative amount with at most two decimals (none for a currency
    without a minor unit), normalised to exactly two decimals."""
    if not amount.is_finite():
        raise BadInput("an amount is a finite decimal number", field=field)
    if amount < 0:
        raise BadInput("an amount cannot be negative", field=field)
    if amount >= AMOUNT_LIMIT:
        raise BadInput("an amount is below 10^16", field=field)
    if amount != amount.quantize(CENT):
        raise BadInput("an amount has at most two decimals", field=field)
    if currency in ZERO_DECIMAL_CURRENCIES and amount != amount.to_integral_value():
        raise BadInput(f"{currency} amounts are whole numbers", field=field)
    return amount.quantize(CENT).copy_abs()  # copy_abs: -0 is 0


def checked_money(money: Money, *, field: str = "valuation") -> Money:
    currency = checked_currency(money.currency, field=f"{field}.currency")
    amount = checked_amount(money.amount, field=f"{field}.amount", currency=currency)
    return Money(amount=amount, currency=currency)


def checked_quantity(quantity: Decimal) -> Decimal:
    """A positive quantity with at most three decimals, normalised to exactly three."""
    if not quantity.is_finite() or quantity <= 0:
        raise BadInput("a quantity is a positive number", field="quantity")
    if quantity >= QUANTITY_LIMIT:
        raise BadInput("a quantity is below 10^11", field="quantity")
    if quantity != quantity.quantize(QUANTITY_STEP):
        raise BadInput("a quantity has at most three decimals", field="quantity")
    return quantity.quantize(QUANTITY_STEP)


def _checked_text(value: str, field: str, *, limit: int, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise BadInput(f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise BadInput(f"{field} is limited to {limit} characters", field=field)
    return value


def _check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise BadInput("the period cannot end before it starts", field="periodEnd")


def _checked_draft(draft: Draft) -> Draft:
    """The draft with its plain fields checked and normalised (before anything is read)."""
    _check_period(draft.period_start, draft.period_end)
    return replace(
        draft,
        description=_checked_text(draft.description, "description", limit=DESCRIPTION_MAX),
        quantity=checked_quantity(draft.quantity),
        unit=_checked_text(draft.unit, "unit", limit=UNIT_MAX),
        valuation=checked_money(draft.valuation) if draft.valuation is not None else None,
        audience=replace(
            draft.audience,
            organisation_slugs=tuple(
                sorted({s.strip() for s in draft.audience.organisation_slugs if s.strip()})
            ),
        ),
    )


async def _checked_plan(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID, plan_id: uuid.UUID
) -> uuid.UUID:
    """A plan of the alliance the principal can see, or ``NotFound``/``BadInput``."""
    plan = await session.scalar(policy.visible_plans(principal).where(Plan.id == plan_id))
    if plan is None:
        raise NotFound("no such plan", field="plan")
    if plan.alliance_id != alliance_id:
        raise BadInput("the plan is one of another alliance", field="plan")
    return plan_id


async def _member_ids(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID, slugs: Sequence[str]
) -> list[uuid.UUID]:
    """The organisations named by ``slugs``, each a current member of the alliance. Unknown
    slugs and organisations outside the alliance are refused alike."""
    if not slugs:
        raise BadInput("ORGANISATIONS visibility lists at least one organisation", field="audience")
    if len(slugs) > AUDIENCE_MAX:
        raise BadInput(f"at most {AUDIENCE_MAX} organisations", field="audience")
    members = {
        membership.organisation_id
        for membership in await session.scalars(
            policy.visible_memberships(principal, include_former=False).where(
                Membership.alliance_id == alliance_id
            )
        )
    }
    found = {
        organisation.slug: organisation.id
        for organisation in await session.scalars(
            policy.visible_organisations(principal).where(Organisation.slug.in_(slugs))
        )
        if organisation.id in members
    }
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise BadInput(
            f"not a current member of the alliance: {', '.join(missing)}", field="audience"
        )
    return sorted(found.values())


async def _checked_audience(
    session: LockedSession, principal: Principal, alliance_id: uuid.UUID, audience: Audience
) -> tuple[uuid.UUID | None, list[uuid.UUID]]:
    """The committee and the listed organisations of a new contribution's audience."""
    if audience.visibility is not Visibility.COMMITTEE and audience.committee_id is not None:
        raise BadInput("only COMMITTEE visibility names a committee", field="visibilityCommittee")
    if audience.visibility is not Visibility.ORGANISATIONS and audience.organisation_slugs:
        raise BadInput("only ORGANISATIONS visibility lists organisations", field="audience")
    if audience.visibility is Visibility.COMMITTEE:
        if audience.committee_id is None:
            raise BadInput("COMMITTEE visibility names a committee", field="visibilityCommittee")
        committee = await governance.get_committee(
            session, principal, audience.committee_id, field="visibilityCommittee"
        )
        if committee.alliance_id != alliance_id:
            raise BadInput("the committee is one of another alliance", field="visibilityCommittee")
        return committee.id, []
    if audience.visibility is Visibility.ORGANISATIONS:
        listed = await _member_ids(session, principal, alliance_id, audience.organisation_slugs)
        return None, sorted({*listed, principal.organisation_id})
    return None, []


# --- reading --------------------------------------------------------------------------------


async def get_contribution(
    session: LockedSession,
    principal: Principal,
    contribution_id: uuid.UUID,
    *,
    for_update: bool = False,
    field: str = "contribution",
) -> Contribution:
    """A visible contribution, or ``NotFound`` (also when it exists but is hidden from the
    principal's organisation)."""
    query = policy.visible_contributions(principal).where(Contribution.id == contribution_id)
    if for_update:
        query = query.with_for_update()
    contribution = await session.scalar(query)
    if contribution is None:
        raise NotFound("no such contribution", field=field)
    return contribution


def visible_amounts(principal: Principal) -> Subquery:
    """``contribution_id``, ``amount`` and ``currency`` of the valuations the principal may
    see: the only source of amounts for filters, orderings and totals."""
    return (
        policy.visible_valuations(principal)
        .with_only_columns(
            ContributionValuation.contribution_id,
            ContributionValuation.amount,
            ContributionValuation.currency,
        )
        .subquery("visible_valuation")
    )


def _visible_plan_ids(principal: Principal) -> Select[Any]:
    return policy.visible_plans(principal).with_only_columns(Plan.id)


def alliance_contributions(
    principal: Principal, alliance_id: uuid.UUID, chosen: ContributionFilter
) -> Listing:
    """The contributions of an alliance the principal may see, narrowed by ``chosen``.

    Amounts come from a LEFT JOIN onto the principal's visible valuations: a contribution
    whose valuation is hidden (or absent) has no amount and no currency here, so it never
    matches a currency or amount condition, and its sort key is ``UNVALUED_SORT_AMOUNT``,
    exactly as if it had no valuation. A plan condition matches only a plan the principal
    can see."""
    require_read(principal)
    amounts = visible_amounts(principal)
    query = (
        policy.visible_contributions(principal)
        .outerjoin(amounts, amounts.c.contribution_id == Contribution.id)
        .where(Contribution.alliance_id == alliance_id)
    )
    if chosen.organisation_id is not None:
        query = query.where(Contribution.organisation_id == chosen.organisation_id)
    if chosen.kinds:
        query = query.where(Contribution.kind.in_(chosen.kinds))
    if chosen.statuses:
        query = query.where(Contribution.status.in_(chosen.statuses))
    if chosen.plan_id is not None:
        query = query.where(
            Contribution.plan_id == chosen.plan_id,
            Contribution.plan_id.in_(_visible_plan_ids(principal)),
        )
    if chosen.currency is not None:
        currency = checked_currency(chosen.currency, field="currency")
        query = query.where(amounts.c.currency == currency)
    if chosen.min_amount is not None:
        minimum = _amount_bound(chosen.min_amount, "minAmount")
        query = query.where(amounts.c.amount >= minimum)
    if chosen.max_amount is not None:
        maximum = _amount_bound(chosen.max_amount, "maxAmount")
        query = query.where(amounts.c.amount <= maximum)
    unvalued = literal(UNVALUED_SORT_AMOUNT, Numeric(18, 2))
    return Listing(query=query, sort_amount=func.coalesce(amounts.c.amount, unvalued))


def _amount_bound(value: Decimal, field: str) -> Decimal:
    if not value.is_finite():
        raise BadInput("an amount is a finite decimal number", field=field)
    return value


def _audience_columns(principal: Principal, alliance_id: uuid.UUID) -> Subquery:
    """The alliance's visible contributions with the plan shown only when the principal
    can see it (a plan it cannot see reads as no plan)."""
    visible_plan = case(
        (Contribution.plan_id.in_(_visible_plan_ids(principal)), Contribution.plan_id),
        else_=None,
    ).label("plan_id")
    return (
        policy.visible_contributions(principal)
        .where(Contribution.alliance_id == alliance_id)
        .with_only_columns(
            Contribution.id,
            Contribution.organisation_id,
            Contribution.kind,
            Contribution.status,
            Contribution.unit,
            Contribution.quantity,
            visible_plan,
        )
        .subquery("contribution")
    )


async def valuation_summary(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    group_by: Collection[SummaryDimension],
) -> list[ValuationTotals]:
    """Totals of the valuations the principal may see, per currency and the dimensions in
    ``group_by``, with one amount per status. One SQL statement: a GROUP BY over the
    principal's visible valuations joined to its visible contributions.

    Amounts of different currencies are never added: the currency is always a grouping
    key. A hidden valuation is left out entirely: it adds nothing to any total and is not
    counted in ``valued_count``, so no total or count lets a reader subtract its way to an
    amount it may not see."""
    require_read(principal)
    contributions = _audience_columns(principal, alliance_id)
    valuations = policy.visible_valuations(principal).subquery("valuation")
    keys: dict[SummaryDimension, ColumnElement[Any]] = {
        SummaryDimension.ORGANISATION: contributions.c.organisation_id,
        SummaryDimension.KIND: contributions.c.kind,
        SummaryDimension.PLAN: contributions.c.plan_id,
    }
    grouped = [keys[dimension] for dimension in keys if dimension in group_by]
    status = contributions.c.status

    def total(wanted: ContributionStatus) -> ColumnElement[Decimal | None]:
        return func.sum(valuations.c.amount).filter(status == wanted)

    statement = (
        select(
            valuations.c.currency,
            *grouped,
            total(ContributionStatus.PLEDGED),
            total(ContributionStatus.COMMITTED),
            total(ContributionStatus.DELIVERED),
            total(ContributionStatus.WITHDRAWN),
            func.count(),
        )
        .select_from(
            contributions.join(valuations, valuations.c.contribution_id == contributions.c.id)
        )
        .group_by(valuations.c.currency, *grouped)
        .order_by(valuations.c.currency, *(column.asc().nulls_first() for column in grouped))
    )
    rows = (await session.execute(statement)).all()
    results = []
    for row in rows:
        currency, *rest = row
        found = dict(zip((d for d in keys if d in group_by), rest[: len(grouped)], strict=True))
        pledged, committed, delivered, withdrawn, count = rest[len(grouped) :]
        results.append(
            ValuationTotals(
                currency=currency,
                organisation_id=found.get(SummaryDimension.ORGANISATION),
                kind=found.get(SummaryDimension.KIND),
                plan_id=found.get(SummaryDimension.PLAN),
                pledged=_cents(pledged),
                committed=_cents(committed),
                delivered=_cents(delivered),
                withdrawn=_cents(withdrawn),
                valued_count=count,
            )
        )
    return results


def _cents(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)).quantize(CENT)


async def quantity_summary(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    group_by: Collection[QuantityDimension],
) -> list[QuantityTotals]:
    """How many contributions the principal may see and their total quantity, per kind,
    unit and status (quantities of different units are never added) and the dimensions in
    ``group_by``. Needs no valuation and reveals none. One SQL statement."""
    require_read(principal)
    contributions = _audience_columns(principal, alliance_id)
    keys: dict[QuantityDimension, ColumnElement[Any]] = {
        QuantityDimension.ORGANISATION: contributions.c.organisation_id,
        QuantityDimension.PLAN: contributions.c.plan_id,
    }
    grouped = [keys[dimension] for dimension in keys if dimension in group_by]
    always = [contributions.c.kind, contributions.c.unit, contributions.c.status]
    statement = (
        select(*always, *grouped, func.count(), func.sum(contributions.c.quantity))
        .group_by(*always, *grouped)
        .order_by(*always, *(column.asc().nulls_first() for column in grouped))
    )
    results = []
    for row in (await session.execute(statement)).all():
        kind, unit, status, *rest = row
        found = dict(zip((d for d in keys if d in group_by), rest[: len(grouped)], strict=True))
        count, quantity = rest[len(grouped) :]
        results.append(
            QuantityTotals(
                kind=kind,
                unit=unit,
                status=status,
                organisation_id=found.get(QuantityDimension.ORGANISATION),
                plan_id=found.get(QuantityDimension.PLAN),
                count=count,
                quantity=Decimal(quantity).quantize(QUANTITY_STEP),
            )
        )
    return results


# --- changing -------------------------------------------------------------------------------


def _step(
    principal: Principal,
    contribution: Contribution,
    status: ContributionStatus,
    *,
    note: str,
    now: dt.datetime,
) -> ContributionStep:
    return ContributionStep(
        id=uuid.uuid4(),
        alliance_id=contribution.alliance_id,
        contribution_id=contribution.id,
        status=status,
        organisation_id=principal.organisation_id,
        user_id=principal.user_id,
        note=note,
        at=now,
    )


def _fingerprint(alliance_id: uuid.UUID, draft: Draft) -> dict[str, Any]:
    """The input of a recordContribution, for recognising a replay (already normalised:
    "0.1" and "0.10" are the same amount)."""
    return {
        "alliance": str(alliance_id),
        "kind": draft.kind.value,
        "description": draft.description,
        "quantity": str(draft.quantity),
        "unit": draft.unit,
        "periodStart": draft.period_start.isoformat(),
        "periodEnd": draft.period_end.isoformat(),
        "plan": str(draft.plan_id) if draft.plan_id else None,
        "valuation": (
            [str(draft.valuation.amount), draft.valuation.currency] if draft.valuation else None
        ),
        "visibility": draft.audience.visibility.value,
        "visibilityCommittee": (
            str(draft.audience.committee_id) if draft.audience.committee_id else None
        ),
        "audience": list(draft.audience.organisation_slugs),
    }


async def record_contribution(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    draft: Draft,
    *,
    idempotency_key: str | None = None,
    now: dt.datetime,
) -> Contribution:
    """Record a contribution of the principal's own organisation, PLEDGED, with its first
    step.

    Any current member organisation may, with contributions:write; it becomes the
    contributor. A plan must be one of the alliance's that the organisation can see. The
    optional valuation is stored apart, under the confidentiality rule. With an
    ``idempotency_key``, a replay returns the first contribution and the same key with a
    different input is refused (CONFLICT)."""
    require_write(principal)
    draft = _checked_draft(draft)

    async def create() -> Contribution:
        return await _record(session, principal, alliance_id, draft, now=now)

    async def load(contribution_id: uuid.UUID) -> Contribution:
        return await get_contribution(session, principal, contribution_id)

    return await create_once(
        session,
        principal,
        operation="recordContribution",
        key=idempotency_key,
        payload=_fingerprint(alliance_id, draft),
        create=create,
        load=load,
    )


async def _record(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    draft: Draft,
    *,
    now: dt.datetime,
) -> Contribution:
    if await session.scalar(policy.own_membership(principal, alliance_id)) is None:
        raise NotFound("no such alliance", field="alliance")
    plan_id = (
        await _checked_plan(session, principal, alliance_id, draft.plan_id)
        if draft.plan_id is not None
        else None
    )
    committee_id, granted = await _checked_audience(session, principal, alliance_id, draft.audience)
    contribution = Contribution(
        id=uuid.uuid4(),
        alliance_id=alliance_id,
        organisation_id=principal.organisation_id,
        plan_id=plan_id,
        kind=draft.kind,
        description=draft.description,
        quantity=draft.quantity,
        unit=draft.unit,
        period_start=draft.period_start,
        period_end=draft.period_end,
        status=ContributionStatus.PLEDGED,
        visibility=draft.audience.visibility,
        visibility_committee_id=committee_id,
        version=1,
        created_at=now,
    )
    session.add(contribution)
    await session.flush()  # the contribution exists before what refers to it
    if draft.valuation is not None:
        session.add(_valuation(contribution, draft.valuation))
    session.add_all(
        VisibilityGrant(alliance_id=alliance_id, object_id=contribution.id, organisation_id=org)
        for org in granted
    )
    session.add(_step(principal, contribution, ContributionStatus.PLEDGED, note="", now=now))
    await session.flush()
    return contribution


def _valuation(contribution: Contribution, money: Money) -> ContributionValuation:
    return ContributionValuation(
        contribution_id=contribution.id,
        alliance_id=contribution.alliance_id,
        organisation_id=contribution.organisation_id,
        amount=money.amount,
        currency=money.currency,
    )


def _require_contributor(principal: Principal, contribution: Contribution, action: str) -> None:
    if contribution.organisation_id != principal.organisation_id:
        raise Forbidden(f"only the contributing organisation may {action}")


def _require_open(contribution: Contribution, action: str) -> None:
    if contribution.status not in OPEN_STATUSES:
        raise BadInput(
            f"the contribution is {contribution.status.value} and cannot be {action}",
            field="contribution",
        )


async def update_contribution(
    session: LockedSession,
    principal: Principal,
    contribution_id: uuid.UUID,
    *,
    expected_version: int,
    changes: Changes,
    now: dt.datetime,
) -> Contribution:
    """Change a PLEDGED or COMMITTED contribution, its valuation included.

    The contributing organisation only, with contributions:write (FORBIDDEN for other
    organisations that see it, NOT_FOUND for the others); ``expected_version`` must be
    current. A valuation can be set or corrected but not removed. Visibility is fixed when
    the contribution is recorded."""
    require_write(principal)
    contribution = await get_contribution(session, principal, contribution_id, for_update=True)
    _require_contributor(principal, contribution, "update it")
    _require_open(contribution, "updated")
    governance.check_version(contribution.version, expected_version, "contribution")

    if changes.kind is not None:
        contribution.kind = changes.kind
    if changes.description is not None:
        contribution.description = _checked_text(
            changes.description, "description", limit=DESCRIPTION_MAX
        )
    if changes.quantity is not None:
        contribution.quantity = checked_quantity(changes.quantity)
    if changes.unit is not None:
        contribution.unit = _checked_text(changes.unit, "unit", limit=UNIT_MAX)
    start = contribution.period_start if changes.period_start is None else changes.period_start
    end = contribution.period_end if changes.period_end is None else changes.period_end
    _check_period(start, end)
    contribution.period_start, contribution.period_end = start, end
    if changes.set_plan:
        contribution.plan_id = (
            await _checked_plan(session, principal, contribution.alliance_id, changes.plan_id)
            if changes.plan_id is not None
            else None
        )
    if changes.valuation is not None:
        money = checked_money(changes.valuation)
        current = await session.scalar(
            policy.visible_valuations(principal).where(
                ContributionValuation.contribution_id == contribution.id
            )
        )
        if current is None:
            session.add(_valuation(contribution, money))
        else:
            current.amount, current.currency = money.amount, money.currency
    contribution.version += 1
    await session.flush()
    return contribution


async def _transition(
    session: LockedSession,
    principal: Principal,
    contribution: Contribution,
    to: ContributionStatus,
    *,
    expected_version: int,
    allowed_from: Collection[ContributionStatus],
    note: str,
    now: dt.datetime,
) -> Contribution:
    if contribution.status not in allowed_from:
        names = " or ".join(sorted(status.value for status in allowed_from))
        raise BadInput(
            f"the contribution is {contribution.status.value}; only a {names} one can be "
            f"{to.value}",
            field="contribution",
        )
    governance.check_version(contribution.version, expected_version, "contribution")
    note = _checked_text(note, "note", limit=NOTE_MAX, required=False)
    contribution.status = to
    contribution.version += 1
    session.add(_step(principal, contribution, to, note=note, now=now))
    await session.flush()
    return contribution


async def commit_contribution(
    session: LockedSession,
    principal: Principal,
    contribution_id: uuid.UUID,
    *,
    expected_version: int,
    note: str = "",
    now: dt.datetime,
) -> Contribution:
    """PLEDGED → COMMITTED: the contributor binds itself to its pledge. The contributing
    organisation only, with contributions:write; ``expected_version`` must be current."""
    require_write(principal)
    contribution = await get_contribution(session, principal, contribution_id, for_update=True)
    _require_contributor(principal, contribution, "commit it")
    return await _transition(
        session,
        principal,
        contribution,
        ContributionStatus.COMMITTED,
        expected_version=expected_version,
        allowed_from={ContributionStatus.PLEDGED},
        note=note,
        now=now,
    )


async def withdraw_contribution(
    session: LockedSession,
    principal: Principal,
    contribution_id: uuid.UUID,
    *,
    expected_version: int,
    note: str = "",
    now: dt.datetime,
) -> Contribution:
    """PLEDGED or COMMITTED → WITHDRAWN (final). The contributing organisation only, with
    contributions:write; ``expected_version`` must be current."""
    require_write(principal)
    contribution = await get_contribution(session, principal, contribution_id, for_update=True)
    _require_contributor(principal, contribution, "withdraw it")
    return await _transition(
        session,
        principal,
        contribution,
        ContributionStatus.WITHDRAWN,
        expected_version=expected_version,
        allowed_from=OPEN_STATUSES,
        note=note,
        now=now,
    )


DELIVERY_RULE = (
    "Delivery is confirmed by the organisation that manages what is received: the owner "
    "organisation of the contribution's plan when it has one, otherwise the alliance's lead "
    "organisation. The contributor never confirms its own delivery: when the plan's owner "
    "is the contributor itself, the lead confirms (the plan must be visible to it), and when "
    "the lead is the contributor, any other organisation holding a seat on the steering "
    "committee confirms."
)


async def _may_confirm(
    session: LockedSession, principal: Principal, contribution: Contribution
) -> bool:
    """Whether the principal's organisation is the one that confirms ``contribution``'s
    delivery under :data:`DELIVERY_RULE` (it is known not to be the contributor)."""
    caller = principal.organisation_id
    if contribution.plan_id is not None:
        plan = await session.scalar(
            policy.visible_plans(principal).where(Plan.id == contribution.plan_id)
        )
        if plan is None:
            return False  # the caller does not own a plan it cannot see
        if plan.owner_organisation_id != contribution.organisation_id:
            return plan.owner_organisation_id == caller
    lead = await session.scalar(
        policy.visible_memberships(principal, include_former=False).where(
            Membership.alliance_id == contribution.alliance_id,
            Membership.role == MembershipRole.LEAD,
        )
    )
    if lead is not None and lead.organisation_id != contribution.organisation_id:
        return lead.organisation_id == caller
    steering = await session.scalar(
        policy.steering_alliance_ids(principal).where(Seat.alliance_id == contribution.alliance_id)
    )
    return steering is not None


async def confirm_delivery(
    session: LockedSession,
    principal: Principal,
    contribution_id: uuid.UUID,
    *,
    expected_version: int,
    note: str = "",
    now: dt.datetime,
) -> Contribution:
    """COMMITTED → DELIVERED, with a step naming the confirming organisation, user and
    time. Who confirms: see :data:`DELIVERY_RULE`; with contributions:write.
    ``expected_version`` must be current."""
    require_write(principal)
    contribution = await get_contribution(session, principal, contribution_id, for_update=True)
    if contribution.organisation_id == principal.organisation_id:
        raise Forbidden("the contributor cannot confirm its own delivery")
    if not await _may_confirm(session, principal, contribution):
        raise Forbidden(
            "only the organisation that receives the contribution confirms its delivery: the "
            "owner of its plan, or else the alliance's lead"
        )
    return await _transition(
        session,
        principal,
        contribution,
        ContributionStatus.DELIVERED,
        expected_version=expected_version,
        allowed_from={ContributionStatus.COMMITTED},
        note=note,
        now=now,
    )
