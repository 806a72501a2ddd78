"""When something happened, read from her words in her language: "yesterday", "hace 3 días",
"परसों", "12/11/2026", "3 mars", "أمس".

Relative words come from locales/dates.yml; month and weekday names and the order of day, month and
year in a numeric date from babel's locale data (the CLDR), so each language reads its own formats
("5/12" is 5 December in French, May 12 in English).
No dateparser: a small reader over data we can check, and a date in the future is not a reading.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import regex
import yaml
from babel import Locale
from babel.dates import get_date_format

from bot.language.normalize import fold

DATES = Path(__file__).resolve().parents[2] / "locales" / "dates.yml"
_B, _A = r"(?<![\w\p{M}])", r"(?![\w\p{M}])"
_NUMERIC = regex.compile(r"(?<!\d)(\d{1,4})[/.\-](\d{1,2})(?:[/.\-](\d{2,4}))?(?!\d)")
_OFFSETS = {"today": 0, "yesterday": 1, "two_days": 2, "last_week": 7}
_UNITS = {"days_ago": 1, "weeks_ago": 7}


@dataclass(frozen=True, slots=True)
class Reader:
    """One language's ways of saying a date."""

    fixed: list[tuple[regex.Pattern[str], int]]  # a phrase and how many days back it means
    counted: list[tuple[regex.Pattern[str], int]]  # "{n} days ago": a pattern and days per unit
    months: dict[str, int]  # folded month names (wide and abbreviated) -> 1..12
    weekdays: dict[str, int]  # folded weekday names -> 0 (Monday) .. 6
    day_first: bool  # a numeric date's order in this locale ("d/M/y" or "M/d/y")

    def read(self, text: str, today: date, *, numeric: bool = True) -> date | None:
        """The day she means, or None if nothing in the text says one (or it says a future day).
        Without `numeric`, words only (another locale's order of day and month is no reading)."""
        folded = fold(_ascii_digits(text))
        found = (self._absolute(folded, today) if numeric else None) or self._relative(folded, today)
        return found if found is not None and found <= today else None

    def _relative(self, folded: str, today: date) -> date | None:
        for pattern, unit in self.counted:
            if match := pattern.search(folded):
                return today - timedelta(days=int(match.group(1)) * unit)
        for pattern, back in self.fixed:
            if pattern.search(folded):
                return today - timedelta(days=back)
        for name, weekday in self.weekdays.items():
            if regex.search(f"{_B}{regex.escape(name)}{_A}", folded):
                return today - timedelta(days=(today.weekday() - weekday) % 7)
        return None

    def _absolute(self, folded: str, today: date) -> date | None:
        if match := _NUMERIC.search(folded):
            first, second, year = match.groups()
            if len(first) == 4:  # 2026-11-12
                return _date(int(first), int(second), int(year or 0), today)
            day, month = (first, second) if self.day_first else (second, first)
            return _date(_year(year, today), int(month), int(day), today)
        for name, month in self.months.items():
            if not regex.search(f"{_B}{regex.escape(name)}{_A}", folded):
                continue
            day = regex.search(r"(?<!\d)(\d{1,2})(?!\d)", folded)
            year = regex.search(r"(?<!\d)(\d{4})(?!\d)", folded)
            if day is not None:
                return _date(_year(year.group(1) if year else None, today), month, int(day.group(1)), today)
        return None


def _date(year: int, month: int, day: int, today: date) -> date | None:
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if found > today and found.replace(year=year - 1) <= today and year == today.year:
        return None  # "12/12" in November: a future day, not a reading
    return found


def _year(written: str | None, today: date) -> int:
    if not written:
        return today.year
    return int(written) + (2000 if len(written) == 2 else 0)


def _ascii_digits(text: str) -> str:
    """Digits of any script as ASCII (Arabic-Indic "٣", Devanagari "३")."""
    return "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text)


def _phrase(phrase: str) -> regex.Pattern[str]:
    parts = [regex.escape(fold(part)) for part in phrase.split("{n}")]
    return regex.compile(_B + r"\s*(\d{1,3})\s*".join(parts) + _A)


@cache
def reader(language: str) -> Reader:
    """The reader for a language (English words are understood in every language as well)."""
    raw = yaml.safe_load(DATES.read_text(encoding="utf-8"))
    words = raw.get(language) or raw["en"]
    locale = Locale.parse(language)
    fixed = [
        (_phrase(str(p)), back)
        for group, back in _OFFSETS.items()
        for p in sorted(words.get(group) or (), key=len, reverse=True)
    ]
    fixed.sort(key=lambda item: len(item[0].pattern), reverse=True)  # "avant hier" before "hier"
    counted = [(_phrase(str(p)), unit) for group, unit in _UNITS.items() for p in words.get(group) or ()]
    months: dict[str, int] = {}
    weekdays: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in locale.months[context][width].items():
                if len(folded := fold(name).rstrip(".")) >= 3:
                    months.setdefault(folded, number)
        for number, name in locale.days[context]["wide"].items():
            weekdays.setdefault(fold(name), number)
    pattern = get_date_format("short", locale=locale).pattern
    return Reader(
        fixed=fixed,
        counted=counted,
        months=dict(sorted(months.items(), key=lambda kv: len(kv[0]), reverse=True)),
        weekdays=weekdays,
        day_first=pattern.lower().find("d") < pattern.find("M"),
    )


def read_date(text: str, language: str, today: date) -> date | None:
    """The day her words name, in her language (English relative words too), or None."""
    found = reader(language).read(text, today)
    return found or (reader("en").read(text, today, numeric=False) if language != "en" else None)
