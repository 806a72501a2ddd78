"""The order of the menu's situations: most brought first, from counts in content/menu.yml.

An SMS shows only the first five situations, then "More", so the order decides what a feature-phone
user sees without paying for a second message. The counts are written by `python -m bot menu-order`
from the conversation corpus (tests/conversations/), never typed by hand. Equal counts are ordered by
name, so the order never depends on the file's layout.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path

import yaml

from content.model import CONTENT_DIR, ContentError

MENU_COUNTS = CONTENT_DIR / "menu.yml"


def load_counts(path: Path = MENU_COUNTS) -> dict[str, int]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    counts = raw.get("counts")
    if not isinstance(counts, dict) or not all(isinstance(v, int) and v >= 0 for v in counts.values()):
        raise ContentError(f"{path.name}: `counts` must map each situation to a count")
    return {str(name): int(count) for name, count in counts.items()}


def by_use(counts: Mapping[str, int]) -> tuple[str, ...]:
    """Situations by count, most first; equal counts by name."""
    return tuple(sorted(counts, key=lambda name: (-counts[name], name)))


def situations_by_use(situations: Collection[str], path: Path = MENU_COUNTS) -> tuple[str, ...]:
    """The menu's situations in order; the file must count exactly these."""
    counts = load_counts(path)
    if set(counts) != set(situations):
        raise ContentError(f"{path.name} counts {sorted(counts)}, the menu has {sorted(situations)}")
    return by_use(counts)
