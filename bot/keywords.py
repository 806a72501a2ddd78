"""Per-language phrases that must route to a safety intent whatever the NLU model thinks.

Kept in nlu_data/<lang>/keywords.yml beside the training data, so a language brings its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

# group in keywords.yml -> (intent it forces, whether the phrase must be the whole message).
# Danger phrases count anywhere in a message; exit words only alone
# ("how do I exit a group" is no exit).
KEYWORD_GROUPS = {"danger": ("immediate_danger", False), "exit": ("quick_exit", True)}


@dataclass(frozen=True, slots=True)
class Keywords:
    patterns: dict[str, re.Pattern[str]]

    @classmethod
    def load(cls, path: Path) -> Keywords:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
        patterns = {}
        for group, (intent, whole) in KEYWORD_GROUPS.items():
            phrases = [p.strip().lower() for p in (raw or {}).get(group) or () if p.strip()]
            if phrases:
                alternatives = "|".join(
                    re.escape(p) for p in sorted(phrases, key=len, reverse=True)
                )
                bounds = (r"^\W*", r"\W*$") if whole else (r"(?<!\w)", r"(?!\w)")
                patterns[intent] = re.compile(f"{bounds[0]}(?:{alternatives}){bounds[1]}")
        return cls(patterns)

    def intent_for(self, text: str) -> str | None:
        """The safety intent a keyword forces, danger before exit."""
        lowered = " ".join(text.lower().split())
        for intent, pattern in self.patterns.items():
            if pattern.search(lowered):
                return intent
        return None
