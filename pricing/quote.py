"""The premium indication: pure functions from a QuoteRequest to a Quote.

Money stays Decimal throughout and is rounded once, at the end, to whole euros. Texts in the
quote (factors, reasons, warnings, disclaimer) are English message ids marked with N_; the caller
translates them with the Dutch catalog, so this package knows no locale.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from itertools import pairwise
from typing import Literal

from pricing.models import (
    BiQuote,
    BiRequest,
    CreditQuote,
    CreditRequest,
    Factor,
    Offer,
    Quote,
    QuoteRequest,
    QuoteWarning,
)
from pricing.sectors import SECTORS
from pricing.tariffs import CreditTariff, Product, Step, bi_tariff, credit_tariff

__all__ = [
    "DISCLAIMER", "N_", "gross_profit", "quote", "quote_bi", "quote_credit", "tariff_version",
]


def N_(message: str) -> str:
    """Mark a message id for the catalog without translating it here."""
    return message


DISCLAIMER = N_(
    "This is an indication, not advice and not an offer. The insurer sets the final premium "
    "after assessing your application."
)

_HUNDRED = Decimal(100)
_THOUSAND = Decimal(1000)
_EURO = Decimal(1)
_CENT = Decimal("0.01")
_THREE = Decimal(3)
_NINETY = Decimal(90)

Direction = Literal["up", "down", "neutral"]


def _factor(code: str, direction: Direction, text: str) -> Factor:
    return Factor.model_construct(code=code, direction=direction, text=text)


_SECTOR_FACTORS = {
    1: _factor("sector", "down", N_("Your sector has fewer bankruptcies than average.")),
    2: _factor("sector", "neutral", N_("Your sector has an average risk.")),
    3: _factor(
        "sector", "up",
        N_("Your sector, like construction and transport, has more bankruptcies than average."),
    ),
}
_F_FEW_DEBTORS = _factor(
    "debtors", "up", N_("Few customers: one customer that does not pay hits harder.")
)
_F_MANY_DEBTORS = _factor("debtors", "down", N_("Many customers: your risk is well spread."))
_F_SPREAD_LOW = _factor(
    "concentration", "down", N_("Your five largest customers make up a modest share of turnover.")
)
_F_SPREAD_HIGH = _factor(
    "concentration", "up", N_("A large share of turnover sits with your five largest customers.")
)
_F_LONG_TERM = _factor(
    "payment_term", "up", N_("A longer payment term means more money outstanding at a time.")
)
_F_EXPORT = _factor(
    "export", "up", N_("Customers abroad are harder to assess and to collect from.")
)
_F_CLEAN = _factor("history", "down", N_("No bad debts in the last three years."))
_F_LOSSES = _factor("history", "up", N_("Bad debts in the last three years raise the premium."))
_F_COVER_LOWER = _factor(
    "indemnity", "down", N_("A lower cover percentage than 90% lowers the premium.")
)
_F_COVER_USUAL = _factor(
    "indemnity", "neutral", N_("Priced at the usual cover of 90% of a bad debt.")
)
_F_SIZE = _factor(
    "size", "down", N_("A larger insured turnover gets a lower rate per euro.")
)
_F_MINIMUM = _factor(
    "minimum_premium", "up",
    N_("At this turnover the insurers' minimum premium applies."),
)
_F_PERIOD_SHORT = _factor(
    "indemnity_period", "down", N_("A shorter indemnity period lowers the premium.")
)
_F_PERIOD_LONG = _factor(
    "indemnity_period", "up", N_("A longer indemnity period raises the premium.")
)
_F_WAIT_LONG = _factor(
    "waiting_period", "down", N_("A longer waiting period lowers the premium.")
)
_F_EXTRA_COSTS = _factor(
    "extra_costs", "up", N_("Extra costs to keep working are insured as well.")
)
_F_LOCATIONS = _factor(
    "locations", "down", N_("Several locations: one calamity rarely stops the whole business.")
)

_W_LOW_MARGIN = QuoteWarning.model_construct(
    code="low_gross_profit",
    text=N_(
        "The gross profit is low compared with your turnover. Check that all fixed costs "
        "(rent, salaries, lease) are included, or you may be under-insured."
    ),
)
_W_NO_VARIABLE = QuoteWarning.model_construct(
    code="no_variable_costs",
    text=N_(
        "You have no variable costs, so the insured sum equals your turnover. Check whether "
        "purchasing or materials should be deducted."
    ),
)

_REASON_OK = N_("Fits your turnover and customer profile.")
_PRODUCT_NOTES = {
    "mkbZeker": N_("Simple policy with a fixed premium per quarter and 90% indemnity."),
    "Simplicity": N_("60% cover without credit limit requests; 90% as an option."),
    "EasyLiner": N_("Compact package for the smallest businesses."),
    "Modula": N_("Modular policy that can be tailored."),
    "TradeLiner": N_("Tailored policy, also for customers abroad."),
    "Export/single risk": N_("Covers only your customers abroad or a single customer."),
}
_REASON_TURNOVER_HIGH = N_("Your turnover is above this product's maximum.")
_REASON_TURNOVER_LOW = N_("This product is meant for larger businesses.")
_REASON_EXPORT_HIGH = N_("Too much of your turnover is abroad for this product.")
_REASON_EXPORT_LOW = N_("This product is meant for businesses that mainly export.")
_REASON_COVER = N_("This product does not offer the cover percentage you asked for.")


def tariff_version() -> str:
    """The version stamped on every quote and lead: both tariff files' versions."""
    return f"{credit_tariff().version}+{bi_tariff().version}"


