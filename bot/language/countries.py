"""Which country a person says she is in: "i am in kenya", "estoy en méxico", "انا في مصر", "Kenya".

Country names come from babel's territory names in every language the assistant speaks, plus the
short forms people type (ALIASES). Arabic names also match with the article dropped or with an
attached preposition ("بمصر", "في المغرب" → "بالمغرب").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

import regex
from babel import Locale

from bot.language.normalize import normalize

# What people type that babel does not name: short forms, colloquial names, capitals of our countries.
ALIASES = {
    "GB": (
        "uk",
        "u.k",
        "england",
        "scotland",
        "wales",
        "britain",
        "great britain",
        "london",
        "انجلترا",
        "بريطانيا",
        "इंग्लैंड",
        "लंदन",
        "uingereza",
    ),
    "US": (
        "usa",
        "u.s.a",
        "u.s",
        "the us",
        "america",
        "united states",
        "the states",
        "امريكا",
        "أمريكا",
        "अमेरिका",
        "eeuu",
        "ee.uu",
        "estados unidos",
        "eua",
        "amerika",
    ),
    "AE": ("uae", "dubai", "abu dhabi", "الامارات", "دبي", "दुबई", "emirates"),
    "SA": ("ksa", "saudi", "السعوديه", "السعودية", "सऊदी"),
    "IN": ("इंडिया", "hindustan", "हिंदुस्तान", "bharat", "delhi", "mumbai", "दिल्ली", "मुंबई"),
    "EG": ("masr", "misr", "cairo", "القاهره", "القاهرة"),
    "MA": ("lmaghrib", "maghrib", "el maghrib", "casablanca", "المغرب"),
    "DZ": ("dzayer", "djazair", "الدزاير"),
    "KE": ("nairobi", "mombasa", "kenia"),
    "TZ": ("dar es salaam", "zanzibar", "tanzanie"),
    "NG": ("naija", "lagos", "abuja"),
    "CI": ("cote divoire", "cote d ivoire", "ivory coast", "abidjan"),
    "MX": ("mejico", "cdmx"),
    "BR": ("brasil", "brazil"),
    "CO": ("colombia", "bogota"),
    "PK": ("pakistan", "पाकिस्तान"),
    "NP": ("nepal", "नेपाल", "kathmandu"),
    "HT": ("haiti", "ayiti"),
    "CA": ("canada", "quebec", "québec", "toronto", "montreal"),
    "TR": ("turkey", "turkiye", "istanbul", "ankara", "izmir", "gaziantep", "اسطنبول", "तुर्की"),
    "DE": ("deutschland", "berlin"),
}
_ARABIC_PREFIX = r"(?:[وفبل]|ال|بال|فال|وال|لل)?"
_BEFORE, _AFTER = r"(?<![\w\p{M}])", r"(?![\w\p{M}])"


def fold(text: str) -> str:
    """Lowercase, Arabic forms folded, Latin accents dropped, apostrophes and hyphens as spaces."""
    text = normalize(text).lower().replace("’", " ").replace("'", " ").replace("-", " ")
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and kept and kept[-1] < "\u0250":
            continue  # an accent on a Latin letter: "méxico" is typed "mexico"
        kept.append(char)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


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
    for code, aliases in ALIASES.items():
        for alias in aliases:
            names.setdefault(fold(alias), code)
    ordered = sorted(names.items(), key=lambda item: len(item[0]), reverse=True)
    return [(regex.compile(_pattern(name)), code) for name, code in ordered if len(name) >= 2]


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
