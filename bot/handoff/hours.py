"""When the helpline's people are there: a weekly schedule in the helpline's timezone, and holidays.

Out of hours, the assistant tells the person when the helpline opens, in their language, instead of
queueing them for nobody. Intervals are local wall time, so a DST change moves them with the clock.

An interval whose end is at or before its start runs into the next day and belongs to the day it starts
on: a holiday closes the intervals that start on it, including their part after midnight, but not the
part of the previous night's interval that spills into it. A wall time the clock skips counts as if the
clock had not moved yet (PEP 495, fold=0: 01:30 on a night that jumps 01:00 -> 02:00 is 02:30 new time);
a wall time that happens twice means its first occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from babel import Locale
from babel.dates import format_datetime, get_timezone_location, tokenize_pattern, untokenize_pattern

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # position = date.weekday()
HORIZON = timedelta(days=366)  # how far ahead an opening or a closing is looked for
UTC = UTC
KEYS = ("timezone", "weekly", "holidays")
INTERVAL = re.compile(r"(\d\d):(\d\d)\s*-\s*(\d\d):(\d\d)")

Interval = tuple[time, time]
Period = tuple[datetime, datetime]  # UTC instants, start inclusive, end exclusive


class ScheduleError(ValueError):
    """The schedule file is wrong; the message says where and how."""


class _Loader(yaml.SafeLoader):
    """YAML without implicit dates, so an impossible date is reported with the other problems."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Schedule:
    """Opening intervals per weekday (0 = Monday) in local wall time, and local dates closed all day.

    An interval's end at or before its start is on the next day: (22:00, 02:00) is overnight and
    (00:00, 00:00) is the whole day, which the file spells "00:00-24:00".
    """

    timezone: ZoneInfo
    weekly: Mapping[int, tuple[Interval, ...]]
    holidays: frozenset[date]

    @classmethod
    def always_open(cls) -> Schedule:
        """The embedded default: without a schedule, nobody is told to wait for opening hours."""
        whole_day = ((time(0), time(0)),)
        return cls(
            timezone=ZoneInfo("UTC"),
            weekly=MappingProxyType(dict.fromkeys(range(7), whole_day)),
            holidays=frozenset(),
        )

    @classmethod
    def load(cls, path: Path) -> Schedule:
        """Read a schedule file (format: handoff-hours.example.yml); every problem is reported at once."""
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a SafeLoader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise ScheduleError(f"{path}: cannot read the schedule: {error}") from error
        if not isinstance(raw, dict):
            raise ScheduleError(f"{path}: expected a mapping with the keys {', '.join(KEYS)}, got {raw!r}")
        problems = [f"unknown key {key!r} (expected {', '.join(KEYS)})" for key in raw if key not in KEYS]
        zone = _zone(raw.get("timezone"), problems)
        weekly = _weekly(raw.get("weekly"), problems)
        holidays = _holidays(raw.get("holidays"), problems)
        if not problems and not any(weekly.values()):
            problems.append("weekly: the helpline never opens (unset HANDOFF_HOURS for one always open)")
        if zone is None or problems:
            raise ScheduleError(f"{path} has problems:\n- " + "\n- ".join(problems))
        return cls(timezone=zone, weekly=MappingProxyType(weekly), holidays=holidays)

    def is_open(self, at: datetime) -> bool:
        """Whether a person is there at `at` (timezone-aware, any zone)."""
        at = _utc(at)
        opening = self._opening_from(at)
        return opening is not None and opening[0] <= at

    def next_opening(self, at: datetime) -> datetime | None:
        """`at` if open then, else when the helpline next opens; None if not within a year."""
        at = _utc(at)
        opening = self._opening_from(at)
        if opening is None:
            return None
        return max(opening[0], at).astimezone(self.timezone)

    def next_closing(self, at: datetime) -> datetime | None:
        """When the opening under way at `at` ends; None if closed then or open without a break for a year."""
        at = _utc(at)
        opening = self._opening_from(at)
        if opening is None or opening[0] > at or opening[1] > at + HORIZON:
            return None
        return opening[1].astimezone(self.timezone)

    def _opening_from(self, at: datetime) -> Period | None:
        """The first opening that ends after `at` (UTC) and starts within the horizon."""
        yesterday = at.astimezone(self.timezone).date() - timedelta(days=1)  # its interval may still run
        for opening in self._openings(yesterday):
            if opening[1] > at:
                return opening if opening[0] <= at + HORIZON else None
        return None

    def _openings(self, first: date) -> Iterator[Period]:
        """Periods from `first` on, overlapping or touching ones merged, in order."""
        periods = self._periods(first)
        current = next(periods, None)
        if current is None:
            return
        for start, end in periods:
            if start > current[1]:
                yield current
                current = (start, end)
            else:
                current = (current[0], max(current[1], end))
        yield current

    def _periods(self, first: date) -> Iterator[Period]:
        """Intervals starting on `first` and the days after it, far enough to cover the horizon.

        Two days past the horizon, so a period cut off at the end of the window ends after the horizon and
        is never taken for a closing.
        """
        for offset in range(HORIZON.days + 3):
            day = first + timedelta(days=offset)
            if day in self.holidays:
                continue
            next_day = day + timedelta(days=1)
            periods = (
                (self._instant(day, start), self._instant(next_day if end <= start else day, end))
                for start, end in self.weekly.get(day.weekday(), ())
            )
            yield from sorted(periods)  # by instant, not wall time: a skipped wall time maps past the jump

    def _instant(self, day: date, wall: time) -> datetime:
        return datetime.combine(day, wall, tzinfo=self.timezone).astimezone(UTC)