def _step(steps: tuple[Step, ...], value: Decimal) -> Decimal:
    for step in steps:
        if step.up_to is None or value <= step.up_to:
            return step.value
    raise AssertionError("the last step has no upper bound")  # pragma: no cover


def _banded(insured: Decimal, bands: tuple[Step, ...]) -> Decimal:
    """Insured turnover weighted band by band, so a higher turnover never costs less."""
    total = Decimal(0)
    lower = Decimal(0)
    for band in bands:
        upper = insured if band.up_to is None else min(insured, band.up_to)
        if upper > lower:
            total += (upper - lower) * band.value
        if band.up_to is None or insured <= band.up_to:
            break
        lower = band.up_to
    return total


def _indemnity_factor(tariff: CreditTariff, pct: Decimal) -> Decimal:
    points = tariff.indemnity_points
    if pct <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in pairwise(points):
        if pct <= x1:
            return y0 + (y1 - y0) * (pct - x0) / (x1 - x0)
    return points[-1][1]


def _euros(value: Decimal) -> Decimal:
    return value.quantize(_EURO, rounding=ROUND_HALF_UP)


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * _HUNDRED / whole).quantize(_CENT, rounding=ROUND_HALF_UP)


def _ineligible(product: Product, turnover: Decimal, credit: CreditRequest) -> str | None:
    if product.max_turnover_eur is not None and turnover > product.max_turnover_eur:
        return _REASON_TURNOVER_HIGH
    if product.min_turnover_eur is not None and turnover < product.min_turnover_eur:
        return _REASON_TURNOVER_LOW
    if product.max_export_pct is not None and credit.export_share_pct > product.max_export_pct:
        return _REASON_EXPORT_HIGH
    if product.min_export_pct is not None and credit.export_share_pct < product.min_export_pct:
        return _REASON_EXPORT_LOW
    cover = credit.indemnity_pct if credit.indemnity_pct is not None else _NINETY
    if product.max_indemnity_pct is not None and cover > product.max_indemnity_pct:
        return _REASON_COVER
    return None


@cache
def _ineligible_offer(product: Product, reason: str) -> Offer:
    # The same for every quote that product does not fit, so built once: it halves the cost.
    return Offer(
        insurer=product.insurer, product=product.product, eligible=False, reason=reason,
        minimum_premium_eur=product.minimum_premium_eur,
    )


