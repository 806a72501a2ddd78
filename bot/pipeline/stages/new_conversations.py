"""A new conversation from a network address that started too many lately: one kind reply, no more.

Below the safety stage: danger and self-harm (marked urgent there), quick exit and erase always go
through. A refused message is answered and done, like any other; the person's next message is weighed
again, so she gets in as soon as the address's window has room.
"""

from __future__ import annotations

from bot.pipeline.limits import Limits
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.rasa.engine import Engine


class NewConversations:
    def __init__(self, engine: Engine, limits: Limits) -> None:
        self._engine = engine
        self._limits = limits

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        if turn.urgent or await self._limits.new_conversation(turn.message):
            return await proceed(turn)
        return [self._engine.render("new_conversation_limited", turn.language, turn.country)]
