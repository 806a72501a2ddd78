"""Replies as WhatsApp Cloud API messages, within its limits.

Text goes out in parts of at most 4096 characters, cut at sentences. Choices ride on an interactive
message, whose body holds at most 1024: a longer text goes first as text, and its ending (whole
sentences that fit) carries the choices.

1-3 choices become reply buttons (titles of at most 20). 4-10 become a list (rows of at most 24, a
row's description holding the whole title when it had to be cut); more become several lists of 10,
each after the first under the text's last line again. Titles that would clash once cut also use a
list, since WhatsApp refuses two buttons with one title.

A list opens from a button whose label WhatsApp requires. The renderer is pure and does not know the
conversation's language, so the label is the menu sign "☰", read the same in every language: no
English is hard-coded, and no language is guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.channels.text import merge_turn, split_text
from bot.pipeline.messages import Choice, OutboundMessage

TEXT_LIMIT = 4096
BODY_LIMIT = 1024
BUTTON_LIMIT = 3
BUTTON_TITLE_LIMIT = 20
ROW_LIMIT = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
LIST_BUTTON = "☰"
ELLIPSIS = "…"


@dataclass(frozen=True, slots=True, kw_only=True)
class TextMessage:
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Button:
    id: str  # the choice's payload, handed back in the webhook
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ButtonsMessage:
    body: str
    buttons: tuple[Button, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    id: str  # the choice's payload, handed back in the webhook
    title: str
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListMessage:
    body: str
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateMessage:
    """An approved template: the only message allowed outside the 24-hour window."""

    name: str
    language: str


WhatsAppMessage = TextMessage | ButtonsMessage | ListMessage | TemplateMessage


def render(replies: Sequence[OutboundMessage]) -> list[WhatsAppMessage]:
    messages: list[WhatsAppMessage] = []
    for reply in merge_turn(replies, TEXT_LIMIT):
        choices = _unique(reply.choices)
        if not choices:
            messages += [TextMessage(text=part) for part in split_text(reply.text, TEXT_LIMIT)]
            continue
        head, body = _ending(reply.text)
        if head:
            messages += [TextMessage(text=part) for part in split_text(head, TEXT_LIMIT)]
        messages += _interactive(body, choices)
    return messages


def _unique(choices: Sequence[Choice]) -> list[Choice]:
    """One choice per payload: WhatsApp refuses a message whose buttons or rows share an id."""
    by_payload: dict[str, Choice] = {}
    for choice in choices:
        by_payload.setdefault(choice.payload, choice)
    return list(by_payload.values())


def _ending(text: str) -> tuple[str, str]:
    """The text before the choices, and the ending (whole sentences) that fits in their body.

    split_text's last part is always an ending of the text, so what precedes it is the rest.
    """
    text = text.rstrip()
    ending = split_text(text, BODY_LIMIT)[-1]
    return text[: len(text) - len(ending)].rstrip(), ending


def _interactive(body: str, choices: list[Choice]) -> list[WhatsAppMessage]:
    titles = [shorten(choice.title, BUTTON_TITLE_LIMIT) for choice in choices]
    if len(choices) <= BUTTON_LIMIT and len(set(titles)) == len(titles):
        buttons = tuple(Button(id=c.payload, title=t) for c, t in zip(choices, titles, strict=True))
        return [ButtonsMessage(body=body, buttons=buttons)]
    rows = [_row(choice) for choice in choices]
    last_line = body.rsplit("\n", 1)[-1]
    return [
        ListMessage(body=body if start == 0 else last_line, rows=tuple(rows[start : start + ROW_LIMIT]))
        for start in range(0, len(rows), ROW_LIMIT)
    ]


def _row(choice: Choice) -> Row:
    title = shorten(choice.title, ROW_TITLE_LIMIT)
    description = shorten(choice.title, ROW_DESCRIPTION_LIMIT) if title != choice.title else None
    return Row(id=choice.payload, title=title, description=description)


def shorten(title: str, limit: int) -> str:
    """A title cut to `limit` characters at a word, with "…", so what is left still reads."""
    if len(title) <= limit:
        return title
    cut = title[: limit - len(ELLIPSIS)].rstrip()
    word_end = cut.rfind(" ")
    if word_end >= limit // 2:  # cutting at the word keeps most of the room
        cut = cut[:word_end].rstrip()
    return cut + ELLIPSIS


def to_json(message: WhatsAppMessage) -> dict[str, Any]:
    """The message's part of a Graph API `/messages` request (the caller adds the recipient)."""
    match message:
        case TextMessage(text=text):
            return {"type": "text", "text": {"body": text}}
        case ButtonsMessage(body=body, buttons=buttons):
            replies = [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in buttons]
            action: dict[str, Any] = {"buttons": replies}
            return _interactive_json("button", body, action)
        case ListMessage(body=body, rows=rows):
            action = {"button": LIST_BUTTON, "sections": [{"rows": [_row_json(r) for r in rows]}]}
            return _interactive_json("list", body, action)
        case TemplateMessage(name=name, language=language):
            return {"type": "template", "template": {"name": name, "language": {"code": language}}}


def _interactive_json(kind: str, body: str, action: dict[str, Any]) -> dict[str, Any]:
    return {"type": "interactive", "interactive": {"type": kind, "body": {"text": body}, "action": action}}


def _row_json(row: Row) -> dict[str, str]:
    fields = {"id": row.id, "title": row.title}
    if row.description is not None:
        fields["description"] = row.description
    return fields
