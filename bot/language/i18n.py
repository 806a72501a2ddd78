"""Gettext catalogs per language, loaded from compiled .mo files.

A .po without its .mo is refused at start-up: silently falling back to English would hide a missing
`make i18n` from the people who need the translation most.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parents[2] / "locales"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


Translate = Callable[[str], str]  # one language's gettext


def N_(text: str) -> str:
    """Marks a text for `pybabel extract` where it is defined; it is translated where it is shown."""
    return text


class CatalogError(RuntimeError):
    """A catalog exists but cannot be used."""


def available_languages(locales_dir: Path = LOCALES_DIR) -> list[str]:
    """Languages with a catalog, the source language first."""
    found = sorted(p.name for p in locales_dir.iterdir() if (p / "LC_MESSAGES").is_dir())
    return sorted(found, key=lambda lang: lang != SOURCE_LANGUAGE)


class Catalogs:
    def __init__(self, locales_dir: Path = LOCALES_DIR) -> None:
        self._translations: dict[str, NullTranslations] = {}
        for language in available_languages(locales_dir):
            folder = locales_dir / language / "LC_MESSAGES"
            po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
            if po.exists() and not mo.exists():
                raise CatalogError(f"{po} has no compiled {mo.name}: run `make i18n`")
            if mo.exists():
                self._translations[language] = Translations.load(str(locales_dir), [language], DOMAIN)

    @property
    def languages(self) -> list[str]:
        return list(self._translations) or [SOURCE_LANGUAGE]

    def gettext(self, language: str, message: str) -> str:
        translations = self._translations.get(language)
        if translations is None:
            return message
        return translations.gettext(message)

    def ngettext(self, language: str, singular: str, plural: str, n: int) -> str:
        """The form of a text that agrees with `n` under the language's plural rule (Arabic has six)."""
        translations = self._translations.get(language)
        if translations is None:
            return singular if n == 1 else plural
        return translations.ngettext(singular, plural, n)
