"""The names people type for countries and languages are data (locales/names.yml), checked at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.language.countries import country_in
from bot.language.detection import requested_language
from bot.language.names import NAMES, NamesError, load_names

LANGUAGES = ("ar", "en", "es", "fr", "hi", "pt", "sw")


def names_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "names.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_names_load_and_are_what_the_matchers_use() -> None:
    assert load_names(languages=LANGUAGES) == NAMES
    assert "cdmx" in NAMES.countries["MX"] and "بالعربي" in NAMES.languages["ar"]
    assert country_in("estoy en cdmx", LANGUAGES) == "MX"
    assert country_in("ana fi dzayer", LANGUAGES) == "DZ"
    assert requested_language("kwa kiingereza tafadhali", LANGUAGES) == "en"
    assert requested_language("3arabi", LANGUAGES) == "ar"


def test_a_name_of_a_language_or_country_not_listed_is_not_recognised() -> None:
    """The names come from the file and babel, nothing else: a made-up one matches nothing."""
    assert country_in("i am in zorbania", LANGUAGES) is None
    assert requested_language("zorbanian please", LANGUAGES) is None


def test_every_problem_in_the_file_is_named_at_once(tmp_path: Path) -> None:
    path = names_file(
        tmp_path,
        """
countries:
  XQ: [nowhere]
  KE: [nairobi, "", k]
  TZ: [nairobi]
  MX: [kenya]
  US: usa
languages:
  xx: [klingon]
  en: [english, kiingereza]
  sw: [kiingereza]
""",
    )
    with pytest.raises(NamesError) as raised:
        load_names(path, LANGUAGES)
    problems = str(raised.value)
    for expected in (
        "countries XQ: not a code known here",
        "countries KE: '' is not a name",
        "countries KE: 'k' is not a name",
        "countries TZ: 'nairobi' already names KE",
        "countries MX: 'kenya' already names KE",  # babel's name for Kenya
        "countries US: not a list of names",
        "languages xx: not a code known here",
        "languages sw: 'kiingereza' already names en",
    ):
        assert expected in problems, (expected, problems)
    assert "languages en" not in problems


def test_a_file_without_its_sections_or_not_yaml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NamesError, match="languages: missing"):
        load_names(names_file(tmp_path, "countries:\n  KE: [nairobi]\n"), LANGUAGES)
    with pytest.raises(NamesError):
        load_names(names_file(tmp_path, "countries: [unclosed\n"), LANGUAGES)


def test_a_name_of_two_places_is_never_taken_as_where_she_is() -> None:
    """ "عمان" is Oman and Amman: a woman in Amman would get Oman's number; she is asked instead."""
    from bot.language.countries import country_in

    assert country_in("انا في عمان", ["ar", "en"]) is None
    assert country_in("انا في الاردن", ["ar", "en"]) == "JO"
    assert country_in("i am in oman", ["en"]) == "OM"
