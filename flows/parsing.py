"""Read what a Dutch SME owner types into a chat as normalised values.

Every parser takes the raw chat text and either returns a normalised value or raises
:class:`ParseError`. This module never produces human-readable text: the bot maps
``ParseError.code`` to a message from the gettext catalog. It is pure (no I/O, no network).

Error codes (``ParseError.code``):

``amount.invalid``
    No amount could be read: empty text, no number, or a malformed number (``1.2.3``, ``1,2,3``).
``amount.negative``
    A minus sign in front of an otherwise readable amount (``-5000``).
``amount.ambiguous``
    The number has two plausible readings: ``1.5`` (1.5 or a mistyped 1.500?) or ``1,250``
    (Dutch 1.25 or English 1250?). The bot should ask again.
``amount.range``
    Two amounts were given (``2 a 3 ton``, ``200-300k``, ``tussen 1 en 2 miljoen``); the bot
    asks for a single figure.
``amount.too_large``
    More than 10**12 euro.
``percentage.invalid``
    No percentage could be read.
``percentage.out_of_range``
    A readable number outside 0..100, including negative numbers.
``count.invalid``
    No whole number >= 0 could be read (also for decimals and negative numbers).
``period.invalid``
    No period could be read (``parse_days``, ``parse_weeks``, ``parse_hours``).
``yesno.invalid``
    Neither a yes nor a no (``misschien``).
``phone.invalid``
    Not a valid phone number (Dutch numbering plan unless an international prefix is given).
``email.invalid``
    Not a syntactically valid e-mail address (deliverability is not checked).
``kvk.invalid``
    Not exactly 8 digits.

Why the number parsing is hand-written: no library reads Dutch colloquial amounts such as
``3 ton``, ``anderhalf miljoen`` or ``tweehonderdduizend``, and the obvious candidate, Babel's
non-strict ``parse_decimal``, silently reads ``1.5`` as 15 in the Dutch locale. For money a
silent misreading is worse than asking again, so unclear separators raise instead of guessing.

Separator rules (amounts, counts, and period quantities without a unit):

* A dot followed by groups of exactly three digits is a thousands separator: ``1.500`` = 1500.
* A comma is the decimal separator: ``2,5`` = 2.5; ``250.000,50`` = 250000.50.
* Before a multiplier (``k``, ``duizend``, ``ton``, ``mln``, ``miljoen``, ``miljard``) or a
  unit, a dot with one or two digits is a decimal point as well: ``1.5 mln`` = 1500000.
* ``1.5`` on its own, and ``1,250`` on its own, are ambiguous.
* English grouping is accepted where it cannot be misread: ``1,250,000`` and ``1,250.50``.

Hedges (``ongeveer``, ``zo'n``, ``ca.``, ``ruim``, ``bijna``, ``meer dan``, ``een stuk of``,
``+/-``, ...) are ignored: an estimate is what the intake asks for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import floor

import phonenumbers
from email_validator import EmailNotValidError, validate_email

__all__ = [
    "ParseError",
    "normalise",
    "parse_amount",
    "parse_count",
    "parse_days",
    "parse_email",
    "parse_hours",
    "parse_kvk",
    "parse_percentage",
    "parse_phone",
    "parse_weeks",
    "parse_yes_no",
]


class ParseError(ValueError):
    """The text could not be read; ``code`` is a stable machine code (see module docstring)."""

    code: str

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class _Unreadable(Exception):
    """Internal: a number could not be read. Each public parser maps it to its own code."""

    def __init__(self, *, ambiguous: bool = False) -> None:
        super().__init__()
        self.ambiguous = ambiguous


# No genuine answer to a numeric question is this long; the cap also bounds the work that
# the range search (quadratic in the number of separators) can be made to do.
_MAX_LENGTH = 200
_MAX_AMOUNT = Decimal(10) ** 12
_MAX_COUNT = 10**9
_CENT = Decimal("0.01")

# --- normalisation ---------------------------------------------------------------------------

# Phones (iOS "smart punctuation") turn "zo'n" into "zo’n"; hedges and "euro's" must still match.
_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'"}
)
_TRAILING = ".!?,;: "


def normalise(text: str) -> str:
    """Lowercase, NFKC-normalise, unify apostrophes, collapse whitespace, drop end punctuation.

    NFKC folds full-width digits and ligatures (such as the Dutch "ĳ") into plain letters, so
    that what a phone keyboard produces compares equal to what the code expects.
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
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
    "duizend": 3, "k": 3, "ton": 5, "miljoen": 6, "mln": 6, "mio": 6, "m": 6,
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


