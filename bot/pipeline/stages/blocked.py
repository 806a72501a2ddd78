"""A sender the helpline blocked gets no answer at all (read in the turn's first round trip)."""

from __future__ import annotations

from bot.pipeline.turn import Proceed, Replies, TurnState


class Blocked:
    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        return [] if turn.blocked else await proceed(turn)
