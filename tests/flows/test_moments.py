"""Call-back moments as prospects type them, placed in the office hours at fixed moments.

Every row: when it is said (a fixed "now" in Amsterdam), what is typed, the window expected
(start as "YYYY-MM-DD HH:MM", end as "HH:MM") and a piece of the notice the prospect is told,
or None when the window is simply what was said.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.moments import MomentError, describe, next_business_day, parse, resolve
from flows.office_hours import TZ, holiday, office_hours, parse_office_hours

HOURS = office_hours("")  # no hours configured: ma-vr 09:00-17:30


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


TUE = at("2026-11-24 10:07")  # a Tuesday morning in office hours
TUE_LATE = at("2026-11-24 17:10")  # twenty minutes before closing
FRI_EVENING = at("2026-11-27 19:30")
BEFORE_KONINGSDAG = at("2027-04-26 15:00")  # Monday; Tuesday 27 April 2027 is Koningsdag
CHRISTMAS_EVE = at("2026-12-24 16:00")  # Thursday; Friday 25 December is Eerste kerstdag
BEFORE_SPRING_DST = at("2026-03-27 16:00")  # Friday; clocks go forward on Sunday 29 March
BEFORE_AUTUMN_DST = at("2026-10-23 16:00")  # Friday; clocks go back on Sunday 25 October
DST_NIGHT = datetime(2026, 3, 29, 1, 30, tzinfo=TZ)  # half an hour before the switch

CLOSED = "is het kantoor gesloten"
OUTSIDE = "buiten onze kantooruren"

CASES = [
    # The issue's own examples, said on a Tuesday morning.
    (TUE, "morgenochtend", "2026-11-25 09:00", "12:00", None),
    (TUE, "vandaag na 15:00", "2026-11-24 15:00", "17:30", None),
    (TUE, "donderdagmiddag", "2026-11-26 13:00", "17:00", None),
    (TUE, "maakt niet uit", "2026-11-24 10:15", "17:30", None),
    (TUE, "zo snel mogelijk", "2026-11-24 10:15", "12:15", None),
    (TUE, "dinsdag tussen 10 en 12", "2026-11-24 10:15", "12:00", None),
    (TUE, "volgende week maandag", "2026-11-30 09:00", "17:30", None),
    (TUE, "na de lunch", "2026-11-24 13:00", "17:30", None),
    # The buttons' values.
    (TUE, "ochtend", "2026-11-24 10:15", "12:00", None),
    (TUE, "middag", "2026-11-24 13:00", "17:00", None),
    (TUE, "eind van de middag", "2026-11-24 16:00", "17:30", None),
    # Untidy: typos, capitals, punctuation, filler words.
    (TUE, "Morgenochten", "2026-11-25 09:00", "12:00", None),
    (TUE, "morgen ochtend graag!", "2026-11-25 09:00", "12:00", None),
    (TUE, "donderdagmidag", "2026-11-26 13:00", "17:00", None),
    (TUE, "dondrdag middag", "2026-11-26 13:00", "17:00", None),
    (TUE, "Donderdag 's middags", "2026-11-26 13:00", "17:00", None),
    (TUE, "donderdag’s middags", "2026-11-26 13:00", "17:00", None),
    (TUE, "zo snel mogenlijk aub", "2026-11-24 10:15", "12:15", None),
    (TUE, "ZSM", "2026-11-24 10:15", "12:15", None),
    (TUE, "z.s.m.", "2026-11-24 10:15", "12:15", None),
    (TUE, "maakt me niet zoveel uit", "2026-11-24 10:15", "17:30", None),
    (TUE, "maakt neit uit", "2026-11-24 10:15", "17:30", None),
    (TUE, "vandaag na 3 uur", "2026-11-24 15:00", "17:30", None),
    (TUE, "vandaag na drieën", "2026-11-24 15:00", "17:30", None),
    (TUE, "vndaag na 15u", "2026-11-24 15:00", "17:30", None),
    (TUE, "na vijven", "2026-11-24 17:00", "17:30", None),
    (TUE, "om half drie", "2026-11-24 14:30", "15:30", None),
    (TUE, "kwart over 2", "2026-11-24 14:15", "15:15", None),
    (TUE, "rond 11", "2026-11-24 10:30", "11:30", None),
    (TUE, "een uur of drie", "2026-11-24 14:30", "15:30", None),
    (TUE, "10-12", "2026-11-24 10:15", "12:00", None),
    (TUE, "10.00 - 12.00 uur", "2026-11-24 10:15", "12:00", None),
    (TUE, "graag morgen tussen 2 en 4", "2026-11-25 14:00", "16:00", None),
    (TUE, "wo 14u", "2026-11-25 14:00", "15:00", None),
    (TUE, "dinsdag tussen 10 en 12 uur", "2026-11-24 10:15", "12:00", None),
    (TUE, "volgende week maandag na de lunch", "2026-11-30 13:00", "17:30", None),
    (TUE, "maandag volgende week", "2026-11-30 09:00", "17:30", None),
    (TUE, "volgende dinsdag", "2026-12-01 09:00", "17:30", None),
    (TUE, "volgende week", "2026-11-30 09:00", "17:30", None),
    (TUE, "maandagmorgen", "2026-11-30 09:00", "12:00", None),
    (TUE, "vanmiddag", "2026-11-24 13:00", "17:00", None),
    (TUE, "vanmidag", "2026-11-24 13:00", "17:00", None),
    (TUE, "'s middags na 3", "2026-11-24 15:00", "17:00", None),
    (TUE, "morgen vroeg", "2026-11-25 09:00", "10:30", None),
    (TUE, "overmorgen", "2026-11-26 09:00", "17:30", None),
    (TUE, "over een uurtje", "2026-11-24 11:15", "13:15", None),
    (TUE, "26-11", "2026-11-26 09:00", "17:30", None),
    (TUE, "3 december 's ochtends", "2026-12-03 09:00", "12:00", None),
    (TUE, "liefst niet voor 10 uur", "2026-11-24 10:15", "17:30", None),
    (TUE, "vrijdag voor de lunch", "2026-11-27 09:00", "12:00", None),
    (TUE, "tussen de middag", "2026-11-24 12:00", "13:00", None),
    # Outside the hours: moved, and said.
    (TUE, "'s avonds", "2026-11-25 09:00", "11:00", OUTSIDE),
    (TUE, "vrijdagavond", "2026-11-30 09:00", "11:00", OUTSIDE),
    (TUE, "tussen 8 en 10", "2026-11-25 09:00", "10:00", "deels buiten"),
    (TUE, "morgen om 8 uur", "2026-11-25 09:00", "11:00", OUTSIDE),
    (TUE, "zaterdag", "2026-11-30 09:00", "17:30", "Op zaterdag 28 november " + CLOSED),
    (TUE, "zaterdagochtend", "2026-11-30 09:00", "12:00", CLOSED),
    (TUE, "in het weekend", "2026-11-30 09:00", "17:30", CLOSED),
    (TUE, "zondag", "2026-11-30 09:00", "17:30", "Op zondag 29 november " + CLOSED),
    (TUE_LATE, "vanochtend", "2026-11-25 09:00", "12:00", "vandaag al voorbij"),
    (TUE_LATE, "vandaag", "2026-11-25 09:00", "17:30", "vandaag al gesloten"),
    (TUE_LATE, "zo snel mogelijk", "2026-11-25 09:00", "11:00", "bijna voorbij"),
    (TUE_LATE, "ochtend", "2026-11-25 09:00", "12:00", None),
    (TUE_LATE, "dinsdagmiddag", "2026-12-01 13:00", "17:00", None),  # next week's
    # A Friday evening.
    (FRI_EVENING, "zo snel mogelijk", "2026-11-30 09:00", "11:00", "nu gesloten"),
    (FRI_EVENING, "maakt niet uit", "2026-11-30 09:00", "17:30", "nu gesloten"),
    (FRI_EVENING, "morgenochtend", "2026-11-30 09:00", "12:00", "Op zaterdag 28 november"),
    (FRI_EVENING, "ochtend", "2026-11-30 09:00", "12:00", None),
    (FRI_EVENING, "maandag", "2026-11-30 09:00", "17:30", None),
    (FRI_EVENING, "vrijdag", "2026-12-04 09:00", "17:30", None),
    (FRI_EVENING, "vanavond", "2026-11-30 09:00", "11:00", OUTSIDE),
    # The day before Koningsdag.
    (BEFORE_KONINGSDAG, "morgen", "2027-04-28 09:00", "17:30",
     "Op dinsdag 27 april is het kantoor gesloten (Koningsdag)."),
    (BEFORE_KONINGSDAG, "morgenochtend", "2027-04-28 09:00", "12:00", "Koningsdag"),
    (BEFORE_KONINGSDAG, "ochtend", "2027-04-28 09:00", "12:00", "Koningsdag"),
    (BEFORE_KONINGSDAG, "27 april", "2027-04-28 09:00", "17:30", "Koningsdag"),
    (BEFORE_KONINGSDAG, "zo snel mogelijk", "2027-04-26 15:00", "17:00", None),
    # Christmas.
    (CHRISTMAS_EVE, "morgen", "2026-12-28 09:00", "17:30", "Eerste kerstdag"),
    (CHRISTMAS_EVE, "25 december", "2026-12-28 09:00", "17:30", "Eerste kerstdag"),
    (CHRISTMAS_EVE, "na de kerst, maandag", "2026-12-28 09:00", "17:30", None),
    (at("2026-12-24 17:20"), "zo snel mogelijk", "2026-12-28 09:00", "11:00",
     "Op vrijdag 25 december " + CLOSED + " (Eerste kerstdag)"),
    (CHRISTMAS_EVE, "1 januari", "2027-01-04 09:00", "17:30", "Nieuwjaarsdag"),
    # Across the switches to and from summer time: wall-clock windows, the right offset.
    (BEFORE_SPRING_DST, "maandagochtend", "2026-03-30 09:00", "12:00", None),
    (BEFORE_AUTUMN_DST, "maandagochtend", "2026-10-26 09:00", "12:00", None),
    (DST_NIGHT, "zo snel mogelijk", "2026-03-30 09:00", "11:00", "nu gesloten"),
]


@pytest.mark.parametrize(("now", "said", "start", "end", "notice"), CASES,
                         ids=[f"{c[0]:%a %d %b %H:%M}-{c[1]}" for c in CASES])
def test_a_moment_becomes_a_window_in_office_hours(now: datetime, said: str, start: str,
                                                   end: str, notice: str | None) -> None:
    window = resolve(parse(said), now, HOURS)
    got = (f"{window.start:%Y-%m-%d %H:%M}", f"{window.end:%H:%M}")
    assert got == (start, end), (said, got, window.notice)
    if notice is None:
        assert window.notice is None, window.notice
    else:
        assert window.notice is not None and notice in window.notice, window.notice
    assert window.start.tzinfo is TZ and window.end.date() == window.start.date()


@pytest.mark.parametrize("said", [
    "", "??", "hallo", "asdfgh", "ik weet het echt niet zo goed", "eerste kerstdag",
    "mijn nummer is 0612345678", "31 februari", "om 25 uur", "tussen 12 en 10", "nooit",
])
def test_what_says_no_moment_is_not_read_as_one(said: str) -> None:
    with pytest.raises(MomentError) as error:
        resolve(parse(said), TUE, HOURS)
    assert error.value.code == "unreadable"


@pytest.mark.parametrize("said", ["niet op maandag", "liever niet vrijdag", "geen ochtend",
                                  "alles behalve maandag", "morgen niet"])
def test_a_moment_said_as_what_does_not_suit_is_asked_again(said: str) -> None:
    with pytest.raises(MomentError) as error:
        parse(said)
    assert error.value.code == "negated"


def test_the_offset_follows_summer_and_winter_time() -> None:
    spring = resolve(parse("maandagochtend"), BEFORE_SPRING_DST, HOURS)
    assert spring.start.isoformat() == "2026-03-30T09:00:00+02:00"
    autumn = resolve(parse("maandagochtend"), BEFORE_AUTUMN_DST, HOURS)
    assert autumn.start.isoformat() == "2026-10-26T09:00:00+01:00"
    friday = resolve(parse("vandaag na 15:00"), BEFORE_SPRING_DST, HOURS)
    assert friday.start.isoformat() == "2026-03-27T16:00:00+01:00"


def test_configured_hours_are_kept_per_day() -> None:
    hours = parse_office_hours("ma-do 08:30-17:00, vr 08:30-12:00")
    friday_afternoon = resolve(parse("vrijdagmiddag"), TUE, hours)
    # Closed on Friday afternoons: the next afternoon the office is open, and said so.
    assert f"{friday_afternoon.start:%a %d %H:%M}" == "Mon 30 13:00"
    assert friday_afternoon.notice and OUTSIDE in friday_afternoon.notice
    early = resolve(parse("donderdag om 8:45"), TUE, hours)
    assert (f"{early.start:%d %H:%M}", f"{early.end:%H:%M}") == ("26 08:45", "09:45")
    split = parse_office_hours("ma-vr 09:00-12:00, ma-vr 13:00-17:00")
    day = resolve(parse("donderdag"), TUE, split)
    assert (f"{day.start:%H:%M}", f"{day.end:%H:%M}") == ("09:00", "17:00")


def test_a_naive_clock_is_read_as_local_time() -> None:
    window = resolve(parse("morgenochtend"), datetime(2026, 11, 24, 9, 0), HOURS)
    assert window.start.date().isoformat() == "2026-11-25"


def test_windows_are_said_in_dutch_relative_to_today() -> None:
    tomorrow = resolve(parse("morgenochtend"), TUE, HOURS)
    assert describe(tomorrow.start, tomorrow.end, TUE) == \
        "morgen (woensdag 25 november) tussen 09:00 en 12:00"
    today = resolve(parse("vandaag na 15:00"), TUE, HOURS)
    assert describe(today.start, today.end, TUE) == \
        "vandaag (dinsdag 24 november) tussen 15:00 en 17:30"
    later = resolve(parse("donderdagmiddag"), TUE, HOURS)
    assert describe(later.start, later.end, TUE) == "donderdag 26 november tussen 13:00 en 17:00"
    next_year = resolve(parse("1 januari"), CHRISTMAS_EVE, HOURS)
    assert describe(next_year.start, next_year.end, CHRISTMAS_EVE) == \
        "maandag 4 januari 2027 tussen 09:00 en 17:30"


def test_the_next_business_day_skips_weekends_and_holidays() -> None:
    assert next_business_day(TUE, HOURS).isoformat() == "2026-11-25"
    assert next_business_day(FRI_EVENING, HOURS).isoformat() == "2026-11-30"
    assert next_business_day(CHRISTMAS_EVE, HOURS).isoformat() == "2026-12-28"
    assert next_business_day(BEFORE_KONINGSDAG, HOURS).isoformat() == "2027-04-28"


NOWS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31)).map(
    lambda d: d.replace(tzinfo=TZ))
WORDS = st.lists(st.sampled_from([
    "morgen", "vandaag", "ochtend", "middag", "avond", "na", "voor", "om", "tussen", "en", "3",
    "15:00", "half", "vier", "maandag", "zaterdag", "volgende", "week", "zsm", "maakt", "niet",
    "uit", "lunch", "de", "s", "27", "april", "december", "25", "-", "10", "12", "uur", "rond",
    "eind", "van", "dag", "vroeg", "kerst", "donderdagmidag", "over", "een", "uurtje",
]), min_size=1, max_size=6).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(NOWS, st.one_of(WORDS, st.text(max_size=40)))
def test_every_window_lies_in_office_hours_on_an_open_day(now: datetime, said: str) -> None:
    try:
        window = resolve(parse(said), now, HOURS)
    except MomentError:
        return
    start, end = window.start, window.end
    assert start < end and end - start <= timedelta(hours=9)
    assert start >= now - timedelta(minutes=1) or start.date() > now.date()
    assert start.weekday() < 5 and holiday(start.date()) is None
    assert time(9) <= start.time() and end.time() <= time(17, 30)
    assert start.minute % 15 == 0


@pytest.mark.parametrize("said", ["rond 0:10", "rond 00:00", "rond 23:50", "om 23:55"])
def test_times_near_midnight_stay_within_their_day(said: str) -> None:
    # Found by the engine's property test: "around 0:10" reached back before the first day.
    moment = parse(said)
    assert moment.start is not None and moment.end is not None
    assert moment.start <= moment.end
