from __future__ import annotations

from pathlib import Path

from bot.language.keywords import Keywords
from bot.rasa.engine import NLU_DATA


def keywords(tmp_path: Path, text: str) -> Keywords:
    path = tmp_path / "keywords.yml"
    path.write_text(text, encoding="utf-8")
    return Keywords.load(path)


def test_danger_phrases_match_anywhere_on_word_boundaries(tmp_path: Path) -> None:
    found = keywords(tmp_path, "danger: [outside my door, he's breaking in]")
    assert found.intent_for("Please HELP he is outside my   door!!") == "immediate_danger"
    assert found.intent_for("he's breaking in") == "immediate_danger"
    assert found.intent_for("he's breaking into my account") is None


def test_exit_words_count_only_alone(tmp_path: Path) -> None:
    found = keywords(tmp_path, "exit: [exit, /exit]")
    assert found.intent_for("  EXIT. ") == "quick_exit"
    assert found.intent_for("/exit") == "quick_exit"
    assert found.intent_for("how do i exit a group chat") is None


def test_danger_wins_over_exit(tmp_path: Path) -> None:
    found = keywords(tmp_path, "danger: [kill me]\nexit: [exit]")
    assert found.intent_for("kill me") == "immediate_danger"


def test_a_language_without_keywords_forces_nothing(tmp_path: Path) -> None:
    assert Keywords.load(tmp_path / "missing.yml").intent_for("exit") is None


def test_the_english_lists_load() -> None:
    english = Keywords.load(NLU_DATA / "en" / "keywords.yml")
    assert english.intent_for("i'm scared for my life") == "immediate_danger"
    assert english.intent_for("exit") == "quick_exit"
