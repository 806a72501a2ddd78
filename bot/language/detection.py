"""Which language to answer in: the words decide.

Order: the person's explicit choice > a confident language of the message itself (three words or
more) > the language settled on earlier > a confident single word > the channel's hint (Telegram's
language_code) > the phone's country (its official languages, via phonenumbers and babel) > the
default. Hints and the country only break ties: an English sentence from a Kenyan number is answered
in English, and a person who moves to another language mid-conversation is followed at once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache

import regex
from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages

from bot.language.names import NAMES
from bot.language.normalize import fold, words

# A language named in a message this short is a request to switch ("english", "en español porfa").
NAMED_ALONE_WORDS = 4

# Detection is trusted when one language's weighted share of the words is at least CONFIDENT_SHARE
# and CONFIDENT_RATIO times any other's (tests/test_language.py measures it on the held-out sets).
CONFIDENT_SHARE = 0.2
CONFIDENT_RATIO = 1.5
MIN_WORDS_FOR_SENTENCE = 3
# A sentence leaves the language she has been writing only if the new language knows this share of its
# words: "ok nimeangalia settings kuna app" has English words in Swahili, not an English sentence.
LEAVING_KNOWN_SHARE = 0.6


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    language: str
    settled: bool  # worth remembering (not a bare default)


def primary(tag: str | None) -> str | None:
    """'pt-BR' -> 'pt'."""
    return tag.replace("_", "-").split("-")[0].lower() if tag else None


def country_languages(country: str | None) -> tuple[str, ...]:
    return tuple(get_official_languages(country, de_facto=True)) if country else ()


def display_name(language: str) -> str:
    """A language in its own name ('Kiswahili', 'français'), capitalised for a button."""
    try:
        name = Locale.parse(language).display_name or language
    except (UnknownLocaleError, ValueError):
        return language
    return name[:1].upper() + name[1:]


def language_name_in(language: str, reader: str) -> str:
    """A language as a reader of another names it ("Arabic" in English), capitalised for a button."""
    try:
        name = Locale.parse(language).get_display_name(reader) or language
    except (UnknownLocaleError, ValueError):
        return language
    return name[:1].upper() + name[1:]


def language_name(language: str) -> str:
    """A language in its own name as its grammar writes it mid-sentence ("français", "English")."""
    try:
        return Locale.parse(language).get_display_name(language) or language
    except (UnknownLocaleError, ValueError):
        return language


@cache
def place_words(languages: tuple[str, ...]) -> frozenset[str]:
    """Every word of a country's name in each of these languages (babel's names), folded."""
    found: set[str] = set()
    for language in languages:
        for name in Locale.parse(language).territories.values():
            found |= words(fold(name))
    return frozenset(found)


class Detector:
    """Which language a message is in, from how often each language's training data uses its words.

    People mix languages, so every language's data holds English words ("account", "hacked") and a
    few lines of its neighbours'. Each word of a message is shared among the languages that use it in
    proportion to how often each uses it (per word of its data): "want" counts for English, which uses
    it all the time, far more than for Portuguese, whose speakers mix it in now and then. A single word
    decides only when one language has it to itself, more or less ("hi" opens chats in every language).
    What detection cannot decide is left to the remembered language and the hints.
    """

    def __init__(self, vocabularies: Mapping[str, Mapping[str, int]]) -> None:
        self._vocabularies = {language: frozenset(counts) for language, counts in vocabularies.items()}
        totals = {language: sum(counts.values()) or 1 for language, counts in vocabularies.items()}
        rates: dict[str, dict[str, float]] = {}
        for language, counts in vocabularies.items():
            for word, count in counts.items():
                rates.setdefault(word, {})[language] = count / totals[language]
        self._by_use = {
            word: {language: rate / sum(per.values()) for language, rate in per.items()}
            for word, per in rates.items()
        }
        self._by_presence = {
            word: {language: 1 / len(per) for language in per} for word, per in rates.items()
        }
        self._places = place_words(tuple(sorted(vocabularies)))

    def _words(self, text: str) -> set[str]:
        """Single letters and the names of places say nothing about the language ("I'm in Canada")."""
        return {w for w in words(text) if len(w) > 1} - self._places

    def shares(self, text: str, *, by_use: bool | None = None) -> list[tuple[str, float]]:
        """Each language with its share of the message's words, best first (a short message's words
        count for every language that has them, unless `by_use`)."""
        found = self._words(text)
        if by_use is None:
            by_use = len(found) >= MIN_WORDS_FOR_SENTENCE
        weights = self._by_use if by_use else self._by_presence
        scored = dict.fromkeys(self._vocabularies, 0.0)
        for word in found:
            for language, weight in weights.get(word, {}).items():
                scored[language] += weight
        if not found:
            return []
        return sorted(((lang, score / len(found)) for lang, score in scored.items()), key=lambda p: -p[1])

    def leaves(self, text: str, remembered: str, detected: str) -> bool:
        """Whether a sentence detected as another language really leaves the one she has been writing:
        the new language must know most of its words (her own language's inflected words are often
        unknown to every model: "police kitni der me aayegi" is not Portuguese for its "der" and "me"),
        and it must have more of the new language's words than of hers, counting each word once per
        language that knows it ("ana f lmaghrib" is Swahili by use, but every word is Arabizi too)."""
        found = self._words(text)
        known = sum(1 for word in found if word in self._vocabularies[detected])
        if known < LEAVING_KNOWN_SHARE * len(found):
            return False

        def presence(language: str) -> float:
            return sum(self._by_presence.get(word, {}).get(language, 0.0) for word in found)

        return presence(detected) > presence(remembered)

    def best(self, text: str) -> str | None:
        """The likeliest language even when unsure (for tools); None if no word is known anywhere."""
        ranked = self.shares(text)
        return ranked[0][0] if ranked and ranked[0][1] > 0 else None

    def confident(self, text: str, min_words: int = 1) -> str | None:
        ranked = self.shares(text)
        if len(self._words(text)) < min_words or not ranked:
            return None
        best, share = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if share >= CONFIDENT_SHARE and share >= CONFIDENT_RATIO * runner_up:
            return best
        return None


def decide(
    *,
    available: Collection[str],
    default: str,
    remembered: str | None,
    chosen: bool,
    hint: str | None,
    country: str | None,
    text: str,
    detector: Detector,
) -> Decision:
    if chosen and remembered in available:
        assert remembered is not None
        return Decision(language=remembered, settled=True)
    sentence = detector.confident(text, MIN_WORDS_FOR_SENTENCE)
    switching = remembered in available and sentence != remembered
    if sentence is not None and (not switching or detector.leaves(text, str(remembered), sentence)):
        return Decision(language=sentence, settled=True)
    if remembered in available:
        assert remembered is not None
        return Decision(language=remembered, settled=True)
    detected = detector.confident(text)
    if detected is not None:
        return Decision(language=_where_she_is(detected, text, country, available, detector), settled=True)
    hinted = primary(hint)
    if hinted in available:
        assert hinted is not None
        return Decision(language=hinted, settled=True)
    spoken_there = [lang for lang in country_languages(country) if lang in available]
    if spoken_there:
        return Decision(language=spoken_there[0], settled=True)
    return Decision(language=default, settled=False)


def _where_she_is(
    detected: str, text: str, country: str | None, available: Collection[str], detector: Detector
) -> str:
    """A short first message her country's language reads about as well ("bonjour mama" from Kinshasa:
    Darija says bonjour too) is in that language; one that another language reads far better ("hola",
    "salam alikoum") is in that one."""
    spoken = [lang for lang in country_languages(country) if lang in available]
    if detected in spoken:
        return detected
    shares = dict(detector.shares(text, by_use=True))  # "salam alikoum" from France stays Arabic
    close = shares.get(detected, 0.0) / CONFIDENT_RATIO
    return next((lang for lang in spoken if shares.get(lang, 0.0) >= close > 0.0), detected)


@cache
def _language_names(available: tuple[str, ...]) -> list[tuple[regex.Pattern[str], str]]:
    names: dict[str, str] = {}
    for target in available:
        for language in available:
            name = Locale.parse(target).get_display_name(language)
            if name:
                names.setdefault(fold(name), target)
        for alias in NAMES.languages.get(target, ()):
            names.setdefault(fold(alias), target)
    ordered = sorted(names.items(), key=lambda item: len(item[0]), reverse=True)
    return [
        (regex.compile(rf"(?<![\w\p{{M}}]){regex.escape(n)}(?![\w\p{{M}}])"), code) for n, code in ordered
    ]


def requested_language(text: str, available: Collection[str], *, asked: bool = False) -> str | None:
    """The language a person asks for: named alone or in a short message ("reply in english",
    "بالعربي"), or named anywhere in a message that asks for a language (`asked`)."""
    folded = fold(text)
    if not asked and len(folded.split()) > NAMED_ALONE_WORDS:
        return None
    for pattern, code in _language_names(tuple(sorted(available))):
        if pattern.search(folded):
            return code
    return None
