"""The catalogs match the texts, and the checker catches what would reach users broken."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog

from bot.cli.i18n_check import catalog_problems, check, extracted_messages
from content.texts import load_texts


def test_the_committed_catalogs_pass_the_check() -> None:
    assert check() == []


def test_every_response_text_is_extracted() -> None:
    messages = extracted_messages()
    texts = load_texts()
    assert {t.text.strip() for t in texts.responses.values()} <= messages
    assert {label for group in texts.labels.values() for label in group.values()} <= messages


def write_po_and_mo(tmp_path: Path) -> Path:
    po = tmp_path / "messages.po"
    po.write_text("")
    po.with_suffix(".mo").write_text("")
    return po


def test_the_checker_finds_missing_fuzzy_untranslated_and_placeholder_problems(
    tmp_path: Path,
) -> None:
    catalog = Catalog(locale="fr")
    catalog.add("Step {position}", "Étape {numero}")
    catalog.add("Hello", "Bonjour", flags=["fuzzy"])
    catalog.add("Bye", "")
    problems = catalog_problems(
        "fr", catalog, {"Step {position}", "Hello", "Bye", "Missing"}, write_po_and_mo(tmp_path)
    )
    joined = "\n".join(problems)
    assert "missing entry 'Missing'" in joined
    assert "fuzzy entry 'Hello'" in joined
    assert "untranslated 'Bye'" in joined
    assert "placeholders ['numero'] != ['position']" in joined


def test_the_checker_wants_a_fresh_mo(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text("")
    assert "no compiled .mo" in "\n".join(catalog_problems("fr", Catalog(locale="fr"), set(), po))
