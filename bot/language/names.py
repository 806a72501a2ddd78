"""What people call countries and languages beyond babel's names: data in locales/names.yml.

Read and checked once, when the language package is first imported (at start-up), so a mistake in the
file stops the start with every problem named instead of silently never matching a name.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from babel import Locale

from bot.language.i18n import LOCALES_DIR, available_languages
from bot.language.normalize import fold

NAMES_FILE = LOCALES_DIR / "names.yml"
MIN_NAME_LENGTH = 2  # folded: shorter names would match inside ordinary messages


class NamesError(ValueError):
    """locales/names.yml cannot be used as written."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Names:
    countries: Mapping[str, tuple[str, ...]]  # ISO 3166 code -> names people type for it
    languages: Mapping[str, tuple[str, ...]]  # language code -> names people ask for it by
    ambiguous: frozenset[str]  # folded names of two places ("عمان": Oman, and Amman): never guessed


def _country_codes(languages: Collection[str]) -> dict[str, set[str]]:
    """Every country code babel knows, with its names (folded) in these languages."""
    found: dict[str, set[str]] = {}
    for language in languages:
        for code, name in Locale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha():
                found.setdefault(code, set()).add(fold(name))
    return found


def _language_names(languages: Collection[str]) -> dict[str, set[str]]:
    """Each language's names (folded) in these languages."""
    return {
        code: {fold(Locale.parse(code).get_display_name(reader) or code) for reader in languages}
        for code in languages
    }


def _section(
    raw: Any, section: str, babel_names: Mapping[str, set[str]], problems: list[str]
) -> dict[str, tuple[str, ...]]:
    """One section as code -> names, every problem of it added to `problems`."""
    entries = raw.get(section) if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        problems.append(f"{section}: missing, or not a mapping of code to names")
        return {}
    owner = {name: code for code, names in babel_names.items() for name in names}
    kept: dict[str, tuple[str, ...]] = {}
    for code, names in entries.items():
        where = f"{section} {code}"
        if code not in babel_names:
            problems.append(f"{where}: not a code known here")
            continue
        if not isinstance(names, list) or not names:
            problems.append(f"{where}: not a list of names")
            continue
        for name in names:
            folded = fold(str(name)) if isinstance(name, str) else ""
            if len(folded) < MIN_NAME_LENGTH:
                problems.append(f"{where}: {name!r} is not a name of {MIN_NAME_LENGTH} letters or more")
            elif owner.setdefault(folded, code) != code:
                problems.append(f"{where}: {name!r} already names {owner[folded]}")
        kept[code] = tuple(str(name) for name in names)
    return kept


def load_names(path: Path = NAMES_FILE, languages: Collection[str] | None = None) -> Names:
    """The names in `path`, checked against babel in `languages` (default: every catalog's)."""
    languages = available_languages() if languages is None else languages
    problems: list[str] = []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise NamesError(f"{path}: {error}") from error
    countries = _section(raw, "countries", _country_codes(languages), problems)
    spoken = _section(raw, "languages", _language_names(languages), problems)
    ambiguous = raw.get("ambiguous") if isinstance(raw, dict) else None
    if not isinstance(ambiguous, list) or not all(isinstance(name, str) and name for name in ambiguous):
        problems.append("ambiguous: missing, or not a list of names")
        ambiguous = []
    if problems:
        raise NamesError(f"{path.name}:\n- " + "\n- ".join(problems))
    return Names(countries=countries, languages=spoken, ambiguous=frozenset(fold(n) for n in ambiguous))


NAMES = load_names()
