from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pricing import BiRequest, CreditRequest, QuoteRequest


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


@pytest.fixture
def make_credit():  # type: ignore[no-untyped-def]
    return credit_request


@pytest.fixture
def make_bi():  # type: ignore[no-untyped-def]
    return bi_request
