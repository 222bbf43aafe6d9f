"""Tests for flows.parsing on answers as prospects type them: inside sentences, vague, several.

Every example is phrased the way an SME owner answers in a chat, not the way the parser likes.
"""

from __future__ import annotations

import contextlib
import time
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import parsing
from flows.parsing import (
    ParseError,
    Range,
    Several,
    Vague,
    clean,
    parse_amount,
    parse_count,
    parse_days,
    parse_email,
    parse_hours,
    parse_kvk,
    parse_names,
    parse_none,
    parse_percentage,
    parse_person_name,
    parse_phone,
    parse_skip,
    parse_unknown,
    parse_weeks,
    parse_yes_no,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _code(parser: Callable[[str], Any], text: str) -> str:
    with pytest.raises(ParseError) as caught:
        parser(text)
    return caught.value.code


def _several(parser: Callable[[str], Any], text: str) -> tuple[Any, ...]:
    with pytest.raises(Several) as caught:
        parser(text)
    assert caught.value.code.endswith(".several")
    return caught.value.values


def _vague(parser: Callable[[str], Any], text: str) -> Any:
    with pytest.raises(Vague) as caught:
        parser(text)
    assert caught.value.code.endswith(".vague")
    return caught.value.value


# --- the new error types -------------------------------------------------------------------


def test_several_and_vague_are_parse_errors_with_codes_only() -> None:
    several = Several("count.several", [40, 5])
    vague = Vague("percentage.vague", Decimal(90))
    for error in (several, vague):
        assert isinstance(error, ParseError)
        assert isinstance(error, ValueError)
    assert several.code == str(several) == "count.several"
    assert several.values == (40, 5)
    assert vague.code == str(vague) == "percentage.vague"
    assert vague.value == 90


def test_new_names_are_exported() -> None:
    for name in ("Several", "Vague", "clean", "parse_none", "parse_unknown", "parse_skip",
                 "parse_person_name", "parse_names"):
        assert name in parsing.__all__


# --- amounts inside a sentence -------------------------------------------------------------

AMOUNTS_IN_SENTENCES = [
    ("vorig jaar 1,8 miljoen", "1800000"),
    ("ongeveer 1,2 miljoen, excl btw", "1200000"),
    ("ja, in 2023 zo'n 8.000 euro", "8000"),
    ("ja, vorig jaar zo'n 12.000 euro", "12000"),
    ("We draaien zo'n 2,5 miljoen omzet per jaar", "2500000"),
    ("afgelopen jaar was het 850k", "850000"),
    ("omzet 2023 was 1,2 mio", "1200000"),
    ("ik denk een kleine 3 ton", "300000"),
    ("dat is ongeveer € 450.000,-", "450000"),
    ("Omzet: €1.250.000", "1250000"),
    ("met 12 man personeel draaien we 1,8 miljoen", "1800000"),
    ("2 vestigingen, samen 4 miljoen", "4000000"),
    ("ongeveer 8000 euro in 3 jaar", "8000"),
    ("afgelopen 3 jaar zo'n 15.000 euro", "15000"),
    ("een keer 5000 euro, in 2021", "5000"),
    ("we zitten rond de 1.2 mln.", "1200000"),
    ("een half miljoen ongeveer", "500000"),
    ("Ton zegt 8000", "8000"),
    ("onze top 3 klant doet 200k", "200000"),
    ("8000 (excl. btw)", "8000"),
    ("ja hoor 350.000", "350000"),
    ("nee, 5000", "5000"),
    ("omzet is 1,5 mln. dit jaar", "1500000"),
    ("2023: 1,8 miljoen", "1800000"),
    ("in 2022-2023 zo'n 1500", "1500"),
    ("sinds 2019 ieder jaar rond de 900.000", "900000"),
    ("op 12-3-2024 ging er een failliet, 8000 euro kwijt", "8000"),
    ("60.000 euro door 1 faillissement", "60000"),
    ("ik schat een euro of 5000", "5000"),
    ("nou, zo'n 1,1 miljoen denk ik", "1100000"),
    ("in 2022 3000 euro", "3000"),
    ("dit jaar verwachten we 2,4 miljoen", "2400000"),
    ("Dat was 75.000 euro, twee jaar terug", "75000"),
]


@pytest.mark.parametrize(("text", "expected"), AMOUNTS_IN_SENTENCES)
def test_amount_inside_a_sentence(text: str, expected: str) -> None:
    result = parse_amount(text)
    assert type(result) is Decimal
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30 mille", "30000"),
        ("zo'n 30 mille per jaar", "30000"),
        ("een ton", "100000"),
        ("ruim een ton", "100000"),
        ("1 miljoen 2", "1200000"),
        ("3 ton 5", "350000"),
        ("2 miljoen 3", "2300000"),
        ("1 miljoen 250", "1250000"),
        ("drie ton vijftig", "350000"),
        ("1 miljard 2", "1200000000"),
        ("1 miljoen 250000", "1250000"),
        ("een miljoen tweehonderdduizend", "1200000"),
        ("een ton of 3", "300000"),
        ("een miljoen of twee", "2000000"),
    ],
)
def test_amount_slang_and_spoken_dutch(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # Two readings: 1,002,000 or 1,200,000? Ask rather than guess.
        ("1 miljoen 2000", "amount.ambiguous"),
        ("1 miljoen en 2", "amount.ambiguous"),
        ("1,5 miljoen 2", "amount.ambiguous"),
        ("ongeveer 1.5 denk ik", "amount.ambiguous"),
        ("tussen 1 en 2 miljoen denk ik", "amount.range"),
        ("we zitten tussen de 2 a 3 ton", "amount.range"),
        ("ergens tussen de 500k en 600k", "amount.range"),
        ("€ 200.000 tot € 300.000 ongeveer", "amount.range"),
        ("900.000 a 1 miljoen", "amount.range"),
        ("we hadden -5000 verlies", "amount.negative"),
        ("gelukkig nooit", "amount.invalid"),
        ("geen idee eigenlijk", "amount.invalid"),
        ("in 2023", "amount.invalid"),
        ("zo'n 20% van de omzet", "amount.invalid"),
        ("we hebben 12 medewerkers", "amount.invalid"),
        ("twee drie", "amount.invalid"),
    ],
)
def test_amount_sentence_errors(text: str, code: str) -> None:
    assert _code(parse_amount, text) == code


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("vorig jaar 1,8 miljoen, dit jaar 2 miljoen", ("1800000", "2000000")),
        ("de omzet was 3,2 miljoen in 2022 en 3,6 miljoen in 2023", ("3200000", "3600000")),
        ("in 2021 een keer 5000 en in 2022 3000", ("5000", "3000")),
        ("2 miljoen, misschien 2,5", ("2000000", "2.50")),
        ("omzet is 3,2 miljoen, winst 200k", ("3200000", "200000")),
        ("8000, of nee wacht, 9000", ("8000", "9000")),
    ],
)
def test_amount_several_candidates_are_not_picked_silently(
    text: str, values: tuple[str, ...]
) -> None:
    assert _several(parse_amount, text) == tuple(Decimal(v) for v in values)


