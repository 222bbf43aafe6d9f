"""Call-back moments: what a prospect types ("morgenochtend", "vandaag na 15:00",
"donderdagmiddag", "maakt niet uit") becomes a window in the broker's office hours.

Why a parser of our own: no library we could find reads Dutch time expressions the way
prospects type them (compounds such as "donderdagmiddag" and "vanmiddag", dayparts, "half drie",
"na vijven", "volgende week maandag") and none knows office hours or Dutch holidays, so we would
still write most of this around it. The expressions people use to say when they can be called
are few: a table of words, a typo-tolerant word correction (rapidfuzz) and a handful of patterns
over the corrected words cover them. Two steps:

- `parse(text)` reads the words into a `Moment` (a day as said, a time of day, "as soon as
  possible" or "any time"), without a clock; `MomentError` when nothing can be read.
- `resolve(moment, now, hours)` places it in the calendar: the first fitting office-hours window
  (Europe/Amsterdam), skipping closed days and Dutch public holidays, with a Dutch `notice` when
  the window is not what was said (the office is closed that day, the time is outside the hours).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cache

from babel.dates import format_date
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from flows.i18n import _
from flows.office_hours import TZ, OfficeHours, holiday

__all__ = [
    "Day",
    "Moment",
    "MomentError",
    "Window",
    "describe",
    "next_business_day",
    "parse",
    "resolve",
    "show_day",
]


class MomentError(ValueError):
    """Nothing in the text says when: `code` is "unreadable" or "negated" ("niet op maandag")."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Day:
    """A day as said. `offset` (days from today: "vandaag" 0, "morgen" 1), a `weekday` (0 is
    Monday; with `after_today` for "volgende dinsdag", `next_week` for "volgende week
    dinsdag"), a calendar date (`month`, `mday`), or, with `named` False, the first fitting day
    from that one ("volgende week")."""

    offset: int | None = None
    weekday: int | None = None
    after_today: bool = False
    next_week: bool = False
    month: int | None = None
    mday: int | None = None
    year: int | None = None
    named: bool = True


@dataclass(frozen=True, slots=True)
class Moment:
    """A call-back moment as said, before it meets a calendar.

    `kind`: "at" (a day and/or a time of day), "asap" ("zo snel mogelijk") or "any" ("maakt niet
    uit"). `start`/`end`: the time of day, None meaning from opening / until closing. `exact`:
    the prospect named clock times, so cutting them to the office hours is said out loud (a
    daypart such as "ochtend" is cut silently). `delay`: "over een uur".
    """

    kind: str = "at"
    day: Day | None = None
    start: time | None = None
    end: time | None = None
    exact: bool = False
    delay: timedelta | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """A concrete call-back window: aware Europe/Amsterdam datetimes inside the office hours,
    and what the prospect must be told when it is not what they said (Dutch), or None."""

    start: datetime
    end: datetime
    notice: str | None = None


# --- words ------------------------------------------------------------------------------------

# Any ordinary day, for arithmetic on times of day (date.min cannot go back 30 minutes).
_ANY_DAY = date(2000, 1, 3)

WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
# Abbreviations that mean nothing else here ("zo" is "zo snel mogelijk", "vrij" is "free").
_WEEKDAY_SHORT = {"ma": 0, "maa": 0, "di": 1, "din": 1, "wo": 2, "woe": 2, "woens": 2, "do": 3,
                  "don": 3, "donder": 3, "vr": 4, "vrijd": 4, "za": 5, "zat": 5, "zon": 6}
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
_MONTH_SHORT = {"jan": 1, "feb": 2, "mrt": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
                "sept": 9, "okt": 10, "nov": 11, "dec": 12}
