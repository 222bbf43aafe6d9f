"""Read what a Dutch SME owner types into a chat as normalised values.

Every parser takes the raw chat text and either returns a normalised value or raises
:class:`ParseError`. This module never produces human-readable text: the bot maps
``ParseError.code`` to a message from the gettext catalog. It is pure (no I/O, no network).

Prospects type sentences, not forms: ``vorig jaar 1,8 miljoen``, ``30 dagen, maar ze betalen
meestal later``, ``mijn mail is jan@devries.nl``. Each parser first reads the whole answer as
the value (after dropping hedges such as ``ongeveer``). If that fails it looks for the value
inside the sentence: it finds the number expressions (numerals with separators, number words,
multipliers such as ``ton``, ``miljoen``, ``k`` and ``mille``, and what follows them: ``%``,
``euro``, a period unit, a counted noun) and ignores the words around them. One candidate is
read as the answer; two or more different candidates raise :class:`Several` instead of a guess.
What cannot be the answer is not a candidate: a year (``in 2023``, ``sinds 2019``, or a
19xx/20xx number next to a bigger amount), a date (``12-3-2024``, ``1 januari``), a percentage
when an amount is asked, a number of days when a percentage is asked, an article ``een`` on
its own, ``top 5``, ``2x``, ``3e``.

Error codes (``ParseError.code``):

``amount.invalid``
    No amount could be read: empty text, no number, or a malformed number (``1.2.3``, ``1,2,3``).
``amount.negative``
    A minus sign in front of an otherwise readable amount (``-5000``).
``amount.ambiguous``
    The number has two plausible readings: ``1.5`` (1.5 or a mistyped 1.500?), ``1,250``
    (Dutch 1.25 or English 1250?) or ``1 miljoen 2000`` (1,002,000 or 1,200,000?). The bot
    should ask again.
``amount.range``
    Two amounts were given (``2 a 3 ton``, ``200-300k``, ``tussen 1 en 2 miljoen``); the bot
    asks for a single figure.
``amount.too_large``
    More than 10**12 euro.
``amount.several`` (:class:`Several`)
    Two or more different amounts in one answer (``vorig jaar 1,8 miljoen, dit jaar 2``);
    ``values`` holds them as Decimals, in the order typed.
``amount.vague`` (:class:`Vague`)
    Only a vague quantity (``een paar ton``, ``duizenden euro's``); ``value`` is a proposal
    (Decimal) the bot can offer for one-tap confirmation.
``percentage.invalid``
    No percentage could be read.
``percentage.out_of_range``
    A readable number outside 0..100, including negative numbers.
``percentage.several`` (:class:`Several`), ``percentage.vague`` (:class:`Vague`)
    As for amounts. Vague words get a proposal: ``bijna alles`` 90, ``vrijwel alles`` 95,
    ``de meeste`` 70, ``een groot deel`` 60, ``een deel`` 30, ``een klein deel`` / ``weinig``
    10, ``bijna niks`` 5, ``een paar procent`` 3. A stated number beats vague words
    (``de meeste, zo'n 80%`` is 80).
``count.invalid``
    No whole number >= 0 could be read (also for decimals and negative numbers).
``count.several`` (:class:`Several`), ``count.vague`` (:class:`Vague`)
    As for amounts; ``values`` and ``value`` are ints. ``een paar`` 3, ``een handvol`` 5,
    ``tientallen`` 30, ``honderden`` 200.
``period.invalid``
    No period could be read (``parse_days``, ``parse_weeks``, ``parse_hours``); also for a
    range (``30-60 dagen``) and for a date-like ``12-3``.
``period.several`` (:class:`Several`)
    Two or more different periods (``30 dagen, soms 60``); ``values`` are ints in the target
    unit.
``yesno.invalid``
    Neither a yes nor a no (``misschien``), or both (``ja, nee toch niet``).
``phone.invalid``
    Not a valid phone number (Dutch numbering plan unless an international prefix is given).
``phone.several`` (:class:`Several`)
    Two different valid phone numbers; ``values`` are E.164 strings.
``email.invalid``
    Not a syntactically valid e-mail address (deliverability is not checked).
``email.several`` (:class:`Several`)
    Two different addresses; ``values`` are the normalised addresses.
``kvk.invalid``
    Not exactly 8 digits.
``kvk.several`` (:class:`Several`)
    Two different 8-digit numbers in one answer.
``name.invalid``
    Not a person's name (:func:`parse_person_name`): an e-mail address, digits, no letters,
    ``weet ik niet``, a refusal, or more than 120 characters.
``names.invalid``
    Not a list of names (:func:`parse_names`): ``weet ik niet``, no letters, an e-mail
    address, or a name longer than 100 characters.

:func:`parse_none`, :func:`parse_unknown` and :func:`parse_skip` never raise: they answer
whether the prospect said "none / zero", "I do not know" or "skip this question".
:func:`clean` makes free text safe to store and echo.

Why the number parsing is hand-written: no library reads Dutch colloquial amounts such as
``3 ton``, ``anderhalf miljoen`` or ``tweehonderdduizend``, and the obvious candidate, Babel's
non-strict ``parse_decimal``, silently reads ``1.5`` as 15 in the Dutch locale. For money a
silent misreading is worse than asking again, so unclear separators raise instead of guessing.

Separator rules (amounts, counts, and period quantities without a unit):

* A dot followed by groups of exactly three digits is a thousands separator: ``1.500`` = 1500.
* A comma is the decimal separator: ``2,5`` = 2.5; ``250.000,50`` = 250000.50.
* Before a multiplier (``k``, ``duizend``, ``mille``, ``ton``, ``mln``, ``miljoen``,
  ``miljard``) or a unit, a dot with one or two digits is a decimal point as well:
  ``1.5 mln`` = 1500000.
* ``1.5`` on its own, and ``1,250`` on its own, are ambiguous.
* English grouping is accepted where it cannot be misread: ``1,250,000`` and ``1,250.50``.
* Spoken Dutch names the next digits after ``ton``, ``miljoen`` or ``miljard``:
  ``1 miljoen 2`` = 1200000, ``3 ton 5`` = 350000, ``1 miljoen 250`` = 1250000. A longer tail
  (``1 miljoen 2000``) or one after ``en`` (``1 miljoen en 2``) is ambiguous.
* A range whose low end is above its high end (``12-3``) is no range: it is unreadable.

Hedges (``ongeveer``, ``zo'n``, ``ca.``, ``ruim``, ``bijna``, ``meer dan``, ``een stuk of``,
``+/-``, ...) are ignored: an estimate is what the intake asks for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from math import floor
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

__all__ = [
    "ParseError",
    "Range",
    "Several",
    "Vague",
    "clean",
    "normalise",
    "parse_amount",
    "parse_count",
    "parse_days",
    "parse_email",
    "parse_hours",
    "parse_kvk",
    "parse_names",
    "parse_none",
    "parse_percentage",
    "parse_person_name",
    "parse_phone",
    "parse_skip",
    "parse_unknown",
    "parse_weeks",
    "parse_yes_no",
]


class ParseError(ValueError):
    """The text could not be read; ``code`` is a stable machine code (see module docstring)."""

    code: str

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Several(ParseError):
    """Two or more different readings (``<kind>.several``); the bot asks which one is meant.

    ``values`` holds the candidate readings in the order they appear, without duplicates.
    """

    values: tuple[Any, ...]

    def __init__(self, code: str, values: Iterable[Any]) -> None:
        super().__init__(code)
        self.values = tuple(values)


class Vague(ParseError):
    """Only a vague quantity (``<kind>.vague``); ``value`` is a proposal to confirm."""

    value: Any

    def __init__(self, code: str, value: Any) -> None:
        super().__init__(code)
        self.value = value


class Range(Vague):
    """Two figures as a range (``<kind>.range``): "2 a 3 ton", "70 a 80%", "tussen 50 en 100".
    ``value`` is the midpoint, proposed for confirmation rather than taken silently;
    ``low`` and ``high`` are the bounds as typed."""

    def __init__(self, code: str, low: Any, high: Any, value: Any) -> None:
        super().__init__(code, value)
        self.low = low
        self.high = high


class _Unreadable(Exception):
    """Internal: a number could not be read. Each public parser maps it to its own code."""

    def __init__(self, *, ambiguous: bool = False) -> None:
        super().__init__()
        self.ambiguous = ambiguous


# No genuine answer that is only a number is this long; the cap also bounds the work that
# the range search (quadratic in the number of separators) can be made to do.
_MAX_LENGTH = 200
# A sentence around the answer may be longer; the sentence scan is linear, this bounds it.
_MAX_SENTENCE = 1000
_MAX_AMOUNT = Decimal(10) ** 12
_MAX_COUNT = 10**9
_CENT = Decimal("0.01")

# --- normalisation ---------------------------------------------------------------------------

# Turned into a space by clean(): line breaks and tabs separate words.
_SPACE_CONTROLS = frozenset("\t\n\r\x0b\x0c\x85")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def clean(text: str) -> str:
    """Free text made safe to store and echo back.

    NFC-normalises; drops control and format characters (Unicode categories Cc, Cf, Cs, Co
    and Cn: bidi overrides and isolates, zero-width characters, byte-order marks, lone
    surrogates, private-use and unassigned code points), except that tabs and line breaks
    become a space; collapses runs of whitespace and strips the ends. Case is kept.
    """
    text = unicodedata.normalize("NFC", text)
    if not (text.isascii() and text.isprintable()):
        kept: list[str] = []
        for char in text:
            if char in _SPACE_CONTROLS:
                kept.append(" ")
            elif unicodedata.category(char) not in _UNSAFE_CATEGORIES:
                kept.append(char)
        text = "".join(kept)
    return " ".join(text.split())


# Phones (iOS "smart punctuation") turn "zo'n" into "zo’n"; hedges and "euro's" must still match.
_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'"}
)
_TRAILING = ".!?,;: "


def normalise(text: str) -> str:
    """Clean, lowercase, NFKC-normalise, unify apostrophes, drop end punctuation.

    NFKC folds full-width digits and ligatures (such as the Dutch "ĳ") into plain letters, so
    that what a phone keyboard produces compares equal to what the code expects.
    """
    text = unicodedata.normalize("NFKC", clean(text)).translate(_QUOTES)
    return " ".join(text.lower().split()).rstrip(_TRAILING)


def _fold(text: str) -> str:
    # "één", "tweeënhalf", "oké": users type the diacritics or not, and both must read the same.
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so that "ca." wins over "ca" and "rond de" over "rond".
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _phrase_re(words: Iterable[str]) -> re.Pattern[str]:
    """Whole words or phrases anywhere in normalised text, longest first."""
    return re.compile(rf"(?<![\w'])(?:{_alternation(words)})(?![\w'])")


# "één" is the numeral; "een" is usually the article. Both fold to "een", so decide first.
_ACCENTED_ONE_RE = re.compile(r"(?<!\w)(?:één|eén|éen)(?!\w)")
_ONE_WORD_RE = re.compile(r"(?<!\w)eentje(?!\w)")


# "een procent of 20", "een dag of 30", "een man of 12": Dutch for "about 20 percent".
_ABOUT_RE = re.compile(
    r"(?<!\S)een (procent|euro|dag|dagen|week|weken|maand|maanden|jaar|uur|man|keer|ton|"
    r"miljoen|duizend|mille) of ([0-9][0-9.,]*|[a-z]+)(?![\w'])"
)


def _numeric_text(text: str) -> str:
    """Normalised, folded text for the number parsers."""
    words = _fold(_ACCENTED_ONE_RE.sub("1", normalise(text)))
    return _ABOUT_RE.sub(r"\2 \1", _ONE_WORD_RE.sub("1", words))


def _take_vague(
    words: str, pattern: re.Pattern[str], table: dict[str, int]
) -> tuple[str, int | None]:
    """Remove vague quantities from the text; return the rest and the first one's proposal."""
    found: list[int] = []

    def drop(match: re.Match[str]) -> str:
        found.append(table[match.group()])
        return " , "

    rest = _collapse(pattern.sub(drop, words)).strip(" ,;:.!?")
    return rest, (found[0] if found else None)