def test_the_same_amount_twice_is_one_reading() -> None:
    assert parse_amount("8000 euro, ja echt 8.000") == 8000


@pytest.mark.parametrize(
    ("text", "proposal"),
    [
        ("een paar duizend euro", 3000),
        ("een paar ton", 300_000),
        ("enkele miljoenen", 2_000_000),
        ("duizenden euro's", 2000),
        ("paar honderd euro", 300),
        ("tienduizenden", 30_000),
    ],
)
def test_vague_amounts_get_a_proposal(text: str, proposal: int) -> None:
    value = _vague(parse_amount, text)
    assert type(value) is Decimal
    assert value == proposal


def test_a_stated_amount_beats_a_vague_one() -> None:
    assert parse_amount("een paar duizend, zo'n 3500") == 3500


# --- percentages inside a sentence ---------------------------------------------------------

PERCENTAGES_IN_SENTENCES = [
    ("20%, de rest is versnipperd", "20"),
    ("zo'n 15% gaat naar het buitenland", "15"),
    ("de grootste klant is 25%, de rest klein", "25"),
    ("we leveren 80% op rekening binnen 30 dagen", "80"),
    ("mijn top 5 is samen 40%", "40"),
    ("5 klanten samen 60%", "60"),
    ("ik schat een procent of 20", "20"),
    ("ongeveer een kwart", "25"),
    ("een derde ongeveer", "33"),
    ("half binnenland, half export", "50"),
    ("de helft van de omzet komt van 3 klanten", "50"),
    ("alles op rekening", "100"),
    ("we factureren alles aan bedrijven", "100"),
    ("alles bij elkaar 40%", "40"),
    ("dat is zo'n 12,5 procent", "12.5"),
]


