"""Replies as Twilio message bodies for feature phones: numbered choices, GSM-7 when it can be.

A feature phone has no buttons, so choices become numbered lines ("1 …", "2 …") under the text and
the person answers with the number. The payloads travel with the body, for the channel to remember
what the numbers mean.

SMS bodies: each reply in its SMS wording, folded into GSM-7 by its language's table (bot/channels/
gsm7.py; SMS_FOLD), since one accented letter or curly quote would make the whole message UCS-2 and
cut what fits in a segment from 160 to 70. The outbox first pages a turn by TURN_BUDGET (bot/channels/
text.py `page`); a turn is then split at sentence ends into bodies of at most MAX_SEGMENTS segments each,
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
from functools import partial

from bot.channels.base import Budget
from bot.channels.gsm7 import Encoding, fold, plain, segment_count, segments
from bot.channels.text import merge_turn, page, split_text
from bot.pipeline.messages import Choice, OutboundMessage

MAX_SEGMENTS = 4
# At most this many segments in one reply turn, whatever the person is told; the rest waits for
# "more". UCS-2 (Hindi, Arabic) carries less than half as much a segment, so it gets more of them.
TURN_BUDGET: dict[Encoding, int] = {"GSM-7": 4, "UCS-2": 6}
# Numbered choices one SMS shows, "more" included: a longer list shows its first five, then "more".
SMS_CHOICES = 6
BODY_LIMIT = 1600  # characters; Twilio refuses longer bodies (error 21617)


@dataclass(frozen=True, slots=True, kw_only=True)
class TwilioMessage:
    body: str
    choices: tuple[str, ...] = ()  # the payloads the numbered lines stand for, in order


def numbered(text: str, choices: Sequence[Choice], *, sms: bool = True) -> str:
    """The text with one numbered line per choice: digits and the choices' own (translated) titles."""
    lines = "\n".join(
        f"{number} {choice.sms if sms and choice.sms else choice.title}"
        for number, choice in enumerate(choices, 1)
    )
    return "\n\n".join(part for part in (text, lines) if part)


def render(
    replies: Sequence[OutboundMessage], *, sms: bool = True, folded: bool = True
) -> list[TwilioMessage]:
    """Bodies for a turn: on SMS in each reply's SMS wording, folded into GSM-7 where its language
    allows (`folded`, SMS_FOLD); a reply whose SMS wording is empty is said by another's."""
    limit, measure = (MAX_SEGMENTS, segment_count) if sms else (BODY_LIMIT, len)
    shaped = []
    for reply in replies:
        wording = reply.sms if sms and reply.sms is not None else reply.text
        if not wording and not reply.choices:
            continue
        text = numbered(wording, reply.choices, sms=sms)
        if sms:
            text = fold(text, reply.language) if folded else plain(text)
        shaped.append(replace(reply, text=text))
    messages: list[TwilioMessage] = []
    for reply in merge_turn(shaped, limit, measure):
        if not reply.text.strip():
            continue  # Twilio refuses a message with neither body nor media
        parts = split_text(reply.text, limit, measure)
        messages += [TwilioMessage(body=part) for part in parts[:-1]]
        payloads = tuple(choice.payload for choice in reply.choices)
        messages.append(TwilioMessage(body=parts[-1], choices=payloads))
    return messages


def sms_turn(
    replies: Sequence[OutboundMessage], more: Choice, *, folded: bool = True
) -> tuple[list[TwilioMessage], list[OutboundMessage]]:
    """One reply turn as SMS sends it: paged by the budget (what the outbox does with the Twilio SMS
    channel's `budget`), then rendered (its `render`); and the rest, held for `more`."""
    now, rest = page(replies, sms_budget(folded=folded), more)
    return render(now, folded=folded), rest


def turn_segments(replies: Sequence[OutboundMessage], *, folded: bool = True) -> tuple[Encoding, int]:
    """What a turn's replies cost as SMS."""
    return cost(render(replies, folded=folded))


def cost(messages: Sequence[TwilioMessage]) -> tuple[Encoding, int]:
    """UCS-2 if any body is, and the segments of all bodies."""
    counted = [segments(message.body) for message in messages]
    encoding: Encoding = "UCS-2" if any(e == "UCS-2" for e, _ in counted) else "GSM-7"
    return encoding, sum(count for _, count in counted)


def sms_budget(*, folded: bool = True) -> Budget:
    """The outbox's budget for one SMS reply turn (bot/channels/text.py `page`)."""
    return Budget(fits=partial(affordable, folded=folded), choices=SMS_CHOICES)


def affordable(replies: Sequence[OutboundMessage], *, folded: bool = True) -> bool:
    """Whether one turn's replies fit the SMS budget: TURN_BUDGET segments for their encoding."""
    encoding, count = turn_segments(replies, folded=folded)
    return count <= TURN_BUDGET[encoding]
