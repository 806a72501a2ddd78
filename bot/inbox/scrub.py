"""A sentence with what could identify someone taken out, so it can be kept to improve the NLU.

Replaced, in this order, each by a placeholder that keeps the sentence readable: e-mail addresses
(<email>), links (<link>), @handles (<handle>), phone numbers as `phonenumbers` finds them for the
country she is in and in international form (<phone>), any other run of four or more digits, with
the spaces, dots, dashes and brackets phone numbers are written with (<number>), and names: a name
she or someone else is introduced by ("my name is Rosa", "se llama Juan", "jina langu ni Amina",
"اسمي مريم") and any name the caller already knows. Digits of every script count (٠١٢, ०१२).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import phonenumbers

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
LINK = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|io|me|ly|gl|co|ke|in|br|mx|fr|tz|ng)"
    r"(?:/\S*)?",
    re.IGNORECASE,
)
HANDLE = re.compile(r"(?<![\w@])@[\w.]{2,}")
DIGITS = re.compile(r"\+?\(?\d(?:[\s().\-/]{0,2}\d){3,}\)?")
# Words that introduce a name, in the assistant's languages; the name is the next one or two words.
INTRODUCTIONS = (
    r"my name is|my name's|i am called|i'm called|his name is|her name is|he is called|"
    r"she is called|me llamo|mi nombre es|se llama|su nombre es|je m'appelle|je m’appelle|"
    r"mon nom est|il s'appelle|elle s'appelle|s'appelle|me chamo|meu nome é|o nome dele é|o nome dela é|"
    r"chama-se|se chama|jina langu ni|naitwa|anaitwa|jina lake ni|mera naam|meraa naam|uska naam|"
    r"मेरा नाम|उसका नाम|उसका नाम है|اسمي|اسمه|اسمها|أنا اسمي"
)
NAME_AFTER = re.compile(
    rf"(?P<intro>\b(?:{INTRODUCTIONS}))(?P<space>\s+)(?P<name>[^\s,.;:!?،]+(?:\s+(?-i:[A-ZÀ-Ý])[^\s,.;:!?،]*)?)",
    re.IGNORECASE | re.UNICODE,
)
NOT_A_NAME = frozenset({"is", "hai", "है", "ni", "é", "est", "es", "a", "an", "the", "not", "no"})


def scrub(text: str, *, region: str | None = None, names: Iterable[str] = ()) -> str:
    """`text` without e-mails, links, handles, phone numbers, numbers of four digits or more, and the
    names it introduces or that are given; `region` (ISO) is where she is, for national numbers."""
    text = EMAIL.sub("<email>", text)
    text = LINK.sub("<link>", text)
    text = HANDLE.sub("<handle>", text)
    text = _phones(text, region)
    text = DIGITS.sub("<number>", text)
    text = NAME_AFTER.sub(_name, text)
    for name in sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "<name>", text, flags=re.IGNORECASE)
    return text


def _phones(text: str, region: str | None) -> str:
    leniency = phonenumbers.Leniency.POSSIBLE
    found = phonenumbers.PhoneNumberMatcher(text, (region or "ZZ").upper(), leniency=leniency)
    for start, end in reversed([(match.start, match.end) for match in found]):
        text = text[:start] + "<phone>" + text[end:]
    return text


def _name(match: re.Match[str]) -> str:
    name = match["name"]
    if name.lower() in NOT_A_NAME or name.startswith("<"):
        return match[0]
    return f"{match['intro']}{match['space']}<name>"
