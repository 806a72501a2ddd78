"""Shaping a turn's replies for a channel's limits; pure functions shared by every channel."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.channels.base import Budget
from bot.pipeline.messages import Choice, OutboundMessage

# A sentence with the spaces after it, or a line with its line break.
_UNIT = re.compile(r"[^.!?।؟\n]*(?:[.!?।؟]+[ \t]*|\n+|$)")


def merge_turn(
    replies: Sequence[OutboundMessage], limit: int, measure: Callable[[str], int] = len
) -> list[OutboundMessage]:
    """Join consecutive replies into fewer messages: fewer notifications, kinder to rate limits.

    A reply with choices closes a message (its buttons belong under its own text). `measure` sizes
    a joined text in the channel's unit (characters, SMS segments).
    """
    merged: list[OutboundMessage] = []
    for reply in replies:
        previous = merged[-1] if merged else None
        joined = f"{previous.text}\n\n{reply.text}" if previous is not None else reply.text
        if previous is not None and not previous.choices and measure(joined) <= limit:
            merged[-1] = replace(reply, text=joined)
        else:
            merged.append(reply)
    return merged


def split_text(text: str, fits: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split at sentence or line ends into parts that each fit; an overlong sentence at words.

    Line breaks inside a part are kept (lists of numbers stay lists).
    """
    parts: list[str] = []
    current = ""
    for unit in _UNIT.findall(text):
        if not unit:
            continue
        if measure((current + unit).rstrip()) <= fits:
            current += unit
            continue
        if current.strip():
            parts.append(current.rstrip())
        current = ""
        if measure(unit.rstrip()) <= fits:
            current = unit
            continue
        for word in unit.split(" "):
            candidate = f"{current} {word}" if current else word
            if measure(candidate.rstrip()) <= fits:
                current = candidate
                continue
            if current.strip():
                parts.append(current.rstrip())
            while measure(word) > fits:  # a "word" longer than a whole part (a URL, a paste)
                cut = max(1, next(n for n in range(len(word), 0, -1) if measure(word[:n]) <= fits))
                parts.append(word[:cut])
                word = word[cut:]
            current = word
    if current.strip():
        parts.append(current.rstrip())
    return parts or [""]


def page(
    replies: Sequence[OutboundMessage], budget: Budget, more: Choice
) -> tuple[list[OutboundMessage], list[OutboundMessage]]:
    """The replies to send now, within the budget, the last of them offering `more`; and the rest,
    for when the person asks for more (empty when everything fits).

    Whole replies go first; the reply that does not fit is cut at sentence ends (at words if its
    first sentence alone is too long), its choices going with its second half. A list longer than
    the budget's choices shows its first entries and `more`.
    """
    now: list[OutboundMessage] = []
    pending = list(replies)
    while pending:
        reply = pending[0]
        if len(reply.choices) > budget.choices:
            shown = budget.choices - 1
            head = replace(reply, choices=reply.choices[:shown])
            if budget.fits([*now, _offering(head, more)]):
                now.append(head)
                pending[0] = replace(reply, text="", sms=None, choices=reply.choices[shown:])
                break
        elif budget.fits([*now, reply if len(pending) == 1 else _offering(reply, more)]):
            now.append(pending.pop(0))
            continue
        cut, tail = _cut(reply, lambda part: budget.fits([*now, _offering(part, more)]))
        if cut is not None:
            now.append(cut)
            pending[0] = tail
        elif not now:  # not one word fits: the reply goes whole rather than nothing at all
            now.append(pending.pop(0))
        break
    if not pending:
        return now, []
    now[-1] = _offering(now[-1], more)
    return now, pending


def _offering(reply: OutboundMessage, more: Choice) -> OutboundMessage:
    return replace(reply, choices=(*reply.choices, more))


def _cut(
    reply: OutboundMessage, fits: Callable[[OutboundMessage], bool]
) -> tuple[OutboundMessage | None, OutboundMessage]:
    """The longest head of the reply's wording that `fits` (sentences, else words), and the rest."""
    wording = reply.sms if reply.sms is not None else reply.text
    for units, glue in ([u for u in _UNIT.findall(wording) if u], ""), (wording.split(" "), " "):
        best = 0
        for count in range(1, len(units)):
            if not fits(replace(reply, text=glue.join(units[:count]).rstrip(), sms=None, choices=())):
                break
            best = count
        if best:
            head = replace(reply, text=glue.join(units[:best]).rstrip(), sms=None, choices=())
            return head, replace(reply, text=glue.join(units[best:]).strip(), sms=None)
    return None, reply
