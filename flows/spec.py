"""What a question is: the vocabulary the engine understands and the specs are written in.

The engine names no question and no product. Everything particular to one question (how its
answer is read, when it applies, what goes stale when it changes, what it shows in the summary,
what happens after it is answered) is declared here, on the spec, or in a hook the spec names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flows.i18n import _

if TYPE_CHECKING:
    from flows.conversation import Context

__all__ = [
    "Answers",
    "Choice",
    "Confirm",
    "Effect",
    "Invalid",
    "Question",
    "limit",
]

Answers = Mapping[str, Any]


class Invalid(Exception):
    """The answer cannot be used; `message` says why, in Dutch. Optional choices replace the
    question's own for the retry (e.g. the sectors a free text might mean)."""

    def __init__(self, message: str, choices: tuple[Choice, ...] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.choices = choices


class Confirm(Exception):
    """The answer is readable but not sure: ask back before storing anything.

    One option: "Bedoelt u € 1.500.000?" with yes and no. Several: "Welke bedoelt u?" with a
    button per reading. `estimated` marks the stored answer as an estimate in the lead (bands
    offered after "weet ik niet").
    """

    def __init__(self, message: str, options: tuple[Choice, ...],
                 estimated: bool = False, reparse: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.options = options
        self.estimated = estimated
        # The options' values are texts to answer the question with (readings the parser
        # doubted), not values to store: the question's own checks still apply.
        self.reparse = reparse


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    label: str  # message id, or an already formatted value (see `literal`)
    value: Any
    synonyms: tuple[str, ...] = ()
    literal: bool = False  # the label is shown as it is, not looked up in the catalog

    def text(self) -> str:
        return self.label if self.literal else _(self.label)


@dataclass(frozen=True, slots=True)
class Effect:
    """What an answer does beyond being stored, returned by a question's `after` hook."""

    prefix: str | None = None  # said before the next question
    command: str | None = None  # an engine command to run instead of moving on ("edit")


def _always(_answers: Answers) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    block: str
    prompt: str  # message id; %(name)s placeholders are filled from `prompt_args`
    why: str  # message id
    example: str | None = None  # message id of a good answer, shown after a wrong one
    key: str = ""
    parse: Callable[[str, Answers], Any] | None = None
    choices: tuple[Choice, ...] | Callable[[Answers], tuple[Choice, ...]] = ()
    # Choices matched by the typo-tolerant matcher, several at once (the product question).
    multi: bool = False
    applies: Callable[[Answers], bool] = _always
    depends_on: tuple[str, ...] = ()  # answer keys whose change makes this answer stale
    # Whether a kept answer still fits after an earlier answer changed; if not it is asked again.
    still_valid: Callable[[Any, Answers], bool] | None = None
    topics: tuple[str, ...] = ()
    label: str = ""  # message id naming the answer in the summary; empty: not in the summary
    show: Callable[[Any], str] = str
    # The summary line when it is not "label: show(value)" (the gross profit, for instance).
    summarise: Callable[[Answers], str | None] | None = None
    prompt_args: Callable[[Answers], dict[str, str]] | None = None
    input_hint: str | None = None
    # Said before the question (the summary of every answer before "Is everything correct?").
    preamble: Callable[[Answers], str] | None = None
    # After an answer is read (typed or a button), before it is stored: what only the
    # dialogue's surroundings can decide (the clock, the broker's office hours). Returns the
    # value to store, or raises Confirm (show it back first) or Invalid.
    settle: Callable[[Any, Answers, Context], Any] | None = None
    # After the answer is stored: may change other answers and say something or run a command.
    after: Callable[[Any, MutableMapping[str, Any]], Effect | None] | None = None
    # "weet ik niet" on a number question: bands the prospect can pick, stored as estimates.
    bands: tuple[Choice, ...] | Callable[[Answers], tuple[Choice, ...]] = ()
    # "nee", "niks", "gelukkig nooit" mean zero here (bad debts, export).
    none_value: Any = None
    # An optional question: "sla maar over", "liever niet" store this value.
    skip_value: Any = None
    optional: bool = False
    counts: bool = True  # shown as "vraag n van m"
    # The answer is a person's or company's own words: never "read" it back as a value.
    free_text: bool = False
    # Part of the summary (the answers a quote is based on), editable from it.
    summarised: bool = False

    @property
    def answer_key(self) -> str:
        return self.key or self.id

    def choices_for(self, answers: Answers) -> tuple[Choice, ...]:
        return self.choices(answers) if callable(self.choices) else self.choices

    def bands_for(self, answers: Answers) -> tuple[Choice, ...]:
        return self.bands(answers) if callable(self.bands) else self.bands

    def text(self, answers: Answers) -> str:
        args = self.prompt_args(answers) if self.prompt_args else {}
        return _(self.prompt) % args if args else _(self.prompt)


@dataclass(frozen=True, slots=True)
class _Bound:
    low: Decimal | None = None
    high: Decimal | None = None
    low_open: bool = False
    high_open: bool = False


def limit(model: Any, name: str) -> _Bound:
    """The bounds a pricing model declares for a field, so the dialogue never keeps a copy.

    Reads the annotated-types metadata pydantic keeps (`ge`, `gt`, `le`, `lt`) from the field,
    including inside `X | None`.
    """
    info = model.model_fields[name]
    low = high = None
    low_open = high_open = False
    for item in info.metadata:
        for attr, is_low, is_open in (("ge", True, False), ("gt", True, True),
                                      ("le", False, False), ("lt", False, True)):
            value = getattr(item, attr, None)
            if value is None:
                continue
            if is_low:
                low, low_open = Decimal(str(value)), is_open
            else:
                high, high_open = Decimal(str(value)), is_open
    return _Bound(low, high, low_open, high_open)