_PREFIX_HEDGES = (
    "ongeveer", "ong.", "ong", "zo'n", "zon", "zo'n beetje", "circa", "ca.", "ca", "c.a.",
    "ruim", "bijna", "plusminus", "pakweg", "grofweg", "zowat", "om en nabij", "rond de",
    "rondom de", "rondom", "rond", "ergens rond de", "ergens rond", "ergens", "tegen de",
    "zeker", "minstens", "minimaal", "min.", "maximaal", "max.", "max", "hooguit", "maximum",
    "minimum", "meer dan", "minder dan", "iets meer dan", "iets minder dan",
    "net iets meer dan", "net iets minder dan", "net meer dan", "net minder dan", "boven de",
    "onder de", "net boven de", "net onder de", "iets boven de", "iets onder de", "een kleine",
    "een dikke", "dik", "krap", "een stuk of", "naar schatting", "geschat", "schatting",
    "ik schat", "ik denk", "denk", "waarschijnlijk", "gemiddeld", "totaal", "in totaal",
    "bij benadering", "iets van", "nu", "momenteel", "op dit moment", "ik heb", "we hebben",
    "wij hebben", "het zijn", "dat zijn", "er zijn", "het is", "dat is", "ik zit op",
    "we zitten op", "zit op",
)
_SUFFIX_HEDGES = (
    "ongeveer", "of zo", "ofzo", "ruim", "max", "max.", "maximaal", "minimaal", "ca", "ca.",
    "circa", "of daaromtrent", "of meer", "of minder", "ish",
)
# Only for amounts: "per jaar" qualifies the amount, but for a period "jaar" is the unit.
_AMOUNT_SUFFIX_HEDGES = (
    "per jaar", "p/j", "p.j", "pj", "op jaarbasis", "jaarlijks", "omzet", "aan omzet", "bruto",
    "netto", "excl btw", "excl. btw", "incl btw", "incl. btw", "ex btw", "exclusief btw",
    "inclusief btw",
)

_SYMBOL_PREFIX = r"(?:±|\+/-|\+-|~|≈|>=|<=|>|<)\s*"
_PREFIX_RE = re.compile(rf"^(?:(?:{_alternation(_PREFIX_HEDGES)})(?:\s+|$)|{_SYMBOL_PREFIX})")
_SUFFIX_RE = re.compile(rf"(?:^|\s+)(?:{_alternation(_SUFFIX_HEDGES)})$|\s*(?:\+|-ish)$")
_AMOUNT_SUFFIX_RE = re.compile(
    rf"(?:^|\s+)(?:{_alternation(_SUFFIX_HEDGES + _AMOUNT_SUFFIX_HEDGES)})$|\s*(?:\+|-ish)$"
)


def _strip_hedges(text: str, suffix_re: re.Pattern[str] = _SUFFIX_RE) -> str:
    previous = None
    while text != previous:
        previous = text
        text = _PREFIX_RE.sub("", text, count=1).strip()
        text = suffix_re.sub("", text, count=1).strip()
    return text


_MINUS_RE = re.compile(r"^(?:-|−|–|minus\s)\s*")


def _after_minus(text: str) -> str | None:
    match = _MINUS_RE.match(text)
    return text[match.end():] if match else None


# --- numerals --------------------------------------------------------------------------------

_DIGITS_RE = re.compile(r"[0-9]+")
_THOUSANDS_DOT_RE = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+")
_THOUSANDS_COMMA_RE = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+")
_DUTCH_RE = re.compile(r"([1-9][0-9]{0,2}(?:\.[0-9]{3})+),([0-9]+)")
_ENGLISH_RE = re.compile(r"([1-9][0-9]{0,2}(?:,[0-9]{3})+)\.([0-9]+)")
_ONE_SEPARATOR_RE = re.compile(r"([0-9]+)([.,])([0-9]+)")


def _numeral(raw: str, *, scaled: bool) -> Decimal:
    """Read digits with separators; ``scaled``: a multiplier or unit follows."""
    if _DIGITS_RE.fullmatch(raw):
        return Decimal(raw)
    if _THOUSANDS_DOT_RE.fullmatch(raw):
        return Decimal(raw.replace(".", ""))
    if match := _ONE_SEPARATOR_RE.fullmatch(raw):
        whole, separator, fraction = match.groups()
        value = Decimal(f"{whole}.{fraction}")
        # A leading zero cannot start a thousands group, so "0.5" and "0,125" are decimals.
        if scaled or not whole.strip("0"):
            return value
        if separator == ",":
            if len(fraction) == 3:
                # "1,250": Dutch 1.25 or an English 1250; nobody writes euros to three places.
                raise _Unreadable(ambiguous=True)
            return value
        if len(fraction) <= 2:
            # "1.5": a decimal point, or "1.500" with a digit missing.
            raise _Unreadable(ambiguous=True)
        raise _Unreadable
    if _THOUSANDS_COMMA_RE.fullmatch(raw):
        return Decimal(raw.replace(",", ""))
    if match := _DUTCH_RE.fullmatch(raw):
        return Decimal(f"{match[1].replace('.', '')}.{match[2]}")
    if match := _ENGLISH_RE.fullmatch(raw):
        return Decimal(f"{match[1].replace(',', '')}.{match[2]}")
    raise _Unreadable


# --- number words ----------------------------------------------------------------------------

_UNITS = {
    "nul": 0, "een": 1, "twee": 2, "drie": 3, "vier": 4,
    "vijf": 5, "zes": 6, "zeven": 7, "acht": 8, "negen": 9,
}
_TEENS = {
    "tien": 10, "elf": 11, "twaalf": 12, "dertien": 13, "veertien": 14, "vijftien": 15,
    "zestien": 16, "zeventien": 17, "achttien": 18, "achtien": 18, "negentien": 19,
}
_TENS = {
    "twintig": 20, "dertig": 30, "veertig": 40, "vijftig": 50,
    "zestig": 60, "zeventig": 70, "tachtig": 80, "negentig": 90,
}
_WORD_VALUES = {**_UNITS, **_TEENS, **_TENS}
_SCALE_EXPONENTS = {
    "duizend": 3, "k": 3, "mille": 3, "ton": 5, "miljoen": 6, "mln": 6, "mio": 6, "m": 6,
    "miljard": 9, "mld": 9, "mrd": 9,
}
# "miljoen" alone means one million; a bare "m" or "k" is more likely noise than a number.
_ABBREVIATED_SCALES = frozenset({"k", "m", "mln", "mio", "mld", "mrd"})
_HALVES = frozenset({"half", "halve"})
_ONE_AND_A_HALF = frozenset({"anderhalf", "anderhalve"})
_VOCABULARY = sorted(
    {*_WORD_VALUES, *_SCALE_EXPONENTS, "honderd", "en", *_HALVES, *_ONE_AND_A_HALF},
    key=len,
    reverse=True,
)
_ZERO_WORDS = frozenset(
    {"geen", "niets", "niks", "nul", "geen enkele", "helemaal niets", "helemaal niks",
     "helemaal geen"}
)

_NUMERAL_RE = re.compile(r"[0-9]+(?:[.,][0-9]+)*")
_SPACED_GROUPS_RE = re.compile(r"(?<![0-9.,])[1-9][0-9]{0,2}(?: [0-9]{3})+(?![0-9])")
_WORD_HYPHEN_RE = re.compile(r"(?<=[a-z])-(?=[a-z])")
_ABBREVIATION_DOT_RE = re.compile(r"\b(mln|mio|mld|mrd)\.")
_SCALE_WORDS = _alternation(_SCALE_EXPONENTS)
_TRAILING_SCALE_RE = re.compile(rf"(?:(?<=[0-9])|\s)({_SCALE_WORDS})$")


def _tokenize(text: str) -> list[str]:
    """Split into numerals and vocabulary words; Dutch writes numbers as one word."""
    tokens: list[str] = []
    for chunk in text.split():
        position = 0
        while position < len(chunk):
            if match := _NUMERAL_RE.match(chunk, position):
                tokens.append(match.group())
                position = match.end()
                continue
            # Longest match suffices: no Dutch number word needs backtracking
            # ("zeventien" before "zeven", "tweeën" is "twee" + "en").
            for word in _VOCABULARY:
                if chunk.startswith(word, position):
                    tokens.append(word)
                    position += len(word)
                    break
            else:
                raise _Unreadable
    return tokens


def _whole_numeral(token: str) -> int:
    value = _numeral(token, scaled=False)
    if value != value.to_integral_value():
        raise _Unreadable
    return int(value)


def _below_hundred(tokens: list[str]) -> int:
    if len(tokens) == 1:
        token = tokens[0]
        if token[0].isdigit():
            return _whole_numeral(token)
        if token in _WORD_VALUES:
            return _WORD_VALUES[token]
    if (
        len(tokens) == 3
        and tokens[1] == "en"
        and _UNITS.get(tokens[0], 0) >= 1
        and tokens[2] in _TENS
    ):
        return _UNITS[tokens[0]] + _TENS[tokens[2]]
    raise _Unreadable


def _whole(tokens: list[str]) -> int:
    """A whole number below ten thousand: "vijfentwintig", "twaalfhonderd", "tweehonderdvijf"."""
    if "honderd" not in tokens:
        return _below_hundred(tokens)
    index = tokens.index("honderd")
    head, tail = tokens[:index], tokens[index + 1 :]
    hundreds = _below_hundred(head) if head else 1
    if not 1 <= hundreds <= 99:
        raise _Unreadable
    if tail and tail[0] == "en":
        tail = tail[1:]
        if not tail:
            raise _Unreadable
    rest = _below_hundred(tail) if tail else 0
    if tail and not 1 <= rest <= 99:
        raise _Unreadable
    return hundreds * 100 + rest


def _group_value(group: list[str], *, scaled: bool, first: bool) -> Decimal:
    """The number in front of a multiplier, or after the last one."""
    tokens = list(group)
    if not first and tokens and tokens[0] == "en":
        tokens = tokens[1:]  # "een miljoen en tweehonderdduizend"
    if not tokens:
        raise _Unreadable
    if len(tokens) == 1 and tokens[0] in _ONE_AND_A_HALF:
        value = Decimal("1.5")
    elif tokens[-1] in _HALVES:
        rest = tokens[:-1]
        if rest and rest[-1] == "een":
            rest = rest[:-1]
        if not rest:
            value = Decimal("0.5")
        elif rest[-1] == "en" and len(rest) > 1:
            value = _whole(rest[:-1]) + Decimal("0.5")
        else:
            raise _Unreadable
    elif len(tokens) == 1 and tokens[0][0].isdigit():
        value = _numeral(tokens[0], scaled=scaled)
    else:
        value = Decimal(_whole(tokens))
    if not first and value != value.to_integral_value():
        raise _Unreadable
    return value