def quote_credit(sector: str, turnover: Decimal, credit: CreditRequest) -> CreditQuote:
    """Credit-insurance indication: a premium range, what moved it, and each insurer product."""
    tariff = credit_tariff()
    risk_class = SECTORS[sector].risk_class
    insured = turnover * credit.credit_share_pct / _HUNDRED
    cover = credit.indemnity_pct if credit.indemnity_pct is not None else _NINETY

    factors: list[Factor] = [_SECTOR_FACTORS[risk_class]]
    debtor = _step(tariff.debtor_steps, Decimal(credit.debtor_count))
    if debtor > 1:
        factors.append(_F_FEW_DEBTORS)
    elif debtor < 1:
        factors.append(_F_MANY_DEBTORS)
    concentration = _step(tariff.concentration_steps, credit.top5_share_pct)
    if concentration > 1:
        factors.append(_F_SPREAD_HIGH)
    elif concentration < 1:
        factors.append(_F_SPREAD_LOW)
    term = _step(tariff.payment_term_steps, Decimal(credit.payment_term_days))
    if term > 1:
        factors.append(_F_LONG_TERM)
    export = _step(tariff.export_steps, credit.export_share_pct)
    if export > 1:
        factors.append(_F_EXPORT)
    if credit.bad_debt_3y_eur == 0:
        history = tariff.clean_history_factor
        factors.append(_F_CLEAN)
    else:
        history = Decimal(1)
        factors.append(_F_LOSSES)
    indemnity = _indemnity_factor(tariff, cover)
    factors.append(_F_COVER_LOWER if cover < _NINETY else _F_COVER_USUAL)

    banded = _banded(insured, tariff.size_bands)
    if banded < insured:
        factors.append(_F_SIZE)
    premium = banded * tariff.base_rate_pct[risk_class] / _HUNDRED
    premium *= debtor * concentration * term * export * history * indemnity
    # Past losses add part of the insured yearly loss: a loading in euros, not a rate.
    premium += credit.bad_debt_3y_eur / _THREE * cover / _HUNDRED * tariff.loss_loading
    central = min(
        max(premium, insured * tariff.central_min_pct / _HUNDRED),
        insured * tariff.central_max_pct / _HUNDRED,
    )

    offers: list[Offer] = []
    minimums: list[Decimal] = []
    for product in tariff.products:
        minimum = product.minimum_premium_eur
        reason = _ineligible(product, turnover, credit)
        if reason is not None:
            offers.append(_ineligible_offer(product, reason))
            continue
        minimums.append(minimum)
        base = central * product.price_factor
        if product.export_only:
            base = base * credit.export_share_pct / _HUNDRED
        offers.append(Offer(
            insurer=product.insurer, product=product.product, eligible=True,
            reason=_PRODUCT_NOTES.get(product.product, _REASON_OK),
            minimum_premium_eur=minimum,
            premium_low_eur=_euros(max(minimum, base * tariff.low_multiplier)),
            premium_high_eur=_euros(max(minimum, base * tariff.high_multiplier)),
        ))

    floor = min(minimums) if minimums else max(p.minimum_premium_eur for p in tariff.products)
    low_raw = central * tariff.low_multiplier
    minimum_applies = low_raw < floor
    if minimum_applies:
        factors.append(_F_MINIMUM)
    low = _euros(max(floor, low_raw))
    high = _euros(max(floor, central * tariff.high_multiplier))
    return CreditQuote(
        insured_turnover_eur=_euros(insured),
        premium_low_eur=low,
        premium_high_eur=high,
        rate_low_pct=_pct(low, insured),
        rate_high_pct=_pct(high, insured),
        minimum_premium_applies=minimum_applies,
        factors=tuple(factors),
        offers=tuple(offers),
    )


def gross_profit(turnover: Decimal, bi: BiRequest) -> Decimal:
    """Insured sum for business interruption: gross profit = turnover - variable costs."""
    if bi.gross_profit_eur is not None:
        return bi.gross_profit_eur
    assert bi.variable_costs_eur is not None  # guaranteed by BiRequest's validator
    return turnover - bi.variable_costs_eur


def quote_bi(sector: str, turnover: Decimal, bi: BiRequest) -> BiQuote:
    """Business-interruption indication on the gross profit as insured sum."""
    tariff = bi_tariff()
    risk_class = SECTORS[sector].risk_class
    insured = gross_profit(turnover, bi)
    factors: list[Factor] = [_SECTOR_FACTORS[risk_class]]
    premium = insured * tariff.rate_per_mille[risk_class] / _THOUSAND
    period = tariff.indemnity_period_factor[bi.indemnity_period_weeks]
    if period < 1:
        factors.append(_F_PERIOD_SHORT)
    elif period > 1:
        factors.append(_F_PERIOD_LONG)
    waiting = tariff.waiting_period_factor[bi.waiting_period_hours]
    if waiting < 1:
        factors.append(_F_WAIT_LONG)
    premium *= period * waiting
    if bi.extra_costs:
        premium *= tariff.extra_costs_factor
        factors.append(_F_EXTRA_COSTS)
    if bi.locations > 1:
        premium *= tariff.multiple_locations_factor
        factors.append(_F_LOCATIONS)

    warnings: list[QuoteWarning] = []
    if insured == turnover:
        warnings.append(_W_NO_VARIABLE)
    elif insured * _HUNDRED < turnover * tariff.low_gross_margin_pct:
        warnings.append(_W_LOW_MARGIN)
    minimum = tariff.minimum_premium_eur
    return BiQuote(
        insured_sum_eur=_euros(insured),
        premium_low_eur=_euros(max(minimum, premium * tariff.low_multiplier)),
        premium_high_eur=_euros(max(minimum, premium * tariff.high_multiplier)),
        factors=tuple(factors),
        warnings=tuple(warnings),
    )


def quote(request: QuoteRequest) -> Quote:
    """The premium indication for a validated request: one block per product asked for."""
    return Quote(
        tariff_version=tariff_version(),
        disclaimer=DISCLAIMER,
        credit=None if request.credit is None
        else quote_credit(request.sector, request.turnover_eur, request.credit),
        bi=None if request.bi is None
        else quote_bi(request.sector, request.turnover_eur, request.bi),
    )