@pytest.mark.parametrize(("text", "expected"), PERCENTAGES_IN_SENTENCES)
def test_percentage_inside_a_sentence(text: str, expected: str) -> None:
    result = parse_percentage(text)
    assert type(result) is Decimal
    assert str(result) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("een derde", "33"),
        ("twee derde", "67"),
        ("een vijfde", "20"),
        ("een tiende", "10"),
        ("drie vierde", "75"),
        ("een achtste", "12.5"),
        ("2/3", "67"),
        ("1/4", "25"),
        # Plain exact words stay exact.
        ("alles", "100"),
        ("de helft", "50"),
        ("driekwart", "75"),
        ("ongeveer de helft", "50"),
    ],
)
def test_percentage_fractions(text: str, expected: str) -> None:
    assert str(parse_percentage(text)) == expected


@pytest.mark.parametrize(
    ("text", "proposal"),
    [
        ("bijna alles", 90),
        ("Bijna alles.", 90),
        ("bijna alles gaat naar het buitenland", 90),
        ("vrijwel alles", 95),
        ("zo goed als alles", 95),
        ("de meeste", 70),
        ("meeste", 70),
        ("het merendeel", 70),
        ("grotendeels", 70),
        ("een groot deel", 60),
        ("ruim de helft", 60),
        ("een klein deel", 10),
        ("weinig", 10),
        ("bijna niks", 5),
        ("bijna niets", 5),
        ("heel weinig", 5),
        ("een paar procent", 3),
        ("een paar klanten in belgie", 5),
        ("alles behalve de kassaverkoop", 90),
    ],
)
def test_vague_percentages_get_a_proposal_not_a_guess(text: str, proposal: int) -> None:
    value = _vague(parse_percentage, text)
    assert type(value) is Decimal
    assert value == proposal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bijna alles, 95%", "95"),
        ("de meeste, zo'n 80%", "80"),
        ("het merendeel, ik denk 75%", "75"),
        ("grotendeels, zo'n 85 procent", "85"),
        ("weinig, hooguit 5%", "5"),
    ],
)
def test_a_stated_percentage_beats_vague_words(text: str, expected: str) -> None:
    assert str(parse_percentage(text)) == expected


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("40% van de klanten, 60% van de omzet", ("40", "60")),
        ("Duitsland 10% en België 5%", ("10", "5")),
        ("de grootste klant alleen al 25%, top 5 samen 55%", ("25", "55")),
        ("alles behalve de kassaverkoop, dat is 10%", ("90", "10")),
        ("de helft, of eigenlijk 40%", ("50", "40")),
    ],
)
def test_percentage_several(text: str, values: tuple[str, ...]) -> None:
    assert _several(parse_percentage, text) == tuple(Decimal(v) for v in values)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("niks, alles contant", "percentage.invalid"),
        ("geen export", "percentage.invalid"),
        ("12-3", "percentage.invalid"),
        ("ongeveer 150%, denk ik", "percentage.out_of_range"),
        ("veel", "percentage.invalid"),
    ],
)
def test_percentage_sentence_errors(text: str, code: str) -> None:
    assert _code(parse_percentage, text) == code


# --- counts inside a sentence --------------------------------------------------------------

COUNTS_IN_SENTENCES = [
    ("we hebben er zo'n 40", 40),
    ("zo'n 150 klanten", 150),
    ("we hebben ongeveer 35 vaste afnemers", 35),
    ("drie vestigingen", 3),
    ("in 2023 zo'n veertig", 40),
    ("sinds 2015 hebben we 40 klanten", 40),
    ("sinds 1 januari 40 klanten", 40),
    ("we hebben er eentje", 1),
    ("alleen dit pand", 1),
    ("40 klanten, 2 miljoen euro omzet", 40),
    ("40 klanten, al 10 jaar", 40),
    ("zo n 25", 25),
    ("ca 40 stuks", 40),
    ("40 klanten, ja echt 40", 40),
]


