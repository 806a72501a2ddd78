"""Per-language phrases that decide what a message means whatever the NLU model thinks.

Kept in nlu_data/<lang>/keywords.yml beside the training data, so a language brings its own. Safety
phrases (danger, self-harm, quick exit, erase) are looked for in every language on every message;
answers (yes, no, ok) and step navigation are whole messages only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import regex
import yaml

from bot.language.normalize import normalize

# A phrase starts and ends where no letter, digit or combining mark (Devanagari vowel signs) joins it.
_BEFORE, _AFTER = r"(?<![\w\p{M}])", r"(?![\w\p{M}])"
SHORT_WORDS = 20  # "short" phrases count only in a message this short


class Scope(Enum):
    ANYWHERE = "anywhere"  # danger counts in a long story too
    SHORT = "short"  # "delete my data please", not a story that mentions deleting
    WHOLE = "whole"  # "exit" alone ("how do I exit a group" is no exit)


# group in keywords.yml -> (the meaning it gives, where the phrase must stand). Order matters:
# the first group that matches wins, so danger comes before everything else.
KEYWORD_GROUPS = {
    "danger": ("immediate_danger", Scope.ANYWHERE),
    "self_harm": ("self_harm", Scope.ANYWHERE),
    "exit": ("quick_exit", Scope.WHOLE),
    "erase": ("erase_data", Scope.SHORT),
    "language": ("change_language", Scope.WHOLE),
    "done": ("step_done", Scope.WHOLE),
    "more": ("step_more", Scope.WHOLE),
    "skip": ("step_skip", Scope.WHOLE),
    "back": ("step_back", Scope.WHOLE),
    "stop": ("step_stop", Scope.WHOLE),
    "yes": ("affirm", Scope.WHOLE),
    "no": ("deny", Scope.WHOLE),
    "ok": ("ok", Scope.WHOLE),
    "switch": ("language_request", Scope.SHORT),
    "age": ("age_words", Scope.SHORT),
    "urgency": ("urgency", Scope.ANYWHERE),
    "nearby": ("nearby", Scope.ANYWHERE),
    "fear": ("fear", Scope.SHORT),
    "negation": ("negation", Scope.ANYWHERE),
    "arriving": ("arriving", Scope.ANYWHERE),
    "leaving": ("leaving", Scope.ANYWHERE),
    "demand": ("demand", Scope.ANYWHERE),
    # her record (bot/pipeline/stages/evidence.py): explicit requests, the whole message once an
    # entry's number is taken out ("delete entry 2", "एंट्री 2 हटाओ")
    "record": ("record_start", Scope.WHOLE),
    "record_list": ("record_list", Scope.WHOLE),
    "record_change": ("record_change", Scope.WHOLE),
    "record_delete": ("record_delete", Scope.WHOLE),
    "record_send": ("record_send", Scope.WHOLE),
    # a yes to a person that shares her record too, in a short answer ("yes, share my record please")
    "record_share": ("record_share", Scope.SHORT),
}
SAFETY = frozenset({"immediate_danger", "self_harm", "quick_exit", "erase_data"})
# Her requests about her record, in the order they are looked for (bot/pipeline/stages/evidence.py).
RECORD_REQUESTS = ("record_start", "record_list", "record_change", "record_delete", "record_send")
ANSWERS = frozenset({"affirm", "deny", "ok"})
# Read by the gateway's stages, never forced on the NLU.
NOT_FORCED = frozenset(
    {
        "language_request",
        "age_words",
        "urgency",
        "nearby",
        "fear",
        "negation",
        "arriving",
        "leaving",
        "demand",
        *RECORD_REQUESTS,
        "record_share",  # a yes to a person that shares her record (bot/pipeline/stages/evidence.py)
    }
)
# Soft signals that only count in the language the conversation is in: a short word of one language is
# an ordinary word of another (Hindi "na", no; Swahili "na", with).
OWN_LANGUAGE_ONLY = frozenset(
    {
        "negation",
        "urgency",
        "nearby",
        "fear",
        "arriving",
        "leaving",
        "age_words",
        "language_request",
        "demand",
    }
)
# What the dialogue model is told a keyword means ("ok", "sawa", "تمام" alone: yes, carry on).
FORCED_INTENT = {"ok": "affirm"}


@dataclass(frozen=True, slots=True)
class Keywords:
    patterns: dict[str, tuple[regex.Pattern[str], Scope]]
    numbers: dict[str, int]  # numbers written as words, folded ("fourteen", "kumi na sita")

    @classmethod
    def load(cls, path: Path) -> Keywords:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        numbers = {_fold(str(word)): int(value) for word, value in ((raw or {}).get("numbers") or {}).items()}
        patterns = {}
        for group, (meaning, scope) in KEYWORD_GROUPS.items():
            phrases = [_fold(p) for p in (raw or {}).get(group) or () if str(p).strip()]
            if phrases:
                by_length = sorted(phrases, key=len, reverse=True)
                alternatives = "|".join(regex.escape(p) for p in by_length)
                bounds = (r"^\W*", r"\W*$") if scope is Scope.WHOLE else (_BEFORE, _AFTER)
                patterns[meaning] = (regex.compile(f"{bounds[0]}(?:{alternatives}){bounds[1]}"), scope)
        return cls(patterns, numbers)

    def meanings(self, text: str) -> list[str]:
        """Every meaning a phrase gives the message, in KEYWORD_GROUPS order (danger first)."""
        folded = _fold(text)
        short = len(folded.split()) <= SHORT_WORDS
        return [
            meaning
            for meaning, (pattern, scope) in self.patterns.items()
            if (short or scope is not Scope.SHORT) and pattern.search(folded)
        ]

    def intent_for(self, text: str) -> str | None:
        """The intent a keyword forces on the NLU, danger first."""
        forced = next((m for m in self.meanings(text) if m not in NOT_FORCED), None)
        return FORCED_INTENT.get(forced, forced) if forced is not None else None


def _fold(text: str) -> str:
    """Lowercase, normalised, apostrophes dropped, spaces collapsed: how phrases are compared."""
    text = normalize(text).lower().replace("'", "").replace("’", "")
    return " ".join(text.split())


def with_digits(text: str, numbers: dict[str, int]) -> str:
    """The text with numbers written as words replaced by digits, longest words first."""
    folded = _fold(text)
    for word in sorted(numbers, key=len, reverse=True):
        folded = regex.sub(f"{_BEFORE}{regex.escape(word)}{_AFTER}", str(numbers[word]), folded)
    return folded
