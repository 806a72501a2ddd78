"""Per-language phrases that must route to a safety intent whatever the NLU model thinks.

Kept in nlu_data/<lang>/keywords.yml beside the training data, so a language brings its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import regex
import yaml

from bot.normalize import normalize

# A phrase starts and ends where no letter, digit or combining mark (Devanagari vowel signs) joins it.
_BEFORE, _AFTER = r"(?<![\w\p{M}])", r"(?![\w\p{M}])"
# group in keywords.yml -> (intent it forces, whether the phrase must be the whole message).
# Danger phrases count anywhere in a message; exit words only alone
# ("how do I exit a group" is no exit).
KEYWORD_GROUPS = {
    "danger": ("immediate_danger", False),
    "exit": ("quick_exit", True),
    "language": ("change_language", True),
    "erase": ("erase_data", True),
}


@dataclass(frozen=True, slots=True)
class Keywords:
    patterns: dict[str, regex.Pattern[str]]

    @classmethod
    def load(cls, path: Path) -> Keywords:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        patterns = {}
        for group, (intent, whole) in KEYWORD_GROUPS.items():
            phrases = [_fold(p) for p in (raw or {}).get(group) or () if p.strip()]
            if phrases:
                by_length = sorted(phrases, key=len, reverse=True)
                alternatives = "|".join(regex.escape(p) for p in by_length)
                bounds = (r"^\W*", r"\W*$") if whole else (_BEFORE, _AFTER)
                patterns[intent] = regex.compile(f"{bounds[0]}(?:{alternatives}){bounds[1]}")
        return cls(patterns)

    def intent_for(self, text: str) -> str | None:
        """The safety intent a keyword forces, danger before exit."""
        folded = _fold(text)
        for intent, pattern in self.patterns.items():
            if pattern.search(folded):
                return intent
        return None


def _fold(text: str) -> str:
    """Lowercase, normalised, apostrophes dropped, spaces collapsed: how phrases are compared."""
    text = normalize(text).lower().replace("'", "").replace("’", "")
    return " ".join(text.split())
