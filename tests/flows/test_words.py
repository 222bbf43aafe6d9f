"""The words on the screen: each hint says a thing once, offers come after the question,
progress only goes forward, no channel-specific wording, nothing raw echoed."""

from __future__ import annotations

import re

import pytest

from flows.conversation import Conversation
from flows.engine import step
from flows.flow import current
from flows.i18n import _
from tests.support.dialogue import CTX, ROUTE, choice_ids, play, say, text, to_question


def _sentences(message: str) -> list[str]:
    return [s.strip().lower() for s in re.split(r"(?<=[.?!])\s+", message) if s.strip()]


@pytest.mark.parametrize("question", [q.id for q in current().questions
                                      if not q.id.startswith("cb_")])
def test_a_wrong_answer_gets_each_sentence_once(question: str) -> None:
    conv, _turn = to_question(question) if question != "product" else play([])
    turn = say(conv, "qqq zzz")
    for reply in turn.replies:
        sentences = _sentences(reply.text)
        assert len(sentences) == len(set(sentences)), reply.text
    whole = " ".join(_sentences(text(turn)))
    # "Een KvK-nummer heeft 8 cijfers. Een KvK-nummer heeft 8 cijfers, bijvoorbeeld ..." and
    # "Antwoord met ja of nee. Antwoord 'ja' of 'nee'." said things twice.
    assert whole.count("kvk-nummer heeft 8 cijfers") <= 1
    assert whole.count("ja of nee") + whole.count("'ja' of 'nee'") <= 1


def test_the_greeting_says_assistant_once_and_what_it_is() -> None:
    _conv, turn = play([])
    greeting = turn.replies[0].text
    assert greeting.lower().count("assistent") == 1
    assert "geautomatiseerde assistent" in greeting and "indicatie, geen advies" in greeting


def test_the_call_offer_comes_after_the_question_and_its_options_and_only_once() -> None:
    conv, _turn = to_question("turnover")
    say(conv, "qqq")
    turn = say(conv, "zzz")
    question = next(i for i, r in enumerate(turn.replies) if "jaaromzet" in r.text)
    offer = next(i for i, r in enumerate(turn.replies)
                 if any(c.id == "cmd:callback" for c in r.choices))
    assert offer > question
    assert not any(c.id == "cmd:callback" for c in turn.replies[question].choices)
    turn = say(conv, "www")
    assert "cmd:callback" not in choice_ids(turn)


def test_no_call_offer_inside_the_call_back_path() -> None:
    conv, _turn = to_question("turnover")
    say(conv, "bel mij")
    assert conv.state == "cb_name"
    for junk in ("12", "@@", "!!", "12"):
        turn = say(conv, junk)
        assert "cmd:callback" not in choice_ids(turn)


def test_progress_never_runs_backwards_and_its_total_changes_once() -> None:
    conv = Conversation()
    turn = step(conv, CTX)
    seen = [turn.progress]
    for line in [*ROUTE, "terug", "terug", "wijzig omzet", "2 miljoen", "nee", "9 ton", "ja",
                 "ja"]:
        turn = step(conv, CTX, line)
        seen.append(turn.progress)
    currents = [c for c, _t in seen]
    totals = [t for _c, t in seen]
    assert currents == sorted(currents), seen
    assert len(set(totals)) <= 2, seen
    assert all(1 <= c <= t for c, t in seen)


def test_every_question_of_the_path_is_counted() -> None:
    conv = Conversation()
    turn = step(conv, CTX)
    shown = set()
    for line in [*ROUTE, "ja"]:
        match = re.search(r"Vraag (\d+) van (\d+)", text(turn))
        if match:
            shown.add(int(match.group(1)))
            total = int(match.group(2))
        turn = step(conv, CTX, line)
    assert turn.done
    assert shown == set(range(1, total + 1)), (sorted(shown), total)


def test_no_prompt_speaks_of_buttons() -> None:
    answers = {"product": ["credit", "bi"], "turnover": "1000000", "debtor_count": 10,
               "bi_basis": {"variable_costs": "400000"}}
    for q in current().questions:
        for message in (q.text(answers), _(q.example) if q.example else ""):
            assert "knop" not in message.lower(), message


def test_the_closing_message_never_echoes_the_prospects_words() -> None:
    conv, _turn = to_question("callback_moment")
    say(conv, "<b>na vijven</b> bel maar")
    say(conv, "ja")  # the window shown back
    turn = say(conv, "ja")
    assert turn.done
    assert "na vijven" not in text(turn) and "<b>" not in text(turn)
    assert conv.reference and conv.reference in text(turn)


def test_the_name_is_asked_plainly() -> None:
    _conv, turn = to_question("contact_name")
    assert "Wat is uw naam?" in text(turn)


@pytest.mark.parametrize("command", ["vergeet mij", "opnieuw"])
def test_erasing_and_starting_over_ask_first(command: str) -> None:
    conv, _turn = play(ROUTE[:5])
    before = dict(conv.answers)
    turn = say(conv, command)
    assert not turn.erase and conv.answers == before
    assert choice_ids(turn) == ["yes", "no"]
    turn = say(conv, "nee")
    assert conv.answers == before and turn.step == conv.state
    say(conv, command)
    turn = say(conv, choice="yes")
    if command == "vergeet mij":
        assert turn.erase and conv.answers == {}
    else:
        assert conv.answers == {} and turn.step == "product"
