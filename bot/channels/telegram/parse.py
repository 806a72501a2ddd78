"""Telegram updates (Bot API JSON) as channel-neutral messages, through python-telegram-bot's types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Bot, Chat, Message, Update, User

from bot.channels.telegram.callback_data import CallbackDataError, ChoiceData
from bot.pipeline.messages import InboundKind, InboundMessage

CHANNEL = "telegram"
COMMANDS = {
    "/start": "/greet",
    "/menu": "/menu",
    "/exit": "/quick_exit",
    "/language": "/language",
    "/erase": "/erase_data",
}


class NotForUs(Exception):
    """An update that carries no message from a person in a private chat (group, channel, status)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedUpdate:
    message: InboundMessage
    callback_query_id: str | None = None  # a button was pressed: answer it to stop the spinner
    # The person's own message in the chat, which quick exit may delete later (its id and date).
    own_message: Message | None = None


def _kind(message: Message) -> InboundKind:
    if message.text is not None:
        return InboundKind.TEXT
    for attribute, kind in (
        ("photo", InboundKind.IMAGE),
        ("video", InboundKind.VIDEO),
        ("video_note", InboundKind.VIDEO),
        ("animation", InboundKind.VIDEO),
        ("voice", InboundKind.AUDIO),
        ("audio", InboundKind.AUDIO),
        ("document", InboundKind.DOCUMENT),
        ("sticker", InboundKind.STICKER),
        ("location", InboundKind.LOCATION),
        ("venue", InboundKind.LOCATION),
        ("contact", InboundKind.CONTACT),
    ):
        if getattr(message, attribute):
            return kind
    return InboundKind.UNSUPPORTED


def _sender(chat: Chat) -> str:
    """The chat id, which every send turns back into a number: an update with another is malformed."""
    if not isinstance(chat.id, int) or isinstance(chat.id, bool):
        raise ValueError("the chat id is not an integer")
    return str(chat.id)


def _language(user: User | None) -> str | None:
    """The person's app language, a hint only: left out unless it is text, as the Bot API documents."""
    code = user.language_code if user is not None else None
    return code if isinstance(code, str) else None


def _command(text: str) -> str | None:
    word = text.strip().split(maxsplit=1)[0].split("@", 1)[0].lower() if text.strip() else ""
    return COMMANDS.get(word)


def parse_update(data: dict[str, Any], bot: Bot) -> ParsedUpdate:
    """The message an update carries, with what the channel needs besides (see ParsedUpdate).

    Raises NotForUs for updates that need no reply, ValueError for malformed ones.
    """
    update = Update.de_json(data, bot)
    if update is None:
        raise ValueError("empty update")
    provider_id = str(update.update_id)
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message is not None else None
        if chat is None or chat.type != "private":
            raise NotForUs
        try:
            payload = ChoiceData.unpack(query.data or "").payload()
        except CallbackDataError:
            payload = ""
        message = InboundMessage(
            channel=CHANNEL,
            provider_id=provider_id,
            sender=_sender(chat),
            kind=InboundKind.CHOICE if payload else InboundKind.UNSUPPORTED,
            text=payload,
            language_hint=_language(query.from_user),
        )
        return ParsedUpdate(message=message, callback_query_id=query.id)
    if update.message_reaction is not None:
        reaction = update.message_reaction
        if reaction.chat.type != "private":
            raise NotForUs
        return ParsedUpdate(
            message=_message(provider_id, _sender(reaction.chat), InboundKind.REACTION, "", None)
        )
    edited = update.edited_message
    own = update.message or edited
    if own is None or own.chat.type != "private":
        raise NotForUs
    language = _language(own.from_user)
    if edited is not None:
        message = _message(provider_id, _sender(own.chat), InboundKind.EDITED, "", language)
        return ParsedUpdate(message=message, own_message=own)
    kind = _kind(own)
    text = own.text or ""
    command = _command(text) if kind is InboundKind.TEXT else None
    if command is not None:
        kind, text = InboundKind.CHOICE, command
    return ParsedUpdate(
        message=_message(provider_id, _sender(own.chat), kind, text, language), own_message=own
    )


def _message(
    provider_id: str, sender: str, kind: InboundKind, text: str, language: str | None
) -> InboundMessage:
    return InboundMessage(
        channel=CHANNEL,
        provider_id=provider_id,
        sender=sender,
        kind=kind,
        text=text,
        language_hint=language,
    )
