"""The context of the turn being handled, visible to the NLG without threading it through Rasa.

Set once per message by the gateway (like aiogram's i18n middleware); a ContextVar keeps concurrent
conversations apart because each turn runs in its own task.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnContext:
    language: str
    country: str | None
    channel: str


_current: ContextVar[TurnContext | None] = ContextVar("turn_context", default=None)


def set_turn(context: TurnContext) -> None:
    _current.set(context)


def current_turn(default: TurnContext) -> TurnContext:
    return _current.get() or default
