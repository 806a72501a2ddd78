"""How long she keeps her record: 30 days, 3 months or 1 year (no longer than EVIDENCE_MAX_DAYS),
pressed or typed in her language.

A typed answer is read with babel's CLDR unit names ("3 months", "3 meses", "miezi 3", "3 महीने",
"سنة", "um ano"), the choices' own translated titles, and a number of days ("90"), so no word list is kept
here. A long message is not an answer: she moved on.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from babel.units import format_unit

from bot.language.normalize import fold
from bot.pipeline.messages import Choice
from bot.rasa.payloads import parse_payload

# The choices, in days, each with the CLDR (count, unit) phrases that name it.
CHOICES: Mapping[int, tuple[tuple[int, str], ...]] = {
    30: ((30, "duration-day"), (1, "duration-month")),
    90: ((90, "duration-day"), (3, "duration-month")),
    365: ((365, "duration-day"), (12, "duration-month"), (1, "duration-year")),
}
ENTITY = "keep"  # the days, in a choice's payload: /affirm{"keep":"90"}
MAX_WORDS = 4  # "keep it 3 months": longer is something else
_SPACES = re.compile(r"\s+")
_WORD = r"[^\d\s]+"  # a number word: "a year", "mwaka mmoja", not "3 mois" read as "un mois"
_DIGIT = re.compile(r"\d")


def offered(choices: Sequence[Choice], max_days: int) -> tuple[Choice, ...]:
    """The reply's choices no longer than the configured maximum."""
    return tuple(c for c in choices if (days := pressed(c.payload)) is None or days <= max_days)


def pressed(payload: str) -> int | None:
    """The days of a pressed choice."""
    said = parse_payload(payload)
    days = said[1].get(ENTITY) if said is not None else None
    return int(days) if days is not None and str(days).isdigit() else None


def typed(text: str, language: str, titles: Mapping[int, str], max_days: int) -> int | None:
    """The days her short message names (digits already in ASCII), or None. `titles`: the choices'
    titles in her language, by their days."""
    words = _words(text)
    if not words or len(words.split()) > MAX_WORDS:
        return None
    for days, phrases in CHOICES.items():
        if days > max_days:
            continue
        names = [format_unit(n, unit, length=length, locale=language) for n, unit in phrases
                 for length in ("long", "short")]  # fmt: skip
        names += [titles[days]] if days in titles else []
        singular = [_words(name.replace("1", "")) for name in names if "1" in name]
        if words == str(days) or any(_within(_words(name), words) for name in names):
            return days
        worded = (rf"(?:{_WORD} )?{re.escape(name)}(?: {_WORD})?" for name in singular if name)
        if any(re.fullmatch(pattern, words) for pattern in worded):
            return days  # "a year", "um ano", "mwaka mmoja": the number a word the keywords don't know
    return None


def _words(text: str) -> str:
    """Folded, with digits of any script as ASCII ("٣ أشهر")."""
    ascii_digits = _DIGIT.sub(lambda d: str(unicodedata.digit(d.group())), text)
    return _SPACES.sub(" ", fold(ascii_digits)).strip(" .!?،؟।")


def _within(name: str, words: str) -> bool:
    return bool(name) and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", words) is not None
