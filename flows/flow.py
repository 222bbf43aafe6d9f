"""The whole dialogue as one finite-state machine, declared from the question specs.

The questions in order are the opening and common questions, every registered product's
questions, the closing and the call-back path. The machine (transitions) has a state per
question plus `new`, `done` and `stopped`, and every move the engine makes is a trigger:

- `advance`: to the first question that applies and has no answer yet; nothing open: `done`.
  From a question it looks forward first and then from the top: the same result as scanning
  from the top, because the engine only ever jumps back to answered questions, but it checks
  one or two conditions a turn instead of thirty.
- `back` and `edit`: to the question named in the move (conditions compare the target).
- `callback`, `resume`, `restart`: to the first open question, scanning from the top.
- `stop`: to `stopped`; `erase`: to `new`.

One machine serves every conversation (DESIGN: engineering notes on transitions); a turn fires
it on a small cursor, and the flow is rebuilt only when the product registry changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from transitions import Machine

from flows import products
from flows.questions import CALLBACK, CLOSING, OPENING
from flows.spec import Answers, Question

__all__ = ["DONE", "NEW", "STOPPED", "Flow", "Move", "current"]

NEW = "new"
DONE = "done"
STOPPED = "stopped"
_FROM_TOP = ("callback", "resume", "restart")
_TO_TARGET = ("back", "edit")


@dataclass(frozen=True, slots=True)
class Move:
    """What a trigger's conditions look at: the answers, and for back/edit the target."""

    answers: Answers
    target: str = ""


def _open(question: Question) -> Callable[[Move], bool]:
    def condition(move: Move) -> bool:
        return question.answer_key not in move.answers and question.applies(move.answers)

    condition.__name__ = f"open_{question.id}"
    return condition


def _is_target(question: Question) -> Callable[[Move], bool]:
    def condition(move: Move) -> bool:
        return move.target == question.id

    condition.__name__ = f"target_{question.id}"
    return condition


class Flow:
    """The ordered questions of the registered products and the machine over them."""

    def __init__(self, questions: tuple[Question, ...]) -> None:
        ids = [q.id for q in questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        self.questions = questions
        self.by_id = {q.id: q for q in questions}
        self.index = {q.id: i for i, q in enumerate(questions)}
        self.machine = self._build_machine()

    def _build_machine(self) -> Machine:
        questions = self.questions
        opens = [_open(q) for q in questions]
        transitions: list[dict[str, Any]] = []
        for source in [*questions, None]:
            start = self.index[source.id] if source is not None else 0
            order = list(range(start, len(questions))) + list(range(0, start))
            src: str | list[str] = source.id if source is not None else [NEW, DONE, STOPPED]
            transitions += [
                {"trigger": "advance", "source": src, "dest": questions[i].id,
                 "conditions": [opens[i]]}
                for i in order
            ]
        transitions.append({"trigger": "advance", "source": "*", "dest": DONE})
        for trigger in _FROM_TOP:
            transitions += [
                {"trigger": trigger, "source": "*", "dest": q.id, "conditions": [opens[i]]}
                for i, q in enumerate(questions)
            ]
            transitions.append({"trigger": trigger, "source": "*", "dest": DONE})
        for trigger in _TO_TARGET:
            transitions += [
                {"trigger": trigger, "source": "*", "dest": q.id, "conditions": [_is_target(q)]}
                for q in questions
            ]
        transitions += [
            {"trigger": "stop", "source": "*", "dest": STOPPED},
            {"trigger": "erase", "source": "*", "dest": NEW},
        ]
        return Machine(
            model=None, states=[NEW, *(q.id for q in questions), DONE, STOPPED],
            transitions=transitions, initial=NEW, auto_transitions=False,
        )

    def fire(self, state: str, trigger: str, answers: Answers, target: str = "") -> str:
        """The state after `trigger` from `state`; the machine refuses moves it does not know."""
        cursor = _Cursor(state if state in self.machine.states else NEW)
        self.machine.events[trigger].trigger(cursor, Move(answers, target))
        return cursor.state

    def is_question(self, state: str) -> bool:
        return state in self.by_id


class _Cursor:
    """The machine's model for one turn: just the state."""

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


_CACHE: dict[int, Flow] = {}


def current() -> Flow:
    """The flow for the products registered now (built once per registry version)."""
    version = products.version()
    flow = _CACHE.get(version)
    if flow is None:
        product_questions = tuple(q for p in products.PRODUCTS.values() for q in p.questions)
        flow = Flow(OPENING + product_questions + CLOSING + CALLBACK)
        _CACHE.clear()
        _CACHE[version] = flow
    return flow
