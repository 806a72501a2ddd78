"""`python -m bot menu-order`: count how many corpus conversations bring each situation into
content/menu.yml, the counts the menu is ordered by (content/menu.py; an SMS shows the first five)."""

from __future__ import annotations

from pathlib import Path

from bot.cli.corpus import load_scripts, situation_counts
from bot.ops.settings import ROOT
from content.menu import MENU_COUNTS, by_use
from content.model import load_library

HEADER = """\
# How many conversations bring each situation: the menu lists situations by these counts, most first
# (equal counts by name), and an SMS shows only the first five, then "More" (content/menu.py).
# Written by `python -m bot menu-order` from the conversation corpus (tests/conversations/); run it
# again after changing the corpus (tests/test_sms.py fails until then).
"""


def corpus_counts() -> dict[str, int]:
    """Per situation on the menu (each has its playbook): the corpus conversations that bring it."""
    return situation_counts(load_scripts(), load_library().playbooks)


def write(counts: dict[str, int], path: Path = MENU_COUNTS) -> Path:
    lines = [HEADER.rstrip("\n"), "counts:"]
    lines += [f"  {situation}: {counts[situation]}" for situation in by_use(counts)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    counts = corpus_counts()
    path = write(counts)
    order = ", ".join(f"{s} {counts[s]}" for s in by_use(counts))
    print(f"{order} -> {path.relative_to(ROOT)}")