def _spoken_tail(rest: Decimal, group: list[str], exponent: int, coefficient: Decimal) -> Decimal:
    """The number after the last multiplier: "1 miljoen 2" is 1.2 million in spoken Dutch.

    After ``ton``, ``miljoen`` or ``miljard`` a short tail names the next digits ("3 ton 5" =
    350000, "1 miljoen 250" = 1250000). A tail as long as the multiplier's zeros adds up
    ("1 miljoen 250000"). Anything in between ("1 miljoen 2000"), a tail after "en"
    ("1 miljoen en 2") or after a fraction ("1,5 miljoen 2") has two readings.
    """
    if exponent < 5 or rest == 0:
        return rest
    digits = len(str(int(rest)))
    if digits >= exponent:
        return rest
    if group[0] == "en" or digits > 3 or coefficient != coefficient.to_integral_value():
        raise _Unreadable(ambiguous=True)
    return rest.scaleb(exponent - digits)


def _parse_tokens(tokens: list[str], *, scaled_tail: bool) -> Decimal:
    if not tokens:
        raise _Unreadable
    total = Decimal(0)
    group: list[str] = []
    previous: int | None = None
    coefficient = Decimal(1)
    for token in tokens:
        exponent = _SCALE_EXPONENTS.get(token)
        if exponent is None:
            group.append(token)
            continue
        if previous is not None and exponent >= previous:
            raise _Unreadable  # "duizend miljoen", "k k"
        if not group and token in _ABBREVIATED_SCALES:
            raise _Unreadable
        coefficient = (
            _group_value(group, scaled=True, first=previous is None) if group else Decimal(1)
        )
        if previous is not None and coefficient >= 10 ** (previous - exponent):
            raise _Unreadable
        total += coefficient.scaleb(exponent)
        previous, group = exponent, []
    if group:
        rest = _group_value(group, scaled=scaled_tail, first=previous is None)
        if previous is not None:
            rest = _spoken_tail(rest, group, previous, coefficient)
            if rest >= 10**previous:
                raise _Unreadable
        total += rest
    return total


def _read_number(text: str, *, dot_decimal: bool) -> Decimal:
    """Read one non-negative number; ``dot_decimal``: "1.5" reads as 1.5 (a unit follows)."""
    if text in _ZERO_WORDS:
        return Decimal(0)
    text = _SPACED_GROUPS_RE.sub(lambda m: m.group().replace(" ", ""), text)
    text = _WORD_HYPHEN_RE.sub("", _fold(text))
    text = _ABBREVIATION_DOT_RE.sub(r"\1", text)
    return _parse_tokens(_tokenize(text), scaled_tail=dot_decimal)


_RANGE_PREFIX_RE = re.compile(r"^(tussen(?: de)?|van(?:af)?)\s+")
_RANGE_SEPARATOR = r"\s*(?:-|–|—|−)\s*|\s+(?:tot en met|t/m|tot|a|à|á|of)\s+"
_RANGE_SEPARATOR_RE = re.compile(_RANGE_SEPARATOR)
_RANGE_SEPARATOR_TUSSEN_RE = re.compile(rf"{_RANGE_SEPARATOR}|\s+en\s+")


def _read_range(text: str, read: Callable[[str], Decimal]) -> tuple[Decimal, Decimal] | None:
    """Two numbers around a range separator, or None if the text is not a range."""
    body, pattern = text, _RANGE_SEPARATOR_RE
    if prefix := _RANGE_PREFIX_RE.match(text):
        body = text[prefix.end():]
        if prefix.group(1).startswith("tussen"):
            pattern = _RANGE_SEPARATOR_TUSSEN_RE
    # Every separator is tried: hyphens and "en" also occur inside a single number
    # ("vijf-en-twintig", "tussen twee en een half en drie").
    for separator in pattern.finditer(body):
        left, right = body[: separator.start()].strip(), body[separator.end() :].strip()
        if not left or not right:
            continue
        try:
            high = read(right)
        except _Unreadable:
            continue
        low: Decimal | None = None
        # "2 a 3 ton" means 2 ton to 3 ton, unless that would put the low end above the high.
        scale = _TRAILING_SCALE_RE.search(right)
        if scale and not _TRAILING_SCALE_RE.search(left):
            try:
                candidate = read(f"{left} {scale.group(1)}")
            except _Unreadable:
                candidate = None
            if candidate is not None and candidate <= high:
                low = candidate
        if low is None:
            try:
                low = read(left)
            except _Unreadable:
                continue
        if low > high:
            continue  # "12-3" is a date, not a range
        return low, high
    return None


# --- units -----------------------------------------------------------------------------------

_UNIT_NAMES = {
    "day": ("dagen", "dag", "dgn", "dg", "d", "days", "day"),
    "week": ("weken", "week", "wkn", "wk", "w", "weeks"),
    "month": ("maanden", "maand", "mnden", "mndn", "mnd", "months", "month"),
    "quarter": ("kwartalen", "kwartaal"),
    "year": ("jaren", "jaar", "jr", "j", "years", "year", "yr"),
    "hour": ("uren", "uur", "u", "h", "hr", "hrs", "hours", "hour"),
}
_UNIT_OF = {name: unit for unit, names in _UNIT_NAMES.items() for name in names}

# --- numbers inside a sentence ---------------------------------------------------------------
#
# The text is cut into tokens (numerals, words, single symbols). A run of number tokens
# ("1,8 miljoen", "drie ton vijf", "500 k") is one number; what stands right before and after
# it says what it counts ("%", "euro", "dagen", "klanten", "2x", "3e", "top 5"). Two runs
# joined by a range word ("2 a 3 ton", "tussen 20 en 30") are one range.

_TOKEN_RE = re.compile(r"[0-9]+(?:[.,][0-9]+)*|[^\W\d_]+(?:['\-][^\W\d_]+)*|\S")
_DIGIT_CHARS = frozenset("0123456789")


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    end: int
    kind: str  # "num", "word" or "sym"


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN_RE.finditer(text):
        word = match.group()
        kind = "num" if word[0] in _DIGIT_CHARS else "word" if word[0].isalpha() else "sym"
        tokens.append(_Token(word, match.start(), match.end(), kind))
    return tokens


def _glued(tokens: list[_Token], index: int) -> bool:
    """Token ``index`` touches the one before it ("500k", "nr5", "30dagen")."""
    return 0 < index < len(tokens) and tokens[index - 1].end == tokens[index].start


_PERCENT_MARKS = frozenset({"%", "procent", "procenten", "percent", "pct", "perc"})
_CURRENCY_MARKS = frozenset({"€", "euro", "euros", "euro's", "eur"})
_MINUS_MARKS = frozenset({"-", "−", "–", "minus"})
_TIMES_MARKS = frozenset({"x", "keer", "maal"})
_ORDINAL_MARKS = frozenset({"e", "de", "ste", "st", "nd", "rd", "th"})
# "top 5", "nr 3", "kvk 12345678": a label, not a quantity.
_CODE_MARKS = frozenset({"top", "nr", "nummer", "#", "kvk", "postcode", "huisnummer"})
# "40 klanten, waarvan 5 grote": counted things, so not an amount, percentage or period.
_COUNT_NOUNS = frozenset({
    "klant", "klanten", "debiteur", "debiteuren", "afnemer", "afnemers", "opdrachtgever",
    "opdrachtgevers", "medewerker", "medewerkers", "werknemer", "werknemers", "man", "mensen",
    "personeelsleden", "fte", "vestiging", "vestigingen", "filiaal", "filialen", "locatie",
    "locaties", "pand", "panden", "winkel", "winkels", "auto", "auto's", "autos", "bus",
    "bussen", "busjes", "vrachtwagen", "vrachtwagens", "wagens", "voertuigen", "factuur",
    "facturen", "order", "orders", "stuks", "stuk", "grote", "kleine", "landen", "bedrijven",
    "leveranciers", "machines", "projecten", "faillissement", "faillissementen", "geval",
    "gevallen", "schadegeval", "schadegevallen", "claim", "claims", "wanbetaler",
    "wanbetalers", "incident", "incidenten", "klap", "klappen", "kantoren", "magazijnen",
})
_MONTHS = frozenset({
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
    "oktober", "november", "december", "jan", "feb", "mrt", "apr", "jun", "jul", "aug", "sep",
    "sept", "okt", "nov", "dec",
})
# Words that put a 19xx/20xx number in time: "in 2023", "sinds 2019", "vorig jaar 2023".
_YEAR_LEAD = frozenset({
    "in", "over", "sinds", "vanaf", "begin", "eind", "einde", "medio", "halverwege",
    "boekjaar", "jaar", "per", "voorjaar", "najaar", "zomer", "winter", "anno", "uit",
}) | _MONTHS
_YEAR_RE = re.compile(r"(?:19|20)[0-9]{2}")
# "12-3-2024", "1/2/24", "01.04.2023": a date is no quantity.
_DATE_RE = re.compile(
    r"(?<![0-9.,/\-])[0-9]{1,2}([-/.])[0-9]{1,2}\1(?:19|20)?[0-9]{2}(?![0-9]|[.,/\-][0-9])"
)
_RANGE_WORDS = frozenset({
    ("-",), ("–",), ("—",), ("−",), ("tot",), ("tot", "en", "met"), ("tot", "aan"), ("a",),
    ("of",),
})
# Tokens that may start a run; "ton" does not ("Ton" is a name), "k" and "m" never do.
_FREE_SCALES = frozenset({"duizend", "miljoen", "miljard"})
_HALF_ONLY = frozenset({"half", "halve", "een half", "een halve"})
_MAX_RUN = 24


@lru_cache(maxsize=4096)
def _is_numeric_word(word: str) -> bool:
    if word == "en" or word in _SCALE_EXPONENTS:
        return False
    try:
        _parse_tokens(_tokenize(_WORD_HYPHEN_RE.sub("", word)), scaled_tail=False)
    except _Unreadable:
        return False
    return True


def _role(tokens: list[_Token], index: int) -> str | None:
    """How a token can take part in a run of number tokens, if at all."""
    token = tokens[index]
    if token.kind == "num":
        previous = tokens[index - 1] if index else None
        if previous and previous.text in _SCALE_EXPONENTS and _glued(tokens, index):
            return None  # "m2"
        return "num"
    if token.kind != "word":
        return None
    if token.text == "en":
        return "en"
    if token.text in _SCALE_EXPONENTS:
        if _glued(tokens, index + 1) and tokens[index + 1].kind == "num":
            return None  # "m2", "k3"
        return "scale"
    return "word" if _is_numeric_word(token.text) else None


