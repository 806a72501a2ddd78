"""How one turn's replies look on each channel: the web chat's preview, from the channels' own renderers.

SMS goes the way the Twilio SMS channel sends it (`sms_turn`): each reply's SMS wording, folded by its
language's table (SMS_FOLD), paged by the segment budget with "More" offering what is held back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.channels.gsm7 import segments
from bot.channels.telegram.render import render as telegram
from bot.channels.twilio.render import sms_turn
from bot.channels.whatsapp.render import ButtonsMessage, ListMessage, TemplateMessage, TextMessage
from bot.channels.whatsapp.render import render as whatsapp
from bot.pipeline.messages import Choice, OutboundMessage


def _whatsapp(message: Any) -> dict[str, Any]:
    match message:
        case TextMessage():
            return {"kind": "text", "text": message.text, "buttons": []}
        case ButtonsMessage():
            return {
                "kind": "reply buttons",
                "text": message.body,
                "buttons": [b.title for b in message.buttons],
            }
        case ListMessage():
            return {"kind": "list", "text": message.body, "buttons": [r.title for r in message.rows]}
        case TemplateMessage():
            return {"kind": "template", "text": message.name, "buttons": []}
    raise TypeError(type(message).__name__)


def preview(
    replies: Sequence[OutboundMessage], *, more: Choice, folded: bool = True
) -> dict[str, list[dict[str, Any]]]:
    """`more`: the "More" choice in the replies' language, as the outbox offers it."""
    sms_bodies = []
    for message in sms_turn(replies, more, folded=folded)[0]:
        encoding, count = segments(message.body)
        sms_bodies.append({"text": message.body, "encoding": encoding, "segments": count})
    return {
        "telegram": [
            {"text": m.text, "buttons": [title for title, _ in m.buttons]} for m in telegram(replies)
        ],
        "whatsapp": [_whatsapp(m) for m in whatsapp(replies)],
        "sms": sms_bodies,
    }
