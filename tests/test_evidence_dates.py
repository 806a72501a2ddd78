"""When it happened, read from her words in each language (bot/evidence/dates.py): relative words,
month names and numeric dates in the order her locale writes them (babel's CLDR data)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.evidence.dates import read_date


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "yesterday around 10pm", date(2026, 12, 6)),
        ("en", "5/12/2026", date(2026, 5, 12)),  # en: month first
        ("fr", "le 5/12/2026", date(2026, 12, 5)),  # fr: day first
        ("fr", "le 11/12/2026", None),  # 11 December: in the future, and never read the English way
        ("en", "on 3 november", date(2026, 11, 3)),
        ("es", "el 3 de noviembre", date(2026, 11, 3)),
        ("pt", "3 de novembro de 2026", date(2026, 11, 3)),
        ("sw", "siku 3 zilizopita", date(2026, 12, 4)),
        ("ar", "أول أمس", date(2026, 12, 5)),
        ("ar", "٣ نوفمبر", date(2026, 11, 3)),
        ("hi", "३ दिन पहले", date(2026, 12, 4)),
        ("hi", "kal raat", date(2026, 12, 6)),
        ("hi", "3 नवंबर", date(2026, 11, 3)),
        ("fr", "il y a 2 semaines", date(2026, 11, 23)),
        ("en", "last friday", date(2026, 12, 4)),
        ("es", "ayer", date(2026, 12, 6)),
        ("en", "tomorrow", None),
        ("en", "12/24/2026", None),  # in the future: not a reading
        ("en", "I don't remember", None),
    ],
)
def test_dates_are_read_in_each_language(lang: str, text: str, expected: date | None) -> None:
    assert read_date(text, lang, date(2026, 12, 7)) == expected