def _spans(tokens: list[_Token], taken: list[bool]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(tokens):
        role = None if taken[index] else _role(tokens, index)
        if role in ("num", "word") or (role == "scale" and tokens[index].text in _FREE_SCALES):
            end = index + 1
            while end < len(tokens) and not taken[end] and _role(tokens, end) is not None:
                end += 1
            while tokens[end - 1].text == "en":
                end -= 1
            spans.append((index, end))
            index = end
        else:
            index += 1
    return spans


@dataclass(frozen=True, slots=True)
class _Piece:
    first: int
    last: int
    text: str
    value: Decimal | None
    error: _Unreadable | None


def _try_piece(
    tokens: list[_Token], first: int, last: int, read: Callable[[str], Decimal]
) -> _Piece:
    text = " ".join(t.text for t in tokens[first:last])
    try:
        return _Piece(first, last, text, read(text), None)
    except _Unreadable as error:
        return _Piece(first, last, text, None, error)


def _after_tussen(tokens: list[_Token], first: int) -> bool:
    before = [t.text for t in tokens[max(0, first - 2) : first]]
    return before[-1:] == ["tussen"] or before == ["tussen", "de"]


def _pieces(
    tokens: list[_Token], first: int, last: int, read: Callable[[str], Decimal]
) -> list[_Piece]:
    """Read a run as one number, or as numbers joined by "en" ("40 en 5", "1 en 2 miljoen")."""
    if last - first > _MAX_RUN:
        return [_Piece(first, last, "", None, _Unreadable())]
    joints = [k for k in range(first + 1, last - 1) if tokens[k].text == "en"]
    if joints and _after_tussen(tokens, first):
        # "tussen twee en twintig" is a range, not 22.
        for joint in joints:
            pair = [
                _try_piece(tokens, first, joint, read),
                _try_piece(tokens, joint + 1, last, read),
            ]
            if all(p.error is None for p in pair):
                return pair
    whole = _try_piece(tokens, first, last, read)
    if whole.error is None:
        return [whole]
    if tokens[first].text == "een" and last - first > 1:
        rest = _pieces(tokens, first + 1, last, read)  # "we hebben een 40 klanten"
        if all(p.error is None for p in rest):
            return rest
    if tokens[last - 1].text == "een" and last - first > 1:
        rest = _pieces(tokens, first, last - 1, read)  # "in 2021 een keer"
        if all(p.error is None for p in rest):
            return rest
    if _YEAR_RE.fullmatch(tokens[first].text) and last - first > 1:
        rest = _pieces(tokens, first + 1, last, read)  # "in 2022 3000 euro"
        if all(p.error is None for p in rest):
            return [_try_piece(tokens, first, first + 1, read), *rest]
    if joints:
        parts: list[_Piece] = []
        start = first
        for joint in [*joints, last]:
            parts.append(_try_piece(tokens, start, joint, read))
            start = joint + 1
        if all(p.error is None for p in parts):
            return parts
    return [whole]


def _before(tokens: list[_Token], first: int) -> str:
    if first == 0:
        return ""
    previous = tokens[first - 1]
    if previous.text in _CURRENCY_MARKS:
        return "currency"
    if (previous.kind == "word" and _glued(tokens, first)) or previous.text in _CODE_MARKS:
        return "code"
    if previous.text in _MINUS_MARKS:
        return "minus"
    return ""


def _after(tokens: list[_Token], last: int) -> str:
    if last >= len(tokens):
        return ""
    following = tokens[last]
    word, glued = following.text, _glued(tokens, last)
    if word in _PERCENT_MARKS:
        return "percent"
    if word in _CURRENCY_MARKS:
        return "currency"
    if word in _UNIT_OF and (glued or len(word) > 1):
        return "unit"
    if word in _TIMES_MARKS:
        return "times"
    if glued and word in _ORDINAL_MARKS:
        return "ordinal"
    if word in _MONTHS:
        return "date"
    if word in _COUNT_NOUNS:
        return "noun"
    return ""


def _linked(tokens: list[_Token], left: _Piece, right: _Piece, kind: str) -> bool:
    """The two numbers form a range: "2 a 3 ton", "20% - 30%", "€ 200.000 tot € 300.000".

    For a period "of" gives two terms, not a range: "30 of 60 dagen, verschilt per klant".
    """
    if left.text == "een":
        return False  # an article: "een procent of 20"
    start, end = left.last, right.first
    if start < end and _after(tokens, start) in ("percent", "currency", "unit"):
        start += 1
    if start < end and tokens[end - 1].text in _CURRENCY_MARKS:
        end -= 1
    between = tuple(t.text for t in tokens[start:end])
    if between in _RANGE_WORDS:
        return not (kind == "period" and between == ("of",))
    return between == ("en",) and _after_tussen(tokens, left.first)


@dataclass(frozen=True, slots=True)
class _Candidate:
    first: int
    value: Decimal | None
    high: Decimal | None = None
    error: _Unreadable | None = None
    before: str = ""
    after: str = ""
    unit: str | None = None
    bare: str = ""  # "article" for a lone "een", "half" for a lone "half"
    year: bool = False  # a 19xx/20xx number that may be a year
    dated: bool = False  # ... preceded by a word that makes it a year ("in 2023")
    fixed: bool = False  # a share word such as "de helft" (percentages only)


def _range_bounds(
    tokens: list[_Token], left: _Piece, right: _Piece, read: Callable[[str], Decimal]
) -> tuple[Decimal, Decimal]:
    if left.error is not None:
        raise left.error
    if right.error is not None:
        raise right.error
    assert left.value is not None and right.value is not None
    low, high = left.value, right.value
    # "2 a 3 ton" is 2 ton to 3 ton, unless that would put the low end above the high end.
    scale = tokens[right.last - 1].text
    if scale in _SCALE_EXPONENTS and not any(
        t.text in _SCALE_EXPONENTS for t in tokens[left.first : left.last]
    ):
        try:
            inherited = read(f"{left.text} {scale}")
        except _Unreadable:
            inherited = None
        if inherited is not None and inherited <= high:
            low = inherited
    if low > high:
        raise _Unreadable  # "12-3" is a date, not a range
    return low, high


_SHARE_WORDS: dict[tuple[str, ...], int] = {
    ("de", "helft"): 50, ("helft",): 50, ("alles",): 100, ("allemaal",): 100,
    ("driekwart",): 75, ("drie", "kwart"): 75, ("een", "kwart"): 25, ("kwart",): 25,
}
_ALL = frozenset({"alles", "allemaal"})
# "alles bij elkaar 40%" is "all in all", not 100%.
_NOT_ALL = frozenset({("bij", "elkaar"), ("samen",), ("in", "totaal"), ("bij", "mekaar")})
# "niks, alles contant": "alles" next to a no-word contradicts itself.
_NOTHING = frozenset({"niks", "niets", "geen", "nooit"})
_DENOMINATORS = {
    "derde": 3, "derden": 3, "vierde": 4, "vierden": 4, "vijfde": 5, "vijfden": 5, "zesde": 6,
    "zevende": 7, "achtste": 8, "negende": 9, "tiende": 10, "tienden": 10,
}


def _share_value(numerator: int, denominator: int) -> Decimal:
    """A fraction as a percentage: exact to one decimal, or else rounded to a whole number."""
    share = Fraction(100 * numerator, denominator)
    if (share * 10).denominator == 1:
        return _tidy(Decimal(share.numerator) / Decimal(share.denominator))
    return Decimal(floor(share + Fraction(1, 2)))


def _small_number(token: _Token) -> int | None:
    if token.kind == "num" and token.text.isdigit() and len(token.text) <= 2:
        return int(token.text)
    if token.text in _UNITS:
        return _UNITS[token.text]
    return None


def _share_words(tokens: list[_Token], taken: list[bool]) -> list[_Candidate]:
    """ "de helft", "een derde", "twee derde", "1/3", "alles": fixed percentages."""
    found: list[_Candidate] = []
    index = 0
    while index < len(tokens):
        size, value = 0, Decimal(0)
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        numerator = _small_number(tokens[index])
        if following and numerator is not None and following.text in _DENOMINATORS:
            if 0 < numerator < _DENOMINATORS[following.text]:
                size, value = 2, _share_value(numerator, _DENOMINATORS[following.text])
        elif (
            numerator is not None
            and index + 2 < len(tokens)
            and tokens[index + 1].text == "/"
            and _glued(tokens, index + 1)
            and _glued(tokens, index + 2)
        ):
            denominator = _small_number(tokens[index + 2])
            if denominator is not None and 0 < numerator < denominator <= 10:
                size, value = 3, _share_value(numerator, denominator)
        else:
            for length in (2, 1):
                key = tuple(t.text for t in tokens[index : index + length])
                if len(key) == length and key in _SHARE_WORDS:
                    rest = tuple(t.text for t in tokens[index + length : index + length + 2])
                    if key[-1] in _ALL and (rest in _NOT_ALL or rest[:1] in _NOT_ALL):
                        break
                    if key[-1] in _ALL and any(t.text in _NOTHING for t in tokens):
                        raise _Unreadable
                    size, value = length, Decimal(_SHARE_WORDS[key])
                    break
        if size:
            found.append(_Candidate(index, value, fixed=True))
            for k in range(index, index + size):
                taken[k] = True
            index += size
        else:
            index += 1
    return found


_ARTICLE_N_RE = re.compile(r"(?<![\w'])'n(?![\w'])")
_TM_RE = re.compile(r"(?<!\w)(?:t/m|t\.e\.m\.?)(?!\w)")
_GLUED_HALF_ANYWHERE_RE = re.compile(
    r"(?<![a-z])(half|halve)(?=(?:jaar|maand|week|dag|uur)(?![a-z]))"
)
_SENTENCE_NO_CENTS_RE = re.compile(r"(?<=[0-9])[.,](?:-+|=)(?![0-9])")

_DROP_AFTER = {
    "amount": frozenset({"percent", "unit", "noun", "times", "ordinal", "date"}),
    "count": frozenset({"percent", "currency", "unit", "times", "ordinal", "date"}),
    "percentage": frozenset({"currency", "unit", "noun", "times", "ordinal", "date"}),
    "period": frozenset({"percent", "currency", "noun", "times", "ordinal", "date"}),
}
_DROP_BEFORE = {
    "amount": frozenset({"code"}),
    "count": frozenset({"code", "currency"}),
    "percentage": frozenset({"code", "currency"}),
    "period": frozenset({"code", "currency"}),
}


def _kept(candidate: _Candidate, kind: str) -> bool:
    """Whether the number could be the answer to a question of this kind."""
    if candidate.fixed:
        return True
    if candidate.after in _DROP_AFTER[kind] or candidate.before in _DROP_BEFORE[kind]:
        return False
    if candidate.bare == "article":
        return kind == "period" and candidate.after == "unit"  # "een jaar"
    if candidate.bare == "half":
        return kind == "percentage" or (kind == "period" and candidate.after == "unit")
    return True


def _scan(words: str, kind: str) -> list[_Candidate]:
    """The numbers in a sentence that could each be the answer, in the order typed.

    Raises _Unreadable for a chain of ranges ("20 of 30 of 40") and for "alles" next to a
    no-word ("niks, alles contant").
    """
    text = _DATE_RE.sub(" ", _SENTENCE_NO_CENTS_RE.sub("", words))
    text = _TM_RE.sub("tot", _ARTICLE_N_RE.sub("een", text))
    tokens = _tokens(_GLUED_HALF_ANYWHERE_RE.sub(r"\1 ", text))
    taken = [False] * len(tokens)
    found = _share_words(tokens, taken) if kind == "percentage" else []
    pieces: list[tuple[_Piece, Callable[[str], Decimal]]] = []
    for start, end in _spans(tokens, taken):
        dot = kind == "percentage" or (kind == "period" and _after(tokens, end) == "unit")

        def reader(part: str, dot: bool = dot) -> Decimal:
            return _read_number(part, dot_decimal=dot)

        pieces.extend((piece, reader) for piece in _pieces(tokens, start, end, reader))
    index = 0
    while index < len(pieces):
        piece, read = pieces[index]
        final, low, high, error = piece, piece.value, None, piece.error
        if index + 1 < len(pieces) and _linked(tokens, piece, pieces[index + 1][0], kind):
            if index + 2 < len(pieces) and _linked(
                tokens, pieces[index + 1][0], pieces[index + 2][0], kind
            ):
                raise _Unreadable
            final, read = pieces[index + 1]
            try:
                low, high = _range_bounds(tokens, piece, final, read)
            except _Unreadable as unreadable:
                low, error = None, unreadable
            index += 1
        index += 1
        after = _after(tokens, final.last)
        year = (
            _YEAR_RE.fullmatch(piece.text) is not None
            and (high is None or _YEAR_RE.fullmatch(final.text) is not None)
            and _before(tokens, piece.first) != "currency"
            and after == ""
        )
        dated = year and piece.first > 0 and tokens[piece.first - 1].text in _YEAR_LEAD
        unit = _UNIT_OF[tokens[final.last].text] if after == "unit" else None
        bare = "article" if piece.text == "een" else "half" if piece.text in _HALF_ONLY else ""
        found.append(_Candidate(
            piece.first, low, high, error, _before(tokens, piece.first), after, unit,
            "" if high is not None else bare, year, dated,
        ))
    found.sort(key=lambda c: c.first)
    kept = [c for c in found if _kept(c, kind) and not c.dated]
    # "2023: 1,8 miljoen": a 19xx/20xx number next to a bigger one is the year it refers to.
    biggest = max(
        (c.high or c.value for c in kept if not c.year and c.value is not None),
        default=None,
    )
    return [c for c in kept if not (c.year and biggest is not None and c.value is not None
                                    and biggest > c.value)]


def _distinct(values: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values))