_NUMBERS = {"een": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7,
            "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12}
# "na vijven", "voor drieën": the hour as a noun.
_HOUR_NOUNS = {"enen": 1, "tweeen": 2, "drieen": 3, "vieren": 4, "vijven": 5, "zessen": 6,
               "zevenen": 7, "achten": 8, "negenen": 9, "tienen": 10, "elven": 11,
               "twaalven": 12}
_DAYPARTS = ("ochtend", "ochtends", "morgens", "voormiddag", "middag", "middags", "namiddag",
             "avond", "avonds", "nacht", "nachts", "lunch", "lunchtijd", "lunchpauze")
# Words worth correcting when mistyped (five letters or more: shorter ones are left as typed).
_VOCABULARY = tuple(sorted({
    *WEEKDAYS, *MONTHS, *_DAYPARTS, "zeven", "twaalf",
    "vandaag", "morgen", "overmorgen", "volgende", "komende", "aanstaande", "weekend",
    "tussen", "vanaf", "omstreeks", "ongeveer", "uiterlijk", "mogelijk", "spoedig", "meteen",
    "direct", "maakt", "voorkeur", "wanneer", "uurtje", "kwartier", "middageten", "vroeg",
    "halverwege", "dringend",
}))
# Known as they are, never "corrected" (the hour nouns are too close to other words: "achter").
_KNOWN = frozenset(_VOCABULARY) | frozenset(_WEEKDAY_SHORT) | frozenset(_MONTH_SHORT) | frozenset(
    _HOUR_NOUNS) | {
    "bellen", "liefst", "graag", "liever",
    "alstublieft", "alsjeblieft", "eerder", "later", "maandagen", "welkom", "wanneer",
}
# A compound of a day and a daypart: "donderdagmiddag", "morgenochtend", "vanmiddag".
_HEADS = (*WEEKDAYS, "morgen", "overmorgen", "vandaag", "van")
_TAILS = ("ochtend", "morgen", "middag", "namiddag", "avond", "nacht", "vroeg", "voormiddag")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _allowed(word: str) -> int:
    return 0 if len(word) < 5 else 1 if len(word) < 8 else 2


def _nearest(word: str, words: tuple[str, ...], limit: int) -> tuple[str, int] | None:
    if word in words:
        return word, 0
    if limit == 0:
        return None
    found = process.extractOne(word, words, scorer=Levenshtein.distance, score_cutoff=limit)
    return None if found is None else (str(found[0]), int(found[1]))


def _split(word: str, limit: int) -> tuple[str, str, int] | None:
    """A day and a daypart written as one word, each part possibly mistyped."""
    best: tuple[str, str, int] | None = None
    for cut in range(3, len(word) - 3):
        head, tail = word[:cut], word[cut:]
        h = (head, 0) if head == "van" else _nearest(head, _HEADS, min(1, _allowed(head)))
        t = _nearest(tail, _TAILS, min(1, _allowed(tail)))
        if h is None or t is None or (h[0] == "van" and head != "van"):
            continue
        cost = h[1] + t[1]
        if cost <= limit and (best is None or cost < best[2]):
            best = (h[0], t[0], cost)
    return best


@cache
def _correct(word: str) -> str:
    """A word as meant: known words as they are, compounds split, typos of our words fixed."""
    if not word.isalpha() or word in _KNOWN or len(word) < 5:
        return word
    split = _split(word, 0)
    single = None if split is not None else _nearest(word, _VOCABULARY, _allowed(word))
    if split is None:
        split = _split(word, 1 if len(word) < 12 else 2)
    if single is not None and (split is None or single[1] <= split[2]):
        return single[0]
    if split is not None:
        # "maandagmorgen", "vanmorgen": after a day, "morgen" is the morning.
        return f"{split[0]} {'ochtend' if split[1] == 'morgen' else split[1]}"
    return word


def _words(text: str) -> str:
    """The text as lower-case, accent-free, corrected words with single spaces; clock times as
    `15:00`; "15u", "15h" as "15 uur"."""
    text = _fold(text)
    text = re.sub(r"['\u2018\u2019`´]", "", text)
    text = text.replace("a.s.", " aanstaande ").replace("z.s.m.", " zsm ").replace(
        "z.s.m", " zsm ")
    text = re.sub(r"(\d{1,2})\s*[uh.:](\d{2})\s*(?:uur|u|h)?\b", r" \1:\2 ", text)
    text = re.sub(r"(\d{1,2})\s*(?:uur|u|h)\b", r" \1 uur ", text)
    tokens = re.findall(r"\d{1,2}:\d{2}|\d+|[a-z]+|[-/]", text)
    return " ".join(_correct(t) for t in tokens)


# --- patterns over the corrected words --------------------------------------------------------

_NUM = rf"(?:\d{{1,2}}|{'|'.join(_NUMBERS)})"
_T = (rf"(?:\d{{1,2}}:\d{{2}}|half {_NUM}|kwart (?:over|voor) {_NUM}|{_NUM} uur|"
      rf"{'|'.join(_HOUR_NOUNS)}|{_NUM})")
_WEEKDAY = "|".join((*WEEKDAYS, *_WEEKDAY_SHORT))
_MONTH = "|".join((*MONTHS, *_MONTH_SHORT))


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS[word]


@dataclass(frozen=True, slots=True)
class _Clock:
    """A time as said: the spoken hour ("half drie": 3) and minutes from it (-30)."""

    hour: int
    minutes: int = 0
    literal: bool = False  # "07:30": a 24-hour clock, never moved to the afternoon

    def time(self, morning: bool) -> time | None:
        hour = self.hour
        if not self.literal and not morning and 1 <= hour <= 7:
            hour += 12  # "om 3 uur", "na vijven": office hours are daytime
        total = hour * 60 + self.minutes
        if not 0 <= total < 24 * 60:
            return None
        return time(total // 60, total % 60)


def _clock(said: str) -> _Clock | None:
    said = said.removesuffix(" uur")
    if re.fullmatch(r"\d{1,2}:\d{2}", said):
        hour, minutes = (int(p) for p in said.split(":"))
        return _Clock(hour, minutes, literal=True) if hour < 24 and minutes < 60 else None
    if said in _HOUR_NOUNS:
        return _Clock(_HOUR_NOUNS[said])
    parts = said.split()
    if parts[0] == "half":
        return _Clock(_number(parts[1]), -30)
    if parts[0] == "kwart":
        return _Clock(_number(parts[2]), 15 if parts[1] == "over" else -15)
    hour = _number(parts[0])
    return _Clock(hour) if hour <= 24 else None


_ANY = re.compile(
    r"\b(?:maak\w* (?:\w+ ){0,3}uit|om het even|geen voorkeur|boeit niet|altijd|"
    r"wanneer (?:u|je|jullie|het) (?:\w+ ){0,2}(?:wilt|wil|kunt|kan|uitkomt|past)|"
    r"elk moment|ieder moment|(?:de )?hele dag|doet er niet toe|weet ik niet|geen idee|"
    r"wat (?:u|jullie) wil|wanneer dan ook|maakt niet|whenever|anytime)\b")
_ASAP = re.compile(
    r"\b(?:zsm|asap|z s m|(?:zo )?(?:snel|spoedig|vlug|gauw)(?:st)?(?:e)? (?:als )?mogelijk|"
    r"zo (?:snel|spoedig|vlug|gauw)(?: (?:als|het) (?:het )?kan)?|snel|spoedig|meteen|direct|"
    r"gelijk|nu|per direct|spoed|dringend|urgent)\b")
_NEGATION = re.compile(r"\b(?:niet|geen|nooit|behalve|liever niet)\b")


@dataclass(slots=True)
class _Said:
    day: Day | None = None
    kind: str = "at"
    times: tuple[_Clock | None, _Clock | None, bool] | None = None  # start, end, approximate
    point: bool = False  # "om 10 uur": an hour from then
    part: tuple[time | None, time | None] | None = None  # a daypart's window
    morning: bool = False
    delay: timedelta | None = None
    found: bool = False
    bad: bool = False  # a time that is no time ("om 25 uur")


def _hours_or_minutes(amount: str, unit: str) -> timedelta:
    n = 0.5 if amount == "half" else _number(amount)
    if unit == "kwartier":
        return timedelta(minutes=15 * n)
    return timedelta(hours=n)


_Rule = tuple[re.Pattern[str], Callable[[_Said, re.Match[str]], None]]


def _rules() -> list[_Rule]:
    def day(**kw: object) -> Callable[[_Said, re.Match[str]], None]:
        def set_day(said: _Said, m: re.Match[str]) -> None:
            if said.day is None:
                said.day = Day(**kw)  # type: ignore[arg-type]
        return set_day

    def weekday(said: _Said, m: re.Match[str]) -> None:
        if said.day is not None:
            return
        name = m["wd"]
        number = WEEKDAYS.index(name) if name in WEEKDAYS else _WEEKDAY_SHORT[name]
        said.day = Day(weekday=number, after_today=bool(m["after"]),
                       next_week=bool(m["nw1"] or m["nw2"]))

    def calendar_date(said: _Said, m: re.Match[str]) -> None:
        if said.day is not None:
            return
        month_word = m.groupdict().get("mname")
        if month_word:
            month = MONTHS.index(month_word) + 1 if month_word in MONTHS \
                else _MONTH_SHORT[month_word]
        else:
            month = int(m["mnum"])
        year = int(m["year"]) if m["year"] else None
        if year is not None and year < 100:
            year += 2000
        said.day = Day(month=month, mday=int(m["mday"]), year=year)

    def dashed(said: _Said, m: re.Match[str]) -> None:
        # "10-12" is a time span, "26-11" a date: hours that run forwards are a span.
        first, second = _Clock(int(m["mday"])), _Clock(int(m["mnum"]))
        a, b = first.time(False), second.time(False)
        if m["sep"] == "-" and not m["year"] and a is not None and b is not None and a < b:
            if said.times is None:
                said.times = (first, second, False)
            return
        calendar_date(said, m)

    def in_days(said: _Said, m: re.Match[str]) -> None:
        n = 1 if m["n"] == "een" else _number(m["n"])
        if said.day is None:
            said.day = Day(offset=n * 7 if m["unit"].startswith("we") else n)

    def later(said: _Said, m: re.Match[str]) -> None:
        said.delay = _hours_or_minutes(m["n"], m["unit"])

    def kind(value: str) -> Callable[[_Said, re.Match[str]], None]:
        def set_kind(said: _Said, m: re.Match[str]) -> None:
            if said.kind == "at":
                said.kind = value
        return set_kind

    def times(start: str | None, end: str | None, said: _Said, approx: bool = False,
              point: bool = False) -> None:
        first, last = (_clock(start) if start else None), (_clock(end) if end else None)
        if (start and first is None) or (end and last is None):
            said.bad = True
        elif said.times is None:
            said.times = (first, last, approx)
            said.point = point

    def span(said: _Said, m: re.Match[str]) -> None:
        times(m["a"], m["b"], said)

    def after(said: _Said, m: re.Match[str]) -> None:
        times(m["a"], None, said)

    def before(said: _Said, m: re.Match[str]) -> None:
        times(None, m["a"], said)

    def around(said: _Said, m: re.Match[str]) -> None:
        times(m["a"], None, said, approx=True)

    def at(said: _Said, m: re.Match[str]) -> None:
        times(m["a"], None, said, point=True)

    def part(start: time | None, end: time | None,
             morning: bool = False) -> Callable[[_Said, re.Match[str]], None]:
        def set_part(said: _Said, m: re.Match[str]) -> None:
            if said.part is None:
                said.part = (start, end)
            said.morning = said.morning or morning
        return set_part

    def today_part(start: time | None, end: time | None,
                   morning: bool = False) -> Callable[[_Said, re.Match[str]], None]:
        def set_both(said: _Said, m: re.Match[str]) -> None:
            day(offset=0)(said, m)
            part(start, end, morning)(said, m)
        return set_both

    t = time
    morning, afternoon = (t(9), t(12)), (t(13), t(17))
    late, early = (t(16), None), (None, t(10, 30))
    evening, night = (t(18), t(21)), (t(0), t(6))
    parts = {"ochtend": morning, "morgen": morning, "middag": afternoon, "avond": evening,
             "nacht": night, "namiddag": (t(14), None), "voormiddag": morning}
    return [
        # What is not a negation although it says "niet".
        (re.compile(rf"\bniet (?:voor|eerder dan) (?P<a>{_T})\b"), after),
        (re.compile(rf"\bniet (?:na|later dan) (?P<a>{_T})\b"), before),
        (_ANY, kind("any")),
        (re.compile(rf"\bover (?:een )?(?P<n>half|{_NUM}) (?P<unit>uur|uurtje|kwartier)\b"),
         later),
        (re.compile(r"\bover (?P<n>een|\d+|twee|drie|vier|vijf) (?P<unit>dag|dagen|week|weken)\b"),
         in_days),
        (_ASAP, kind("asap")),
        # Days.
        (re.compile(rf"\b(?:(?P<nw1>volgende|komende) week (?:op )?)?"
                    rf"(?:(?P<after>volgende|komende|aanstaande) )?(?:deze )?(?P<wd>{_WEEKDAY})"
                    rf"(?: (?P<nw2>volgende week|over een week))?\b"), weekday),
        (re.compile(rf"(?<![:\d])\b(?P<mday>\d{{1,2}}) (?P<mname>{_MONTH})"
                    rf"(?: (?P<year>\d{{4}}))?\b"), calendar_date),
        (re.compile(r"(?<![:\d])\b(?P<mday>\d{1,2}) (?P<sep>/|-) (?P<mnum>\d{1,2})(?!:)"
                    r"(?: (?:/|-) (?P<year>\d{2,4}))?\b"), dashed),
        (re.compile(r"\b(?:begin |na het weekend|in het begin van de )?(?:volgende|komende) "
                    r"week\b|\bna het weekend\b"), day(offset=None, named=False, next_week=True)),
        (re.compile(r"\b(?:in het |dit )?weekend\b"), day(weekday=5)),
        (re.compile(r"\bovermorgen\b"), day(offset=2)),
        (re.compile(r"\bvan (?:ochtend|morgen|voormiddag)\b"), today_part(*morning, True)),
        (re.compile(r"\bvan middag\b"), today_part(*afternoon)),
        (re.compile(r"\bvan (?:avond|nacht)\b"), today_part(*evening)),
        (re.compile(r"\bvandaag\b"), day(offset=0)),
        # "morgen" is tomorrow unless it is a daypart: "s morgens", "in de morgen".
        (re.compile(r"(?<!\bs )(?<!\bde )\bmorgen\b(?! s\b)"), day(offset=1)),
        # Times: the parts of a sentence that name clock times. "een uur of drie" first: it
        # is not a span from one to three.
        (re.compile(rf"\b(?:een )?uur(?:tje)? of (?P<a>{_T})\b"), around),
        (re.compile(rf"\b(?:tussen |van |vanaf )?(?P<a>{_T}) (?:en|tot(?: en met)?|-|a|of) "
                    rf"(?P<b>{_T})\b"), span),
        (re.compile(r"\bna (?:de |het |)(?:lunch|lunchpauze|middageten|middagpauze|eten)\b"),
         part(t(13), None)),
        (re.compile(r"\bvoor (?:de |het |)(?:lunch|lunchpauze|middageten|middagpauze)\b"),
         part(None, t(12), True)),
        (re.compile(r"\b(?:tussen de middag|rond de middag|(?:rond |tijdens |in )?(?:de )?"
                    r"(?:lunch|lunchtijd|lunchpauze))\b"), part(t(12), t(13))),
        (re.compile(rf"\b(?:na|vanaf|later dan|pas na|ergens na) (?P<a>{_T})\b"), after),
        (re.compile(rf"\b(?:voor|tot|uiterlijk|eerder dan|ergens voor) (?P<a>{_T})\b"),
         before),
        (re.compile(rf"\b(?:rond|omstreeks|ongeveer|circa|ca|tegen) "
                    rf"(?P<a>{_T})\b"), around),
        (re.compile(rf"\b(?:om|op) (?P<a>{_T})\b"), at),
        (re.compile(rf"\b(?P<a>\d{{1,2}}:\d{{2}}|{_NUM} uur|half {_NUM}|"
                    rf"kwart (?:over|voor) {_NUM}|{'|'.join(_HOUR_NOUNS)})\b"), at),
        # Dayparts.
        (re.compile(r"\b(?:(?:aan het )?(?:eind|einde) (?:van )?(?:de )?(?:middag|dag|"
                    r"werkdag|namiddag)|laat in de middag|late middag)\b"), part(*late)),
        (re.compile(r"\b(?:vroeg|vroege ochtend|begin van de ochtend)\b"),
         part(*early, True)),
        (re.compile(r"\b(?:begin van de middag|vroege middag|begin middag)\b"),
         part(t(13), t(14, 30))),
        (re.compile(r"\b(?:s |in de |de )?(?:ochtend|ochtends|morgens|voormiddag)\b"
                    r"|\b(?:s|in de) morgen\b"), part(*morning, True)),
        (re.compile(r"\b(?:s |in de |de )?namiddag\b"), part(*parts["namiddag"])),
        (re.compile(r"\b(?:s |in de |de )?(?:middag|middags)\b"), part(*afternoon)),
        (re.compile(r"\b(?:s |in de |de )?(?:avond|avonds)\b"), part(*evening)),
        (re.compile(r"\b(?:s |in de |de )?(?:nacht|nachts)\b"), part(*night)),
    ]


_RULES = _rules()


def parse(text: str) -> Moment:
    """What a prospect said, as a `Moment`; `MomentError` when it says no moment."""
    words = f" {_words(text)} "
    said = _Said()
    for pattern, handle in _RULES:
        while True:
            match = pattern.search(words)
            if match is None:
                break
            handle(said, match)
            said.found = True
            words = words[:match.start()] + " | " + words[match.end():]
    if not said.found or said.bad:
        raise MomentError("unreadable")
    if _NEGATION.search(words):
        raise MomentError("negated")
    return _moment(said)


def _moment(said: _Said) -> Moment:
    start = end = None
    exact = False
    if said.times is not None:
        first, last, approx = said.times
        start = first.time(said.morning) if first else None
        end = last.time(said.morning) if last else None
        if (first is not None and start is None) or (last is not None and end is None):
            raise MomentError("unreadable")
        exact = True
        if start is not None and approx:
            centre = datetime.combine(_ANY_DAY, start)
            # "rond middernacht" stays within the day: clamp, never wrap past it.
            start = max(centre - timedelta(minutes=30), datetime.combine(_ANY_DAY, time.min)).time()
            end = min(centre + timedelta(minutes=30), datetime.combine(_ANY_DAY, time.max)).time()
        elif start is not None and said.point:
            end = min(datetime.combine(_ANY_DAY, start) + timedelta(hours=1),
                      datetime.combine(_ANY_DAY, time.max)).time()
        if start is not None and end is not None and end <= start:
            raise MomentError("unreadable")
    if said.part is not None:
        p_start, p_end = said.part
        if start is None and end is None:
            start, end = p_start, p_end
        elif start is None and (p_start is None or end is None or p_start < end):
            start = p_start  # "middag voor 15:00": 13:00-15:00
        elif end is None and (p_end is None or start is None or start < p_end):
            end = p_end  # "middag na 15:00": 15:00-17:00
    kind = said.kind
    if kind != "at" and (said.times is not None or said.part is not None):
        kind = "at"  # "zo snel mogelijk na 14:00": the time says more
    if kind == "at" and said.delay is not None and said.day is None and start is None \
            and end is None:
        kind = "asap"  # "over een uurtje"
    return Moment(kind=kind, day=said.day, start=start, end=end, exact=exact,
                  delay=said.delay)


# --- the calendar -----------------------------------------------------------------------------

QUARTER = timedelta(minutes=15)
_MIN = timedelta(minutes=15)  # the shortest window worth offering
_MIN_FROM_NOW = timedelta(minutes=30)  # ... when it starts now
_ASAP_LENGTH = timedelta(hours=2)
_SEARCH_DAYS = 21


def _ceil(moment: datetime) -> datetime:
    moment = moment.astimezone(TZ).replace(second=0, microsecond=0)
    extra = -moment.minute % 15
    return (moment + timedelta(minutes=extra)).astimezone(TZ)


def _day_of(day: Day, today: date) -> date:
    if day.month is not None and day.mday is not None:
        year = day.year or today.year
        try:
            found = date(year, day.month, day.mday)
            if day.year is None and found < today:
                found = date(year + 1, day.month, day.mday)
        except ValueError:
            raise MomentError("unreadable") from None
        return found
    if day.weekday is not None:
        if day.next_week:
            monday = today + timedelta(days=7 - today.weekday())
            return monday + timedelta(days=day.weekday)
        ahead = (day.weekday - today.weekday()) % 7
        if ahead == 0 and day.after_today:
            ahead = 7
        return today + timedelta(days=ahead)
    if day.next_week:
        return today + timedelta(days=7 - today.weekday())
    return today + timedelta(days=day.offset or 0)


@dataclass(frozen=True, slots=True)
class _Fit:
    start: datetime
    end: datetime
    cut: bool  # a named clock time was cut to the office hours


def _fit(moment: Moment, day: date, earliest: datetime, hours: OfficeHours) -> _Fit | None:
    """The part of the moment's time of day that the office is open on `day`, not before
    `earliest`; None when too little of it is left."""
    want_start = datetime.combine(day, moment.start or time.min, TZ)
    want_end = datetime.combine(day + timedelta(days=1), time.min, TZ) if moment.end is None \
        else datetime.combine(day, moment.end, TZ)
    pieces = []
    cut = False
    for open_, close in hours.open_on(day):
        start, end = max(open_, want_start), min(close, want_end)
        if moment.exact and end > start and (
                (moment.start is not None and start > want_start)
                or (moment.end is not None and end < want_end)):
            cut = True
        start = max(start, earliest)
        if end - start >= (_MIN_FROM_NOW if start == earliest else _MIN):
            pieces.append((start, end))
    if not pieces:
        return None
    if moment.kind == "asap":
        start, end = pieces[0]
        return _Fit(start, min(end, start + _ASAP_LENGTH), False)
    if moment.kind == "any":
        return _Fit(pieces[0][0], pieces[0][1], False)
    # One window: from the first open part to the last (a lunch break in between is fine).
    return _Fit(pieces[0][0], pieces[-1][1], cut)


def _when_closed(day: date, today: date) -> str:
    name = holiday(day)
    shown = show_day(day, today, relative=False)
    if name:
        return _("On %(day)s the office is closed (%(holiday)s).") % {
            "day": shown, "holiday": name}
    return _("On %(day)s the office is closed.") % {"day": shown}


def _outside(hours: OfficeHours) -> str:
    return _("That is outside office hours (%(hours)s).") % {"hours": hours.text}


def resolve(moment: Moment, now: datetime, hours: OfficeHours) -> Window:
    """The first office-hours window for `moment` as seen at `now`, with a notice when it had to
    move (a closed day, a holiday, a time outside the hours, a moment already past)."""
    now = now.astimezone(TZ)
    today = now.date()
    earliest = _ceil(now + (moment.delay or timedelta()))
    if moment.kind != "at" and moment.day is None:
        # "zo snel mogelijk", "maakt niet uit": from now, or the next time the office opens.
        for offset in range(_SEARCH_DAYS):
            day = today + timedelta(days=offset)
            fit = _fit(moment, day, earliest, hours)
            if fit is None:
                continue
            notices = []
            if fit.start - earliest >= timedelta(hours=1):
                open_now = bool(hours.open_on(today)) and hours.is_open(now)
                notices.append(
                    _("Today's office hours are nearly over.") if open_now else
                    _("The office is closed now (office hours: %(hours)s).") % {
                        "hours": hours.text})
                notices += [_when_closed(d, today) for d in _holidays_between(today, day, hours)]
            return Window(fit.start, fit.end, " ".join(notices) or None)
        raise MomentError("unreadable")
    named = moment.day is not None and moment.day.named
    first = _day_of(moment.day, today) if moment.day is not None else today
    if first < today:
        raise MomentError("unreadable")
    if moment.day is not None and moment.day.weekday is not None and first == today \
            and not moment.day.next_week and _fit(moment, first, earliest, hours) is None:
        first += timedelta(days=7)  # "donderdagmiddag" on Thursday evening: next week's
    skipped: date | None = None
    for offset in range(_SEARCH_DAYS):
        day = first + timedelta(days=offset)
        fit = _fit(moment, day, earliest, hours)
        if fit is None:
            if skipped is None and (holiday(day) is not None or named):
                skipped = day
            continue
        notice = None
        if offset and named:
            notice = _why_not(moment, first, now, hours)
        elif offset and skipped is not None and holiday(skipped) is not None \
                and _normally_open(skipped, hours):
            notice = _when_closed(skipped, today)
        elif fit.cut:
            notice = _("That is partly outside office hours (%(hours)s).") % {
                "hours": hours.text}
        return Window(fit.start, fit.end, notice)
    # The time of day is never in office hours ("s avonds"): the first office hours after it.
    after = datetime.combine(first, moment.start or time.min, TZ)
    found = hours.next_open(max(after, earliest))
    if found is None:
        raise MomentError("unreadable")
    start, close = found
    start = _ceil(start)
    return Window(start, min(close, start + _ASAP_LENGTH), _outside(hours))


def _holidays_between(first: date, last: date, hours: OfficeHours) -> list[date]:
    """Holidays from `first` up to `last` (not included) on which the office would be open."""
    days = (first + timedelta(days=n) for n in range((last - first).days))
    return [d for d in days if holiday(d) is not None and _normally_open(d, hours)][:2]


def _normally_open(day: date, hours: OfficeHours) -> bool:
    return any(day.weekday() in s.days for s in hours.spans)


def _why_not(moment: Moment, day: date, now: datetime, hours: OfficeHours) -> str:
    if holiday(day) is not None or not _normally_open(day, hours):
        return _when_closed(day, now.date())
    whole_day = replace(moment, start=None, end=None, exact=False)
    if _fit(whole_day, day, datetime.combine(day, time.min, TZ), hours) is not None \
            and _fit(moment, day, datetime.combine(day, time.min, TZ), hours) is None:
        return _outside(hours)
    if day == now.date():
        if moment.start is None and moment.end is None:
            return _("The office is already closed today.")
        return _("That time has already passed today.")
    return _outside(hours)


# --- saying it ---------------------------------------------------------------------------------


def show_day(day: date, today: date | None = None, relative: bool = True) -> str:
    """ "donderdag 26 november"; with `today` the year when it is not this year's, and (when
    `relative`) "vandaag (...)" and "morgen (...)"."""
    pattern = "EEEE d MMMM" if today is None or day.year == today.year else "EEEE d MMMM y"
    shown = format_date(day, pattern, locale="nl")
    if relative and today is not None and day == today:
        return _("today (%(date)s)") % {"date": shown}
    if relative and today is not None and day == today + timedelta(days=1):
        return _("tomorrow (%(date)s)") % {"date": shown}
    return shown


def describe(start: datetime, end: datetime, now: datetime | None = None) -> str:
    """ "morgen (woensdag 25 november) tussen 09:00 en 12:00"."""
    start, end = start.astimezone(TZ), end.astimezone(TZ)
    today = now.astimezone(TZ).date() if now is not None else None
    return _("%(day)s between %(start)s and %(end)s") % {
        "day": show_day(start.date(), today), "start": f"{start:%H:%M}",
        "end": "24:00" if end.date() > start.date() and end.time() == time.min
        else f"{end:%H:%M}"}


def next_business_day(now: datetime, hours: OfficeHours) -> date:
    """The first day after today on which the office opens (holidays skipped)."""
    today = now.astimezone(TZ).date()
    for offset in range(1, _SEARCH_DAYS + 14):
        day = today + timedelta(days=offset)
        if hours.open_on(day):
            return day
    return today + timedelta(days=1)
