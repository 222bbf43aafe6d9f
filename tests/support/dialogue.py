"""Drive the dialogue engine in-process: a tidy route to any question, and a context."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from flows.conversation import Context, Conversation, Turn
from flows.engine import step
from flows.office_hours import TZ

_counter = itertools.count(1)
# A Tuesday morning in office hours: call-back windows do not depend on when the tests run.
NOW = datetime(2026, 11, 24, 10, 7, tzinfo=TZ)
CTX = Context(broker_name="Test Makelaars", channel="test", now=lambda: NOW,
              new_reference=lambda: f"IK-2026-{next(_counter):06d}")

# A route through every block, answered tidily ("ochtend" is shown back as a window: "ja").
ROUTE = ["beide", "groothandel", "1,2 miljoen", "90", "40", "35%", "overslaan", "80.000",
         "30 dagen", "10%", "0", "90%", "7 ton", "ja", "12 maanden", "48 uur", "ja", "1",
         "Klopt, ga verder", "Jan de Vries", "Vries BV", "jan@vries.nl", "0612345678",
         "overslaan", "ochtend", "ja"]


def play(lines: list[str], conv: Conversation | None = None) -> tuple[Conversation, Turn]:
    conv = conv or Conversation()
    turn = step(conv, CTX)
    for line in lines:
        turn = step(conv, CTX, line)
    return conv, turn


def to_question(question: str, route: list[str] | None = None) -> tuple[Conversation, Turn]:
    """A conversation waiting at `question`, reached by the tidy route."""
    conv = Conversation()
    turn = step(conv, CTX)
    for line in route or ROUTE:
        if conv.state == question:
            return conv, turn
        turn = step(conv, CTX, line)
    assert conv.state == question, f"the route never reaches {question}: at {conv.state}"
    return conv, turn


def text(turn: Turn) -> str:
    return "\n".join(r.text for r in turn.replies)


def choice_ids(turn: Turn) -> list[str]:
    return [c.id for r in turn.replies for c in r.choices]


def say(conv: Conversation, line: str | None = None, choice: str | None = None) -> Turn:
    return step(conv, CTX, line, choice)


def answers(conv: Conversation) -> dict[str, Any]:
    return conv.answers
