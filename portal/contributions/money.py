"""Money and quantities: exact amounts, ISO 4217 currencies and their minor units."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from portal.kernel.errors import BadInput

CENT = Decimal("0.01")
AMOUNT_LIMIT = Decimal(10) ** 16
"""Valuations are stored as NUMERIC(18, 2): below 10^16 with two decimals."""
QUANTITY_STEP = Decimal("0.001")
QUANTITY_LIMIT = Decimal(10) ** 11
"""Quantities are stored as NUMERIC(14, 3): below 10^11 with three decimals."""
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


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in an ISO 4217 currency."""

    amount: Decimal
    currency: str


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
