"""Absurd amounts are refused with a field error, never a crash inside the pricing.

A request is either a ValidationError naming the field or a Quote: 5e-324, 1e400, -0, NaN,
Infinity and 40-digit numbers, sent as JSON numbers or strings, in any amount or percentage.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pricing import Quote, QuoteRequest, quote
from pricing.models import MAX_EUR

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quote-request.json"

Field = tuple[str, ...]
AMOUNTS: list[Field] = [("turnover_eur",), ("credit", "largest_exposure_eur"),
                        ("credit", "bad_debt_3y_eur"), ("bi", "variable_costs_eur"),
                        ("bi", "gross_profit_eur")]
SHARES: list[Field] = [("credit", "credit_share_pct"), ("credit", "top5_share_pct"),
                       ("credit", "export_share_pct"), ("credit", "indemnity_pct")]
FORTY_DIGITS = "1" + "0" * 39
ABSURD = ["5e-324", "1e400", "-1e400", "NaN", "Infinity", "-Infinity", FORTY_DIGITS,
          "-" + FORTY_DIGITS, '"1E+999999999"', '"1E-999999999"', '"' + FORTY_DIGITS + '"',
          "-0.01", "1e-30"]


def _request_text(path: tuple[str, ...], raw: str, *, drop: tuple[str, ...] = ()) -> str:
    """The example request with one value replaced by `raw`, written into the JSON as is."""
    data: dict[str, Any] = json.loads(EXAMPLE.read_text())
    if path[0] == "bi" and path[-1] == "gross_profit_eur":
        data["bi"].pop("variable_costs_eur")
    for block in drop:
        data.pop(block)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = "@@"
    return json.dumps(data).replace('"@@"', raw)


def _priced_or_refused(text: str, field: tuple[str, ...]) -> Quote | None:
    try:
        request = QuoteRequest.model_validate_json(text)
    except ValidationError as error:
        where = {tuple(str(p) for p in e["loc"]) for e in error.errors()}
        assert field in where or () in where, (field, error)
        return None
    return quote(request)


@pytest.mark.parametrize("raw", ABSURD)
@pytest.mark.parametrize("field", AMOUNTS + SHARES, ids=".".join)
def test_an_absurd_number_is_refused_or_priced_never_a_crash(field: tuple[str, ...],
                                                             raw: str) -> None:
    for drop in ((), ("bi",), ("credit",)):
        if field[0] in drop:
            continue
        _priced_or_refused(_request_text(field, raw, drop=drop), field)


@pytest.mark.parametrize("raw", ["5e-324", "1e-30", "0.004", "-0", "0", "1e400", "NaN",
                                 "Infinity", FORTY_DIGITS, "100000000000.01"])
def test_a_turnover_that_is_not_a_sane_positive_amount_is_a_field_error(raw: str) -> None:
    # Credit only: this used to raise decimal.InvalidOperation in _pct (5e-324, 1e-30).
    with pytest.raises(ValidationError) as info:
        QuoteRequest.model_validate_json(_request_text(("turnover_eur",), raw, drop=("bi",)))
    assert [e["loc"] for e in info.value.errors()] == [("turnover_eur",)]


@pytest.mark.parametrize("raw", ["5e-324", "1e-30", '"0.0000000000000000000000001"', "0.004"])
def test_a_credit_share_that_rounds_to_nothing_is_a_field_error(raw: str) -> None:
    # Used to raise decimal.InvalidOperation: a premium over a next-to-zero insured turnover.
    with pytest.raises(ValidationError) as info:
        QuoteRequest.model_validate_json(_request_text(("credit", "credit_share_pct"), raw))
    assert [e["loc"] for e in info.value.errors()] == [("credit", "credit_share_pct")]


def test_a_bad_debt_beyond_any_business_is_a_field_error() -> None:
    # "1E+999999999" used to raise decimal.Overflow.
    for raw in ['"1E+999999999"', FORTY_DIGITS, str(MAX_EUR + 1)]:
        with pytest.raises(ValidationError) as info:
            QuoteRequest.model_validate_json(_request_text(("credit", "bad_debt_3y_eur"), raw))
        assert [e["loc"] for e in info.value.errors()] == [("credit", "bad_debt_3y_eur")]


def test_amounts_are_rounded_to_cents_and_minus_zero_is_zero() -> None:
    request = QuoteRequest.model_validate_json(
        _request_text(("credit", "largest_exposure_eur"), "60000.005"))
    assert request.credit is not None
    assert request.credit.largest_exposure_eur == Decimal("60000.01")
    request = QuoteRequest.model_validate_json(
        _request_text(("credit", "bad_debt_3y_eur"), "-0"))
    assert request.credit is not None
    assert str(request.credit.bad_debt_3y_eur) == "0"
    request = QuoteRequest.model_validate_json(
        _request_text(("credit", "largest_exposure_eur"), "5e-324"))
    assert request.credit is not None and request.credit.largest_exposure_eur == 0
    request = QuoteRequest.model_validate_json(_request_text(("turnover_eur",), "1000000.00"))
    assert str(request.turnover_eur) == "1000000"


def test_the_bounds_are_in_the_json_schema() -> None:
    schema = QuoteRequest.model_json_schema(mode="validation")
    turnover = schema["properties"]["turnover_eur"]
    numeric = next(s for s in turnover["anyOf"] if s.get("type") == "number")
    assert numeric["minimum"] == 0.01 and numeric["maximum"] == 1e11


# Every value a JSON number or a numeric string can hold, the extremes weighted up.
_numbers = st.one_of(
    st.sampled_from(["0", "-0", "0.01", "0.005", "0.004", "5e-324", "1e-30", "1e11", "1e12",
                     "999999999999.995", "1e400", "NaN", "Infinity", FORTY_DIGITS]),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(min_value=-10**45, max_value=10**45).map(str),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(AMOUNTS[:4] + SHARES), _numbers),
                min_size=1, max_size=4))
def test_any_numbers_in_any_fields_are_refused_or_priced(
        changes: list[tuple[tuple[str, ...], str]]) -> None:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text())
    for path, _raw in changes:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = f"@{'.'.join(path)}@"
    text = json.dumps(data)
    for path, raw in changes:
        text = text.replace(f'"@{".".join(path)}@"', raw)
    try:
        request = QuoteRequest.model_validate_json(text)
    except ValidationError:
        return
    result = quote(request)
    assert result.credit is not None and result.credit.premium_low_eur >= 0
    json.loads(result.model_dump_json())