@pytest.mark.parametrize(("text", "expected"), COUNTS_IN_SENTENCES)
def test_count_inside_a_sentence(text: str, expected: int) -> None:
    result = parse_count(text)
    assert type(result) is int
    assert result == expected


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("zo'n 40, waarvan 5 grote", (40, 5)),
        ("ruim 200, waarvan 50 actief", (200, 50)),
        ("we hebben 40 klanten en 2 vestigingen", (40, 2)),
        ("2 in Utrecht en 1 in Amsterdam", (2, 1)),
        ("hoofdkantoor en 2 filialen", (2, 3)),
        ("2 filialen plus het hoofdkantoor", (2, 3)),
        ("40 en 5 grote", (40, 5)),
    ],
)
def test_count_several(text: str, values: tuple[int, ...]) -> None:
    assert _several(parse_count, text) == values


@pytest.mark.parametrize(
    ("text", "proposal"),
    [
        ("een paar", 3),
        ("een handvol", 5),
        ("tientallen", 30),
        ("honderden", 200),
        ("enkele tientallen", 30),
        ("een paar honderd", 300),
        ("een stuk of wat", 3),
    ],
)
def test_vague_counts_get_a_proposal(text: str, proposal: int) -> None:
    value = _vague(parse_count, text)
    assert type(value) is int
    assert value == proposal


def test_a_stated_count_beats_vague_words() -> None:
    assert parse_count("een paar, zo'n 3") == 3


@pytest.mark.parametrize(
    "text", ["12-3", "tussen de 20 of 30 of 40", "we hebben er geen idee van", "2,5 klant"]
)
def test_count_sentence_errors(text: str) -> None:
    assert _code(parse_count, text) == "count.invalid"


# --- periods inside a sentence -------------------------------------------------------------


@pytest.mark.parametrize(
    ("parser", "text", "expected"),
    [
        (parse_days, "30 dagen, maar ze betalen meestal later", 30),
        (parse_days, "we geven 14 dagen", 14),
        (parse_days, "betalingstermijn is 30 dagen", 30),
        (parse_days, "binnen twee weken betalen ze", 14),
        (parse_days, "binnen een maand", 30),
        (parse_days, "een jaar", 365),
        (parse_days, "ik schat een dag of 30", 30),
        (parse_days, "per 1-1-2024 zo'n 30 dagen", 30),
        (parse_weeks, "een jaar is genoeg", 52),
        (parse_weeks, "anderhalf jaar lijkt me goed", 78),
        (parse_weeks, "24 maanden lijkt me goed", 104),
        (parse_weeks, "halfjaar graag", 26),
        (parse_hours, "drie dagen lijkt me prima", 72),
        (parse_hours, "48 uur is prima", 48),
        (parse_hours, "48u", 48),
        (parse_hours, "doe maar een week", 168),
    ],
)
def test_period_inside_a_sentence(
    parser: Callable[[str], int], text: str, expected: int
) -> None:
    result = parser(text)
    assert type(result) is int
    assert result == expected


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("we hanteren 30 dagen, soms 60", (30, 60)),
        ("30, soms 45", (30, 45)),
        ("30 of 60 dagen, verschilt per klant", (30, 60)),
        ("30 dagen, maar gemiddeld betalen ze na 50 dagen", (30, 50)),
    ],
)
def test_days_several(text: str, values: tuple[int, ...]) -> None:
    assert _several(parse_days, text) == values


@pytest.mark.parametrize(
    "text",
    ["12-3", "12-3 denk ik", "morgen al"],
)
def test_days_sentence_errors(text: str) -> None:
    # "12-3" looks like a date: a "range" whose low end is above its high end is no range.
    assert _code(parse_days, text) == "period.invalid"


# --- contact details inside a sentence -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0612345678 (mobiel)", "+31612345678"),
        ("bel me op 06-12345678", "+31612345678"),
        ("mijn nummer is 06 12 34 56 78", "+31612345678"),
        ("Mobiel: +31 6 12345678, liefst na 17u", "+31612345678"),
        ("kantoor 020-1234567", "+31201234567"),
    ],
)
def test_phone_inside_a_sentence(text: str, expected: str) -> None:
    assert parse_phone(text) == expected


