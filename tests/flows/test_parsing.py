"""Tests for flows.parsing: examples per parser, error codes, and properties (hypothesis)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.parsing import (
    ParseError,
    Range,
    normalise,
    parse_amount,
    parse_count,
    parse_days,
    parse_email,
    parse_hours,
    parse_kvk,
    parse_percentage,
    parse_phone,
    parse_weeks,
    parse_yes_no,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ALL_PARSERS: list[Callable[[str], Any]] = [
    parse_amount,
    parse_percentage,
    parse_count,
    parse_days,
    parse_weeks,
    parse_hours,
    parse_yes_no,
    parse_phone,
    parse_email,
    parse_kvk,
]


def _code(parser: Callable[[str], Any], text: str) -> str:
    with pytest.raises(ParseError) as caught:
        parser(text)
    return caught.value.code


# --- ParseError and normalise -------------------------------------------------------------


def test_parse_error_carries_code_only() -> None:
    error = ParseError("amount.invalid")
    assert isinstance(error, ValueError)
    assert error.code == "amount.invalid"
    assert str(error) == "amount.invalid"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Ja!  ", "ja"),
        ("Nee...", "nee"),
        ("Zo’n   2\tMiljoen?", "zo'n 2 miljoen"),
        ("１２３", "123"),
        ("1.250.000,-", "1.250.000,-"),
        ("", ""),
        ("?!.", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == expected


# --- amounts -------------------------------------------------------------------------------

AMOUNTS = [
    ("1.250.000", "1250000"),
    ("1.250.000,-", "1250000"),
    ("€ 1.250.000,00", "1250000"),
    ("EUR 1.250.000", "1250000"),
    ("1 250 000", "1250000"),
    ("1,25 mln", "1250000"),
    ("1,25 miljoen", "1250000"),
    ("1.5 mln", "1500000"),
    ("1.5m", "1500000"),
    ("1,5 miljoen", "1500000"),
    ("anderhalf miljoen", "1500000"),
    ("een half miljoen", "500000"),
    ("half miljoen", "500000"),
    ("3 ton", "300000"),
    ("drie ton", "300000"),
    ("2,5 ton", "250000"),
    ("een halve ton", "50000"),
    ("500k", "500000"),
    ("500K", "500000"),
    ("twee miljoen", "2000000"),
    ("1 miljoen", "1000000"),
    ("een miljoen", "1000000"),
    ("één miljoen", "1000000"),
    ("miljoen", "1000000"),
    ("1,2 mio", "1200000"),
    ("€300.000", "300000"),
    ("300000", "300000"),
    ("300.000 euro", "300000"),
    ("300.000 euro per jaar", "300000"),
    ("ongeveer 3 ton", "300000"),
    ("zo'n 2 miljoen", "2000000"),
    ("zo’n 2 miljoen", "2000000"),
    ("circa 450.000", "450000"),
    ("ca. 450k", "450000"),
    ("ruim 1 miljoen", "1000000"),
    ("bijna 2 miljoen", "2000000"),
    ("1500", "1500"),
    ("1.500", "1500"),
    ("2,5", "2.50"),
    ("250.000,50", "250000.50"),
    ("0", "0"),
    ("geen", "0"),
    ("nul", "0"),
    ("vijftigduizend", "50000"),
    ("50 duizend", "50000"),
    ("vijftig duizend", "50000"),
    ("tweehonderdduizend", "200000"),
    ("twee honderd duizend", "200000"),
    ("twaalfhonderd", "1200"),
    ("vijfentwintig", "25"),
    ("vijf-en-twintig duizend", "25000"),
    ("negenhonderdnegenennegentig", "999"),
    ("negenhonderdnegenennegentigduizend", "999000"),
    ("negenhonderdnegenennegentig miljoen", "999000000"),
    ("een miljoen tweehonderdduizend", "1200000"),
    ("tweeënhalf", "2.50"),
    ("tweeenhalf miljoen", "2500000"),
    ("twee en een half", "2.50"),
    ("twee en een half miljoen", "2500000"),
    ("1,250,000", "1250000"),
    ("1.500 mln", "1500000000"),
    ("1000 miljard", "1000000000000"),
]


@pytest.mark.parametrize(("text", "expected"), AMOUNTS)
def test_parse_amount(text: str, expected: str) -> None:
    result = parse_amount(text)
    assert type(result) is Decimal
    assert result == Decimal(expected)
    # Whole amounts stay whole; cents are shown to two places.
    assert str(result) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-5000", "amount.negative"),
        ("- 5000", "amount.negative"),
        ("€ -5000", "amount.negative"),
        ("", "amount.invalid"),
        ("   ", "amount.invalid"),
        ("weet ik niet", "amount.invalid"),
        ("euro", "amount.invalid"),
        ("ongeveer", "amount.invalid"),
        ("1.2.3", "amount.invalid"),
        ("1,2,3", "amount.invalid"),
        ("1500.000", "amount.invalid"),
        ("k", "amount.invalid"),
        ("twee drie", "amount.invalid"),
        ("duizend miljoen", "amount.invalid"),
        ("1.5", "amount.ambiguous"),
        ("1.25", "amount.ambiguous"),
        ("1,250", "amount.ambiguous"),
        ("2 a 3 ton", "amount.range"),
        ("2 à 3 ton", "amount.range"),
        ("200-300k", "amount.range"),
        ("200.000 - 300.000", "amount.range"),
        ("tussen 1 en 2 miljoen", "amount.range"),
        ("1 tot 2 miljoen", "amount.range"),
        ("1000000000001", "amount.too_large"),
        ("1001 miljard", "amount.too_large"),
    ],
)
def test_parse_amount_errors(text: str, code: str) -> None:
    assert _code(parse_amount, text) == code


# --- percentages ---------------------------------------------------------------------------

PERCENTAGES = [
    ("40%", "40"),
    ("40 %", "40"),
    ("40 procent", "40"),
    ("ongeveer 40", "40"),
    ("zo'n 40", "40"),
    ("40", "40"),
    ("12,5%", "12.5"),
    ("12.5%", "12.5"),
    ("veertig procent", "40"),
    ("de helft", "50"),
    ("helft", "50"),
    ("ongeveer de helft", "50"),
    ("alles", "100"),
    ("100", "100"),
    ("niets", "0"),
    ("geen", "0"),
    ("nul", "0"),
    ("0", "0"),
    ("een kwart", "25"),
    ("driekwart", "75"),
    ("40% van de omzet", "40"),
]


@pytest.mark.parametrize(("text", "expected"), PERCENTAGES)
def test_parse_percentage(text: str, expected: str) -> None:
    result = parse_percentage(text)
    assert type(result) is Decimal
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("101", "percentage.out_of_range"),
        ("150%", "percentage.out_of_range"),
        ("-5%", "percentage.out_of_range"),
        ("", "percentage.invalid"),
        ("procent", "percentage.invalid"),
        ("veel", "percentage.invalid"),
        ("1.2.3%", "percentage.invalid"),
    ],
)
def test_parse_percentage_errors(text: str, code: str) -> None:
    assert _code(parse_percentage, text) == code


# --- counts --------------------------------------------------------------------------------

COUNTS = [
    ("25", 25),
    ("zo'n 25", 25),
    ("ruim 120", 120),
    ("ongeveer 40", 40),
    ("circa 1.200", 1200),
    ("twintig", 20),
    ("een stuk of 10", 10),
    ("meer dan 50", 50),
    ("geen", 0),
    ("0", 0),
    ("25 klanten", 25),
]

# A range is proposed as its midpoint, never taken silently.
RANGES = [
    (parse_count, "20-30", 20, 30, 25),
    (parse_count, "20 a 30", 20, 30, 25),
    (parse_count, "tussen 20 en 30", 20, 30, 25),
    (parse_count, "21 tot 30", 21, 30, 25),
    (parse_percentage, "40-50%", 40, 50, 45),
    (parse_days, "30-60 dagen", 30, 60, 45),
    (parse_weeks, "30-60 dagen", 4, 9, 6),
]


@pytest.mark.parametrize(("parser", "text", "low", "high", "middle"), RANGES)
def test_a_range_is_proposed_as_its_midpoint(
    parser: Callable[[str], object], text: str, low: int, high: int, middle: int
) -> None:
    with pytest.raises(Range) as caught:
        parser(text)
    assert (caught.value.low, caught.value.high, caught.value.value) == (low, high, middle)
    assert caught.value.code.endswith(".range")


@pytest.mark.parametrize(("text", "expected"), COUNTS)
def test_parse_count(text: str, expected: int) -> None:
    result = parse_count(text)
    assert type(result) is int
    assert result == expected


@pytest.mark.parametrize("text", ["2,5", "anderhalf", "-3", "- 3", "", "veel", "1.5", "klanten"])
def test_parse_count_errors(text: str) -> None:
    assert _code(parse_count, text) == "count.invalid"


# --- periods -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60 dagen", 60),
        ("60", 60),
        ("2 maanden", 60),
        ("een maand", 30),
        ("4 weken", 28),
        ("twee weken", 14),
        ("90 dgn", 90),
        ("30 dagen na factuurdatum", 30),
        ("binnen 14 dagen", 14),
        ("ongeveer 60 dagen", 60),
    ],
)
def test_parse_days(text: str, expected: int) -> None:
    result = parse_days(text)
    assert type(result) is int
    assert result == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("52 weken", 52),
        ("52", 52),
        ("12 maanden", 52),
        ("6 maanden", 26),
        ("18 maanden", 78),
        ("24 maanden", 104),
        ("1 jaar", 52),
        ("een jaar", 52),
        ("2 jaar", 104),
        ("anderhalf jaar", 78),
        ("half jaar", 26),
        ("een halfjaar", 26),
    ],
)
def test_parse_weeks(text: str, expected: int) -> None:
    result = parse_weeks(text)
    assert type(result) is int
    assert result == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24 uur", 24),
        ("48 uur", 48),
        ("72", 72),
        ("2 dagen", 48),
        ("3 dagen", 72),
        ("1 week", 168),
        ("een week", 168),
        ("twee dagen", 48),
    ],
)
def test_parse_hours(text: str, expected: int) -> None:
    result = parse_hours(text)
    assert type(result) is int
    assert result == expected


@pytest.mark.parametrize("parser", [parse_days, parse_weeks, parse_hours])
@pytest.mark.parametrize("text", ["", "dagen zat", "-5 dagen", "12-3", "1.5", "morgen"])
def test_parse_period_errors(parser: Callable[[str], int], text: str) -> None:
    assert _code(parser, text) == "period.invalid"


# --- yes / no ------------------------------------------------------------------------------

YES = ["ja", "Ja!", "jazeker", "ja hoor", "ja graag", "Ja, graag.", "jawel", "zeker", "klopt",
       "akkoord", "prima", "ok", "OK", "oké", "goed", "is goed", "yes", "j", "y", "👍", "👍🏽"]
NO = ["nee", "Nee.", "nee hoor", "neen", "nope", "liever niet", "niet", "no", "n", "👎"]


@pytest.mark.parametrize("text", YES)
def test_parse_yes(text: str) -> None:
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", NO)
def test_parse_no(text: str) -> None:
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", ["misschien", "", "ja nee", "weet ik niet", "🤷"])
def test_parse_yes_no_errors(text: str) -> None:
    assert _code(parse_yes_no, text) == "yesno.invalid"


# --- phone, e-mail, KvK --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06-12345678", "+31612345678"),
        ("0612345678", "+31612345678"),
        ("+31 6 1234 5678", "+31612345678"),
        ("0031 6 12345678", "+31612345678"),
        ("(020) 123 4567", "+31201234567"),
        ("020-1234567", "+31201234567"),
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_parse_phone(text: str, expected: str) -> None:
    assert parse_phone(text) == expected


@pytest.mark.parametrize("text", ["", "12345", "0612", "06-1234567890123", "bel me", "+31 0"])
def test_parse_phone_errors(text: str) -> None:
    assert _code(parse_phone, text) == "phone.invalid"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jan@bakkerij-jansen.nl", "jan@bakkerij-jansen.nl"),
        ("  Jan.Jansen@Bakkerij.NL ", "Jan.Jansen@bakkerij.nl"),
        ("jan@bakkerij.nl.", "jan@bakkerij.nl"),
    ],
)
def test_parse_email(text: str, expected: str) -> None:
    assert parse_email(text) == expected


@pytest.mark.parametrize(
    "text", ["", "jan", "jan@", "@bakkerij.nl", "jan@@bakkerij.nl", "a b@c.nl"]
)
def test_parse_email_errors(text: str) -> None:
    assert _code(parse_email, text) == "email.invalid"


@pytest.mark.parametrize(
    "text", ["12345678", "1234 5678", "KvK 12345678", "kvk-nummer: 12.34.56.78", "1234-5678"]
)
def test_parse_kvk(text: str) -> None:
    assert parse_kvk(text) == "12345678"


@pytest.mark.parametrize("text", ["", "1234567", "123456789", "abcdefgh", "kvk", "12345678a"])
def test_parse_kvk_errors(text: str) -> None:
    assert _code(parse_kvk, text) == "kvk.invalid"


# --- properties ----------------------------------------------------------------------------

# Pieces of plausible input, so that the fuzzing reaches deep into the number grammar rather
# than failing at the first character.
NUMBER_PIECES = st.lists(
    st.sampled_from([
        "0", "1", "5", "12", "250", "000", ".", ",", " ", "-", ",-", "€", "euro", "%", "k", "m",
        "mln", "ton", "duizend", "miljoen", "miljard", "honderd", "een", "twee", "twintig",
        "en", "half", "anderhalf", "a", "tot", "tussen", "ongeveer", "zo'n", "dagen", "weken",
        "maanden", "jaar", "uur", "procent", "helft", "ja", "nee", "kvk", "+31", "@", "👍",
    ]),
    max_size=12,
).map("".join)

ANY_TEXT = st.one_of(st.text(), st.text(max_size=400), NUMBER_PIECES)


def _only_parse_errors(parser: Callable[[str], Any], text: str) -> None:
    try:
        parser(text)
    except ParseError as error:
        assert error.code.split(".")[0] in {
            "amount", "percentage", "count", "period", "yesno", "phone", "email", "kvk",
        }


@pytest.mark.parametrize("parser", ALL_PARSERS)
@FAST
@given(text=ANY_TEXT)
def test_parsers_raise_only_parse_errors(parser: Callable[[str], Any], text: str) -> None:
    _only_parse_errors(parser, text)


@pytest.mark.parametrize("parser", ALL_PARSERS)
@pytest.mark.parametrize(
    "text",
    ["9" * 10_000, "1." * 5_000, "€" * 10_000, "👍" * 10_000, "\x00\x1f\x7f" * 3_000,
     "een " * 2_500, "- a " * 2_500, "@" * 10_000],
)
def test_parsers_survive_huge_input(parser: Callable[[str], Any], text: str) -> None:
    _only_parse_errors(parser, text)


@FAST
@given(n=st.integers(min_value=0, max_value=10**9))
def test_dutch_thousands_round_trip(n: int) -> None:
    text = f"{n:,}".replace(",", ".")
    assert parse_amount(text) == Decimal(n)


@FAST
@given(n=st.integers(min_value=0, max_value=10**9))
def test_euro_notation_round_trip(n: int) -> None:
    text = "€ " + f"{n:,}".replace(",", ".") + ",-"
    result = parse_amount(text)
    assert type(result) is Decimal
    assert result == Decimal(n)


@FAST
@given(n=st.integers(min_value=0, max_value=10**9), cents=st.integers(min_value=0, max_value=99))
def test_cents_round_trip(n: int, cents: int) -> None:
    text = f"{n:,}".replace(",", ".") + f",{cents:02d}"
    assert parse_amount(text) == Decimal(n) + Decimal(cents) / 100


@FAST
@given(n=st.integers(min_value=0, max_value=100))
def test_percentage_round_trip(n: int) -> None:
    result = parse_percentage(f"{n}%")
    assert type(result) is Decimal
    assert result == Decimal(n)


@FAST
@given(value=st.decimals(min_value=0, max_value=100, places=1))
def test_percentage_dutch_decimal_round_trip(value: Decimal) -> None:
    assert parse_percentage(f"{value}".replace(".", ",") + " %") == value


@FAST
@given(n=st.integers(min_value=0, max_value=10**6))
def test_count_round_trip(n: int) -> None:
    assert parse_count(f"{n:,}".replace(",", ".")) == n


def test_counts_forgive_typos_around_a_single_number() -> None:
    assert parse_count("zo n 25") == 25
    assert parse_count("ca 40 stuks") == 40
    with pytest.raises(ParseError):
        parse_count("tussen de 20 of 30 of 40")