def _few_times(scales: dict[str, int]) -> dict[str, int]:
    """ "een paar ton", "enkele duizenden": a few of a unit is proposed as three."""
    few = ("een paar", "paar", "enkele", "een stuk of wat", "een aantal")
    return {f"{f} {s}": 3 * v for f in few for s, v in scales.items()}


# --- amounts ---------------------------------------------------------------------------------

_CURRENCY_RE = re.compile(r"€|(?<![a-z])(?:euro's|euros|euro|eur)(?![a-z])")
# "1.250.000,-" and "€ 250,=" are the Dutch way of writing "no cents".
_NO_CENTS_RE = re.compile(r"(?<=[0-9])[.,](?:-+|=)(?=\s|$)")
_AMOUNT_VAGUE = {
    **_few_times({"honderd": 100, "duizend": 1000, "mille": 1000, "ton": 100_000,
                  "miljoen": 1_000_000}),
    "honderden": 200, "duizenden": 2000, "tienduizenden": 30_000,
    "honderdduizenden": 200_000, "tonnen": 200_000, "miljoenen": 2_000_000,
}
_AMOUNT_VAGUE_RE = _phrase_re(_AMOUNT_VAGUE)


def _money(value: Decimal) -> Decimal:
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _whole_amount(words: str) -> Decimal:
    """The answer read as nothing but an amount (with hedges)."""
    words = _NO_CENTS_RE.sub("", _collapse(_CURRENCY_RE.sub(" ", words)))
    words = _strip_hedges(words, _AMOUNT_SUFFIX_RE)
    if not words:
        raise ParseError("amount.invalid")
    if (unsigned := _after_minus(words)) is not None:
        try:
            _read_number(unsigned, dot_decimal=False)
        except _Unreadable as error:
            if not error.ambiguous:
                raise ParseError("amount.invalid") from None
        raise ParseError("amount.negative")
    if bounds := _read_range(words, lambda part: _read_number(part, dot_decimal=False)):
        raise Range("amount.range", _money(bounds[0]), _money(bounds[1]),
                    _money((bounds[0] + bounds[1]) / 2))
    try:
        value = _read_number(words, dot_decimal=False)
    except _Unreadable as error:
        raise ParseError("amount.ambiguous" if error.ambiguous else "amount.invalid") from None
    if value > _MAX_AMOUNT:
        raise ParseError("amount.too_large")
    return _money(value)


def _amount_in_sentence(words: str) -> Decimal | None:
    try:
        found = _scan(words, "amount")
    except _Unreadable:
        raise ParseError("amount.invalid") from None
    if not found:
        return None
    for candidate in found:
        if candidate.error is not None:
            ambiguous = candidate.error.ambiguous
            raise ParseError("amount.ambiguous" if ambiguous else "amount.invalid")
    if any(c.before == "minus" for c in found):
        raise ParseError("amount.negative")
    ranges = [c for c in found if c.high is not None and c.value is not None]
    if len(ranges) == 1 and len(found) == 1:
        low, high = ranges[0].value, ranges[0].high
        assert low is not None and high is not None
        raise Range("amount.range", _money(low), _money(high), _money((low + high) / 2))
    if ranges:
        raise ParseError("amount.range")
    values = _distinct(_money(c.value) for c in found if c.value is not None)
    if len(values) > 1:
        raise Several("amount.several", values)
    if values[0] > _MAX_AMOUNT:
        raise ParseError("amount.too_large")
    return Decimal(values[0])


_ALMOST_NOTHING_RE = re.compile(r"(?<!\S)bijna (?:niks|niets|geen|nul)(?!\S)")


def parse_amount(text: str) -> Decimal:
    """Euros >= 0; whole unless cents were given, then quantized to 0.01.

    Reads the amount inside a sentence ("vorig jaar 1,8 miljoen"). Raises ParseError with
    amount.invalid, amount.negative, amount.ambiguous, amount.range or amount.too_large,
    Several (amount.several) or Vague (amount.vague).
    """
    if _ALMOST_NOTHING_RE.search(normalise(text)):
        # "bijna niks": something, but how much? Not zero; the bot offers bands.
        raise ParseError("amount.invalid")
    words = _numeric_text(text)
    if len(words) > _MAX_SENTENCE:
        raise ParseError("amount.invalid")
    words, vague = _take_vague(words, _AMOUNT_VAGUE_RE, _AMOUNT_VAGUE)
    if len(words) <= _MAX_LENGTH:
        try:
            return _whole_amount(words)
        except ParseError as error:
            if error.code != "amount.invalid":
                raise
    if (found := _amount_in_sentence(words)) is not None:
        return found
    if vague is not None:
        raise Vague("amount.vague", Decimal(vague))
    raise ParseError("amount.invalid")


# --- percentages -----------------------------------------------------------------------------

_PERCENT_SIGN_RE = re.compile(r"%|(?<![a-z])(?:procent|percent|pct|perc)(?![a-z])")
# "40% van de omzet", "de helft van mijn klanten": what it is a share of is already known.
_SHARE_OF_RE = re.compile(r"\s+van\s+(?:de|het|mijn|onze|ons|m'n|alle)\b.*$")
_PERCENT_WORDS = {
    "de helft": 50, "helft": 50, "half": 50, "de halve": 50,
    "alles": 100, "alle": 100, "allemaal": 100, "volledig": 100, "geheel": 100,
    "helemaal": 100,
    "een kwart": 25, "kwart": 25, "een vierde": 25,
    "driekwart": 75, "drie kwart": 75, "drievierde": 75, "drie vierde": 75,
    "een derde": 33, "twee derde": 67, "een vijfde": 20, "een tiende": 10,
}
_PERCENT_VAGUE = {
    "vrijwel alles": 95, "vrijwel alle": 95, "vrijwel allemaal": 95, "zo goed als alles": 95,
    "zo goed als alle": 95, "nagenoeg alles": 95, "nagenoeg alle": 95,
    "praktisch alles": 95, "praktisch alle": 95,
    "bijna alles": 90, "bijna alle": 90, "bijna allemaal": 90, "haast alles": 90,
    "haast alle": 90, "het overgrote deel": 90, "overgrote deel": 90,
    "de overgrote meerderheid": 90, "overgrote meerderheid": 90,
    "de meeste": 70, "meeste": 70, "het meeste": 70, "het merendeel": 70, "merendeel": 70,
    "grotendeels": 70, "het grootste deel": 70, "grootste deel": 70, "het grootste gedeelte": 70,
    "de meerderheid": 70, "meerderheid": 70, "het gros": 70,
    "een groot deel": 60, "groot deel": 60, "een groot gedeelte": 60, "een flink deel": 60,
    "flink deel": 60, "een behoorlijk deel": 60, "behoorlijk deel": 60,
    "een deel": 30, "deels": 30, "gedeeltelijk": 30, "een gedeelte": 30,
    "een klein deel": 10, "klein deel": 10, "een klein gedeelte": 10, "weinig": 10,
    "een beetje": 10, "beetje": 10, "een paar procent": 3, "enkele procenten": 3,
    "een paar procenten": 3, "enkele procent": 3,
    "ruim de helft": 60, "meer dan de helft": 60, "iets meer dan de helft": 55,
    "ruim over de helft": 60, "minder dan de helft": 40, "iets minder dan de helft": 45,
    "bijna de helft": 45, "een paar klanten": 5, "enkele klanten": 5, "een enkele klant": 2,
    "een paar afnemers": 5, "enkele afnemers": 5,
    "bijna niks": 5, "bijna niets": 5, "vrijwel niks": 5, "vrijwel niets": 5,
    "zo goed als niks": 5, "zo goed als niets": 5, "nagenoeg niks": 5, "nagenoeg niets": 5,
    "haast niks": 5, "haast niets": 5, "heel weinig": 5, "erg weinig": 5, "zeer weinig": 5,
    "nauwelijks": 5, "amper": 5, "een fractie": 5, "verwaarloosbaar": 5,
}
_PERCENT_VAGUE_RE = _phrase_re(_PERCENT_VAGUE)


def _tidy(value: Decimal) -> Decimal:
    # Keep "40", not "40.0", so that str(value) is what the user would write.
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize()


def _whole_percentage(words: str) -> Decimal:
    """The answer read as nothing but a percentage (with hedges)."""
    # "40% van de omzet": drop what it is a share of, unless that holds another number.
    if (share_of := _SHARE_OF_RE.search(words)) and not any(
        c.isdigit() for c in share_of.group()
    ):
        words = words[: share_of.start()]
    words = _collapse(_PERCENT_SIGN_RE.sub(" ", words))
    words = _strip_hedges(words)
    if words in _PERCENT_WORDS:
        return Decimal(_PERCENT_WORDS[words])
    if not words:
        raise ParseError("percentage.invalid")

    def read(part: str) -> Decimal:
        return _read_number(part, dot_decimal=True)

    if (unsigned := _after_minus(words)) is not None:
        try:
            read(unsigned)
        except _Unreadable:
            raise ParseError("percentage.invalid") from None
        raise ParseError("percentage.out_of_range")
    try:
        bounds = _read_range(words, read)
        value = (bounds[0] + bounds[1]) / 2 if bounds else read(words)
    except _Unreadable:
        raise ParseError("percentage.invalid") from None
    if not 0 <= value <= 100:
        raise ParseError("percentage.out_of_range")
    if bounds and bounds[0] != bounds[1]:
        raise Range("percentage.range", _tidy(bounds[0]), _tidy(bounds[1]), _tidy(value))
    return _tidy(value)


def _percentage_in_sentence(words: str) -> Decimal | None:
    try:
        found = _scan(words, "percentage")
    except _Unreadable:
        raise ParseError("percentage.invalid") from None
    if not found:
        return None
    if any(c.error is not None for c in found):
        raise ParseError("percentage.invalid")
    if any(c.before == "minus" for c in found):
        raise ParseError("percentage.out_of_range")
    values: list[Decimal] = []
    for c in found:
        assert c.value is not None
        if c.high is not None:
            values.append((c.value + c.high) / 2)
        elif c.bare == "half" and c.after != "percent":
            values.append(Decimal(50))  # "half binnenland, half export"
        else:
            values.append(c.value)
    possible = _distinct(_tidy(v) for v in values if 0 <= v <= 100)
    if not possible:
        raise ParseError("percentage.out_of_range")
    if len(possible) > 1:
        raise Several("percentage.several", possible)
    if len(found) == 1 and found[0].high is not None and found[0].high != found[0].value:
        low, high = found[0].value, found[0].high
        raise Range("percentage.range", _tidy(low or Decimal(0)), _tidy(high),
                    Decimal(possible[0]))
    return Decimal(possible[0])


# "alles behalve de kassaverkoop": everything but a part.
_ALL_BUT_RE = re.compile(r"(?<!\S)(?:alles|allemaal) (?:behalve|uitgezonderd|except)(?!\S)")