def _parse_tokens(tokens: list[str], *, scaled_tail: bool) -> Decimal:
    if not tokens:
        raise _Unreadable
    total = Decimal(0)
    group: list[str] = []
    previous: int | None = None
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
        if previous is not None and rest >= 10**previous:
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
        return low, high
    return None


def _prepare(text: str, suffix_re: re.Pattern[str] = _SUFFIX_RE) -> str | None:
    """Normalised text without hedges, or None when it is too long to be an answer."""
    words = normalise(text)
    if len(words) > _MAX_LENGTH:
        return None
    return _strip_hedges(words, suffix_re)


# --- amounts ---------------------------------------------------------------------------------

_CURRENCY_RE = re.compile(r"€|(?<![a-z])(?:euro's|euros|euro|eur)(?![a-z])")
# "1.250.000,-" and "€ 250,=" are the Dutch way of writing "no cents".
_NO_CENTS_RE = re.compile(r"(?<=[0-9])[.,](?:-+|=)(?=\s|$)")


def parse_amount(text: str) -> Decimal:
    """Euros >= 0; whole unless cents were given, then quantized to 0.01.

    Raises ParseError with amount.invalid, amount.negative, amount.ambiguous, amount.range
    or amount.too_large.
    """
    words = normalise(text)
    if len(words) > _MAX_LENGTH:
        raise ParseError("amount.invalid")
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
    if _read_range(words, lambda part: _read_number(part, dot_decimal=False)) is not None:
        raise ParseError("amount.range")
    try:
        value = _read_number(words, dot_decimal=False)
    except _Unreadable as error:
        raise ParseError("amount.ambiguous" if error.ambiguous else "amount.invalid") from None
    if value > _MAX_AMOUNT:
        raise ParseError("amount.too_large")
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


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
}


def _tidy(value: Decimal) -> Decimal:
    # Keep "40", not "40.0", so that str(value) is what the user would write.
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize()


def parse_percentage(text: str) -> Decimal:
    """A percentage 0..100 inclusive; a range gives its midpoint ("40-50%" -> 45).

    Raises ParseError with percentage.invalid or percentage.out_of_range.
    """
    words = normalise(text)
    if len(words) > _MAX_LENGTH:
        raise ParseError("percentage.invalid")
    words = _collapse(_PERCENT_SIGN_RE.sub(" ", _SHARE_OF_RE.sub("", words)))
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
    return _tidy(value)


# --- counts ----------------------------------------------------------------------------------


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


_LONE_INTEGER_RE = re.compile(r"(?<![\d.,])\d{1,9}(?![\d.,])")


def parse_count(text: str) -> int:
    """A whole number >= 0; a range gives its midpoint rounded down ("20-30" -> 25).

    Raises ParseError("count.invalid").
    """
    words = _prepare(text)
    if not words or _after_minus(words) is not None:
        raise ParseError("count.invalid")
    try:
        bounds = _read_range(words, _read_count_number)
        values = bounds if bounds else (_read_count_number(words),)
    except _Unreadable:
        # A count is a plain whole number, so text with exactly one is read as that number:
        # typos around it ("zo n 25", "ca 40 stuks") should not cost the prospect a retry.
        found = _LONE_INTEGER_RE.findall(words)
        if len(found) != 1:
            raise ParseError("count.invalid") from None
        values = (Decimal(found[0]),)
    if any(v != v.to_integral_value() or v > _MAX_COUNT for v in values):
        raise ParseError("count.invalid")
    return sum(int(v) for v in values) // len(values)


# --- periods ---------------------------------------------------------------------------------

