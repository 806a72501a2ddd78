"""`make i18n-check`: fail on any catalog problem a survivor would see as broken or English text.

Checks that the template matches the texts in code and content (someone ran `make i18n-update`),
and that every catalog has every entry, nothing fuzzy or untranslated (the source language aside),
the same `{placeholders}` as the English, and a compiled .mo at least as new as its .po.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
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


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def catalog_problems(language: str, catalog: Catalog, expected: set[str], po: Path) -> list[str]:
    problems = []
    ids = {m.id for m in catalog if m.id and isinstance(m.id, str)}
    problems += [f"{language}: missing entry {msg!r}" for msg in sorted(expected - ids)]
    mo = po.with_suffix(".mo")
    if not mo.exists():
        problems.append(f"{language}: {po.name} has no compiled .mo (run `make i18n`)")
    elif mo.stat().st_mtime < po.stat().st_mtime:
        problems.append(f"{language}: {mo.name} is older than {po.name} (run `make i18n`)")
    for message in catalog:
        if not message.id or not isinstance(message.id, str):
            continue
        if message.fuzzy:
            problems.append(f"{language}: fuzzy entry {message.id!r}")
        if not message.string or not isinstance(message.string, str):
            if language != SOURCE_LANGUAGE:
                problems.append(f"{language}: untranslated {message.id!r}")
            continue
        wanted, found = (
            set(PLACEHOLDER.findall(message.id)),
            set(PLACEHOLDER.findall(message.string)),
        )
        if wanted != found:
            problems.append(f"{language}: placeholders {sorted(found)} != {sorted(wanted)} in {message.id!r}")
    return problems


def check(locales_dir: Path = LOCALES_DIR) -> list[str]:
    sources = extracted_messages()
    template = read_catalog(locales_dir / f"{DOMAIN}.pot")
    template_ids = {m.id for m in template if m.id and isinstance(m.id, str)}
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
