"""When it is safe to contact a person who left a message, read from her own words where possible.

She writes it freely ("only weekdays after 6pm UK time, he checks my phone in the mornings"), so the
reading is cautious: staff always see her words, and the reading only decides whether contacting her
now needs an explicit override. Explicit times ("after 6pm", "between 7 and 9 pm", "18:00-21:00") win
over parts of the day ("evenings"), which are read only when no explicit time is given: a sentence that
says when it is safe often also says when it is not. Anything negated ("not", "never", "except") is not
read at all. The timezone is the one she named, else her country's; a country with several zones
counts as safe only when it is safe in every one of them.

Her words are read in her language (bot/handoff/safe_time_words.py rewrites them into the English
read here); where they cannot be read, staff go by her words alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import get_global

from bot.handoff import safe_time_words
from bot.language.i18n import N_, Translate

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SHORT_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = frozenset(range(5))
WEEKEND = frozenset({5, 6})
EVERY_DAY = frozenset(range(7))
MIDNIGHT = time(0)
# Parts of the day, as a helpline reads them.
PERIODS = {
    "morning": (time(6), time(12)),
    "lunchtime": (time(12), time(14)),
    "afternoon": (time(12), time(18)),
    "evening": (time(18), time(22)),
    "tonight": (time(18), MIDNIGHT),
    "night": (time(22), time(6)),
}
# Zones people name instead of a place: the common ones for the helpline's countries.
NAMED_ZONES = {
    "uk": "Europe/London",
    "gmt": "Europe/London",
    "bst": "Europe/London",
    "london": "Europe/London",
    "eat": "Africa/Nairobi",
    "nairobi": "Africa/Nairobi",
    "kenya": "Africa/Nairobi",
    "wat": "Africa/Lagos",
    "cat": "Africa/Maputo",
    "ist": "Asia/Kolkata",
    "india": "Asia/Kolkata",
    "cet": "Europe/Paris",
    "utc": "UTC",
}
CLOCK = r"(\d{1,2})(?:[:.h](\d\d))?\s*(am|pm|a\.m\.|p\.m\.)?"
RANGE = re.compile(rf"\b(?:between|from)?\s*{CLOCK}\s*(?:-|–|to|and|until|till)\s*{CLOCK}(?![\d:])")
AFTER = re.compile(rf"\b(?:after|from)\s+{CLOCK}(?![\d:])")
BEFORE = re.compile(rf"\b(?:before|until|till)\s+{CLOCK}(?![\d:])")
DAY_RANGE = re.compile(
    rf"\b({'|'.join(DAY_NAMES + SHORT_DAYS)})s?\s*(?:-|–|to|through|till|until)\s*"
    rf"({'|'.join(DAY_NAMES + SHORT_DAYS)})s?\b"
)

Interval = tuple[time, time]  # local wall time; an end at or before the start is the next day


@dataclass(frozen=True, slots=True, kw_only=True)
class SafeWindow:
    days: frozenset[int]  # 0 = Monday; the day an interval starts on
    hours: tuple[Interval, ...]  # empty: any time on those days
    zones: tuple[str, ...]  # IANA names; safe only when safe in all of them

    def allows(self, at: datetime) -> bool:
        """Whether `at` (timezone-aware) is inside the window wherever she may be."""
        return all(self._allows_in(ZoneInfo(zone), at) for zone in self.zones)

    def _allows_in(self, zone: ZoneInfo, at: datetime) -> bool:
        local = at.astimezone(zone)
        today, wall = local.weekday(), local.time().replace(tzinfo=None)
        if not self.hours:
            return today in self.days
        for start, end in self.hours:
            if end > start and start <= wall < end and today in self.days:
                return True
            if end <= start:  # overnight: the part before midnight belongs to today, the rest to yesterday
                if wall >= start and today in self.days:
                    return True
                if wall < end and (local - timedelta(days=1)).weekday() in self.days:
                    return True
        return False

    def describe(self, translate: Translate, language: str) -> str:
        """'Mon–Fri, 18:00–24:00 (Europe/London)': how the words were read, for staff to check, in
        the language of their console (day names from babel, the words around them from `translate`)."""
        days = _day_names(language)
        parts = [_describe_days(self.days, days)] if self.days != EVERY_DAY else [translate(N_("any day"))]
        if self.hours:
            parts.append(", ".join(f"{_clock(start)}–{_clock(end, end=True)}" for start, end in self.hours))
        zones = (
            " / ".join(self.zones)
            if len(self.zones) <= 2
            else translate(N_("all {count} time zones of her country")).format(count=len(self.zones))
        )
        return f"{', '.join(parts)} ({zones})"

    def local_now(self, at: datetime, translate: Translate, language: str) -> str:
        """'Tue 10:12 in Europe/London': her clock now, for the override question."""
        days = _day_names(language)
        clocks = {f"{days[local.weekday()]} {local:%H:%M}" for local in self._locals(at)}
        where = self.zones[0] if len(self.zones) == 1 else translate(N_("her country"))
        when = " / ".join(sorted(clocks)) if len(clocks) <= 2 else translate(N_("several local times"))
        return translate(N_("{time} in {place}")).format(time=when, place=where)

    def _locals(self, at: datetime) -> list[datetime]:
        return [at.astimezone(ZoneInfo(zone)) for zone in self.zones]


def parse(text: str | None, country: str | None, language: str = "en") -> SafeWindow | None:
    """Her words (in her language) read as days and hours in her timezone; None when they cannot be
    read with confidence."""
    words = safe_time_words.english(text, language) if text else None
    if words is None:
        return None
    zones = _zones(words, country)
    days = _days(words, short=language == "en")
    hours = _hours(words)
    if not zones or (days is None and not hours):
        return None
    return SafeWindow(days=days or EVERY_DAY, hours=tuple(hours), zones=zones)


def _zones(words: str, country: str | None) -> tuple[str, ...]:
    for name, zone in NAMED_ZONES.items():
        if re.search(rf"\b{name}\b", words):
            return (zone,)
    if country:
        return tuple(get_global("territory_zones").get(country.upper(), ()))
    return ()


def _day(name: str) -> int:
    return (DAY_NAMES.index(name) if name in DAY_NAMES else SHORT_DAYS.index(name[:3])) % 7


def _days(words: str, *, short: bool) -> frozenset[int] | None:
    """The days named; abbreviations only in English ("mon" is French for "my")."""
    found: set[int] = set()
    for first, last in DAY_RANGE.findall(words):
        start, end = _day(first), _day(last)
        found.update((start + offset) % 7 for offset in range((end - start) % 7 + 1))
    words = DAY_RANGE.sub(" ", words)
    if re.search(r"\bweek ?days?\b", words):
        found |= WEEKDAYS
    if re.search(r"\bweek ?ends?\b", words):
        found |= WEEKEND
    for index, name in enumerate(DAY_NAMES):
        if re.search(rf"\b({name}|{SHORT_DAYS[index]})s?\b" if short else rf"\b{name}s?\b", words):
            found.add(index)
    return frozenset(found) or None


def _hours(words: str) -> list[Interval]:
    explicit: list[Interval] = []
    for match in RANGE.finditer(words):
        start_hour, start_minute, start_half, end_hour, end_minute, end_half = match.groups()
        start = _time(start_hour, start_minute, start_half or end_half)
        # "6pm to 9" ends in the evening too; "10pm to 2" in the night.
        end = _time(
            end_hour, end_minute, end_half or (start_half if int(end_hour) > int(start_hour) else None)
        )
        if start is not None and end is not None and start != end:
            explicit.append((start, end))
    words = RANGE.sub(" ", words)
    for pattern, as_start in ((AFTER, True), (BEFORE, False)):
        for hour, minute, half in pattern.findall(words):
            at = _time(hour, minute, half)
            if at is not None:
                explicit.append((at, MIDNIGHT) if as_start else (time(6), at))
    if explicit:
        return explicit
    return [span for period, span in PERIODS.items() if re.search(rf"\b{period}s?\b", words)]


def _time(hour: str, minute: str | None, half: str | None) -> time | None:
    value, minutes = int(hour), int(minute or 0)
    if half:
        if not 1 <= value <= 12:
            return None
        value = value % 12 + (12 if half.startswith("p") else 0)
    if value > 24 or minutes > 59 or (value == 24 and minutes):
        return None
    return time(value % 24, minutes)


def _clock(at: time, *, end: bool = False) -> str:
    return "24:00" if end and at == MIDNIGHT else f"{at:%H:%M}"


def _day_names(language: str) -> list[str]:
    """The abbreviated names of the days in `language`, Monday first (babel's CLDR data)."""
    names = Locale.parse(language).days["format"]["abbreviated"]
    return [names[day] for day in range(7)]


def _describe_days(days: Iterable[int], names: list[str]) -> str:
    chosen = sorted(days)
    if set(chosen) == WEEKDAYS:
        return f"{names[0]}–{names[4]}"
    if set(chosen) == WEEKEND:
        return f"{names[5]}–{names[6]}"
    return ", ".join(names[day] for day in chosen)