def _all_but(words: str) -> Decimal:
    """ "alles behalve X, dat is 10%": 90 or 10? Without a number: propose 90."""
    rest = _ALL_BUT_RE.sub(" , ", words)
    try:
        part = _percentage_in_sentence(rest)
    except Several:
        raise
    except ParseError:
        part = None
    if part is None:
        raise Vague("percentage.vague", Decimal(90))
    raise Several("percentage.several", _distinct((_tidy(100 - part), part)))


def parse_percentage(text: str) -> Decimal:
    """A percentage 0..100 inclusive; a range gives its midpoint ("40-50%" -> 45).

    Reads the percentage inside a sentence ("20%, de rest is versnipperd"); fractions
    ("een derde" -> 33, "twee derde" -> 67). Raises ParseError with percentage.invalid or
    percentage.out_of_range, Several (percentage.several) or Vague (percentage.vague).
    """
    words = _numeric_text(text)
    if len(words) > _MAX_SENTENCE:
        raise ParseError("percentage.invalid")
    words, vague = _take_vague(words, _PERCENT_VAGUE_RE, _PERCENT_VAGUE)
    if _ALL_BUT_RE.search(words):
        return _all_but(words)
    if len(words) <= _MAX_LENGTH:
        try:
            return _whole_percentage(words)
        except ParseError as error:
            if error.code != "percentage.invalid":
                raise
    if (found := _percentage_in_sentence(words)) is not None:
        return found
    if vague is not None:
        raise Vague("percentage.vague", Decimal(vague))
    raise ParseError("percentage.invalid")


# --- counts ----------------------------------------------------------------------------------

_COUNT_VAGUE = {
    **_few_times({"honderd": 100, "duizend": 1000, "tientallen": 10, "honderden": 100}),
    "een paar": 3, "paar": 3, "enkele": 3, "een stuk of wat": 3, "een aantal": 5,
    "een handvol": 5, "handvol": 5, "tientallen": 30, "honderden": 200, "duizenden": 2000,
    "tienduizenden": 30_000,
}
_COUNT_VAGUE_RE = _phrase_re(_COUNT_VAGUE)
_PLACES = (
    r"(?:hoofdkantoor|hoofdvestiging|kantoor|pand|bedrijfspand|winkel|vestiging|filiaal|"
    r"locatie|magazijn|werkplaats|fabriek|loods|showroom|depot|adres)"
)
# "alleen dit pand": one location.
_ONLY_ONE_RE = re.compile(
    rf"(?<!\S)(?:alleen|enkel|maar|slechts|uitsluitend|gewoon)\s+(?:dit|deze|het|ons|onze|"
    rf"1|een)\s+{_PLACES}(?!\S)|(?<!\S)(?:alleen|enkel|maar|slechts) (?:hier|deze|dit)(?!\S)"
)
# "hoofdkantoor en 2 filialen": the place without a number is one more.
_ONE_MORE_RE = re.compile(
    rf"(?<![\w'])(?:(?:een|het|ons|onze|1)\s+)?{_PLACES}\s+(?:en|plus|\+|naast|met)\s"
    rf"|\s(?:en|plus|\+|naast)\s+(?:(?:een|het|ons|onze)\s+)?{_PLACES}(?![\w'])"
)


def _is_number_word(word: str) -> bool:
    try:
        _tokenize(_fold(word))
    except _Unreadable:
        return False
    return True


def _read_count_number(text: str) -> Decimal:
    # "25 klanten", "3 vestigingen": the question already says what is being counted, so any
    # trailing word that is not part of a number is dropped.
    words = text.split()
    while len(words) > 1 and words[-1].isalpha() and not _is_number_word(words[-1]):
        words.pop()
    return _read_number(" ".join(words), dot_decimal=False)


def _count_value(values: Iterable[Decimal]) -> int | None:
    """The midpoint of the values rounded down, or None if one is no whole count."""
    values = list(values)
    if any(v != v.to_integral_value() or v > _MAX_COUNT for v in values):
        return None
    return sum(int(v) for v in values) // len(values)


def _whole_count(words: str) -> int:
    """The answer read as nothing but a count (with hedges and a counted noun)."""
    words = _strip_hedges(words)
    if not words or _after_minus(words) is not None:
        raise ParseError("count.invalid")
    try:
        bounds = _read_range(words, _read_count_number)
        value = _count_value(bounds if bounds else (_read_count_number(words),))
    except _Unreadable:
        raise ParseError("count.invalid") from None
    if value is None:
        raise ParseError("count.invalid")
    if bounds and bounds[0] != bounds[1]:
        raise Range("count.range", int(bounds[0]), int(bounds[1]), value)
    return value


def _count_in_sentence(words: str) -> int | None:
    try:
        found = _scan(words, "count")
    except _Unreadable:
        raise ParseError("count.invalid") from None
    if not found:
        return None
    if any(c.error is not None or c.before == "minus" for c in found):
        raise ParseError("count.invalid")
    values = _distinct(
        value
        for c in found
        if c.value is not None
        and (value := _count_value((c.value, c.high) if c.high is not None else (c.value,)))
        is not None
    )
    if not values:
        raise ParseError("count.invalid")
    if len(values) > 1:
        raise Several("count.several", values)
    if len(found) == 1 and found[0].high is not None and found[0].value is not None:
        raise Range("count.range", int(found[0].value), int(found[0].high), int(values[0]))
    return int(values[0])


def _one_more(words: str, value: int) -> int:
    # "hoofdkantoor en 2 filialen": is the head office among the two branches?
    if _ONE_MORE_RE.search(words):
        raise Several("count.several", (value, value + 1))
    return value


def parse_count(text: str) -> int:
    """A whole number >= 0; a range gives its midpoint rounded down ("20-30" -> 25).

    Reads the count inside a sentence ("we hebben er zo'n 40"). Raises ParseError
    ("count.invalid"), Several (count.several, also for "hoofdkantoor en 2 filialen": 2 or 3)
    or Vague (count.vague: "een paar" -> 3).
    """
    words = _numeric_text(text)
    if len(words) > _MAX_SENTENCE:
        raise ParseError("count.invalid")
    words, vague = _take_vague(words, _COUNT_VAGUE_RE, _COUNT_VAGUE)
    words = _ONLY_ONE_RE.sub("1", words)
    if len(words) <= _MAX_LENGTH:
        try:
            return _one_more(words, _whole_count(words))
        except (Several, Range):
            raise
        except ParseError:
            pass
    if (found := _count_in_sentence(words)) is not None:
        return _one_more(words, found)
    if vague is not None:
        raise Vague("count.vague", vague)
    raise ParseError("count.invalid")


# --- periods ---------------------------------------------------------------------------------

# A unit letter only counts after a digit or a space: the "d" ending "honderd" is no unit.
_UNIT_RE = re.compile(rf"(?:^|(?<=[0-9])|\s)({_alternation(_UNIT_OF)})$")
_GLUED_HALF_RE = re.compile(r"(half|halve)(?=(?:jaar|maand|week|dag|uur)$)")
_PERIOD_NOISE_RE = re.compile(r"^(?:netto|binnen)\s+|\s+(?:na factuurdatum|na factuur|netto)$")

# A month is 30 days but 52/12 weeks: the products are sold per 6/12/18/24 months and must come
# out as 26/52/78/104 weeks, while a payment term of "2 maanden" is 60 days by convention.
_FACTORS: dict[str, dict[str, Fraction]] = {
    "day": {
        "day": Fraction(1), "week": Fraction(7), "month": Fraction(30), "quarter": Fraction(90),
        "year": Fraction(365), "hour": Fraction(1, 24),
    },
    "week": {
        "day": Fraction(1, 7), "week": Fraction(1), "month": Fraction(52, 12),
        "quarter": Fraction(13), "year": Fraction(52), "hour": Fraction(1, 168),
    },
    "hour": {
        "day": Fraction(24), "week": Fraction(168), "month": Fraction(720),
        "quarter": Fraction(2160), "year": Fraction(8760), "hour": Fraction(1),
    },
}
_PERIOD_CAP = {"day": 36_500, "week": 5_200, "hour": 876_000}  # a century


def _convert(quantity: Decimal, unit: str, target: str) -> int:
    if quantity > _PERIOD_CAP["day"] * 24:
        raise ParseError("period.invalid")  # also keeps Fraction arithmetic small
    # Round half up: "1 maand" is 4 weeks, "anderhalve week" is 11 days.
    result = floor(Fraction(quantity) * _FACTORS[target][unit] + Fraction(1, 2))
    if result > _PERIOD_CAP[target]:
        raise ParseError("period.invalid")
    return result


def _whole_period(words: str, target: str) -> int:
    """The answer read as nothing but a period (with hedges)."""
    words = _strip_hedges(words)
    if not words:
        raise ParseError("period.invalid")
    words = _strip_hedges(_PERIOD_NOISE_RE.sub("", _GLUED_HALF_RE.sub(r"\1 ", words)))
    try:
        if unit_match := _UNIT_RE.search(words):
            unit = _UNIT_OF[unit_match.group(1)]
            quantity_text = words[: unit_match.start()].strip()
            quantity = (
                _read_number(quantity_text, dot_decimal=True) if quantity_text else Decimal(1)
            )
        elif words:
            unit = target
            quantity = _read_number(words, dot_decimal=False)
        else:
            raise _Unreadable
    except _Unreadable:
        raise ParseError("period.invalid") from None
    return _convert(quantity, unit, target)