_UNIT_NAMES = {
    "day": ("dagen", "dag", "dgn", "dg", "d", "days", "day"),
    "week": ("weken", "week", "wkn", "wk", "w", "weeks"),
    "month": ("maanden", "maand", "mnden", "mndn", "mnd", "months", "month"),
    "quarter": ("kwartalen", "kwartaal"),
    "year": ("jaren", "jaar", "jr", "j", "years", "year", "yr"),
    "hour": ("uren", "uur", "u", "h", "hr", "hrs", "hours", "hour"),
}
_UNIT_OF = {name: unit for unit, names in _UNIT_NAMES.items() for name in names}
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


def _parse_period(text: str, target: str) -> int:
    words = _prepare(text)
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
    if quantity > _PERIOD_CAP["day"] * 24:
        raise ParseError("period.invalid")  # also keeps Fraction arithmetic small
    # Round half up: "1 maand" is 4 weeks, "anderhalve week" is 11 days.
    result = floor(Fraction(quantity) * _FACTORS[target][unit] + Fraction(1, 2))
    if result > _PERIOD_CAP[target]:
        raise ParseError("period.invalid")
    return result


def parse_days(text: str) -> int:
    """A period in days; a bare number is days, a month is 30 days. Raises period.invalid."""
    return _parse_period(text, "day")


def parse_weeks(text: str) -> int:
    """A period in weeks; a bare number is weeks, a month is 52/12 weeks, rounded."""
    return _parse_period(text, "week")


def parse_hours(text: str) -> int:
    """A period in hours; a bare number is hours. Raises period.invalid."""
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


def parse_yes_no(text: str) -> bool:
    """True for a yes, False for a no. Raises ParseError("yesno.invalid") otherwise."""
    words = normalise(text)
    if len(words) > _MAX_LENGTH:
        raise ParseError("yesno.invalid")
    words = _EMOJI_MODIFIERS_RE.sub("", _fold(words))
    words = _collapse(_INNER_PUNCTUATION_RE.sub(" ", words))
    if words in _YES or _YES_RE.fullmatch(words):
        return True
    if words in _NO or _NO_RE.fullmatch(words):
        return False
    raise ParseError("yesno.invalid")


# --- contact details -------------------------------------------------------------------------

_MAX_PHONE_LENGTH = 64


def parse_phone(text: str) -> str:
    """An E.164 number ("+31612345678"); national numbers are read as Dutch."""
    candidate = normalise(text)
    if not candidate or len(candidate) > _MAX_PHONE_LENGTH:
        raise ParseError("phone.invalid")
    try:
        number = phonenumbers.parse(candidate, "NL")
    except phonenumbers.NumberParseException:
        raise ParseError("phone.invalid") from None
    if not phonenumbers.is_valid_number(number):
        raise ParseError("phone.invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_MAX_EMAIL_LENGTH = 320


def parse_email(text: str) -> str:
    """The address as normalised by email-validator (syntax only, no DNS lookup).

    Unlike the other parsers this does not lowercase: the local part of an address may be
    case-sensitive, and email-validator already lowercases the domain.
    """
    candidate = text.strip().rstrip(_TRAILING)
    if not candidate or len(candidate) > _MAX_EMAIL_LENGTH:
        raise ParseError("email.invalid")
    try:
        result = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        raise ParseError("email.invalid") from None
    return result.normalized


_KVK_PREFIX_RE = re.compile(
    r"^(?:kamer van koophandel|kvk)?[\s-]*(?:nummer|nr\.?|no\.?)?\s*[:#]?\s*"
)
_KVK_SEPARATORS_RE = re.compile(r"[\s.\-]")
_KVK_RE = re.compile(r"[0-9]{8}")


def parse_kvk(text: str) -> str:
    """A KvK (Chamber of Commerce) number: exactly 8 digits, returned as a string.

    KvK numbers no longer carry a check digit (the old "elfproef" was dropped), so none is
    verified here.
    """
    words = normalise(text)
    if len(words) > _MAX_LENGTH:
        raise ParseError("kvk.invalid")
    digits = _KVK_SEPARATORS_RE.sub("", _KVK_PREFIX_RE.sub("", words, count=1))
    if not _KVK_RE.fullmatch(digits):
        raise ParseError("kvk.invalid")
    return digits
