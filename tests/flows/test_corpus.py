"""The corpus: hundreds of answers as real prospects type them, each with what a careful person
would store, ask back, or refuse. Every entry is one message to the engine at its question."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from flows.conversation import Conversation
from flows.engine import step
from flows.flow import current
from tests.flows.corpus import ASK, CORPUS, REFUSE
from tests.support.dialogue import CTX

# A complete, tidy set of answers; a corpus entry keeps those before its question only.
DEFAULTS: dict[str, Any] = {
    "product": ["credit", "bi"], "sector": "groothandel", "turnover": "1500000",
    "credit_share": "80", "debtor_count": 40, "top5_share": "35", "top5_names": [],
    "largest_exposure": "80000", "payment_term": 30, "export_share": "10", "bad_debt": "0",
    "indemnity": "90", "bi_basis": {"variable_costs": "700000"}, "gross_profit_ok": True,
    "indemnity_period": 52, "waiting_period": 48, "extra_costs": True, "locations": 1,
    "summary": True, "contact_name": "Jan de Vries", "company_name": "Vries BV",
    "email": "jan@vries.nl", "phone": "+31612345678", "kvk": None,
    "callback_moment": "ochtend",
}
_AMOUNTS = {"turnover", "largest_exposure", "bad_debt", "credit_share", "top5_share",
            "export_share"}


def _stored_form(key: str, value: Any) -> Any:
    if key in _AMOUNTS:
        return str(value)
    if key == "bi_basis":
        return {k: str(v) for k, v in value.items()}
    return value


def at_question(question: str, context: dict[str, Any] | None) -> Conversation:
    flow = current()
    position = flow.index[question]
    answers = {k: copy.deepcopy(v) for k, v in DEFAULTS.items()
               if k in flow.by_id and flow.index[k] < position}
    for key, value in (context or {}).items():
        answers[key] = _stored_form(key, value)
    return Conversation(state=question, answers=answers, history=[question])


def _same(question: str, stored: Any, expected: Any) -> bool:
    if question == "product":
        return tuple(stored) == tuple(expected)
    if question == "bi_basis":
        return {k: Decimal(str(v)) for k, v in stored.items()} == \
            {k: Decimal(str(v)) for k, v in expected.items()}
    if isinstance(expected, int | Decimal) and not isinstance(expected, bool) \
            and isinstance(stored, str | int | Decimal):
        return Decimal(str(stored)) == Decimal(str(expected))
    return bool(stored == expected)


def outcome(question: str, conv: Conversation, before: dict[str, Any]) -> Any:
    """What the engine did with the message: the stored value, ASK or REFUSE."""
    key = current().by_id[question].answer_key
    if question == "product" and conv.answers.get("intent") == "callback":
        return "callback"
    if (question == "summary" and conv.state == "summary" and "summary" not in conv.answers \
            and conv.pending is None and "cmd:edit" in str(conv.to_json())) or (
                question == "summary" and conv.answers.get("summary") == "edit"):
        return "edit"
    if question == "gross_profit_ok" and conv.state == "bi_basis" \
            and "bi_basis" not in conv.answers:
        return False
    if key in conv.answers and (key not in before or conv.answers[key] != before.get(key)
                                or conv.state != question):
        return conv.answers[key]
    if conv.pending is not None:
        return ASK
    return REFUSE


IDS = [f"{q}:{text}" for q, text, _, _ in CORPUS]


@pytest.mark.parametrize(("question", "typed", "expected", "context"), CORPUS, ids=IDS)
def test_corpus(question: str, typed: str, expected: Any, context: dict[str, Any] | None,
                ) -> None:
    conv = at_question(question, context)
    before = copy.deepcopy(conv.answers)
    turn = step(conv, CTX, typed)
    got = outcome(question, conv, before)
    if question == "summary" and expected == "edit":
        # The list of answers to change, or straight to the one named ("wijzig omzet").
        menu = any(c.id.startswith("cmd:edit:") for r in turn.replies for c in r.choices)
        jumped = conv.state != "summary" and "summary" not in conv.answers
        assert menu or jumped, [r.text for r in turn.replies]
        return
    if expected in (ASK, REFUSE):
        assert got == expected, (got, [r.text for r in turn.replies])
    else:
        assert got not in (ASK, REFUSE) and _same(question, got, expected), \
            (got, [r.text for r in turn.replies])
