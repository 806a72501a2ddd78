"""When something happened, read from her words: relative days from each language's keywords,
weekday and month names and the order of numeric dates from babel (bot/evidence/dates.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.evidence.dates import DateWords, read_date
from bot.rasa.engine import NLU_DATA

TODAY = dt.date(2026, 12, 8)  # a Tuesday


def read(text: str, language: str) -> dt.date | None:
    return read_date(text, language, DateWords.load(NLU_DATA / language / "keywords.yml"), TODAY)


@pytest.mark.parametrize(
    ("language", "text", "days_ago"),
    [
        ("en", "last night around 11", 1),
        ("en", "the day before yesterday", 2),
        ("en", "3 days ago", 3),
        ("es", "anoche", 1),
        ("es", "hace 4 días", 4),
        ("pt", "anteontem", 2),
        ("pt", "há 2 dias", 2),
        ("fr", "hier soir", 1),
        ("fr", "il y a 5 jours", 5),
        ("sw", "jana usiku", 1),
        ("sw", "juzi", 2),
        ("hi", "कल रात", 1),
        ("hi", "3 din pehle", 3),
        ("ar", "امبارح بالليل", 1),
        ("ar", "قبل ٣ أيام", 3),
    ],
)
def test_days_before_today_in_every_language(language: str, text: str, days_ago: int) -> None:
    assert read(text, language) == TODAY - dt.timedelta(days=days_ago)


def test_a_numeric_date_is_read_in_the_order_her_language_writes_it() -> None:
    assert read("3/4/2026", "en") == dt.date(2026, 3, 4)  # month first
    assert read("3/4/2026", "es") == dt.date(2026, 4, 3)  # day first
    assert read("2026-11-30", "fr") == dt.date(2026, 11, 30)  # ISO everywhere


def test_named_months_and_weekdays_and_nothing_in_the_future() -> None:
    assert read("3 de marzo", "es") == dt.date(2026, 3, 3)
    assert read("le 3 mars", "fr") == dt.date(2026, 3, 3)
    assert read("٣ مارس", "ar") == dt.date(2026, 3, 3)
    assert read("on monday", "en") == dt.date(2026, 12, 7)
    assert read("december 20", "en") == dt.date(2025, 12, 20)  # ahead of today: last year
    assert read("no idea really", "en") is None
