"""The conversation corpus (tests/conversations/<lang>.yml): conversations as survivors' writers typed
them, read without loading the assistant (the menu's order is counted from it too)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.ops.settings import ROOT

CORPUS = ROOT / "tests" / "conversations"


@dataclass(frozen=True, slots=True, kw_only=True)
class Script:
    """One conversation as its writer typed it, and what the writer knows about its turns."""

    id: str
    language: str
    persona: str
    channel: str
    country: str | None
    situation: str
    turns: Sequence[str]
    marks: Mapping[str, Any]

    def language_at(self, turn: int) -> str:
        switches = {int(k): v for k, v in (self.marks.get("languages") or {}).items()}
        current = self.language
        for at in sorted(switches):
            if at <= turn:
                current = switches[at]
        return current

    def country_at(self, turn: int) -> str | None:
        """Where she is as far as she has said by this turn: the last country she named, else the
        channel's."""
        named = {int(k): v for k, v in (self.marks.get("country_named") or {}).items()}
        said = [named[at] for at in sorted(named) if at <= turn]
        return said[-1] if said else self.country

    def turns_marked(self, mark: str) -> list[int]:
        return [int(t) for t in self.marks.get(mark) or ()]


def load_scripts(languages: Iterable[str] | None = None, folder: Path = CORPUS) -> list[Script]:
    """The conversations of `folder` (one <lang>.yml each; the corpus unless a reviewer brings her own)."""
    scripts = []
    for path in sorted(folder.glob("*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if languages is not None and raw["language"] not in languages:
            continue
        for item in raw["conversations"]:
            scripts.append(
                Script(
                    id=str(item["id"]),
                    language=raw["language"],
                    persona=str(item.get("persona") or ""),
                    channel=str(item["channel"]),
                    country=item.get("country"),
                    situation=str(item["situation"]),
                    turns=tuple(str(t) for t in item["turns"]),
                    marks=item.get("marks") or {},
                )
            )
    return scripts


def situation_counts(scripts: Iterable[Script], situations: Collection[str]) -> dict[str, int]:
    """How many conversations bring each of `situations` (every one of them, even at 0)."""
    counts = Counter(script.situation for script in scripts)
    return {situation: counts[situation] for situation in sorted(situations)}
