"""Safe-contact words in each of the assistant's languages, rewritten into the English that
bot/handoff/safe_time.py reads ("lundi après 18h" becomes "monday after 18h").

Day names come from babel (CLDR), so they are spelt as each language spells them; the rest (after,
before, between, parts of the day, "weekdays", negations) is listed here per language. Digits in any
script count ("٦", "६"). A sentence with a negation of its own language is not read at all, as in
English: she may be saying when it is not safe. Rewrites are deliberately few: anything left over is
ignored, and a window that cannot be read is left to staff and her own words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from babel.dates import get_day_names

ENGLISH_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A word boundary for every script here: Devanagari vowel signs are not \w, Arabic letters are.
_WORD = r"\w\u0900-\u0963\u0966-\u097F"
_START, _END = rf"(?<![{_WORD}])", rf"(?![{_WORD}])"
CLOCK = r"\d{1,2}(?:[:.h]\d\d)?"
HOURS_ONLY = re.compile(r"(?<=\d)h(?!\w)")
CLOCK_HALF = rf"{CLOCK}(?:\s*[ap]m)?"
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, superscript alef, tatweel
_ALEFS = str.maketrans("أإآ", "ااا")

Replacement = str | Callable[[re.Match[str]], str]


def _word(pattern: str) -> re.Pattern[str]:
    return re.compile(f"{_START}(?:{pattern}){_END}")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    locales: tuple[str, ...]  # whose CLDR day names she may use
    negation: str
    rewrites: tuple[tuple[str, Replacement], ...]  # in order; each pattern is a whole-word regex
    range_words: str = ""  # between two days or two times: "to"

    @property
    def negated(self) -> re.Pattern[str]:
        return _word(self.negation)


def _swahili_hour(hour: str, minute: str | None, part: str) -> str:
    """Swahili time counts from 6 (saa moja asubuhi is 7:00, saa kumi na mbili jioni 18:00); the part
    of the day says which half."""
    value = int(hour)
    if not 1 <= value <= 12:
        return f"saa {hour}"
    value = (value + 6) % 12
    evening = part == "jioni" or (part == "mchana" and value < 6) or (part == "usiku" and value >= 7)
    return f"{value + 12 if evening else value}:{minute or '00'}"


def _swahili_clock(match: re.Match[str]) -> str:
    hour, minute, part = match.group(1, 2, 3)
    return _swahili_hour(hour, minute, part)


def _swahili_range(match: re.Match[str]) -> str:
    """A range that names the part of the day once, for both ends: "saa 1 hadi saa 3 jioni"."""
    first, first_minute, last, last_minute, part = match.group(1, 2, 3, 4, 5)
    return f"{_swahili_hour(first, first_minute, part)} to {_swahili_hour(last, last_minute, part)}"


SWAHILI_PARTS = "asubuhi|mchana|jioni|usiku"
SWAHILI_NUMBERS = {
    "kumi na moja": 11,
    "kumi na mbili": 12,
    "kumi": 10,
    "moja": 1,
    "mbili": 2,
    "tatu": 3,
    "nne": 4,
    "tano": 5,
    "sita": 6,
    "saba": 7,
    "nane": 8,
    "tisa": 9,
}

VOCABULARIES = {
    "en": Vocabulary(locales=(), negation=r"not|never|except|don'?t|do not|no", rewrites=()),
    "es": Vocabulary(
        locales=("es",),
        negation=r"no|nunca|jam[aá]s|excepto|salvo",
        rewrites=(
            (rf"({CLOCK})\s*(?:h|hs|horas)?\s*(?:de|por|en) la (?:tarde|noche)", r"\1 pm"),
            (rf"({CLOCK})\s*(?:h|hs|horas)?\s*(?:de|por|en) la mañana", r"\1 am"),
            (r"(?:a partir|despu[eé]s|luego) de(?: las?)?|desde(?: las?)?", "after"),
            (r"antes de(?: las?)?", "before"),
            (r"hasta(?: las?)?", "until"),
            (r"entre(?: las?)?", "between"),
            (rf"({CLOCK_HALF})\s*(?:h|hs)?\s+(?:y|a)\s+(?:las?\s+)?({CLOCK})", r"\1 to \2"),
            (r"entre semana|d[ií]as (?:de semana|laborables|h[aá]biles)", "weekdays"),
            (r"fin(?:es)? de semana", "weekends"),
            (r"(?:por|en|de) la mañana|(?:las )?mañanas", "morning"),
            (r"mediod[ií]a", "lunchtime"),
            (r"tardes?", "afternoon"),
            (r"noches?", "evening"),
        ),
        range_words=r"a|al|hasta",
    ),
    "fr": Vocabulary(
        locales=("fr",),
        negation=r"ne|n'\w*|pas|jamais|sauf",
        rewrites=(
            (rf"({CLOCK})\s*(?:h|heures?)?\s*du soir", r"\1 pm"),
            (rf"({CLOCK})\s*(?:h|heures?)?\s*de l'apr[eè]s-midi", r"\1 pm"),
            (rf"({CLOCK})\s*(?:h|heures?)?\s*du matin", r"\1 am"),
            (r"apr[eè]s-midi", "afternoon"),
            (r"[aà] partir de|apr[eè]s|d[eè]s", "after"),
            (r"avant", "before"),
            (r"jusqu'[aà]", "until"),
            (r"entre", "between"),
            (rf"({CLOCK_HALF})\s*(?:h|heures?)?\s+(?:et|[aà])\s+({CLOCK})", r"\1 to \2"),
            (r"en semaine|jours? (?:de semaine|ouvrables?|ouvr[eé]s)", "weekdays"),
            (r"week-?ends?|fins? de semaine", "weekends"),
            (r"matin(?:s|[eé]es?)?", "morning"),
            (r"midi", "lunchtime"),
            (r"soir(?:s|[eé]es?)?", "evening"),
            (r"nuits?", "night"),
        ),
        range_words=r"au|[aà]|jusqu'au",
    ),
    "pt": Vocabulary(
        locales=("pt",),
        negation=r"n[aã]o|nunca|jamais|exceto|salvo",
        rewrites=(
            (rf"({CLOCK})\s*(?:h|horas)?\s*da (?:tarde|noite)", r"\1 pm"),
            (rf"({CLOCK})\s*(?:h|horas)?\s*da manh[aã]", r"\1 am"),
            (r"(?:depois|a partir) d(?:as|a|e)|ap[oó]s(?: as| às)?", "after"),
            (r"antes d(?:as|a|e)", "before"),
            (r"at[eé](?: as| às| à)?", "until"),
            (r"entre(?: as)?", "between"),
            (rf"({CLOCK_HALF})\s*(?:h|horas)?\s+(?:e|a|às|as)\s+(?:as\s+)?({CLOCK})", r"\1 to \2"),
            (r"dias (?:úteis|uteis|de semana)|durante a semana", "weekdays"),
            (r"(?:fim|fins|finais) de semana", "weekends"),
            (r"manh[aã]s?", "morning"),
            (r"hora do almo[cç]o", "lunchtime"),
            (r"tardes?", "afternoon"),
            (r"noites?", "evening"),
        ),
        range_words=r"a|à|até|ate",
    ),
    "sw": Vocabulary(
        locales=("sw",),
        negation=r"si|sio|siyo|hapana|isipokuwa|bila|usi(?!ku(?!\w))\w+|msi\w+",  # usiku is night
        rewrites=(
            *(
                (rf"saa {word}", f"saa {number}")
                for word, number in sorted(SWAHILI_NUMBERS.items(), key=lambda item: -len(item[0]))
            ),
            (
                rf"saa\s*(\d{{1,2}})(?::(\d\d))?\s+(?:na|hadi|mpaka)\s+saa\s*(\d{{1,2}})(?::(\d\d))?"
                rf"\s*(?:za\s+)?({SWAHILI_PARTS})",
                _swahili_range,
            ),
            (rf"saa\s*(\d{{1,2}})(?::(\d\d))?\s*(?:za\s+)?({SWAHILI_PARTS})", _swahili_clock),
            (r"baada ya|kuanzia", "after"),
            (r"kabla ya", "before"),
            (r"kati ya", "between"),
            (rf"({CLOCK_HALF})\s+(?:na|hadi|mpaka)\s+(?:saa\s+)?({CLOCK})", r"\1 to \2"),
            (r"siku za (?:kazi|wiki)", "weekdays"),
            (r"wikendi|wikiendi|mwisho wa wiki", "weekends"),
            (r"asubuhi", "morning"),
            (r"mchana", "afternoon"),
            (r"jioni", "evening"),
            (r"usiku", "night"),
        ),
        range_words=r"hadi|mpaka",
    ),
    # Hindi as written in Devanagari, in Urdu script and in Latin letters.
    "hi": Vocabulary(
        locales=("hi", "ur"),
        negation=r"नहीं|नही|मत|सिवाय|छोड़कर|نہیں|مت|سوائے|nahi|nahin|mat",
        rewrites=(
            (
                rf"(शाम|रात|दोपहर|شام|رات|دوپہر|shaam|sham|raat|dopahar)\s*(?:को\s*|کو\s*|ko\s*)?({CLOCK})",
                r"\1 \2pm",
            ),
            (rf"(सुबह|صبح|subah|subha)\s*(?:को\s*|کو\s*|ko\s*)?({CLOCK})", r"\1 \2am"),
            (r"बजे|بجے|baje", ""),
            (rf"({CLOCK_HALF})\s*(?:के\s*बाद|کے\s*بعد|ke\s*baad|ke\s*bad)", r"after \1"),
            (rf"({CLOCK_HALF})\s*(?:से\s*पहले|سے\s*پہلے|se\s*pehle)", r"before \1"),
            (rf"({CLOCK_HALF})\s*(?:से|سے|se)\s*({CLOCK_HALF})\s*(?:तक|تک|tak)?", r"\1 to \2"),
            (r"(?:सप्ताह|हफ्ते|हफ़्ते) के दिन|कार्यदिवस|वीकडे|ہفتے کے دن", "weekdays"),
            (r"सप्ताहांत|वीकेंड|weekend", "weekends"),
            (r"सुबह|صبح|subah|subha", "morning"),
            (r"दोपहर|دوپہر|dopahar", "afternoon"),
            (r"शाम|شام|shaam|sham", "evening"),
            (r"रात|رات|raat", "night"),
        ),
        range_words=r"से|سے|se",
    ),
    "ar": Vocabulary(
        locales=("ar",),
        negation=r"و?(?:لا|ليس|لست|لن|لم|ابدا|الا|غير)|ما عدا|باستثناء",
        rewrites=(
            (rf"({CLOCK})\s*(?:مساء|م|ليلا|بالليل)", r"\1 pm"),
            (rf"({CLOCK})\s*(?:صباحا|ص)", r"\1 am"),
            (r"الساعه|الساعة|ساعة", ""),
            (r"بعد الظهر|العصر", "afternoon"),
            (r"بعد|من", "after"),
            (r"قبل", "before"),
            (r"بين", "between"),
            (rf"({CLOCK_HALF})\s*(?:و|الى|حتى|لغاية)\s*({CLOCK})", r"\1 to \2"),
            (r"ايام (?:العمل|الدوام)", "weekdays"),
            (r"(?:عطلة )?نهاية الاسبوع|الويكند", "weekends"),
            (r"(?:في )?الصباح|صباحا|صباح", "morning"),
            (r"الظهر|الظهيرة", "lunchtime"),
            (r"(?:في )?المساء|مساء", "evening"),
            (r"الليل|ليلا|بالليل", "night"),
        ),
        range_words=r"الى|حتى",
    ),
}


def _plain(text: str) -> str:
    """Lower case, digits of any script as ASCII, Arabic without vowel marks and with one alef."""
    digits = "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch for ch in text)
    return _ARABIC_MARKS.sub("", digits.lower()).translate(_ALEFS)


def _unaccented(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", word) if not unicodedata.combining(ch))


@cache
def _day_names(language: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Each day's CLDR names in the language (and spellings people use: without accents, "segunda"
    for "segunda-feira", Arabic with or without the article), as patterns to rewrite into English."""
    found: list[tuple[re.Pattern[str], str]] = []
    for locale in VOCABULARIES[language].locales:
        for index, name in get_day_names("wide", locale=locale).items():
            name = _plain(name)
            variants = {name, _unaccented(name), name.split("-")[0], _unaccented(name.split("-")[0])}
            if language == "ar":
                variants = {rf"(?:و|ب)?(?:ال)?{re.escape(name.removeprefix('ال'))}"}
            else:
                variants = {re.escape(variant) for variant in variants}
            pattern = _word("|".join(sorted(variants, key=len, reverse=True)))
            found.append((pattern, ENGLISH_DAYS[index]))
    return tuple(found)


