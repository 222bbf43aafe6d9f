"""The Dutch catalog and Dutch number formatting.

Message ids in code are English; every sentence a prospect or broker reads is the catalog's
Dutch translation. The .po file is compiled in memory when first used, so there is no .mo file
to build or forget.
"""

from __future__ import annotations

import gettext
import io
from decimal import Decimal
from functools import cache
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

__all__ = ["LOCALE", "NBSP", "N_", "_", "catalog_path", "money", "ngettext", "number", "percent"]

LOCALE = "nl_NL"


def catalog_path() -> str:
    return str(resources.files("locales").joinpath("nl/LC_MESSAGES/messages.po"))


@cache
def translations() -> gettext.GNUTranslations:
    with open(catalog_path(), "rb") as po:
        catalog = read_po(po, locale="nl")
    buffer = io.BytesIO()
    # Fuzzy entries are drafts: falling back to the English id shows up in the catalog test.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    """The Dutch text for an English message id."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message id for extraction; translate later with _()."""
    return message


# A no-break space (U+00A0) between the sign and the number: "€ 12.000" never wraps between
# them, in a narrow chat bubble or a Telegram message. Parsers read it as an ordinary space
# (NFKC), so a prospect who copies an amount back is understood.
NBSP = "\u00a0"
_WHOLE = f"¤{NBSP}#,##0"
_CENTS = f"¤{NBSP}#,##0.00"


@cache
def money(amount: Decimal | int) -> str:
    """'€\u00a02.500' for whole euros, '€\u00a02.500,50' when there are cents (no-break space)."""
    value = Decimal(amount)
    pattern = _WHOLE if value == value.to_integral_value() else _CENTS
    return format_currency(value, "EUR", format=pattern, locale=LOCALE, currency_digits=False)


@cache
def number(value: Decimal | int) -> str:
    """Dutch grouping and decimal comma: 1.250.000 and 12,5."""
    return format_decimal(value, locale=LOCALE)


@cache
def percent(value: Decimal | int) -> str:
    """'40%', '12,5%', '0,83%'."""
    return f"{format_decimal(value, locale=LOCALE)}%"
