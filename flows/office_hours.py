"""The broker's office hours and the Dutch calendar: when an adviser can call.

`INTAKE_OFFICE_HOURS` is parsed here, not in `bot/`, so the dialogue can place a call-back
window without knowing the service; `bot.config` validates the setting with the same parser.
Without configured hours the dialogue assumes `ma-vr 09:00-17:30` (`DEFAULT_OFFICE_HOURS`).
Dutch public holidays come from the `holidays` library (`holidays.NL`): on those days the
office is closed whatever the hours say. Every time here is Europe/Amsterdam wall-clock time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "DAYS",
    "DEFAULT_OFFICE_HOURS",
    "TZ",
    "OfficeHours",
    "OfficeSpan",
    "holiday",
    "office_hours",
    "parse_office_hours",
]

TZ = ZoneInfo("Europe/Amsterdam")
DEFAULT_OFFICE_HOURS = "ma-vr 09:00-17:30"

# Dutch day abbreviations as people write them ("ma-vr 09:00-17:30"), Monday = 0.
DAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")
_SPAN = re.compile(
    r"^(?P<first>[a-z]{2})(?:\s*-\s*(?P<last>[a-z]{2}))?\s+"
    r"(?P<start>\d{1,2}[:.]\d{2})\s*-\s*(?P<end>\d{1,2}[:.]\d{2})$"
)


@dataclass(frozen=True, slots=True)
class OfficeSpan:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time  # time.max: until midnight ("24:00")


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """When the broker's office answers the phone, e.g. `ma-vr 09:00-17:30`."""

    spans: tuple[OfficeSpan, ...]
    text: str  # normalised, as shown to a prospect: "ma-vr 09:00-17:30"

    def is_open(self, at: datetime) -> bool:
        """Whether `at` (local time of the office) falls in the office hours. Holidays are not
        considered here; `open_on` does."""
        moment = at.time()
        return any(at.weekday() in s.days and s.start <= moment < s.end for s in self.spans)

    def open_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The office's open periods on `day` as aware Europe/Amsterdam datetimes, in order and
        merged where they touch; none on a Dutch public holiday."""
        if holiday(day) is not None:
            return []
        periods = sorted(
            (datetime.combine(day, s.start, TZ), _end_of(day, s.end))
            for s in self.spans if day.weekday() in s.days
        )
        merged: list[tuple[datetime, datetime]] = []
        for start, end in periods:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def next_open(self, after: datetime, *, days: int = 30) -> tuple[datetime, datetime] | None:
        """The first open period that is still open at or after `after`, with `after` as its
        start when the office is open then; None if the office never opens within `days`."""
        local = after.astimezone(TZ)
        for offset in range(days + 1):
            for start, end in self.open_on(local.date() + timedelta(days=offset)):
                if end > local:
                    return max(start, local), end
        return None


def _end_of(day: date, end: time) -> datetime:
    if end == time.max:
        return datetime.combine(day + timedelta(days=1), time.min, TZ)
    return datetime.combine(day, end, TZ)


@cache
def _holidays(year: int) -> dict[date, str]:
    calendar = holidays.country_holidays("NL", years=year, language="nl")
    return dict(calendar.items())


def holiday(day: date) -> str | None:
    """The Dutch name of the public holiday on `day` ("Koningsdag"), or None."""
    return _holidays(day.year).get(day)


def _clock(text: str) -> time:
    hours, minutes = (int(p) for p in re.split(r"[:.]", text))
    if hours == 24 and minutes == 0:
        return time.max
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise ValueError(f"{text!r} is not a time of day")
    return time(hours, minutes)


def parse_office_hours(text: str) -> OfficeHours:
    """`ma-vr 09:00-17:30`, or several spans: `ma-do 09:00-17:30, vr 09:00-16:00`.

    Days are Dutch abbreviations (ma di wo do vr za zo), a single day or a range; spans are
    separated by a comma or a semicolon. Raises ValueError with what is wrong.
    """
    spans = []
    shown = []
    for part in re.split(r"[;,]", text.strip().lower()):
        part = " ".join(part.split())
        if not part:
            continue
        match = _SPAN.match(part)
        if match is None:
            raise ValueError(f"{part!r} is not like 'ma-vr 09:00-17:30'")
        first, last = match["first"], match["last"] or match["first"]
        if first not in DAYS or last not in DAYS:
            raise ValueError(f"days are written {' '.join(DAYS)}, not {part!r}")
        lo, hi = DAYS.index(first), DAYS.index(last)
        if hi < lo:
            raise ValueError(f"{first}-{last} runs backwards")
        start, end = _clock(match["start"]), _clock(match["end"])
        if end <= start:
            raise ValueError(f"{part!r} closes before it opens")
        spans.append(OfficeSpan(frozenset(range(lo, hi + 1)), start, end))
        days = first if lo == hi else f"{first}-{last}"
        shown.append(f"{days} {start:%H:%M}-{'24:00' if end == time.max else f'{end:%H:%M}'}")
    if not spans:
        raise ValueError("no office hours given")
    return OfficeHours(tuple(spans), ", ".join(shown))


@cache
def office_hours(text: str) -> OfficeHours:
    """The office hours a dialogue works with: the configured ones, or `DEFAULT_OFFICE_HOURS`
    when none are configured (or, outside the service, a text that does not parse: the service
    refuses such a setting at start-up)."""
    try:
        return parse_office_hours(text)
    except ValueError:
        return parse_office_hours(DEFAULT_OFFICE_HOURS)
