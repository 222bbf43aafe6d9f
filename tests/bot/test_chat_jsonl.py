"""Complete conversations through `intake chat --jsonl` as a subprocess, typed the way people
really type, with the lead checked field by field."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.chat import JsonlChat


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'intake.sqlite3'}"


def _ids(chat: JsonlChat) -> list[str]:
    return [c["id"] for c in chat.choices]


def test_greeting_discloses_automation_and_that_it_is_an_indication(db_url: str) -> None:
    chat = JsonlChat(db_url)
    text = chat.text
    assert "geautomatiseerde assistent" in text
    assert "indicatie, geen advies" in text
    assert chat.turn["step"] == "product"
    assert _ids(chat) == ["credit", "bi", "both", "callback"]
    assert chat.turn["progress"]["current"] == 1
    assert chat.turn["done"] is False and chat.turn["lead"] is None
    assert chat.close() == 0


def test_both_products_typed_untidily_end_in_a_complete_lead(db_url: str) -> None:
    chat = JsonlChat(db_url)
    chat.say("Beide")
    assert chat.turn["step"] == "sector"
    chat.say("wij zijn een aannemer")
    assert chat.turn["step"] == "turnover"
    chat.say("anderhalf miljoen")
    assert chat.turn["step"] == "credit_share"
    assert "Vraag 4 van" in chat.text
    chat.say("ongeveer 80 procent")
    chat.say("zo'n 25")
    chat.say("de helft")
    assert chat.turn["step"] == "top5_names"
    chat.say("Jansen Bouw BV, De Groot Installatie")
    chat.say("€ 75.000,-")
    chat.say("60 dagen")
    chat.say("geen")
    chat.say("nul")
    chat.say("weet ik niet")
    assert chat.turn["step"] == "bi_basis"
    chat.say("6 ton")
    assert chat.turn["step"] == "gross_profit_ok"
    assert "€\u00a0900.000" in chat.text  # 1.5m - 600k
    chat.say("ja hoor")
    chat.say("12 maanden")
    chat.say("48 uur")
    chat.say("jazeker")
    chat.say("meerdere")
    assert chat.turn["step"] == "summary"
    summary = chat.text
    assert "Bouw en installatie" in summary
    assert "€\u00a01.500.000" in summary
    assert "Kredietverzekering" in summary and "Bedrijfsschadeverzekering" in summary
    assert "Dit is een indicatie" in summary
    chat.say("Klopt, ga verder")
    chat.say("Jan de Vries")
    chat.say("De Vries Bouw B.V.")
    chat.say("Jan@DeVries-Bouw.nl")
    chat.say("06-12345678")
    chat.say("KvK 1234 5678")
    chat.say("dinsdagochtend")
    assert chat.turn["step"] == "callback_moment" and "Klopt dat?" in chat.text
    chat.say("ja")  # the call-back window shown back
    assert chat.turn["step"] == "consent"
    chat.say("ja")
    turn = chat.turn
    assert turn["done"] is True
    lead = turn["lead"]
    assert lead["schema"] == "intake.lead/v1"
    assert lead["reference"].startswith("IK-20")
    assert lead["reference"] in chat.text
    assert lead["channel"] == "cli"
    assert lead["intent"] == "quote"
    assert lead["products"] == ["credit", "bi"]
    assert lead["company"] == {"name": "De Vries Bouw B.V.", "kvk": "12345678",
                               "sector": "bouw", "sbi_section": "F"}
    assert lead["contact"]["name"] == "Jan de Vries"
    assert lead["contact"]["email"].lower() == "jan@devries-bouw.nl"
    assert lead["contact"]["phone"] == "+31612345678"
    assert lead["contact"]["callback_preference"] == "dinsdagochtend"
    answers = lead["answers"]
    assert answers["sector"] == "bouw"
    assert answers["turnover_eur"] == 1500000
    credit = answers["credit"]
    assert credit["credit_share_pct"] == 80
    assert credit["debtor_count"] == 25
    assert credit["top5_share_pct"] == 50
    assert credit["largest_exposure_eur"] == 75000
    assert credit["payment_term_days"] == 60
    assert credit["export_share_pct"] == 0
    assert credit["bad_debt_3y_eur"] == 0
    assert credit["indemnity_pct"] is None
    bi = answers["bi"]
    assert bi["variable_costs_eur"] == 600000
    assert bi["gross_profit_eur"] == 900000
    assert bi["indemnity_period_weeks"] == 52
    assert bi["waiting_period_hours"] == 48
    assert bi["extra_costs"] is True
    assert bi["locations"] == 2
    assert lead["customer_check"] == {"names": ["Jansen Bouw BV", "De Groot Installatie"]}
    assert lead["quote"]["bi"]["insured_sum_eur"] == 900000
    assert lead["quote"]["credit"]["premium_low_eur"] >= 2500
    assert lead["quote"]["disclaimer"].startswith("Dit is een indicatie")
    assert lead["consent"]["text_version"]
    # The same request through the pricing core gives the same figures as the lead carries.
    result = subprocess.run([sys.executable, "-m", "bot", "quote"], input=json.dumps(answers),
                            capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout)["credit"] == lead["quote"]["credit"]
    assert chat.close() == 0


def test_credit_only_with_few_customers_skips_the_top5_question(db_url: str) -> None:
    chat = JsonlChat(db_url)
    for line in ["kredietverzekering", "softwarebedrijf", "800k", "alles", "3", "overslaan",
                 "1 ton", "30", "10%", "5.000", "85%"]:
        chat.say(line)
    assert chat.turn["step"] == "summary", chat.text
    for line in ["klopt", "Sanne Bakker", "Bakker Software", "sanne@bakker.nl",
                 "+31 6 1234 5678", "overslaan", "Maakt niet uit", "ja", "ja"]:
        chat.say(line)
    lead = chat.turn["lead"]
    assert lead["products"] == ["credit"]
    assert lead["answers"]["credit"]["top5_share_pct"] == 100
    assert lead["answers"]["credit"]["indemnity_pct"] == 85
    assert lead["answers"]["bi"] is None
    assert lead["company"]["kvk"] is None and lead["customer_check"] is None
    assert lead["quote"]["bi"] is None
    chat.close()


def test_bi_only_with_gross_profit_given_directly(db_url: str) -> None:
    chat = JsonlChat(db_url)
    for line in ["bedrijfsschade", "restaurant", "€ 600.000", "brutowinst 3 ton"]:
        chat.say(line)
    assert chat.turn["step"] == "gross_profit_ok"
    assert "€\u00a0300.000" in chat.text
    for line in ["ja", "2 jaar", "een week", "nee", "1"]:
        chat.say(line)
    assert chat.turn["step"] == "summary", chat.text
    for line in ["Klopt, ga verder", "Piet", "Eetcafe De Hoek", "piet@dehoek.nl",
                 "020-1234567", "12345678", "ochtend", "ja", "ja"]:
        chat.say(line)
    lead = chat.turn["lead"]
    assert lead["products"] == ["bi"]
    assert lead["answers"]["bi"]["gross_profit_eur"] == 300000
    assert lead["answers"]["bi"]["variable_costs_eur"] == 300000
    assert lead["answers"]["bi"]["indemnity_period_weeks"] == 104
    assert lead["answers"]["bi"]["waiting_period_hours"] == 168
    assert lead["contact"]["phone"] == "+31201234567"
    assert lead["company"]["sector"] == "horeca"
    chat.close()


def test_callback_path_carries_what_was_answered_so_far(db_url: str) -> None:
    chat = JsonlChat(db_url)
    chat.say("beide")
    chat.say("transportbedrijf")
    chat.say("2,5 miljoen")
    chat.say("bel mij")
    assert chat.turn["step"] == "cb_name"
    chat.say("Karin Smit")
    chat.say("06 1234 5678")
    chat.say("na vijven")
    chat.say("ja")
    chat.say("ja")
    lead = chat.turn["lead"]
    assert chat.turn["done"] is True
    assert lead["intent"] == "callback"
    assert lead["contact"]["name"] == "Karin Smit"
    assert lead["contact"]["phone"] == "+31612345678"
    assert lead["answers"]["sector"] == "transport"
    assert lead["answers"]["turnover_eur"] == 2500000
    assert lead["quote"] is None
    chat.close()


def test_bel_mij_liever_as_the_first_choice(db_url: str) -> None:
    chat = JsonlChat(db_url)
    chat.say("Bel mij liever")
    assert chat.turn["step"] == "cb_name"
    for line in ["Ali", "0612345678", "morgen", "ja", "ja"]:
        chat.say(line)
    assert chat.turn["lead"]["intent"] == "callback"
    assert chat.turn["lead"]["products"] == []
    chat.close()


def test_wrong_answers_keep_the_step_and_offer_a_call_after_two(db_url: str) -> None:
    chat = JsonlChat(db_url)
    chat.say("beide")
    chat.say("bouw")
    chat.say("geen idee eigenlijk")
    assert chat.turn["step"] == "turnover"
    assert "schatting" in chat.text and "band1500000" in _ids(chat)
    chat.say("qqq")
    assert "Bijvoorbeeld" in chat.text
    assert "cmd:callback" not in _ids(chat)
    chat.say("🙂")
    assert chat.turn["step"] == "turnover"
    assert "adviseur spreken" in chat.text
    assert "cmd:callback" in _ids(chat)
    assert chat.turn["replies"][-1]["choices"] == [{"id": "cmd:callback", "label": "Ja, bel mij"}]
    chat.say("1.500")
    assert "Bedoelt u €\u00a01.500.000?" in chat.text
    chat.say("ja")
    assert chat.turn["step"] == "credit_share"
    chat.say("wijzig omzet")
    assert "€\u00a01.500.000" in chat.text
    chat.close()


def test_change_from_summary_reasks_only_what_depends_on_it(db_url: str) -> None:
    chat = JsonlChat(db_url)
    for line in ["beide", "groothandel", "1 miljoen", "100", "40", "30%", "overslaan",
                 "50.000", "30 dagen", "0", "0", "90%", "4 ton", "ja", "12 maanden",
                 "24 uur", "nee", "1"]:
        chat.say(line)
    assert chat.turn["step"] == "summary", chat.text
    chat.say("wijzig omzet")
    assert chat.turn["step"] == "turnover"
    chat.say("2 miljoen")
    # The gross profit is recomputed and shown for confirmation; nothing else is asked again.
    assert chat.turn["step"] == "gross_profit_ok"
    assert "€\u00a01.600.000" in chat.text
    chat.say("ja")
    assert chat.turn["step"] == "summary"
    assert "€\u00a02.000.000" in chat.text
    # Narrowing the product drops the BI answers and goes straight back to the summary.
    chat.say("wijzig product")
    chat.say("Kredietverzekering")
    assert chat.turn["step"] == "summary"
    assert "Bedrijfsschadeverzekering" not in chat.text
    # Widening it asks only the BI questions that are now missing.
    chat.say("wijzig product")
    chat.say("beide")
    assert chat.turn["step"] == "bi_basis"
    chat.close()


def test_terug_waarom_hulp_stop_and_verder(db_url: str) -> None:
    chat = JsonlChat(db_url)
    chat.say("beide")
    chat.say("ict")
    chat.say("terug")
    assert chat.turn["step"] == "sector"
    assert "ICT" in chat.text
    chat.say("ict")
    assert chat.turn["step"] == "turnover"
    chat.say("waarom?")
    assert chat.turn["step"] == "turnover"
    assert "percentage van de omzet" in chat.text
    chat.say("hulp")
    assert "vergeet mij" in chat.text and chat.turn["step"] == "turnover"
    chat.say("stop")
    assert chat.turn["step"] == "stopped"
    chat.say("verder")
    assert chat.turn["step"] == "turnover"
    chat.close()


def test_vergeet_mij_erases_the_conversation(db_url: str, tmp_path: Path) -> None:
    chat = JsonlChat(db_url, chat_id="erase-me")
    chat.say("beide")
    chat.say("horeca")
    chat.say("vergeet mij")
    assert "wis" in chat.text and [c["id"] for c in chat.choices] == ["yes", "no"]
    chat.say("ja")
    assert "gewist" in chat.text
    chat.close()
    again = JsonlChat(db_url, chat_id="erase-me")
    assert again.turn["step"] == "product"
    assert "Goedendag" in again.text
    again.close()
    import sqlite3

    with contextlib.closing(sqlite3.connect(tmp_path / "intake.sqlite3")) as db:
        stored = db.execute("select data from conversations where chat_key='cli:erase-me'")
        assert "horeca" not in (stored.fetchone() or [""])[0]
        said = [r[0] or "" for r in db.execute("select incoming from turns")]
        assert not any("horeca" in s for s in said)


def test_sigkill_mid_conversation_loses_nothing(db_url: str) -> None:
    chat = JsonlChat(db_url, chat_id="kill-me")
    for line in ["beide", "groothandel", "3 ton", "90%"]:
        chat.say(line)
    assert chat.turn["step"] == "debtor_count"
    os.kill(chat.proc.pid, signal.SIGKILL)
    chat.kill()
    again = JsonlChat(db_url, chat_id="kill-me")
    assert again.turn["step"] == "debtor_count"
    assert "Welkom terug" in again.text
    again.say("wijzig omzet")
    assert "€\u00a0300.000" in again.text
    again.close()


def test_invalid_utf8_on_stdin_is_read_not_crashed_on(db_url: str) -> None:
    lines = [b"beide", b"groothandel", b"\xff\xfe 1,2 miljoen \xc3", b"80%"]
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--jsonl", "--db", db_url],
        input=b"\n".join(lines) + b"\n", capture_output=True, timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    turns = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(turns) == 5
    assert turns[-1]["step"] == "debtor_count"
    assert "Traceback" not in done.stderr.decode(errors="replace")


def test_an_estimate_is_marked_in_the_lead(db_url: str) -> None:
    chat = JsonlChat(db_url)
    for line in ["kredietverzekering", "bouw", "weet ik niet"]:
        chat.say(line)
    assert chat.turn["step"] == "turnover" and "band1500000" in _ids(chat)
    chat.say("€ 1 tot 2 miljoen")  # the band's label, typed
    assert "€\u00a01.500.000 (schatting)" in chat.text
    for line in ["80%", "25", "50%", "overslaan", "50.000", "30 dagen", "geen export",
                 "nee", "90%", "ja", "Jan Jansen", "Jansen Bouw", "jan@jansenbouw.nl",
                 "0612345678", "overslaan", "ochtend", "ja", "ja"]:
        chat.say(line)
    assert chat.turn["done"], chat.text
    assert chat.turn["lead"]["estimated"] == ["turnover"]
    assert chat.turn["lead"]["answers"]["turnover_eur"] == 1_500_000
    chat.close()
