"""What an SMS costs: the GSM 03.38 alphabet, segments, and folding a text into GSM-7 where it stays readable.

An SMS is GSM-7 (160 septets, 153 a part when concatenated) only if every character of it is in the
GSM 03.38 default alphabet or its extension table; one character outside makes the whole message
UCS-2 (70 units, 67 a part). Accented letters such as á, ã, ç, ê are outside it, so a Spanish or
Portuguese text costs two to three times what it would without them.

Folding (SMS only, `SMS_FOLD`): each Latin-script language has a table in locales/sms-folding.yml of
the letters it may lose without becoming hard to read (Spanish á→a, ñ stays; Portuguese ã→a, ç→c),
and the words for the icons a step names that GSM-7 cannot draw (⚙: "the gear").
A language without a table (Hindi, Arabic) is sent as written, in UCS-2; its SMS wordings are short
instead.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

Encoding = Literal["GSM-7", "UCS-2"]

FOLDING_TABLES = Path(__file__).resolve().parents[2] / "locales" / "sms-folding.yml"

# The GSM 03.38 default alphabet (3GPP TS 23.038 §6.2.1) without ESC, and its extension table, whose
# characters are sent as ESC + character: two septets each. 0x09 is the capital Ç.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
# Units in a single SMS, and in each part of a concatenated one (its header takes the rest).
CAPACITY: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}

TYPOGRAPHY = {
    "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
    "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "…": "...", "•": "-", "‣": "-", "·": "-",
    "⋯": "...", "⋮": "...",  # the "more" icon a step names: tap ... on the post
    "\t": " ",
    "\u00a0": " ",  # no-break space
    "\u2007": " ",  # figure space
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space
    "\u200b": None,  # zero-width space
    "\u2060": None,  # word joiner
    "\ufeff": None,  # byte-order mark
}  # fmt: skip
_TYPOGRAPHY = str.maketrans(TYPOGRAPHY)
_SPACES = re.compile(r"[ ]{2,}")
_EDGE_SPACES = re.compile(r"^[ ]+|[ ]+$", re.MULTILINE)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def plain(text: str) -> str:
    """Typography made GSM-7, only when that makes the whole text GSM-7.

    Real letters outside GSM-7 (Hindi, Arabic, ê) need UCS-2 anyway; their text is left as written.
    """
    candidate = text.translate(_TYPOGRAPHY)
    return candidate if is_gsm7(candidate) else text


@cache
def folding_tables(path: Path = FOLDING_TABLES) -> dict[str, dict[int, str | None]]:
    """Per language: its letters' and icons' GSM-7 forms, with the typography every folded text loses."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    tables = {}
    for language, entry in raw.items():
        named = {**(entry.get("letters") or {}), **(entry.get("icons") or {})}
        letters = {str(k): str(v) for k, v in named.items()}
        wrong = {k: v for k, v in letters.items() if len(k) != 1 or not is_gsm7(v) or is_gsm7(k)}
        if wrong:
            raise ValueError(f"{path.name} {language}: not a letter outside GSM-7 to a GSM-7 form: {wrong}")
        tables[str(language)] = str.maketrans({**TYPOGRAPHY, **letters})
    return tables


def folds(language: str | None) -> bool:
    """Whether SMS in this language are folded into GSM-7 (it has a table)."""
    return language in folding_tables()


def fold(text: str, language: str | None) -> str:
    """The text as an SMS in `language` carries it.

    With a folding table: the table's letters folded, typography made plain, and then what no table
    names (a name from another language, an emoji) folded to its base letter or, for a symbol with no
    GSM-7 form, left out. Without one: `plain`.
    """
    table = folding_tables().get(language or "")
    if table is None:
        return plain(text)
    folded = text.translate(table)
    if is_gsm7(folded):
        return folded
    kept = "".join(_leftover(ch) for ch in folded)
    if kept == folded:
        return folded
    return _EDGE_SPACES.sub("", _SPACES.sub(" ", kept))  # where an emoji stood


def _leftover(ch: str) -> str:
    if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
        return ch
    base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
    if base and is_gsm7(base):
        return base
    if unicodedata.category(ch)[0] in "SC" or unicodedata.category(ch) == "Mn":
        return ""  # an emoji, its variation selector or joiner: feature phones show a box anyway
    return ch


def segments(text: str) -> tuple[Encoding, int]:
    """How an SMS carrying `text` is encoded, and how many segments it is sent (and billed) as.

    GSM-7 counts septets, two for an extension character; UCS-2 counts UTF-16 code units, two for
    an emoji. A pair is never split between parts, so a part may hold one unit less.
    """
    encoding: Encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    if encoding == "GSM-7":
        sizes = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    else:
        sizes = [len(ch.encode("utf-16-le")) // 2 for ch in text]
    single, part = CAPACITY[encoding]
    if sum(sizes) <= single:
        return encoding, 1 if text else 0
    count, free = 1, part
    for size in sizes:
        if size > free:
            count, free = count + 1, part
        free -= size
    return encoding, count


def segment_count(text: str) -> int:
    return segments(text)[1]
