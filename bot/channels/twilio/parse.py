"""Twilio's incoming-message webhook form (SMS, and WhatsApp via Twilio) as a channel-neutral message.

Pure: the channel looks up which choices a bare number answers and keeps the opt-out state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import Enum

from bot.language.normalize import normalize
from bot.pipeline.messages import InboundKind, InboundMessage

CHANNEL = "twilio"
MEDIA_KINDS = {"image": InboundKind.IMAGE, "video": InboundKind.VIDEO, "audio": InboundKind.AUDIO}


class Keyword(Enum):
    """What a whole-message keyword does; the value is the payload it becomes."""

    STOP = "/quick_exit"  # and nothing more is sent to that number until START
    START = "/greet"
    HELP = "/menu"


# Every language we serve, in one place. Twilio already acts on English STOP/START/HELP over SMS
# (Advanced Opt-Out) and then says so in OptOutType; it knows nothing of the other words, nor of
# any word over WhatsApp. Matched against the whole message, so "stop calling me" is no STOP.
KEYWORDS: dict[Keyword, frozenset[str]] = {
    Keyword.STOP: frozenset({"stop", "arret", "arrêt", "parar", "pare", "simama", "रोको", "توقف"}),
    Keyword.START: frozenset({"start", "iniciar", "começar", "comecar", "anza"}),
    Keyword.HELP: frozenset({"help", "ayuda", "ajuda", "aide", "msaada", "मदद", "مساعدة"}),
}


def _fold(text: str) -> str:
    return normalize(text).casefold().strip(" \t\r\n.!¡?¿।؟")


_BY_WORD = {_fold(word): keyword for keyword, words in KEYWORDS.items() for word in words}
# A bare number, in any script's digits ("2", "2.", "२", "٢"): the answer to a numbered list.
_NUMBER = re.compile(r"\s*(\d{1,2})\s*[.)]?\s*")


def keyword(body: str, opt_out_type: str = "") -> Keyword | None:
    """The keyword a message is: Twilio's verdict (OptOutType) first, then our word lists."""
    if opt_out_type in Keyword.__members__:
        return Keyword[opt_out_type]
    return _BY_WORD.get(_fold(body))


def choice_number(body: str) -> int | None:
    match = _NUMBER.fullmatch(body)
    return int(match[1]) if match else None


def parse_form(
    form: Mapping[str, str], last_choices: Sequence[str] = ()
) -> tuple[InboundMessage, Keyword | None]:
    """The message a webhook carries, and the keyword it is (for the channel's opt-out state).

    `last_choices` are the payloads of the numbered list last sent to this sender. Raises ValueError
    for a form without MessageSid or From, or with a NumMedia that is not a number.
    """
    sid, sender = form.get("MessageSid", ""), form.get("From", "")
    if not sid or not sender:
        raise ValueError("MessageSid and From are required")
    body = form.get("Body", "")  # at most 1600 characters: Twilio truncates longer messages
    found: Keyword | None = None
    kind, text = InboundKind.TEXT, body
    if form.get("ButtonPayload", "").startswith("/"):  # a WhatsApp quick reply of ours
        kind, text = InboundKind.CHOICE, form["ButtonPayload"]
    elif (found := keyword(body, form.get("OptOutType", ""))) is not None:
        kind, text = InboundKind.CHOICE, found.value
    elif int(form.get("NumMedia") or 0) > 0:
        media_type = form.get("MediaContentType0", "").partition("/")[0]
        kind, text = MEDIA_KINDS.get(media_type, InboundKind.DOCUMENT), ""
    elif form.get("Latitude"):
        kind, text = InboundKind.LOCATION, ""
    elif (number := choice_number(body)) is not None and 1 <= number <= len(last_choices):
        kind, text = InboundKind.CHOICE, last_choices[number - 1]
    message = InboundMessage(
        channel=CHANNEL,
        provider_id=sid,
        sender=sender,
        kind=kind,
        text=text,
        country_hint=form.get("FromCountry") or None,
    )
    return message, found