def test_two_phone_numbers_are_several() -> None:
    assert _several(parse_phone, "bel me op 06-12345678 of 020-1234567") == (
        "+31612345678", "+31201234567",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mijn mail is jan@devries.nl", "jan@devries.nl"),
        ("Mail: jan@devries.nl", "jan@devries.nl"),
        ("je kunt mailen naar info@bakkerij-jansen.nl.", "info@bakkerij-jansen.nl"),
        ("stuur maar naar <Jan.Jansen@Bakkerij.NL>", "Jan.Jansen@bakkerij.nl"),
        ("mailto:jan@devries.nl", "jan@devries.nl"),
        ("\u200bjan@devries.nl", "jan@devries.nl"),
    ],
)
def test_email_inside_a_sentence(text: str, expected: str) -> None:
    assert parse_email(text) == expected


@pytest.mark.parametrize(
    "text", ["a b@c.nl", "mijn mail is jan@", "jan @devries.nl", "geen mail", "jan de vries"]
)
def test_email_sentence_errors(text: str) -> None:
    assert _code(parse_email, text) == "email.invalid"


def test_two_addresses_are_several() -> None:
    assert _several(parse_email, "jan@devries.nl of info@devries.nl") == (
        "jan@devries.nl", "info@devries.nl",
    )


@pytest.mark.parametrize(
    "text", ["ons kvk nummer is 12345678", "KvK: 1234 5678, Amsterdam", "het is 12345678 hoor"]
)
def test_kvk_inside_a_sentence(text: str) -> None:
    assert parse_kvk(text) == "12345678"


@pytest.mark.parametrize("text", ["ons nummer is 1234567", "12345678a", "06-123456789"])
def test_kvk_sentence_errors(text: str) -> None:
    assert _code(parse_kvk, text) == "kvk.invalid"


# --- none / zero ---------------------------------------------------------------------------

NONE = [
    "nee", "nee hoor", "neen", "niks", "niets", "geen", "nul", "0", "gelukkig nooit",
    "gelukkig niet", "nooit", "nog nooit", "gelukkig geen", "geen export", "geen buitenland",
    "alleen nederland", "alleen in nederland", "alleen binnenland", "nee, alleen nederland",
    "niks afgeschreven", "geen verliezen", "nee, gelukkig niet", "Nee, nog nooit gehad.",
    "€ 0,-", "0%", "nul procent", "helemaal niks", "geen enkele", "nee, alles binnen NL",
    "geen debiteurenverlies", "niks afgeschreven gelukkig", "tot nu toe niet",
    "in de afgelopen 3 jaar niet", "niet dat ik weet", "nee, we exporteren niet",
    "n.v.t.", "geen wanbetalers gehad",
]


@pytest.mark.parametrize("text", NONE)
def test_parse_none(text: str) -> None:
    assert parse_none(text) is True


@pytest.mark.parametrize(
    "text",
    ["nee, 5000", "5000", "geen idee", "weet ik niet", "liever niet", "niet nodig",
     "bijna niks", "weinig", "alleen nederland en belgië", "ja", "", "nee, maar wel 2x",
     "niet veel", "helaas wel"],
)
def test_parse_none_false(text: str) -> None:
    assert parse_none(text) is False


# --- unknown and skip ----------------------------------------------------------------------

UNKNOWN = [
    "weet ik niet", "weet niet", "geen idee", "geen flauw idee", "geen idee eigenlijk",
    "ik weet het niet", "weet ik echt niet", "onbekend", "?", "??", "idk", "geen benul",
    "Weet ik niet.", "nee, geen idee", "weet ik niet uit mijn hoofd", "heb ik niet bij de hand",
    "eerlijk gezegd geen idee", "moeilijk te zeggen",
]


@pytest.mark.parametrize("text", UNKNOWN)
def test_parse_unknown(text: str) -> None:
    assert parse_unknown(text) is True


@pytest.mark.parametrize("text", ["nee", "5000", "overslaan", "ik weet het wel", "", "ja"])
def test_parse_unknown_false(text: str) -> None:
    assert parse_unknown(text) is False


SKIP = [
    "overslaan", "sla over", "sla maar over", "skip", "nee", "nee, liever niet", "liever niet",
    "nee dank je", "geen", "hoeft niet", "niet nodig", "-", "nee hoor", "laat maar",
    "Overslaan graag", "sla deze vraag over", "nee, hoeft niet", "n.v.t.", "zeg ik liever niet",
]


@pytest.mark.parametrize("text", SKIP)
def test_parse_skip(text: str) -> None:
    assert parse_skip(text) is True


@pytest.mark.parametrize(
    "text", ["weet ik niet", "geen idee", "Jansen BV", "ja", "12345678", "", "ik sla niks over"]
)
def test_parse_skip_false(text: str) -> None:
    assert parse_skip(text) is False