@cache
def _rewrites(language: str) -> tuple[tuple[re.Pattern[str], Replacement], ...]:
    vocabulary = VOCABULARIES[language]
    days = "|".join(ENGLISH_DAYS)
    ranges: tuple[tuple[str, Replacement], ...] = ()
    if vocabulary.range_words:
        ranges = ((rf"({days})\s+(?:{vocabulary.range_words})\s+({days})", r"\1 to \2"),)
    return tuple((_word(pattern), replacement) for pattern, replacement in (*vocabulary.rewrites, *ranges))


def english(text: str, language: str) -> str | None:
    """Her words in the English that safe_time reads; None when they carry a negation (or the language
    has no vocabulary here)."""
    vocabulary = VOCABULARIES.get(language)
    if vocabulary is None:
        return None
    words = HOURS_ONLY.sub(":00", _plain(text))  # "18h" is 18:00
    if vocabulary.negated.search(words):
        return None
    for pattern, name in _day_names(language):
        words = pattern.sub(f" {name} ", words)
    for pattern, replacement in _rewrites(language):
        words = pattern.sub(_spaced(replacement), words)
    return words


def _spaced(replacement: Replacement) -> Replacement:
    """A rewrite kept apart from its neighbours, so English word boundaries hold around it."""
    if callable(replacement):
        return lambda match: f" {replacement(match)} "
    return f" {replacement} "
