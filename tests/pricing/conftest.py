from __future__ import annotations

import dataclasses
import importlib
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from pricing import BiRequest, CreditQuote, CreditRequest, QuoteRequest, quote
from pricing.tariffs import credit_tariff

# `pricing.quote` is shadowed by the function of that name in pricing/__init__.py.
QUOTE_MODULE = importlib.import_module("pricing.quote")


def credit_request(
    turnover: int | Decimal, sector: str = "groothandel", **credit: Any
) -> QuoteRequest:
    """A 'mixed portfolio' profile (seed 000) unless a field says otherwise."""
    fields: dict[str, Any] = {
        "credit_share_pct": 100,
        "debtor_count": 30,
        "top5_share_pct": 40,
        "payment_term_days": 30,
        "export_share_pct": 0,
        "bad_debt_3y_eur": 2000,
    }
    fields.update(credit)
    return QuoteRequest(
        sector=sector, turnover_eur=Decimal(turnover), credit=CreditRequest(**fields)
    )


def bi_request(turnover: int | Decimal, sector: str = "groothandel", **bi: Any) -> QuoteRequest:
    fields: dict[str, Any] = {"variable_costs_eur": Decimal(turnover) / 2}
    fields.update(bi)
    return QuoteRequest(sector=sector, turnover_eur=Decimal(turnover), bi=BiRequest(**fields))


def applicable_minimum(request: QuoteRequest) -> Decimal:
    """The lowest minimum premium, read from the loaded tariff, of the products this fits.

    Eligibility is read from each product's limits in credit.toml, independently of the
    offers a quote lists, so a wrong offer or a wrong floor cannot hide behind the other.
    """
    credit = request.credit
    assert credit is not None
    turnover = request.turnover_eur
    cover = credit.indemnity_pct if credit.indemnity_pct is not None else Decimal(90)
    export = credit.export_share_pct

    def fits(product: Any) -> bool:
        return not (
            (product.max_turnover_eur is not None and turnover > product.max_turnover_eur)
            or (product.min_turnover_eur is not None and turnover < product.min_turnover_eur)
            or (product.max_export_pct is not None and export > product.max_export_pct)
            or (product.min_export_pct is not None and export < product.min_export_pct)
            or (product.max_indemnity_pct is not None and cover > product.max_indemnity_pct)
        )

    minimums = [p.minimum_premium_eur for p in credit_tariff().products if fits(p)]
    assert minimums, "the tariff has a product for every profile the seed figures use"
    return min(minimums)


def quote_without_minimums(request: QuoteRequest) -> CreditQuote:
    """The same request priced by the same code with every product's minimum premium at zero.

    This is the premium the tariff's rates alone give; comparing a real quote with it shows
    what the minimum premium did.
    """
    tariff = credit_tariff()
    free = dataclasses.replace(
        tariff,
        products=tuple(
            dataclasses.replace(p, minimum_premium_eur=Decimal(0)) for p in tariff.products
        ),
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(QUOTE_MODULE, "credit_tariff", lambda: free)
        result = quote(request).credit
    assert result is not None
    return result


def effective_rate_pct(premium: Decimal, insured: Decimal) -> Decimal:
    """Premium as % of insured turnover, to the cent of a percent as quotes carry it."""
    return (premium * 100 / insured).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture
def make_credit():  # type: ignore[no-untyped-def]
    return credit_request


@pytest.fixture
def make_bi():  # type: ignore[no-untyped-def]
    return bi_request
