"""Replies as Telegram sendMessage requests: merged, split at 4096 characters, inline keyboards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.channels.telegram.callback_data import ChoiceData
from bot.channels.text import merge_turn, split_text
from bot.pipeline.messages import OutboundMessage

TEXT_LIMIT = 4096


@dataclass(frozen=True, slots=True, kw_only=True)
class TelegramMessage:
    text: str
    buttons: tuple[tuple[str, str], ...] = ()  # (title, callback data), one per row


def render(replies: Sequence[OutboundMessage]) -> list[TelegramMessage]:
    messages: list[TelegramMessage] = []
    for reply in merge_turn(replies, TEXT_LIMIT):
        parts = split_text(reply.text, TEXT_LIMIT)
        buttons = tuple((c.title, ChoiceData.from_payload(c.payload).pack()) for c in reply.choices)
        messages += [TelegramMessage(text=part) for part in parts[:-1]]
        messages.append(TelegramMessage(text=parts[-1], buttons=buttons))
    return messages