def _period_in_sentence(words: str, target: str) -> int | None:
    try:
        found = _scan(words, "period")
    except _Unreadable:
        raise ParseError("period.invalid") from None
    if not found:
        return None
    if len(found) == 1 and found[0].high is not None and found[0].error is None \
            and found[0].before != "minus" and found[0].value is not None:
        c = found[0]
        assert c.high is not None and c.value is not None
        low = _convert(c.value, c.unit or target, target)
        high = _convert(c.high, c.unit or target, target)
        if low < high:
            raise Range("period.range", low, high, (low + high) // 2)
    if any(c.error is not None or c.before == "minus" or c.high is not None for c in found):
        raise ParseError("period.invalid")  # a range of terms is asked again
    values = _distinct(
        _convert(c.value, c.unit or target, target) for c in found if c.value is not None
    )
    if len(values) > 1:
        raise Several("period.several", values)
    return int(values[0])


def _parse_period(text: str, target: str) -> int:
    words = _numeric_text(text)
    if len(words) > _MAX_SENTENCE:
        raise ParseError("period.invalid")
    if len(words) <= _MAX_LENGTH:
        try:
            return _whole_period(words, target)
        except ParseError:
            pass
    if (found := _period_in_sentence(words, target)) is not None:
        return found
    raise ParseError("period.invalid")


def parse_days(text: str) -> int:
    """A period in days; a bare number is days, a month is 30 days, a year 365 days.

    Reads the period inside a sentence ("30 dagen, maar ze betalen meestal later"). Raises
    ParseError("period.invalid") or Several (period.several).
    """
    return _parse_period(text, "day")


def parse_weeks(text: str) -> int:
    """A period in weeks; a bare number is weeks, a month is 52/12 weeks, rounded."""
    return _parse_period(text, "week")


def parse_hours(text: str) -> int:
    """A period in hours; a bare number is hours. Raises period.invalid or period.several."""
    return _parse_period(text, "hour")


# --- yes / no --------------------------------------------------------------------------------

_YES = frozenset({
    "ja", "jazeker", "ja zeker", "ja hoor", "ja graag", "graag", "jawel", "jaja", "ja ja",
    "jep", "jup", "jes", "yes", "yep", "yup", "y", "j", "zeker", "zeker weten", "zekers",
    "klopt", "dat klopt", "klopt ja", "ja klopt", "correct", "juist", "inderdaad", "akkoord",
    "prima", "ok", "oke", "okay", "okee", "okey", "goed", "is goed", "dat is goed", "top",
    "natuurlijk", "uiteraard", "absoluut", "doe maar", "👍", "👌", "✅", "✔", "☑",
})
_NO = frozenset({
    "nee", "nee hoor", "neen", "nope", "nee dank je", "nee dankje", "nee bedankt",
    "nee dank u", "liever niet", "niet", "no", "n", "nah", "nee nee", "neuh", "zeker niet",
    "absoluut niet", "helemaal niet", "natuurlijk niet", "niet nodig", "nooit", "👎", "❌",
    "✖", "✗",
})
_YES_RE = re.compile(r"j+a+")
_NO_RE = re.compile(r"n+e{2,}n?")
# Variation selectors and skin tones: "👍🏽" and "👍️" are the same thumbs-up.
_EMOJI_MODIFIERS_RE = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")
_INNER_PUNCTUATION_RE = re.compile(r"[.,!?;:]+")

# Signals inside a sentence. Phrases are matched longest first, so "klopt niet" is a no and
# "geen probleem" a yes before "klopt" and "geen" are looked at on their own.
_SAID: dict[str, bool] = {
    **dict.fromkeys((
        "ja", "jawel", "jazeker", "jaja", "jep", "jup", "jes", "yes", "yep", "yup", "klopt",
        "correct", "juist", "inderdaad", "akkoord", "prima", "goed", "graag", "mag", "zeker",
        "zekers", "natuurlijk", "uiteraard", "absoluut", "ok", "oke", "okay", "okee", "okey",
        "top", "doe maar", "geen probleem", "geen bezwaar", "mee eens", "precies", "prima zo",
        "meeverzekeren", "👍", "👌", "✅", "✔", "☑",
    ), True),
    **dict.fromkeys((
        "nee", "neen", "nope", "nah", "neuh", "no", "niet", "nooit", "geen", "klopt niet",
        "klopt helemaal niet", "klopt niet helemaal", "niet correct", "niet juist", "onjuist",
        "incorrect", "fout", "hoeft niet", "hoeft ook niet", "niet nodig", "liever niet",
        "mag niet", "doe maar niet", "niet doen", "geen behoefte", "geen interesse",
        "niet akkoord", "niet goed", "niet mee eens", "zeker niet", "absoluut niet",
        "helemaal niet", "natuurlijk niet", "toch niet", "niet meeverzekeren", "👎", "❌", "✖",
        "✗",
    ), False),
}
_SAID_RE = re.compile(rf"(?<!\S)(?:{_alternation(_SAID)})(?!\S)")
# Words that make a yes or no conditional or uncertain: ask again rather than guess.
_DOUBT = frozenset({
    "misschien", "weet", "twijfel", "eventueel", "mogelijk", "wellicht", "denk", "hangt",
    "afhankelijk", "tenzij", "maar", "behalve", "soms", "deels", "gedeeltelijk", "half", "of",
    "waarschijnlijk", "🤷",
})


def _plain(text: str) -> str:
    """Normalised, folded text without punctuation, emoji modifiers split off."""
    words = _EMOJI_MODIFIERS_RE.sub("", _fold(normalise(text)))
    return _collapse(_INNER_PUNCTUATION_RE.sub(" ", words))


def parse_yes_no(text: str) -> bool:
    """True for a yes, False for a no, also inside a sentence ("ja, dat klopt").

    Raises ParseError("yesno.invalid") for neither, for both ("ja, nee toch niet"), for a
    conditional or uncertain answer ("ja, maar ...", "misschien"), and for a yes or no with a
    number ("nee, 180.000"): the number may be the real answer.
    """
    if len(text) > 4 * _MAX_LENGTH:
        raise ParseError("yesno.invalid")
    words = _plain(text)
    if len(words) > _MAX_LENGTH:
        raise ParseError("yesno.invalid")
    if words in _YES or _YES_RE.fullmatch(words):
        return True
    if words in _NO or _NO_RE.fullmatch(words):
        return False
    said: set[bool] = set()

    def note(match: re.Match[str]) -> str:
        said.add(_SAID[match.group()])
        return " "

    for word in _SAID_RE.sub(note, words).split():
        # "nee, 180.000" answers the question itself: the bot should read the number.
        if word in _DOUBT or any(c.isdigit() for c in word):
            raise ParseError("yesno.invalid")
        if _YES_RE.fullmatch(word):
            said.add(True)
        elif _NO_RE.fullmatch(word):
            said.add(False)
    if len(said) != 1:
        raise ParseError("yesno.invalid")
    return said.pop()


# --- none, unknown, skip ---------------------------------------------------------------------

# "alleen nederland" answers "how much do you export?" with none.
_ONLY_HOME_RE = re.compile(
    r"(?<!\S)(?:alleen|enkel|uitsluitend|puur|volledig|helemaal|alles|100 ?%?)\s+"
    r"(?:(?:in|binnen|op)\s+)?(?:het\s+|de\s+|eigen\s+)?"
    r"(?:nederland|nl|holland|binnenland|binnenlands|binnenlandse klanten|"
    r"nederlandse klanten|land)(?!\S)"
)
_NONE_PERIOD_RE = re.compile(
    r"(?<!\S)(?:(?:in\s+)?de\s+)?(?:afgelopen|laatste|voorbije)\s+"
    r"(?:[0-9]+|twee|drie|vier|vijf|tien)\s+(?:jaar|jaren|maanden)(?!\S)"
)
_ONLY_HOME = "zzalleenbinnenland"
_NONE_PHRASES_RE = re.compile(r"(?<!\S)(?:niet dat ik weet|n v t|niet van toepassing)(?!\S)")
_NONE_CORE = frozenset({
    "nee", "neen", "nope", "nah", "niet", "nooit", "geen", "niks", "niets", "nul", "nvt",
    _ONLY_HOME,
})
_NONE_FILLER = frozenset({
    "gelukkig", "helaas", "hoor", "eigenlijk", "echt", "gewoon", "nog", "toch", "ook", "dus",
    "zeker", "absoluut", "helemaal", "totaal", "compleet", "tot", "nu", "toe", "op", "dit",
    "moment", "momenteel", "we", "wij", "ik", "hebben", "heb", "hadden", "had", "zijn", "is",
    "was", "waren", "er", "daar", "dat", "die", "het", "de", "enkele", "enkel", "euro", "eur",
    "procent", "gehad", "gedaan", "meegemaakt", "voorgekomen", "voorgevallen", "gebeurd",
    "van", "in", "aan", "naar", "jaar", "jaren", "afgelopen", "laatste", "vorig", "vorige",
    "boekjaar", "periode", "sinds", "ooit", "en", "of", "mee", "te", "maken", "sprake",
    "enige", "een", "over", "bij", "ons", "mij",
})
_NONE_TOPIC = frozenset({
    "export", "exporteren", "exporteer", "exporteert", "buitenland", "buitenlandse",
    "buitenlands", "klanten", "klant", "afnemers", "debiteuren", "verlies", "verliezen",
    "afgeschreven", "afschrijving", "afschrijvingen", "afgeboekt", "oninbaar", "oninbare",
    "vorderingen", "vordering", "wanbetalers", "wanbetaler", "wanbetaling", "wanbetalingen",
    "faillissement", "faillissementen", "failliet", "schade", "schades", "schadegevallen",
    "claims", "claim", "problemen", "probleem", "incidenten", "omzet", "grens", "grenzen",
    "levering", "leveringen", "leveren", "lever", "verkoop", "verkopen", "internationaal",
    "betalingsproblemen", "achterstand", "achterstanden", "onbetaalde", "facturen",
})
# "debiteurenverlies", "exportomzet", "stormschade"
_NONE_TOPIC_ENDINGS = ("verlies", "verliezen", "schade", "schades", "export", "omzet")
_ZERO_NUMERAL_RE = re.compile(r"0+(?:[.,]0+)?")


def parse_none(text: str) -> bool:
    """Whether the whole answer says "none / zero" ("nee", "gelukkig nooit", "geen export",
    "alleen nederland", "0"). False for anything else, including an answer with a non-zero
    number ("nee, 5000"), "geen idee" and "liever niet". Never raises.

    Use it only for questions where zero is a natural answer.
    """
    if len(text) > 4 * _MAX_LENGTH:
        return False
    words = _plain(_SENTENCE_NO_CENTS_RE.sub("", text))
    if not words or len(words) > _MAX_LENGTH:
        return False
    words = _NONE_PERIOD_RE.sub(" ", _ONLY_HOME_RE.sub(f" {_ONLY_HOME} ", words))
    words = _NONE_PHRASES_RE.sub(" nee ", words)
    said_none = False
    for token in _tokens(words):
        if token.kind == "num":
            if not _ZERO_NUMERAL_RE.fullmatch(token.text):
                return False
            said_none = True
        elif token.text in _NONE_CORE:
            said_none = True
        elif not (
            token.text in _NONE_FILLER
            or token.text in _NONE_TOPIC
            or token.text in ("€", "%")
            or token.text.endswith(_NONE_TOPIC_ENDINGS)
        ):
            return False
    return said_none


_UNKNOWN_FILLER_RE = re.compile(
    r"(?<!\S)(?:uit (?:mijn|m'n|het) hoofd|eerlijk gezegd|op dit moment|op het moment|"
    r"echt|eigenlijk|helaas|hoor|nou|sorry|zo|precies|exact|nog|even|ook|dus|nee|eh|ehm|"
    r"uh|uhm|hmm|pff|tja|momenteel|zeker|helemaal|meer)(?!\S)"
)
_UNKNOWN = frozenset({
    "weet ik niet", "weet niet", "ik weet het niet", "ik weet niet", "weet het niet",
    "dat weet ik niet", "weet ik het niet", "weet ik veel", "geen idee", "geen flauw idee",
    "ik heb geen idee", "heb geen idee", "geen benul", "geen flauw benul", "geen flauwe notie",
    "onbekend", "idk", "dunno", "kan ik niet zeggen", "dat kan ik niet zeggen",
    "moeilijk te zeggen", "lastig te zeggen", "moeilijk te schatten", "lastig te schatten",
    "geen zicht op", "geen zicht", "niet bekend", "onduidelijk", "geen clue", "joost mag het weten",
    "ik zou het niet weten", "zou het niet weten", "geen idee eigenlijk", "weet ik niet precies",
    "vraag me wat makkelijkers", "heb ik niet bij de hand", "niet bij de hand",
    "moet ik opzoeken", "moet ik nakijken", "dat moet ik opzoeken", "dat moet ik nakijken",
})


def parse_unknown(text: str) -> bool:
    """Whether the answer is "I do not know" ("weet ik niet", "geen idee", "?"). Never raises."""
    if len(text) > 4 * _MAX_LENGTH:
        return False
    stripped = clean(text)
    if stripped and set(stripped) <= {"?", " ", "¿"}:
        return True
    words = _plain(text)
    if not words or len(words) > _MAX_LENGTH:
        return False
    return words in _UNKNOWN or _collapse(_UNKNOWN_FILLER_RE.sub(" ", words)) in _UNKNOWN


_SKIP_FILLER_RE = re.compile(
    r"(?<!\S)(?:maar|hoor|gewoon|dan|even|toch|alsjeblieft|alstublieft|aub|svp|nu|deze|die|"
    r"vraag|ik|wil|liefst|graag|ook|dit)(?!\S)"
)
_SKIP = frozenset({
    "overslaan", "sla over", "skip", "skippen", "volgende", "door", "ga door", "ga verder",
    "verder", "pas", "nee", "neen", "nope", "nah", "geen", "niks", "niets", "liever niet",
    "nee liever niet", "nee dank je", "nee dankje", "nee dank je wel", "nee bedankt",
    "nee dank u", "nee dank u wel", "nee dankjewel", "hoeft niet", "dat hoeft niet",
    "nee hoeft niet", "nee dat hoeft niet", "niet nodig", "nee niet nodig", "-", "--", "—",
    "–", "/", "nvt", "n v t", "niet van toepassing", "laat maar", "laat", "laat zitten",
    "geen behoefte", "doe niet", "nee hoor", "geen opgave", "zeg niet", "zeg liever niet",
    "zeg ik liever niet", "wil ik niet zeggen", "liever niet zeggen", "niet zeggen", "pass",
})


def parse_skip(text: str) -> bool:
    """Whether the prospect declines an optional question ("overslaan", "nee, liever niet",
    "-"). "weet ik niet" is not a skip (see :func:`parse_unknown`). Never raises."""
    if len(text) > 4 * _MAX_LENGTH:
        return False
    words = _plain(text)
    if not words or len(words) > _MAX_LENGTH:
        return False
    return words in _SKIP or _collapse(_SKIP_FILLER_RE.sub(" ", words)) in _SKIP


# --- names -----------------------------------------------------------------------------------

_MAX_NAME = 120
_MAX_CUSTOMER_NAME = 100
_MAX_NAMES = 10
_GREETING = r"(?:hoi|hallo|hey|hi|hee|dag|goedemorgen|goedemiddag|goedenavond|goeiemorgen)"
_NAME_LEAD_RE = re.compile(
    rf"^(?:{_GREETING}[\s,!.]+)?"
    r"(?:(?:ik ben|ik heet|mijn naam is|m'n naam is|mijn naam|naam is|naam|dit is|hier is|"
    r"je spreekt met|u spreekt met|je spreekt|u spreekt|spreekt u met|met)(?:\s*[:,]\s*|\s+))?",
    re.IGNORECASE,
)
_NAME_TAIL_RE = re.compile(r"(?:\s+hier)?[\s.!,;:]*$", re.IGNORECASE)
_GREETING_RE = re.compile(rf"{_GREETING}", re.IGNORECASE)


# Answers that are no name; short yes-words such as "jes" or "top" might be one.
_NOT_A_NAME = frozenset({
    "ja", "nee", "neen", "ok", "oke", "okay", "yes", "no", "nope", "jawel", "prima", "goed",
    "klopt", "akkoord", "zeker", "natuurlijk", "graag", "jazeker", "ja hoor", "nee hoor",
})


def _refusal(text: str) -> bool:
    words = _plain(text)
    return (
        words in _NOT_A_NAME
        or _YES_RE.fullmatch(words) is not None
        or _NO_RE.fullmatch(words) is not None
        or parse_skip(text)
        or parse_unknown(text)
    )


def parse_person_name(text: str) -> str:
    """A person's name as typed, without lead-ins ("ik ben Kees Smit" -> "Kees Smit").

    Cleaned (see :func:`clean`), capitalisation kept. Raises ParseError("name.invalid") for an
    e-mail address, digits (a phone number), text with no letters, "weet ik niet", a refusal
    ("nee", "overslaan") or more than 120 characters.
    """
    name = clean(text)
    if not name or len(name) > _MAX_NAME or _refusal(name):
        raise ParseError("name.invalid")
    if lead := _NAME_LEAD_RE.match(f"{name} "):  # the space: "ik ben" alone is no name
        name = f"{name} "[lead.end() :].strip()
    name = _NAME_TAIL_RE.sub("", name).strip(" \"'")
    if (
        len(name) < 2
        or "@" in name
        or any(c.isdigit() for c in name)
        or sum(c.isalpha() for c in name) < 2
        or _GREETING_RE.fullmatch(name)
        or _refusal(name)
    ):
        raise ParseError("name.invalid")
    return name


_NAMES_SPLIT_RE = re.compile(
    r"[,;\n\r]+|\s+en\s+(?!(?:zoon|zonen|zn|partners|co|compagnie|dochter|dochters)\b)",
    re.IGNORECASE,
)
_NAMES_LEAD_RE = re.compile(
    r"^(?:(?:(?:mijn|onze|m'n|de|ons)\s+)?(?:(?:grootste|belangrijkste|vaste|grote|top\s*\d+|"
    r"vijf|5)\s+){0,3}(?:klanten|afnemers|debiteuren|opdrachtgevers)(?:\s+zijn)?\s*:?\s+)?"
    r"(?:(?:dat|het) zijn|bijvoorbeeld|bijv\.?|o\.a\.?|oa|onder andere|onder meer|namelijk)?"
    r"\s*:?\s*",
    re.IGNORECASE,
)
_NAMES_FILLER = frozenset({"etc", "enz", "enzovoort", "en zo", "...", "…", "e.d", "ed"})


def parse_names(text: str) -> list[str]:
    """Customer names separated by commas, semicolons, line breaks or " en ".

    ``[]`` when the prospect skips ("overslaan", "nee"). At most 10 names (the first ten);
    "Jansen en Zonen" stays one name. Raises ParseError("names.invalid") for "weet ik niet",
    text without letters (only digits), an e-mail address or a name over 100 characters.
    """
    if len(text) > 20 * _MAX_NAME:
        raise ParseError("names.invalid")
    if parse_skip(text):
        return []
    if parse_unknown(text):
        raise ParseError("names.invalid")
    body = "\n".join(clean(line) for line in unicodedata.normalize("NFC", text).splitlines())
    body = _NAMES_LEAD_RE.sub("", body.strip())
    names: list[str] = []
    for part in _NAMES_SPLIT_RE.split(body):
        name = clean(part).strip(" .:\"'")
        if not name or name.lower().rstrip(".") in _NAMES_FILLER:
            continue
        if (
            len(name) > _MAX_CUSTOMER_NAME
            or "@" in name
            or not any(c.isalpha() for c in name)
            or _refusal(name)
        ):
            raise ParseError("names.invalid")
        if name.casefold() not in (n.casefold() for n in names):
            names.append(name)
    if not names:
        raise ParseError("names.invalid")
    return names[:_MAX_NAMES]


# --- contact details -------------------------------------------------------------------------

_MAX_PHONE_LENGTH = 64


def _phone_number(candidate: str) -> str | None:
    try:
        number = phonenumbers.parse(candidate, "NL")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_phone(text: str) -> str:
    """An E.164 number ("+31612345678"); national numbers are read as Dutch.

    Finds the number inside a sentence ("0612345678 (mobiel)"). Raises
    ParseError("phone.invalid") or Several (phone.several) for two different numbers.
    """
    if len(text) > 4 * _MAX_SENTENCE:
        raise ParseError("phone.invalid")
    candidate = normalise(text)
    if not candidate or len(candidate) > _MAX_SENTENCE:
        raise ParseError("phone.invalid")
    # Letters go to the matcher: parse() reads them as a vanity number ("mobiel" = 662435).
    if (
        len(candidate) <= _MAX_PHONE_LENGTH
        and not any(c.isalpha() for c in candidate)
        and (number := _phone_number(candidate))
    ):
        return number
    found = _distinct(
        phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        for match in phonenumbers.PhoneNumberMatcher(
            candidate, "NL", leniency=phonenumbers.Leniency.VALID, max_tries=20
        )
    )
    if not found:
        raise ParseError("phone.invalid")
    if len(found) > 1:
        raise Several("phone.several", found)
    return str(found[0])


_MAX_EMAIL_LENGTH = 320
_EMAIL_EDGES = "<>()[]{}\"',;:!?"
# Words that may stand right before an address in a sentence ("mijn mail is jan@x.nl").
# Anything else might be the first half of an address typed with a space ("a b@c.nl").
_EMAIL_LEAD = frozenset({
    "is", "mail", "email", "e-mail", "mailadres", "e-mailadres", "emailadres", "adres", "op",
    "naar", "via", "mijn", "m'n", "ons", "het", "dat", "dit", "wordt", "gebruik", "graag",
    "hier", "ja", "oke", "ok", "prima", "zakelijk", "prive", "privé", "werk", "mailen",
    "bereikbaar", "mailtje", "mailbox", "account", "staat", "info", "-", "is:", "–", "·",
    "of", "en", "anders", "/",
})


def _email_address(candidate: str) -> str | None:
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def parse_email(text: str) -> str:
    """The address as normalised by email-validator (syntax only, no DNS lookup).

    Unlike the other parsers this does not lowercase: the local part of an address may be
    case-sensitive, and email-validator already lowercases the domain. Finds the address
    inside a sentence ("mijn mail is jan@devries.nl"), unless the word before it might be
    part of it ("a b@c.nl"). Raises ParseError("email.invalid") or Several (email.several).
    """
    if len(text) > 4 * _MAX_SENTENCE:
        raise ParseError("email.invalid")
    candidate = clean(text).rstrip(_TRAILING)
    if not candidate or len(candidate) > _MAX_SENTENCE:
        raise ParseError("email.invalid")
    if len(candidate) <= _MAX_EMAIL_LENGTH and (address := _email_address(candidate)):
        return address
    words = candidate.split()
    found: list[str] = []
    for index, word in enumerate(words):
        if "@" not in word:
            continue
        word = word.strip(_EMAIL_EDGES).rstrip(".")
        if word.lower().startswith("mailto:"):
            word = word[len("mailto:") :]
        previous = words[index - 1].lower().rstrip(":") if index else ""
        if index and previous not in _EMAIL_LEAD and previous.strip(_EMAIL_EDGES + ".-"):
            raise ParseError("email.invalid")
        address = _email_address(word) if len(word) <= _MAX_EMAIL_LENGTH else None
        if address is None:
            raise ParseError("email.invalid")
        found.append(address)
    addresses = _distinct(found)
    if not addresses:
        raise ParseError("email.invalid")
    if len(addresses) > 1:
        raise Several("email.several", addresses)
    return str(addresses[0])


_KVK_PREFIX_RE = re.compile(
    r"^(?:kamer van koophandel|kvk)?[\s-]*(?:nummer|nr\.?|no\.?)?\s*[:#]?\s*"
)
_KVK_SEPARATORS_RE = re.compile(r"[\s.\-]")
_KVK_RE = re.compile(r"[0-9]{8}")
# Eight digits inside a sentence, possibly grouped ("1234 5678", "12.34.56.78").
_KVK_IN_SENTENCE_RE = re.compile(r"(?<![\w.,\-])[0-9](?:[ .\-]?[0-9]){7,}(?![\w\-]|[.,][0-9])")


def parse_kvk(text: str) -> str:
    """A KvK (Chamber of Commerce) number: exactly 8 digits, returned as a string.

    KvK numbers no longer carry a check digit (the old "elfproef" was dropped), so none is
    verified here. Finds the number inside a sentence ("ons kvk-nummer is 12345678"); raises
    ParseError("kvk.invalid") or Several (kvk.several).
    """
    words = normalise(text)
    if len(words) > _MAX_LENGTH:
        raise ParseError("kvk.invalid")
    digits = _KVK_SEPARATORS_RE.sub("", _KVK_PREFIX_RE.sub("", words, count=1))
    if _KVK_RE.fullmatch(digits):
        return digits
    groups = [_KVK_SEPARATORS_RE.sub("", m.group()) for m in _KVK_IN_SENTENCE_RE.finditer(words)]
    if not groups or any(not _KVK_RE.fullmatch(g) for g in groups):
        raise ParseError("kvk.invalid")
    numbers = _distinct(groups)
    if len(numbers) > 1:
        raise Several("kvk.several", numbers)
    return str(numbers[0])