def _utc(at: datetime) -> datetime:
    """`at` in UTC: instants compare by wall time when they share a zone, which is wrong across DST."""
    if at.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is needed, got {at!r}")
    return at.astimezone(UTC)


def describe_opening(opening: datetime, language: str) -> str:
    """'Monday 09:00 (Nairobi Time)' in `language`: weekday and time in the locale's own order, and the
    zone named after its city, so a person elsewhere can tell it is not their own clock."""
    locale = Locale.parse(language)
    when = format_datetime(opening, _weekday_time_pattern(locale), locale=locale)
    city = get_timezone_location(opening, locale=locale, return_city=True)
    return f"{when} ({locale.zone_formats['region'] % city})"


def _weekday_time_pattern(locale: Locale) -> str:
    """The locale's pattern for the skeleton EHm with the weekday spelt out.

    TR35 asks to widen a matched pattern's fields to the requested skeleton (EEEEHm); babel does not,
    so "E HH:mm" would give "Mon 09:00".
    """
    tokens = tokenize_pattern(locale.datetime_skeletons["EHm"].pattern)
    return untokenize_pattern(
        [
            ("field", ("E", 4)) if kind == "field" and value[0] == "E" else (kind, value)
            for kind, value in tokens
        ]
    )


def _zone(value: object, problems: list[str]) -> ZoneInfo | None:
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    problems.append(f"timezone must be an IANA timezone name such as Africa/Nairobi, got {value!r}")
    return None


def _weekly(value: object, problems: list[str]) -> dict[int, tuple[Interval, ...]]:
    if not isinstance(value, dict):
        problems.append(f"weekly must map day names ({', '.join(DAYS)}) to lists of intervals, got {value!r}")
        return {}
    weekly: dict[int, tuple[Interval, ...]] = {}
    for day, texts in value.items():
        if day not in DAYS:
            problems.append(f"weekly: unknown day {day!r} (use {', '.join(DAYS)})")
        elif not isinstance(texts, list | None):
            problems.append(f'weekly.{day}: expected a list such as ["08:00-20:00"], got {texts!r}')
        else:
            intervals = (_interval(text, f"weekly.{day}", problems) for text in texts or ())
            weekly[DAYS.index(day)] = tuple(interval for interval in intervals if interval is not None)
    return weekly


def _interval(text: object, where: str, problems: list[str]) -> Interval | None:
    found = INTERVAL.fullmatch(text) if isinstance(text, str) else None
    if found is None:
        problems.append(f'{where}: {text!r} is not an interval such as "08:00-20:00"')
        return None
    start_hour, start_minute, end_hour, end_minute = (int(part) for part in found.groups())
    if start_hour > 23 or start_minute > 59 or end_minute > 59 or (end_hour, end_minute) > (24, 0):
        problems.append(f"{where}: {text!r} is out of range (00:00 to 23:59; 24:00 only as an end)")
        return None
    if (start_hour, start_minute) == (end_hour, end_minute):
        problems.append(f"{where}: {text!r} is empty: it opens and closes at the same time")
        return None
    return time(start_hour, start_minute), time(end_hour % 24, end_minute)


def _holidays(value: object, problems: list[str]) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        problems.append(f'holidays must be a list of dates such as "2026-12-25", got {value!r}')
        return frozenset()
    days: set[date] = set()
    for text in value:
        try:
            days.add(date.fromisoformat(text))
        except (TypeError, ValueError):
            problems.append(f'holidays: {text!r} is not a date such as "2026-12-25"')
    return frozenset(days)
