"""The console's own texts in each staff member's language, through the assistant's gettext catalogs.

The page's texts are its source: its scripts (console/*.js) wrap them in `_()` (or `N_()` for a
label kept in a table) and console.html marks elements with `data-i18n` (their text, title,
placeholder and aria-label). `pybabel extract` finds them with the JavaScript extractor and
`extract_html` here (babel.cfg), and the server reads the same files to know which texts to send, so
a new text is never left out of the dictionary. The page gets one JSON dictionary for its language
and fills itself in.

The ids in a summary (the situation, the platform, the channel) are shown by the names the assistant's
own catalog gives them (`labels` in content/responses.yml: the buttons a survivor picks them by), so a
French console never shows "secure_account" or "telegram" in English words.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cache, partial
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from babel import Locale
from babel.messages.extract import extract

from bot.language.i18n import N_, Catalogs, Translate
from content.model import load_library
from content.texts import load_texts

STATIC = Path(__file__).parent / "static"
SCRIPTS = "console/*.js"  # the page's modules
PAGES = ("console.html",)
ATTRIBUTES = ("title", "placeholder", "aria-label")
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


class _Marked(HTMLParser):
    """The texts of elements marked `data-i18n`: their attributes, and their text if they have no
    child elements (whitespace collapsed, as the page reads it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._open: list[tuple[str, list[str] | None, int]] = []  # tag, its text if marked, line

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        line = self.getpos()[0]
        marked = "data-i18n" in values
        if marked:
            self.found.extend((line, value) for name in ATTRIBUTES if (value := values.get(name)))
        if self._open and self._open[-1][1] is not None:  # a marked element with children: no text
            parent = self._open[-1]
            self._open[-1] = (parent[0], None, parent[2])
        if tag not in VOID:
            self._open.append((tag, [] if marked else None, line))

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1][1] is not None:
            self._open[-1][1].append(data)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            opened, text, line = self._open.pop()
            joined = " ".join("".join(text or []).split())
            if text is not None and any(ch.isalpha() for ch in joined):
                self.found.append((line, joined))
            if opened == tag:
                return


def extract_html(
    fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str], options: dict[str, Any]
) -> Iterator[tuple[int, str, str, list[str]]]:
    """A babel extractor for the console's page (babel.cfg)."""
    parser = _Marked()
    parser.feed(fileobj.read().decode("utf-8"))
    parser.close()
    for line, text in parser.found:
        yield line, "", text, []


@cache
def messages() -> tuple[str, ...]:
    """Every text of the console's page and script, in the order they appear."""
    found: list[str] = []
    for path in sorted(STATIC.glob(SCRIPTS)):
        with path.open("rb") as script:
            found.extend(
                message for _, message, _, _ in extract("javascript", script) if isinstance(message, str)
            )
    for name in PAGES:
        with (STATIC / name).open("rb") as page:
            found.extend(text for _, _, text, _ in extract_html(page, (), (), {}))
    return tuple(dict.fromkeys(found))


def language_name(code: str) -> str:
    """A language's name in itself ("Kiswahili", "العربية"), to choose it by."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


# The channels that are not platforms a survivor names: the console's own words for them.
CHANNELS_BY_ID = {"twilio": N_("SMS (Twilio)"), "web": N_("Web chat"), "rest": N_("REST API")}


# Where a step's first clause ends: "Before blocking, save proof: screenshots of …" names the step.
_CLAUSE_END = re.compile(r"[:.।؛](?:\s|$)")
STEP_NAME_CHARACTERS = 80


@cache
def id_labels() -> dict[str, dict[str, str]]:
    """The English names of the ids a summary holds: situations (the playbooks, by their menu
    buttons), platforms, channels (Telegram and WhatsApp by their platform names), and steps done or
    skipped ("<playbook>.<step>", by the words the survivor was shown)."""
    labels = load_texts().labels
    library = load_library()
    platforms = dict(labels["platforms"])
    return {
        "situations": {playbook: labels["intents"][playbook] for playbook in sorted(library.playbooks)},
        "platforms": platforms,
        "channels": {"telegram": platforms["telegram"], "whatsapp": platforms["whatsapp"], **CHANNELS_BY_ID},
        "steps": {
            f"{name}.{step.id}": step.generic.text
            for name, playbook in library.playbooks.items()
            for step in playbook.steps
        },
    }


def step_name(text: str) -> str:
    """A step named by its first clause, in whatever language it was translated to."""
    end = _CLAUSE_END.search(text)
    name = text[: end.start()] if end else text
    return name if len(name) <= STEP_NAME_CHARACTERS else name[: STEP_NAME_CHARACTERS - 1].rstrip() + "…"


def console_texts(catalogs: Catalogs, language: str) -> dict[str, Any]:
    """What the page needs to show itself in `language`: its direction, its translated texts (the
    English ones stay as they are in the page) and the names of the ids in a summary."""
    translated = {text: catalogs.gettext(language, text) for text in messages()}
    return {
        "language": language,
        "dir": Locale.parse(language).text_direction,
        "texts": {text: value for text, value in translated.items() if value != text},
        "labels": {
            kind: {
                name: (step_name if kind == "steps" else str)(catalogs.gettext(language, label))
                for name, label in names.items()
            }
            for kind, names in id_labels().items()
        },
        "languages": [{"code": code, "name": language_name(code)} for code in catalogs.languages],
    }


def chosen_language(catalogs: Catalogs, preference: str | None, accept_language: str) -> str:
    """The staff member's choice, else the browser's first language the catalogs have, else English."""
    available = catalogs.languages
    if preference in available:
        return preference
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in available:
            return code
    return available[0]


@dataclass(frozen=True, slots=True)
class ConsoleLanguage:
    """The language a staff member reads the console in, and the catalog's translation into it of
    what the server tells them (errors, how her safe-contact words were read)."""

    code: str
    translate: Translate


def console_language(catalogs: Catalogs, preference: str | None, accept_language: str) -> ConsoleLanguage:
    code = chosen_language(catalogs, preference, accept_language)
    return ConsoleLanguage(code, partial(catalogs.gettext, code))
