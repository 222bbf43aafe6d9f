"""Amounts as the prospect reads them: Dutch grouping, and the euro sign kept with its number."""

from __future__ import annotations

from decimal import Decimal

import pytest

from flows.i18n import NBSP, money
from flows.parsing import parse_amount


@pytest.mark.parametrize(("amount", "shown"), [
    (Decimal(12000), "€\u00a012.000"),
    (Decimal(0), "€\u00a00"),
    (Decimal("2500.5"), "€\u00a02.500,50"),
    (Decimal(1_250_000), "€\u00a01.250.000"),
    (Decimal(-2500), "-€\u00a02.500"),
])
def test_money_joins_the_sign_and_the_number_with_a_no_break_space(amount: Decimal,
                                                                    shown: str) -> None:
    assert money(amount) == shown
    assert NBSP == "\u00a0" and " " not in money(amount), "no ordinary space to wrap at"


@pytest.mark.parametrize("amount", [Decimal(0), Decimal(12000), Decimal("2500.5"),
                                    Decimal(1_250_000)])
def test_an_amount_copied_back_from_the_bot_reads_as_the_same_amount(amount: Decimal) -> None:
    assert parse_amount(money(amount)) == amount
