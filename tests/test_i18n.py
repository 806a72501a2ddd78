"""The catalogs match the texts, and the checker catches what would reach users broken."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.cli.i18n_check import catalog_problems, check, extracted_messages
from content.texts import load_texts


def test_the_committed_catalogs_pass_the_check() -> None:
    assert check() == []


def test_every_response_text_is_extracted() -> None:
    messages = extracted_messages()
    texts = load_texts()
    # A wording that agrees with a number is a plural entry, known by its singular.
    assert {t.singulars.get(t.text, t.text) for t in texts.responses.values()} <= messages
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


def test_the_checker_wants_every_plural_form_of_the_language_translated(tmp_path: Path) -> None:
    catalog = Catalog(locale="ar")  # six plural forms: zero, one, two, few, many, other
    catalog.add(("{n} step", "{n} steps"), ("خطوة {n}", "خطوات {n}"))
    catalog.add(("{n} day", "{n} days"), ("لا أيام", "يوم واحد", "يومان", "{n} أيام", "", "{n} {x}"))
    hours = ("لا ساعات", "ساعة", "ساعتان", "{n} ساعات", "{n} ساعة", "{n} ساعة")
    catalog.add(("{n} hour", "{n} hours"), hours)
    problems = "\n".join(catalog_problems("ar", catalog, set(), write_po_and_mo(tmp_path)))
    assert "ar: 2 plural forms, not 6, in '{n} step'" in problems
    assert "untranslated plural form 4 of '{n} day'" in problems
    assert "placeholders ['n', 'x'] != ['n'] in plural form 5 of '{n} day'" in problems
    assert "'{n} hour'" not in problems  # the forms for 0, 1 and 2 may leave the number out


def test_the_committed_plural_entries_have_their_languages_number_of_forms() -> None:
    root = Path(__file__).resolve().parent.parent / "locales"
    forms = {"ar": 6, "en": 2, "es": 3, "fr": 3, "hi": 2, "pt": 3, "sw": 2}  # babel's plural rules
    for language, count in forms.items():
        with (root / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle)
        plurals = [m for m in catalog if m.pluralizable and m.id]
        assert len(plurals) >= 3 and catalog.num_plurals == count, language
        if language != "en":
            assert all(len(m.string) == count and all(m.string) for m in plurals), language