# --- yes / no in sentences -----------------------------------------------------------------

YES_SENTENCES = [
    "ja dat klopt", "ja hoor, dat mag", "ja, meeverzekeren", "ja graag", "ja prima",
    "dat is prima", "ja, dat is goed", "ja klopt", "klopt helemaal", "ja dat mag",
    "ja, geen probleem", "Ja hoor, doe maar", "prima, doe maar", "ja, dat wil ik", "jazeker!",
    "👍 prima", "ja, dat lijkt me goed",
]
NO_SENTENCES = [
    "nee, liever niet", "nee dat hoeft niet", "nee, klopt niet", "dat klopt niet",
    "niet nodig", "nee hoor", "nee, bedankt", "nee, dat is niet goed", "niet echt",
    "nee, ik heb geen personeel", "zeker niet",
]


@pytest.mark.parametrize("text", YES_SENTENCES)
def test_yes_in_a_sentence(text: str) -> None:
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", NO_SENTENCES)
def test_no_in_a_sentence(text: str) -> None:
    assert parse_yes_no(text) is False


@pytest.mark.parametrize(
    "text",
    [
        "ja nee", "ja, nee toch niet", "misschien", "weet ik niet", "nee, dat klopt",
        "ja, maar alleen de vrachtwagens", "ik denk het wel", "niet zeker",
        "ja, dat hoeft niet", "nee, 180.000",
    ],
)
def test_yes_no_contradictions_and_doubt(text: str) -> None:
    assert _code(parse_yes_no, text) == "yesno.invalid"


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ik ben Kees Smit", "Kees Smit"),
        ("mijn naam is Jan de Vries", "Jan de Vries"),
        ("dit is Petra", "Petra"),
        ("met Anja Bakker", "Anja Bakker"),
        ("je spreekt met Henk", "Henk"),
        ("Jan  de   Vries", "Jan de Vries"),
        ("Hoi, ik ben Ahmed", "Ahmed"),
        ("Henk hier", "Henk"),
        ("Naam: Karin van der Berg.", "Karin van der Berg"),
        ("jan de vries", "jan de vries"),
        ("Ik heet Sanne", "Sanne"),
        ("Jan\u202e de Vries", "Jan de Vries"),
    ],
)
def test_parse_person_name(text: str, expected: str) -> None:
    assert parse_person_name(text) == expected


@pytest.mark.parametrize(
    "text",
    ["jan@devries.nl", "0612345678", "123", "weet ik niet", "nee", "overslaan", "x" * 121,
     "", "-", "?!", "ja", "ik ben"],
)
def test_parse_person_name_errors(text: str) -> None:
    assert _code(parse_person_name, text) == "name.invalid"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jansen Bouw BV, De Groot en Van Dijk Transport",
         ["Jansen Bouw BV", "De Groot", "Van Dijk Transport"]),
        ("Jansen en Zonen; Bakker\nSmit BV", ["Jansen en Zonen", "Bakker", "Smit BV"]),
        ("dat zijn Albert Heijn, Jumbo, etc.", ["Albert Heijn", "Jumbo"]),
        ("mijn grootste klanten zijn Coolblue en Bol.com", ["Coolblue", "Bol.com"]),
        ("Bakker Logistiek BV\nDe Boer Metaal\nHoogvliet",
         ["Bakker Logistiek BV", "De Boer Metaal", "Hoogvliet"]),
        ("Jumbo, jumbo, Hema", ["Jumbo", "Hema"]),
        ("overslaan", []),
        ("nee", []),
        ("-", []),
        ("liever niet", []),
    ],
)
def test_parse_names(text: str, expected: list[str]) -> None:
    assert parse_names(text) == expected


def test_parse_names_keeps_at_most_ten() -> None:
    names = parse_names(", ".join(f"Klant {chr(65 + i)}" for i in range(12)))
    assert len(names) == 10
    assert names[0] == "Klant A"


@pytest.mark.parametrize(
    "text", ["weet ik niet", "geen idee", "12345", "1, 2, 3", "Jansen, " + "x" * 101,
             "jan@devries.nl"],
)
def test_parse_names_errors(text: str) -> None:
    assert _code(parse_names, text) == "names.invalid"


