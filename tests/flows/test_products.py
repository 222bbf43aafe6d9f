"""Products are a registry: a third product, registered here only, runs through the engine."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from flows import parsing
from flows.conversation import Conversation
from flows.engine import step
from flows.flow import current
from flows.products import PRODUCTS, Product, registered
from flows.spec import Answers, Invalid, Question
from pricing import Quote
from tests.support.dialogue import CTX, choice_ids, text


def _read_vehicles(text_: str, answers: Answers) -> int:
    try:
        return parsing.parse_count(text_)
    except parsing.ParseError:
        raise Invalid("?") from None


def _wants_fleet(answers: Answers) -> bool:
    picked = answers.get("product")
    return answers.get("intent") != "callback" and isinstance(picked, list) and "fleet" in picked


def _present(quote: Quote | None, answers: Answers) -> list[str]:
    vehicles = answers["vehicles"]
    return [f"Wagenpark: {vehicles} voertuigen, € {Decimal(450) * vehicles}"]


FLEET = Product(
    key="fleet",
    label="Wagenparkverzekering",
    phrases=("wagenpark", "autos", "vrachtwagens"),
    questions=(
        Question("vehicles", "fleet", "Hoeveel voertuigen heeft u?", "Waarom", None,
                 parse=_read_vehicles, applies=_wants_fleet, label="Voertuigen",
                 summarised=True, topics=("voertuigen",)),
    ),
    fields=lambda answers: {"vehicles": answers.get("vehicles")},
    request=lambda answers: {},
    present=_present,
)


@pytest.fixture
def fleet() -> Iterator[Product]:
    with registered(FLEET) as product:
        yield product


def test_a_registered_product_is_offered_asked_summarised_and_leaves_no_trace(
    fleet: Product,
) -> None:
    conv = Conversation()
    turn = step(conv, CTX)
    assert "fleet" in choice_ids(turn) and "all" in choice_ids(turn)
    turn = step(conv, CTX, "kredietverzekering en wagenpark")
    assert conv.answers["product"] == ["credit", "fleet"]
    lines = ["bouw", "2 miljoen", "80%", "40", "35%", "overslaan", "1 ton", "30 dagen", "0",
             "0", "90%"]
    for line in lines:
        turn = step(conv, CTX, line)
    assert turn.step == "vehicles", text(turn)
    turn = step(conv, CTX, "12 busjes")
    assert turn.step == "summary"
    assert "Voertuigen: 12" in text(turn)
    assert "Wagenpark: 12 voertuigen, € 5400" in text(turn)
    assert "Kredietverzekering" in text(turn)


def test_the_fleet_alone_reaches_the_summary_without_a_price(fleet: Product) -> None:
    conv = Conversation()
    step(conv, CTX)
    step(conv, CTX, choice="fleet")
    for line in ["transport", "3 miljoen", "8"]:
        turn = step(conv, CTX, line)
    assert turn.step == "summary"
    assert "Wagenpark: 8 voertuigen" in text(turn)


def test_unregistering_restores_the_flow() -> None:
    before = [q.id for q in current().questions]
    with registered(FLEET):
        assert "vehicles" in [q.id for q in current().questions]
    assert [q.id for q in current().questions] == before
    assert "fleet" not in PRODUCTS


def test_the_engine_names_no_question_and_no_product() -> None:
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "flows" / "engine.py").read_text("utf-8")
    names: list[Any] = [q.id for q in current().questions if q.id not in ("summary",)]
    names += list(PRODUCTS)
    mentioned = [n for n in names if f'"{n}"' in source]
    assert not mentioned, f"the engine names {mentioned}"
