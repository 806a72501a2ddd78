"""`make i18n-check`: fail on any catalog problem a survivor would see as broken or English text.

Checks that the template matches the texts in code and content (someone ran `make i18n-update`),
and that every catalog has every entry, nothing fuzzy or untranslated (the source language aside),
the same `{placeholders}` as the English, and a compiled .mo at least as new as its .po. A plural
entry (ngettext) must have every form its language's plural rule has (babel: Arabic six, French two),
each translated and with the English plural's placeholders.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.language.i18n import DOMAIN, LOCALES_DIR, SOURCE_LANGUAGE, available_languages
from bot.ops.settings import ROOT

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def extracted_messages(root: Path = ROOT) -> set[str]:
    """What `pybabel extract -F babel.cfg` would find now."""
    with (root / "babel.cfg").open(encoding="utf-8") as handle:
        # babel ships this helper without annotations
        method_map, options_map = parse_mapping_cfg(handle, str(root / "babel.cfg"))  # type: ignore[no-untyped-call]
    return {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(root), method_map, options_map)
    }


def msgid(message: Message) -> str | None:
    """An entry's id: its text, or a plural entry's singular (what the header's empty id is not)."""
    found = message.id if isinstance(message.id, str) else message.id[0]
    return found or None


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def catalog_problems(language: str, catalog: Catalog, expected: set[str], po: Path) -> list[str]:
    problems = []
    ids = {name for m in catalog if (name := msgid(m)) is not None}
    problems += [f"{language}: missing entry {msg!r}" for msg in sorted(expected - ids)]
    mo = po.with_suffix(".mo")
    if not mo.exists():
        problems.append(f"{language}: {po.name} has no compiled .mo (run `make i18n`)")
    elif mo.stat().st_mtime < po.stat().st_mtime:
        problems.append(f"{language}: {mo.name} is older than {po.name} (run `make i18n`)")
    for message in catalog:
        name = msgid(message)
        if name is None:
            continue
        if message.fuzzy:
            problems.append(f"{language}: fuzzy entry {name!r}")
        if message.pluralizable:
            problems += _plural_problems(language, catalog, message)
            continue
        if not message.string or not isinstance(message.string, str):
            if language != SOURCE_LANGUAGE:
                problems.append(f"{language}: untranslated {name!r}")
            continue
        wanted, found = (
            set(PLACEHOLDER.findall(name)),
            set(PLACEHOLDER.findall(message.string)),
        )
        if wanted != found:
            problems.append(f"{language}: placeholders {sorted(found)} != {sorted(wanted)} in {name!r}")
    return problems


def _plural_problems(language: str, catalog: Catalog, message: Message) -> list[str]:
    """A plural entry: one form per plural category of the language, each translated, no unknown field."""
    singular, plural = message.id[0], message.id[1]
    forms = message.string if isinstance(message.string, tuple | list) else (message.string,)
    if language == SOURCE_LANGUAGE and not any(forms):
        return []  # English: ngettext falls back to the msgids themselves
    problems = []
    if len(forms) != catalog.num_plurals:
        problems.append(f"{language}: {len(forms)} plural forms, not {catalog.num_plurals}, in {singular!r}")
    wanted = set(PLACEHOLDER.findall(plural))
    for index, form in enumerate(forms):
        found = set(PLACEHOLDER.findall(form or ""))
        # A form for one number may leave the number out ("خطوة واحدة"); the last, for most, may not.
        if not form:
            problems.append(f"{language}: untranslated plural form {index} of {singular!r}")
        elif not found <= wanted or (index == len(forms) - 1 and found != wanted):
            where = f"plural form {index} of {singular!r}"
            problems.append(f"{language}: placeholders {sorted(found)} != {sorted(wanted)} in {where}")
    return problems


def check(locales_dir: Path = LOCALES_DIR) -> list[str]:
    sources = extracted_messages()
    template = read_catalog(locales_dir / f"{DOMAIN}.pot")
    template_ids = {name for m in template if (name := msgid(m)) is not None}
    problems = [
        f"template: {msg!r} is not extracted (run `make i18n-update`)"
        for msg in sorted(sources - template_ids)
    ]
    problems += [
        f"template: {msg!r} is obsolete (run `make i18n-update`)" for msg in sorted(template_ids - sources)
    ]
    for language in available_languages(locales_dir):
        po = locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if not po.exists():
            problems.append(f"{language}: no {po.name}")
            continue
        problems += catalog_problems(language, read_catalog(po), template_ids, po)
    return problems


def main() -> int:
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)
    languages = ", ".join(available_languages())
    print(f"i18n-check: {len(problems)} problem(s) in {languages}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
