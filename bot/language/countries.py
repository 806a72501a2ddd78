"""Which country a person says she is in: "i am in kenya", "estoy en méxico", "انا في مصر", "Kenya".

Country names come from babel's territory names in every language the assistant speaks, plus the
short forms people type (locales/names.yml). Arabic names also match with the article dropped or with
an attached preposition ("بمصر", "في المغرب" → "بالمغرب").
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import regex
from babel import Locale

from bot.language.names import NAMES
from bot.language.normalize import fold

_ARABIC_PREFIX = r"(?:[وفبل]|ال|بال|فال|وال|لل)?"
_BEFORE, _AFTER = r"(?<![\w\p{M}])", r"(?![\w\p{M}])"


def _is_arabic(name: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" for char in name)


def _pattern(name: str) -> str:
    if _is_arabic(name):
        bare = name.removeprefix("ال")
        return f"{_BEFORE}{_ARABIC_PREFIX}{regex.escape(bare)}{_AFTER}"
    return f"{_BEFORE}{regex.escape(name)}{_AFTER}"


@cache
def _matchers(languages: tuple[str, ...]) -> list[tuple[regex.Pattern[str], str]]:
    """(pattern, country) for every name, longest names first ("niger" after "nigeria")."""
    names: dict[str, str] = {}
    for language in languages:
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha() and code not in {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB"}:
                names.setdefault(fold(name), code)
    for code, aliases in NAMES.countries.items():
        for alias in aliases:
            names.setdefault(fold(alias), code)
    ordered = sorted(names.items(), key=lambda item: len(item[0]), reverse=True)
    return [
        (regex.compile(_pattern(name)), code)
        for name, code in ordered
        if len(name) >= 2 and name not in NAMES.ambiguous  # she is asked which country instead
    ]


def country_in(text: str, languages: Iterable[str]) -> str | None:
    """The ISO code of the first country named in `text`, or None."""
    folded = fold(text)
    for pattern, code in _matchers(tuple(sorted(languages))):
        if pattern.search(folded):
            return code
    return None


def country_name(country: str, language: str) -> str:
    """The country's name in the person's language ("Kenya", "Kenia", "كينيا")."""
    return str(Locale.parse(language).territories.get(country, country))
