"""Which language to answer in, and when to offer a switch.

Order: the person's explicit choice > the language we settled on earlier > the channel's hint
(Telegram's language_code; the phone number's country and that country's official languages, via
phonenumbers and babel) > detection from the message (share of its words each language's training
data knows, scripts included) > the default. A confident message in another language than the
settled one is answered with an offer to switch, never a silent flip.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages

from bot.normalize import words

# Detection is trusted when most words belong to one language and clearly fewer to any other.
CONFIDENT_SHARE = 0.6
CONFIDENT_MARGIN = 0.3
MIN_WORDS_FOR_SWITCH = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    language: str
    settled: bool  # worth remembering (not a bare default)
    offer: str | None = None  # a language to offer switching to


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


class Detector:
    def __init__(self, vocabularies: Mapping[str, frozenset[str]]) -> None:
        self._vocabularies = vocabularies

    def shares(self, text: str) -> list[tuple[str, float]]:
        """Each language with the share of the message's words its training data knows, best first."""
        found = words(text)
        if not found:
            return []
        scored = [
            (language, len(found & vocabulary) / len(found))
            for language, vocabulary in self._vocabularies.items()
        ]
        return sorted(scored, key=lambda pair: pair[1], reverse=True)

    def best(self, text: str) -> str | None:
        """The likeliest language even when unsure (for tools); None if no word is known anywhere."""
        ranked = self.shares(text)
        return ranked[0][0] if ranked and ranked[0][1] > 0 else None

    def confident(self, text: str, min_words: int = 1) -> str | None:
        ranked = self.shares(text)
        if len(words(text)) < min_words or not ranked:
            return None
        best, share = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if share >= CONFIDENT_SHARE and share - runner_up >= CONFIDENT_MARGIN:
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
    if remembered in available:
        assert remembered is not None
        if chosen:
            return Decision(language=remembered, settled=True)
        other = detector.confident(text, MIN_WORDS_FOR_SWITCH)
        if other is not None and other != remembered:
            return Decision(language=remembered, settled=True, offer=other)
        return Decision(language=remembered, settled=True)
    hinted = primary(hint)
    if hinted in available:
        assert hinted is not None
        return Decision(language=hinted, settled=True)
    detected = detector.confident(text)
    spoken_there = [lang for lang in country_languages(country) if lang in available]
    if spoken_there:
        # The phone's country narrows it down; the message picks among its languages.
        chosen_here = detected if detected in spoken_there else spoken_there[0]
        return Decision(language=chosen_here, settled=True)
    if detected is not None:
        return Decision(language=detected, settled=True)
    return Decision(language=default, settled=False)
