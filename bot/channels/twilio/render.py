"""Replies as Twilio message bodies for feature phones: numbered choices, GSM-7 when it can be.

A feature phone has no buttons, so choices become numbered lines ("1 …", "2 …") under the text and
the person answers with the number. The payloads travel with the body, for the channel to remember
what the numbers mean.

SMS bodies: typography alone (a curly quote, a dash, an ellipsis) would turn a Latin message into
UCS-2 and cut what fits in a segment from 160 to 70, so it is made plain when that makes the whole
text GSM-7. A turn is then split at sentence ends into bodies of at most MAX_SEGMENTS segments each,
counted exactly as a concatenated SMS is built (153 GSM-7 / 67 UCS-2 units a part). Why several
segments a body rather than one: one body is reassembled by the handset in order and buzzes once,
while separate SMS may arrive out of order and each buzzes a phone someone else may be watching.
Why no more than four: Twilio advises keeping SMS short (320 characters) for deliverability and
warns that carriers may refuse long UCS-2 messages (error 30019); four segments is 612 GSM-7
characters, 268 UCS-2 units.

WhatsApp through Twilio has no segments: bodies are split only at Twilio's 1600-character limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from bot.channels.text import merge_turn, split_text
from bot.pipeline.messages import Choice, OutboundMessage

Encoding = Literal["GSM-7", "UCS-2"]

MAX_SEGMENTS = 4
BODY_LIMIT = 1600  # characters; Twilio refuses longer bodies (error 21617)

# The GSM 03.38 default alphabet (3GPP TS 23.038) without ESC, and its extension table, whose
# characters are sent as ESC + character: two septets each.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
# Units in a single SMS, and in each part of a concatenated one (its header takes the rest).
CAPACITY: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}

_TYPOGRAPHY = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "′": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "″": '"',
        "«": '"',
        "»": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "…": "...",
        "•": "-",
        "‣": "-",
        "\t": " ",
        "\u00a0": " ",  # no-break space
        "\u2007": " ",  # figure space
        "\u2009": " ",  # thin space
        "\u202f": " ",  # narrow no-break space
        "\u200b": None,  # zero-width space
        "\u2060": None,  # word joiner
        "\ufeff": None,  # byte-order mark
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TwilioMessage:
    body: str
    choices: tuple[str, ...] = ()  # the payloads the numbered lines stand for, in order


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def plain(text: str) -> str:
    """Typography made GSM-7, only when that makes the whole text GSM-7.

    Real letters outside GSM-7 (Hindi, Arabic, ê) need UCS-2 anyway; their text is left as written.
    """
    candidate = text.translate(_TYPOGRAPHY)
    return candidate if is_gsm7(candidate) else text


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


def numbered(text: str, choices: Sequence[Choice]) -> str:
    """The text with one numbered line per choice: digits and the choices' own (translated) titles."""
    lines = "\n".join(f"{number} {choice.title}" for number, choice in enumerate(choices, 1))
    return "\n\n".join(part for part in (text, lines) if part)


def render(replies: Sequence[OutboundMessage], *, sms: bool = True) -> list[TwilioMessage]:
    limit, measure = (MAX_SEGMENTS, segment_count) if sms else (BODY_LIMIT, len)
    shaped = []
    for reply in replies:
        text = numbered(reply.text, reply.choices)
        shaped.append(replace(reply, text=plain(text) if sms else text))
    messages: list[TwilioMessage] = []
    for reply in merge_turn(shaped, limit, measure):
        if not reply.text.strip():
            continue  # Twilio refuses a message with neither body nor media
        parts = split_text(reply.text, limit, measure)
        messages += [TwilioMessage(body=part) for part in parts[:-1]]
        payloads = tuple(choice.payload for choice in reply.choices)
        messages.append(TwilioMessage(body=parts[-1], choices=payloads))
    return messages
