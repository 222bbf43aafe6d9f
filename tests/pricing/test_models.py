from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from pricing import BiRequest, CreditRequest, Quote, QuoteRequest, quote
from tests.pricing.conftest import credit_request


def _errors(payload: dict[str, object]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        QuoteRequest.model_validate(payload)
    return [".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in info.value.errors()]


def test_unknown_sector_is_refused_with_the_known_keys() -> None:
    errors = _errors({"sector": "piraterij", "turnover_eur": 1000, "bi": {"gross_profit_eur": 1}})
    assert "unknown sector 'piraterij'" in errors[0] and "bouw" in errors[0]


def test_variable_costs_above_turnover_is_an_error_not_a_warning() -> None:
    errors = _errors({"sector": "bouw", "turnover_eur": 100_000,
                      "bi": {"variable_costs_eur": 150_000}})
    assert "higher than turnover_eur" in errors[0]


def test_a_product_block_is_required() -> None:
    assert "at least one product" in _errors({"sector": "bouw", "turnover_eur": 5})[0]


@pytest.mark.parametrize(
    ("credit", "field"),
    [
        ({"credit_share_pct": 0, "debtor_count": 5, "top5_share_pct": 50}, "credit_share_pct"),
        ({"credit_share_pct": 50, "debtor_count": 0, "top5_share_pct": 50}, "debtor_count"),
        ({"credit_share_pct": 50, "debtor_count": 5, "top5_share_pct": 101}, "top5_share_pct"),
        ({"credit_share_pct": 50, "debtor_count": 5, "top5_share_pct": 50,
          "indemnity_pct": 95}, "indemnity_pct"),
        ({"credit_share_pct": 50, "debtor_count": 5, "top5_share_pct": 50,
          "surprise": 1}, "surprise"),
    ],
)
def test_field_errors_name_the_field(credit: dict[str, object], field: str) -> None:
    errors = _errors({"sector": "bouw", "turnover_eur": 100_000, "credit": credit})
    assert any(field in e for e in errors), errors


def test_bi_needs_a_basis_and_takes_only_the_offered_periods() -> None:
    with pytest.raises(ValidationError):
        BiRequest()
    with pytest.raises(ValidationError):
        BiRequest(gross_profit_eur=Decimal(1), indemnity_period_weeks=40)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        BiRequest(gross_profit_eur=Decimal(1), waiting_period_hours=36)  # type: ignore[arg-type]


def test_json_carries_euros_as_numbers_and_round_trips() -> None:
    q = quote(credit_request(1_000_000))
    data = json.loads(q.model_dump_json())
    assert isinstance(data["credit"]["premium_low_eur"], int)
    assert isinstance(data["credit"]["rate_low_pct"], float)
    again = Quote.model_validate(data)
    assert again.credit is not None and q.credit is not None
    assert again.credit.premium_low_eur == q.credit.premium_low_eur
    assert isinstance(again.credit.premium_low_eur, Decimal)


def test_requests_are_decimal_inside_even_from_json_floats() -> None:
    r = QuoteRequest.model_validate_json(
        '{"sector": "ict", "turnover_eur": 1250000.5, "credit": {"credit_share_pct": 12.5,'
        ' "debtor_count": 3, "top5_share_pct": 100}}'
    )
    assert r.turnover_eur == Decimal("1250000.5")
    assert isinstance(r.credit, CreditRequest)
    assert r.credit.credit_share_pct == Decimal("12.5")
