"""Each defect found by trying the dialogue as a prospect would, with its sequence."""

from __future__ import annotations

import json

import pytest

from flows.conversation import Conversation
from flows.engine import current_turn
from flows.i18n import money
from tests.support.dialogue import CTX, ROUTE, choice_ids, play, say, text, to_question

# --- the summary --------------------------------------------------------------------------------


def test_the_summary_change_button_opens_the_list_of_answers_to_change() -> None:
    conv, turn = to_question("summary")
    assert "edit" in choice_ids(turn)
    turn = say(conv, choice="edit")
    assert "eerdere vraag" not in text(turn)
    assert "cmd:edit:turnover" in choice_ids(turn)
    assert "summary" not in conv.answers


@pytest.mark.parametrize("typed", ["iets wijzigen", "Iets wijzigen", "nee", "wijzigen",
                                   "klopt niet", "nee, klopt niet"])
def test_typing_a_change_at_the_summary_does_not_confirm_it(typed: str) -> None:
    conv, _ = to_question("summary")
    turn = say(conv, typed)
    assert "summary" not in conv.answers
    assert conv.state == "summary"
    assert "cmd:edit:turnover" in choice_ids(turn)


@pytest.mark.parametrize("typed", ["ja klopt", "prima", "ja", "Klopt, ga verder", "klopt",
                                   "ja hoor", "helemaal goed", "akkoord"])
def test_everyday_confirmations_at_the_summary_are_understood(typed: str) -> None:
    conv, _ = to_question("summary")
    turn = say(conv, typed)
    assert conv.answers.get("summary") is True
    assert turn.step == "contact_name"


def test_the_summary_shows_values_per_insurer_and_the_main_factors() -> None:
    _conv, turn = to_question("summary")
    shown = text(turn)
    assert f"Brutowinst (verzekerde som): {money(500_000)}" in shown
    assert "bevestigd" not in shown
    assert "Per verzekeraar" in shown
    assert "Atradius mkbZeker" in shown and "niet passend" in shown
    assert "Wat de premie bepaalt" in shown


# --- gross profit -------------------------------------------------------------------------------


def test_no_to_the_gross_profit_asks_the_costs_again_and_never_bricks_the_conversation() -> None:
    conv, turn = to_question("gross_profit_ok")
    turn = say(conv, "nee")
    assert turn.step == "bi_basis"
    assert money(0) not in text(turn)
    turn = say(conv, "8 ton")
    assert turn.step == "gross_profit_ok"
    assert money(400_000) in text(turn)
    turn = say(conv, "ja")
    assert turn.step == "indemnity_period"
    for line in ["12 maanden", "48 uur", "ja", "1"]:
        turn = say(conv, line)
    assert turn.step == "summary"
    assert f"Brutowinst (verzekerde som): {money(400_000)}" in text(turn)
    # Stored and loaded again, it still resumes (it used to crash on every resume).
    again = Conversation.from_json(json.loads(json.dumps(conv.to_json())))
    assert current_turn(again, CTX).step == "summary"


def test_no_with_the_right_gross_profit_takes_it_at_once() -> None:
    conv, _ = to_question("gross_profit_ok")
    turn = say(conv, "nee, de brutowinst is 4 ton")
    assert conv.answers["bi_basis"] == {"gross_profit": "400000"}
    assert turn.step == "indemnity_period"


# --- going back ---------------------------------------------------------------------------------


def test_back_from_the_name_question_shows_no_raw_value() -> None:
    conv, _ = to_question("contact_name")
    turn = say(conv, "terug")
    assert "True" not in text(turn)
    assert "Uw vorige antwoord" not in text(turn)
    assert turn.step == "summary"


# --- names --------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["sla maar over", "nee, liever niet", "weet ik niet",
                                   "overslaan", "liever niet", "nee"])
def test_declining_the_customer_check_stores_no_names(typed: str) -> None:
    conv, _ = to_question("top5_names")
    say(conv, typed)
    assert conv.answers["top5_names"] == []
    assert conv.state == "largest_exposure"


def test_a_name_is_taken_from_a_sentence() -> None:
    conv, _ = to_question("contact_name")
    say(conv, "ik ben Kees Smit")
    assert conv.answers["contact_name"] == "Kees Smit"


def test_an_email_address_is_not_a_name() -> None:
    conv, _ = to_question("contact_name")
    turn = say(conv, "kees@smit.nl")
    assert "contact_name" not in conv.answers
    assert turn.step == "contact_name"


# --- silent misreads ----------------------------------------------------------------------------


def test_two_numbers_for_one_count_are_asked_back() -> None:
    conv, _ = to_question("debtor_count")
    turn = say(conv, "zo'n 40, waarvan 5 grote")
    assert "debtor_count" not in conv.answers
    labels = [c.label for r in turn.replies for c in r.choices]
    assert labels == ["40", "5"]
    turn = say(conv, choice=choice_ids(turn)[0])
    assert conv.answers["debtor_count"] == 40


def test_one_million_two_is_one_point_two_million() -> None:
    conv, _ = to_question("turnover")
    say(conv, "1 miljoen 2")
    assert conv.answers["turnover"] == "1200000"


def test_almost_everything_is_proposed_not_guessed() -> None:
    conv, _ = to_question("credit_share")
    turn = say(conv, "bijna alles")
    assert "credit_share" not in conv.answers
    assert "90%" in text(turn)
    say(conv, "ja")
    assert conv.answers["credit_share"] == "90"


def test_an_arable_farm_is_agriculture_not_construction() -> None:
    conv, _ = to_question("sector")
    say(conv, "akkerbouwbedrijf")
    assert conv.answers["sector"] == "landbouw"


def test_a_year_as_payment_term_is_asked_back() -> None:
    conv, _ = to_question("payment_term")
    turn = say(conv, "een jaar")
    assert "payment_term" not in conv.answers
    assert turn.step == "payment_term" and conv.pending is not None


@pytest.mark.parametrize("question", ["payment_term", "debtor_count"])
def test_a_date_is_not_a_number(question: str) -> None:
    conv, _ = to_question(question)
    say(conv, "12-3")
    assert question not in conv.answers


# --- what goes into the lead --------------------------------------------------------------------


def test_bidi_overrides_and_control_characters_never_reach_the_lead() -> None:
    conv, _ = to_question("contact_name")
    say(conv, "Jan\u202e de\x00 Vries\u200b")
    assert conv.answers["contact_name"] == "Jan de Vries"
    say(conv, "Vries\x1b[31m BV")
    assert "\x1b" not in conv.answers["company_name"]


def test_a_stored_conversation_whose_question_no_longer_exists_resumes() -> None:
    conv, _ = play(ROUTE[:3])
    data = conv.to_json()
    data["state"] = "question_removed_in_a_later_release"
    again = Conversation.from_json(data)
    turn = say(again, "80%")
    assert turn.replies
    assert again.state in {"credit_share", "debtor_count"}
    assert again.answers["turnover"] == "1200000"


def test_a_version_1_conversation_is_brought_up_to_date() -> None:
    old = {"state": "turnover", "answers": {"product": "both", "sector": "bouw"},
           "history": ["product", "sector"], "attempts": 0, "pending": {"value": "5"},
           "reference": None, "lead": None}
    conv = Conversation.from_json(old)
    assert conv.answers["product"] == ["credit", "bi"]
    turn = say(conv, "2 miljoen")
    assert turn.step == "credit_share"