# --- clean ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jan\u202eDe Vries", "JanDe Vries"),
        ("Acme\x00BV", "AcmeBV"),
        ("Acme\udcffBV", "AcmeBV"),
        ("\u200bJan", "Jan"),
        ("Jan\u200d\u2060\ufeff", "Jan"),
        ("\u2066Jan\u2069 \u200ede Vries\u200f", "Jan de Vries"),
        ("\u061cAli", "Ali"),
        ("Jan\n\tde  Vries ", "Jan de Vries"),
        ("Jan\r\nde Vries", "Jan de Vries"),
        ("Acme\x85BV\x9b", "Acme BV"),
        ("Acme\ue000 BV", "Acme BV"),
        ("Cafe\u0301 De Zon", "Café De Zon"),
        ("  ", ""),
        ("Ĳsselmeer Bouw", "Ĳsselmeer Bouw"),
    ],
)
def test_clean(text: str, expected: str) -> None:
    assert clean(text) == expected


@FAST
@given(text=st.text())
def test_clean_leaves_nothing_unsafe(text: str) -> None:
    result = clean(text)
    assert result == result.strip()
    assert "  " not in result
    assert all(unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn"} for c in result)
    assert clean(result) == result


# --- robustness ----------------------------------------------------------------------------

NEW_AND_OLD: list[Callable[[str], Any]] = [
    parse_amount, parse_percentage, parse_count, parse_days, parse_weeks, parse_hours,
    parse_yes_no, parse_phone, parse_email, parse_kvk, parse_person_name, parse_names,
    parse_none, parse_unknown, parse_skip,
]
SENTENCE_PIECES = st.lists(
    st.sampled_from([
        "1", "12", "2023", "1.500", "1,8", " ", ",", "-", "/", "%", "€", "k", "ton", "mille",
        "miljoen", "een", "en", "of", "a", "tot", "tussen", "half", "dagen", "jaar", "in",
        "sinds", "zo'n", "bijna", "alles", "de", "helft", "meeste", "een paar", "klanten",
        "waarvan", "top", "nee", "ja", "geen", "idee", "niks", "@", ".nl", "jan", "\n", "x",
    ]),
    max_size=20,
).map(" ".join)


@pytest.mark.parametrize("parser", NEW_AND_OLD)
@FAST
@given(text=st.one_of(st.text(max_size=300), SENTENCE_PIECES))
def test_parsers_raise_only_parse_errors(parser: Callable[[str], Any], text: str) -> None:
    try:
        parser(text)
    except ParseError as error:
        kind = error.code.split(".")[0]
        assert kind in {"amount", "percentage", "count", "period", "yesno", "phone", "email",
                        "kvk", "name", "names"}


@pytest.mark.parametrize("parser", NEW_AND_OLD)
@pytest.mark.parametrize(
    "unit",
    ["1 ", "een ", "1-", "tussen 1 en ", "a@", "ja nee ", "1.", "1 miljoen ", "en ", "€1 ",
     "2023 ", "1 of ", "12-3-2024 ", "vijf-en-", "bijna alles ", "a, ", "\n", "tweehonderd"],
)
def test_long_sentences_never_run_away(parser: Callable[[str], Any], unit: str) -> None:
    # A guard against catastrophic backtracking (which takes minutes), not a speed target:
    # these take milliseconds, and a loaded CI machine must not fail it. Speed: bench/.
    for length in (199, 999, 4000):
        text = (unit * (length // len(unit) + 1))[:length]
        start = time.perf_counter()
        with contextlib.suppress(ParseError):
            parser(text)
        assert time.perf_counter() - start < 5, (parser.__name__, unit, length)


@pytest.mark.parametrize(
    ("parser", "text", "middle"),
    [
        (parse_percentage, "denk 30 a 40 procent", 35),
        (parse_count, "ongeveer 12 a 15 klanten", 13),
        (parse_days, "tussen 30 en 60 dagen", 45),
        (parse_days, "30 dagen tot 60 dagen", 45),
        (parse_amount, "tussen 1 en 2 miljoen", 1_500_000),
        (parse_amount, "zo'n 25 a 30 duizend", 27_500),
    ],
)
def test_a_range_in_a_sentence_is_proposed_as_its_midpoint(
    parser: Callable[[str], object], text: str, middle: int
) -> None:
    with pytest.raises(Range) as caught:
        parser(text)
    assert caught.value.value == middle
