"""From a parser's reading to what the dialogue does with it: store, ask back, or explain.

The parsers in `flows.parsing` return values or raise machine codes; here those become the
spec vocabulary: a value, `Confirm` (one proposal, or a choice between several readings) or
`Invalid` with a Dutch message from the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from flows import parsing
from flows.i18n import N_, _, money, number, percent
from flows.spec import Choice, Confirm, Invalid

__all__ = [
    "CODE_MESSAGES",
    "ask_which",
    "propose",
    "read",
    "share_of_turnover",
    "show_days",
    "show_money",
    "show_number",
    "show_pct",
    "vague",
]

T = TypeVar("T")

CODE_MESSAGES = {
    "amount.invalid": N_("I could not read an amount in that."),
    "amount.negative": N_("The amount cannot be negative."),
    "amount.ambiguous": N_("I am not sure how to read that amount."),
    "amount.range": N_("Please give one amount rather than a range; an estimate is fine."),
    "amount.too_large": N_("That amount is too large to be right."),
    "percentage.invalid": N_("I could not read a percentage in that."),
    "percentage.out_of_range": N_("A percentage lies between 0 and 100."),
    "count.invalid": N_("I could not read a number in that."),
    "period.invalid": N_("I could not read a period in that."),
    "yesno.invalid": N_("Please answer yes or no."),
    "phone.invalid": N_("That does not look like a valid phone number."),
    "email.invalid": N_("That does not look like a valid e-mail address."),
    "kvk.invalid": N_("A KvK number has 8 digits."),
    "name.invalid": N_("Please type your name."),
    "names.invalid": N_("Type the names separated by commas, or 'overslaan'."),
}


def show_money(value: Any) -> str:
    return money(Decimal(str(value)))


def show_pct(value: Any) -> str:
    return percent(Decimal(str(value)))


def show_number(value: Any) -> str:
    return number(Decimal(str(value)))


def show_days(value: Any) -> str:
    return _("%(n)s days") % {"n": value}


def propose(value: Any, shown: str, store: Any = None) -> Confirm:
    """One reading to confirm with a tap: "Bedoelt u € 1.500.000?"."""
    stored = value if store is None else store
    return Confirm(_("Do you mean %(answer)s?") % {"answer": shown},
                   (Choice("p0", shown, stored, literal=True),))


def ask_which(options: list[tuple[Any, str]]) -> Confirm:
    """Several readings: never pick one silently."""
    return Confirm(_("Which one do you mean?"),
                   tuple(Choice(f"p{i}", shown, value, literal=True)
                         for i, (value, shown) in enumerate(options)))


def canonical(value: Any) -> str:
    """A value as text its parser reads back exactly: "1500000", "12,5", "45"."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(int(value))
        return str(value).replace(".", ",")
    return str(value)


def read(reader: Callable[[str], T], text: str, show: Callable[[Any], str],
         convert: Callable[[Any], Any] = lambda v: v, template: str = "{}") -> Any:
    """Run a parser; its doubts become questions back, its errors a Dutch explanation.

    `convert` turns the parser's value into the stored form (str for Decimal amounts). A
    doubt (several readings, a range, a vague size) becomes a `Confirm` whose options carry
    the reading as text (`template` around `canonical(value)`): the engine answers the question
    with that text once the prospect picks it, so a confirmed reading passes every check a
    typed one does.
    """
    try:
        return convert(reader(text))
    except parsing.ParseError as error:
        values = getattr(error, "values", None)
        if values:
            options = list(dict.fromkeys(values))
            if len(options) == 1:
                return convert(options[0])
            raise Confirm(_("Which one do you mean?"), tuple(
                Choice(f"p{i}", show(v), template.format(canonical(v)), literal=True)
                for i, v in enumerate(options[:4])), reparse=True) from None
        proposal = getattr(error, "value", None)
        # A vague size ("bijna alles") or a range ("70 a 80%"): propose a figure, one tap.
        if proposal is not None and isinstance(error, parsing.Vague):
            raise Confirm(_("Is that about %(answer)s?") % {"answer": show(proposal)},
                          (Choice("p0", show(proposal), template.format(canonical(proposal)),
                                  literal=True),), reparse=True) from None
        raise Invalid(_(CODE_MESSAGES.get(error.code, CODE_MESSAGES["amount.invalid"]))) \
            from None


# A size said without a number. Only on questions with bands, so the prospect picks one.
_VAGUE = re.compile(
    r"\b(veel|weinig|beetje|bijna|nauwelijks|enkele|paar|flink|groot|klein|hoop|meeste|"
    r"redelijk|behoorlijk|zat|genoeg|best wat)\b")
# "Yes" to "how much did you write off / export": some, not how much.
_SOME = re.compile(r"\b(ja|jawel|jazeker|soms|af en toe|een keer|wel eens|helaas wel)\b")


def vague(text: str, some: bool = False) -> bool:
    """A size without a number ("veel", "weinig"); with `some`, also a bare "ja, een keer"."""
    words = parsing.normalise(text)
    if any(c.isdigit() for c in words):
        return False
    return _VAGUE.search(words) is not None or (some and _SOME.search(words) is not None)


_SHARE_WORDS = re.compile(r"%|procent|\b(helft|derde|kwart|vierde)\b")


def share_of_turnover(text: str, turnover: Decimal) -> Decimal | None:
    """ "40% van de omzet", "de helft van de omzet": the amount, for a proposal; else None."""
    words = parsing.normalise(text)
    if not _SHARE_WORDS.search(words):
        return None
    try:
        pct = parsing.parse_percentage(re.sub(r"\b(brutomarge|brutowinst|marge)\b", "", words))
    except parsing.ParseError:
        return None
    return (turnover * pct / 100).quantize(Decimal(1))
