"""Shaping a turn's replies for a channel's limits; pure functions shared by every channel."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.pipeline.messages import OutboundMessage

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
