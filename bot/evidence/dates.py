"""When something happened, read from her words in any of the seven languages.

"yesterday", "last night", "hace 3 días", "il y a deux jours" come from each language's
`dates:` in nlu_data/<lang>/keywords.yml (numbers written as words read as digits first);
weekday and month names, and the order of a numeric date ("3/4" is 3 April in Spanish, March 4 in
English), come from babel's locale data. A date that would be in the future moves back a year: she
is telling what already happened. What no rule reads stays her words, with no date.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import regex
import yaml
from babel import Locale
from babel.dates import get_day_names, get_month_names

from bot.language.normalize import normalize

_BEFORE, _AFTER = r"(?<![\w\p{M}])", r"(?![\w\p{M}])"
_NUMERIC = re.compile(r"(?<!\d)(\d{1,4})[./-](\d{1,2})(?:[./-](\d{2,4}))?(?!\d)")
_NUMBER = r"(\d{1,3})"
WEEK_DAYS = 7
LONGEST_AGO_DAYS = 3660  # "400 weeks ago" is not a date anyone means


@dataclass(frozen=True, slots=True)
class DateWords:
    """One language's words for days before today."""

    days: Mapping[str, int]  # "yesterday": 1
    ago: Sequence[regex.Pattern[str]]  # "hace (n) días": n days; a pattern naming weeks counts n weeks
    weeks: frozenset[str]

    @classmethod
    def load(cls, path: Path) -> DateWords:
        raw = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("dates") or {}
        days = {_fold(str(phrase)): int(value) for phrase, value in (raw.get("days") or {}).items()}
        ago = [
            regex.compile(_BEFORE + regex.escape(_fold(str(p))).replace(r"\{n\}", _NUMBER) + _AFTER)
            for p in raw.get("ago") or ()
        ]
        return cls(days=days, ago=ago, weeks=frozenset(_fold(str(w)) for w in raw.get("weeks_word") or ()))


def _fold(text: str) -> str:
    """Lowercase, normalised, digits of any script as ASCII, spaces collapsed."""
    text = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in normalize(text).lower())
    return " ".join(text.replace("'", "").replace("’", "").split())


@cache
def _names(language: str) -> tuple[dict[str, int], dict[str, int]]:
    """Weekday (0 = Monday) and month (1-12) names of the locale, wide and abbreviated, folded."""
    weekdays: dict[str, int] = {}
    months: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for day, name in get_day_names(width, context, language).items():
                weekdays.setdefault(_fold(name).rstrip("."), int(day))
            for month, name in get_month_names(width, context, language).items():
                folded = _fold(name).rstrip(".")
                if len(folded) >= 3:  # "mai" (fr) yes; a two-letter abbreviation is an ordinary word
                    months.setdefault(folded, int(month))
    return weekdays, months


def _phrase(words: Mapping[str, int], text: str) -> int | None:
    for phrase in sorted(words, key=len, reverse=True):
        if regex.search(_BEFORE + regex.escape(phrase) + _AFTER, text):
            return words[phrase]
    return None


def _in_the_past(day: dt.date, today: dt.date) -> dt.date:
    """A date without a year that would be ahead of today happened last year."""
    return day.replace(year=day.year - 1) if day > today else day


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _numeric(text: str, language: str, today: dt.date) -> dt.date | None:
    """3/4, 03.04.2026, 2026-04-03: the order the locale writes dates in."""
    match = _NUMERIC.search(text)
    if match is None:
        return None
    first, second, third = match.group(1), match.group(2), match.group(3)
    if len(first) == 4:  # ISO: year first everywhere
        return _safe_date(int(first), int(second), int(third or 0))
    pattern = Locale.parse(language).date_formats["short"].pattern.lower()
    month_first = pattern.find("m") < pattern.find("d")
    month, day = (int(first), int(second)) if month_first else (int(second), int(first))
    if third is None:
        found = _safe_date(today.year, month, day)
        return _in_the_past(found, today) if found is not None else None
    year = int(third)
    return _safe_date(year + 2000 if year < 100 else year, month, day)


def _named_month(text: str, months: Mapping[str, int], today: dt.date) -> dt.date | None:
    """ "3 march", "march 3", "3 de marzo de 2026", "le 3 mars", "٣ مارس"."""
    for name in sorted(months, key=len, reverse=True):
        found = regex.search(_BEFORE + regex.escape(name) + _AFTER, text)
        if found is None:
            continue
        before, after = text[: found.start()], text[found.end() :]
        day_before = re.search(r"(\d{1,2})\D{0,6}$", before)
        day_after = re.match(r"\D{0,3}(\d{1,2})(?!\d)", after)
        year = re.search(r"(?<!\d)(\d{4})(?!\d)", after)
        day_match = day_before or day_after
        if day_match is None:
            continue
        month = months[name]
        if year is not None:
            return _safe_date(int(year.group(1)), month, int(day_match.group(1)))
        found_date = _safe_date(today.year, month, int(day_match.group(1)))
        return _in_the_past(found_date, today) if found_date is not None else None
    return None


def _relative(text: str, words: DateWords, today: dt.date) -> dt.date | None:
    for pattern in words.ago:
        found = pattern.search(text)
        if found is not None:
            count = int(found.group(1))
            weeks = any(word in found.group(0).split() for word in words.weeks)
            days = count * WEEK_DAYS if weeks else count
            return today - dt.timedelta(days=days) if days <= LONGEST_AGO_DAYS else None
    days_before = _phrase(words.days, text)
    return today - dt.timedelta(days=days_before) if days_before is not None else None


def _weekday(text: str, weekdays: Mapping[str, int], today: dt.date) -> dt.date | None:
    """ "on monday": the latest Monday, today included."""
    day = _phrase(weekdays, text)
    if day is None:
        return None
    return today - dt.timedelta(days=(today.weekday() - day) % WEEK_DAYS)


def read_date(
    text: str,
    language: str,
    words: DateWords,
    today: dt.date,
    digits: Callable[[str], str] = lambda text: text,
) -> dt.date | None:
    """The day her words name, or None. `digits` turns numbers written as words into digits."""
    folded = _fold(digits(text))
    weekdays, months = _names(language)
    found = (
        _relative(folded, words, today)
        or _named_month(folded, months, today)
        or _numeric(folded, language, today)
        or _weekday(folded, weekdays, today)
    )
    return found if found is not None and found <= today else None
