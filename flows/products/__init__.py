"""The product registry: each insurance product brings its questions, its part of the pricing
request, and how its indication is shown. The engine and the common questions know products
only through this registry, so a new product is one module and one `register` call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flows.spec import Answers, Question
from pricing import Quote

__all__ = [
    "PRODUCTS", "Product", "chosen", "intent", "register", "registered", "version", "wants",
]


@dataclass(frozen=True, slots=True)
class Product:
    key: str  # the id in answers, the lead's `products` and the choice buttons
    label: str  # message id of its name
    phrases: tuple[str, ...]  # what prospects type for it ("krediet", "wanbetalers", ...)
    questions: tuple[Question, ...]
    # Its answers as they go into the lead, even when incomplete (a call-back lead).
    fields: Callable[[Answers], dict[str, Any]]
    # Its part of the pricing core's QuoteRequest, e.g. {"credit": CreditRequest(...)}; raises
    # ValueError/KeyError/ValidationError while answers are missing.
    request: Callable[[Answers], dict[str, Any]]
    # Its indication as lines of Dutch text for the summary; the quote is None when the pricing
    # core could not price this combination of answers.
    present: Callable[[Quote | None, Answers], list[str]]


PRODUCTS: dict[str, Product] = {}
_version = [0]


def version() -> int:
    """Bumped on every change of the registry, so the flow built from it can be cached."""
    return _version[0]


def register(product: Product) -> None:
    PRODUCTS[product.key] = product
    _version[0] += 1


@contextmanager
def registered(product: Product) -> Iterator[Product]:
    """Register a product for the duration of a block (tests)."""
    register(product)
    try:
        yield product
    finally:
        del PRODUCTS[product.key]
        _version[0] += 1


def chosen(answers: Answers) -> tuple[str, ...]:
    """The products asked for, in registry order."""
    picked = answers.get("product")
    if not isinstance(picked, list | tuple):
        return ()
    return tuple(key for key in PRODUCTS if key in picked)


def intent(answers: Answers) -> str:
    """The path a conversation is on: "quote", or "callback" after "bel mij"."""
    return "callback" if answers.get("intent") == "callback" else "quote"


def wants(key: str) -> Callable[[Answers], bool]:
    """The condition of a product's questions: on the quote path and this product chosen."""

    def condition(answers: Answers) -> bool:
        return intent(answers) == "quote" and key in chosen(answers)

    condition.__name__ = f"wants_{key}"
    return condition


def _load_builtin() -> None:
    # The two products of the seed documents; imported here so `PRODUCTS` is complete on import.
    from flows.products import bi, credit

    register(credit.PRODUCT)
    register(bi.PRODUCT)


_load_builtin()
