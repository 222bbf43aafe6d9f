"""The call-back moment through the real engine: read, shown back as a window, confirmed, in
the lead (validated against the published schema) and in the closing message."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from flows.conversation import Context, Conversation, Turn
from flows.engine import _closing, step
from flows.office_hours import TZ
from tests.support.dialogue import ROUTE, choice_ids, text

ROOT = Path(__file__).resolve().parents[2]
TO_MOMENT = ROUTE[:ROUTE.index("ochtend")]  # the tidy route up to the call-back question


class Clock:
    """A clock the test moves."""

    def __init__(self, now: str) -> None:
        self.now = datetime.fromisoformat(now).replace(tzinfo=TZ)

    def __call__(self) -> datetime:
        return self.now


_refs = itertools.count(500)


def context(clock: Clock, hours: str = "") -> Context:
    return Context(broker_name="Van Dijk Assurantiën", channel="test", now=clock,
                   broker_office_hours=hours,
                   new_reference=lambda: f"IK-2026-{next(_refs):06d}")


def talk(ctx: Context, lines: list[str], conv: Conversation | None = None
         ) -> tuple[Conversation, Turn]:
    conv = conv or Conversation()
    turn = step(conv, ctx)
    for line in lines:
        turn = step(conv, ctx, line)
    return conv, turn


@pytest.fixture(scope="module")
def published_schema() -> dict[str, Any]:
    """The schema as `intake lead-schema` prints it: what a receiver validates against."""
    out = subprocess.run([sys.executable, "-m", "bot", "lead-schema"], capture_output=True,
                         text=True, timeout=60, cwd=ROOT, check=True).stdout
    return dict(json.loads(out))


def test_the_quote_path_confirms_the_window_asks_again_on_no_and_closes_with_it(
        published_schema: dict[str, Any]) -> None:
    ctx = context(Clock("2026-11-24 10:07"))  # Tuesday
    conv, turn = talk(ctx, TO_MOMENT)
    assert turn.step == "callback_moment"
    assert "asap" in choice_ids(turn)

    turn = step(conv, ctx, "donderdagmidag")
    assert turn.step == "callback_moment" and "callback_moment" not in conv.answers
    assert turn.replies[-1].text == \
        "Dan belt een adviseur u donderdag 26 november tussen 13:00 en 17:00. Klopt dat?"
    assert [c.label for c in turn.replies[-1].choices] == ["Ja", "Nee"]

    turn = step(conv, ctx, "nee")  # asked again
    assert turn.step == "callback_moment" and "callback_moment" not in conv.answers
    assert "Wanneer komt een telefoontje u het best uit?" in text(turn)

    turn = step(conv, ctx, "zaterdag ochtend")  # closed on Saturdays: moved, and said so
    assert text(turn) == ("Op zaterdag 28 november is het kantoor gesloten. Dan belt een "
                          "adviseur u maandag 30 november tussen 09:00 en 12:00. Klopt dat?")
    turn = step(conv, ctx, choice="yes")
    assert turn.step == "consent"
    # Just confirmed: not repeated as "Genoteerd: ...".
    assert "Genoteerd" not in text(turn) and "30 november" not in text(turn)

    turn = step(conv, ctx, "ja")
    assert turn.done and turn.lead is not None
    reference = turn.lead["reference"]
    assert text(turn) == (f"Dank u wel! Uw referentie is {reference}. Een adviseur van Van Dijk "
                          f"Assurantiën belt u maandag 30 november tussen 09:00 en 12:00.")
    contact = turn.lead["contact"]
    assert contact["callback_preference"] == "zaterdag ochtend"
    assert contact["callback_window"] == {"start": "2026-11-30T09:00:00+01:00",
                                          "end": "2026-11-30T12:00:00+01:00"}
    assert turn.lead["intent"] == "quote" and turn.lead["urgent"] is False
    jsonschema.validate(turn.lead, published_schema)


def test_bel_mij_halfway_on_a_friday_evening_is_an_urgent_lead_for_monday(
        published_schema: dict[str, Any]) -> None:
    ctx = context(Clock("2026-11-27 19:30"))  # Friday evening
    conv, turn = talk(ctx, [*ROUTE[:6], "bel mij", "Piet Jansen", "06 1234 5678"])
    assert turn.step == "cb_moment"
    turn = step(conv, ctx, "hmm geen idee wanneer, bel maar")  # any time: shown back
    assert turn.step == "cb_moment"
    assert "maandag 30 november tussen 09:00 en 17:30. Klopt dat?" in text(turn)
    turn = step(conv, ctx, "asdf")  # cannot be read: a Dutch reason and the same question
    assert turn.step == "cb_moment"
    assert "Ik kan daar geen dag of tijd in lezen." in text(turn)
    assert "Wanneer komt een telefoontje u het best uit?" in text(turn)

    turn = step(conv, ctx, choice="asap")  # the button
    assert text(turn) == (
        "Het kantoor is nu gesloten (kantooruren: ma-vr 09:00-17:30). Dan belt een adviseur u "
        "maandag 30 november tussen 09:00 en 11:00. Klopt dat?")
    turn = step(conv, ctx, "ja")
    assert turn.step == "cb_consent"
    turn = step(conv, ctx, "ja hoor")
    assert turn.done and turn.lead is not None
    lead = turn.lead
    assert lead["intent"] == "callback" and lead["urgent"] is True
    assert lead["contact"]["callback_preference"] == "zo snel mogelijk"
    assert lead["contact"]["callback_window"] == {"start": "2026-11-30T09:00:00+01:00",
                                                  "end": "2026-11-30T11:00:00+01:00"}
    assert lead["answers"]["turnover_eur"] == 1200000  # what was answered before "bel mij"
    assert "belt u maandag 30 november tussen 09:00 en 11:00" in text(turn)
    jsonschema.validate(lead, published_schema)


def test_a_typed_moment_the_day_before_koningsdag_skips_it_and_says_why() -> None:
    ctx = context(Clock("2027-04-26 15:00"))  # Monday; Tuesday is Koningsdag
    conv, _turn = talk(ctx, [*ROUTE[:3], "bel mij liever", "Els", "0201234567"])
    turn = step(conv, ctx, "morgenochtend")
    assert text(turn) == ("Op dinsdag 27 april is het kantoor gesloten (Koningsdag). Dan belt "
                          "een adviseur u woensdag 28 april tussen 09:00 en 12:00. Klopt dat?")


def test_configured_office_hours_are_used_and_named() -> None:
    ctx = context(Clock("2026-11-24 10:07"), hours="ma-do 08:30-17:00, vr 08:30-12:00")
    conv, _turn = talk(ctx, TO_MOMENT)
    turn = step(conv, ctx, "vrijdagmiddag")
    assert text(turn).startswith(
        "Dat valt buiten onze kantooruren (ma-do 08:30-17:00, vr 08:30-12:00).")
    assert "maandag 30 november tussen 13:00 en 17:00" in text(turn)


def test_a_window_that_passed_before_consent_is_placed_again_and_said() -> None:
    clock = Clock("2026-11-24 10:07")
    ctx = context(clock)
    conv, _turn = talk(ctx, [*TO_MOMENT, "vandaag tussen 11 en 12", "ja"])
    assert conv.state == "consent"
    clock.now = datetime(2026, 11, 25, 14, 2, tzinfo=TZ)  # back the next afternoon
    turn = step(conv, ctx, "ja")
    assert turn.done and turn.lead is not None
    assert "Het moment dat u koos is inmiddels voorbij." in text(turn)
    assert "belt u vandaag (woensdag 25 november) tussen 14:15 en 16:15" in text(turn)
    assert turn.lead["contact"]["callback_window"]["start"] == "2026-11-25T14:15:00+01:00"
    assert turn.lead["contact"]["callback_preference"] == "vandaag tussen 11 en 12"


def test_a_conversation_stored_before_windows_existed_still_gets_one() -> None:
    ctx = context(Clock("2026-11-24 10:07"))
    conv, _turn = talk(ctx, [*TO_MOMENT, "ochtend", "ja"])
    stored = conv.to_json()
    stored["answers"]["callback_moment"] = "donderdagmiddag"  # the old form: the words only
    conv = Conversation.from_json(json.loads(json.dumps(stored)))
    turn = step(conv, ctx, "ja")
    assert turn.done and turn.lead is not None
    assert turn.lead["contact"]["callback_preference"] == "donderdagmiddag"
    assert turn.lead["contact"]["callback_window"]["start"] == "2026-11-26T13:00:00+01:00"


def test_the_moment_can_be_changed_and_is_shown_as_its_window() -> None:
    ctx = context(Clock("2026-11-24 10:07"))
    conv, _turn = talk(ctx, [*TO_MOMENT, "morgen na 14u", "ja"])
    turn = step(conv, ctx, "wijzig moment")
    assert "Uw huidige antwoord: woensdag 25 november tussen 14:00 en 17:30." in text(turn)
    turn = step(conv, ctx, "middag")
    turn = step(conv, ctx, "ja")
    assert conv.answers["callback_moment"]["start"] == "2026-11-24T13:00:00+01:00"


def test_without_a_window_the_closing_names_the_next_office_day() -> None:
    for now, day in (("2026-11-24 10:07", "morgen (woensdag 25 november)"),
                     ("2026-11-27 19:30", "maandag 30 november"),
                     ("2026-12-24 16:00", "maandag 28 december")):
        clock = Clock(now)
        conv = Conversation(reference="IK-2026-000123", lead={"contact": {}})
        assert _closing(conv, context(clock), clock.now) == (
            f"Dank u wel! Uw referentie is IK-2026-000123. Een adviseur van Van Dijk "
            f"Assurantiën neemt uiterlijk {day} contact met u op.")


def test_a_naive_clock_makes_a_lead_too() -> None:
    # Context's default clock is datetime.now (naive): bench/turns.py crashed on it at consent.
    ctx = Context(channel="test", now=lambda: datetime(2026, 11, 24, 10, 7),
                  new_reference=lambda: "IK-2026-999999")
    conv = Conversation()
    turn = step(conv, ctx)
    for line in [*ROUTE, "ja"]:  # and consent
        turn = step(conv, ctx, line)
    assert turn.done and turn.lead is not None
    assert turn.lead["contact"]["callback_window"] is not None
