"""While queued, with staff, or writing a message for the helpline, the person's messages go to the
helpline, never to the dialogue (bot/handoff/flow.py)."""

from __future__ import annotations

from bot.handoff.flow import HandoffFlow
from bot.pipeline.stages.media import kind_reply
from bot.pipeline.turn import Proceed, Replies, TurnState


class HandoffRelay:
    def __init__(self, handoff: HandoffFlow) -> None:
        self._handoff = handoff

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        if not turn.in_handoff:
            return await proceed(turn)
        replies = await self._handoff.intercept(
            turn.message, kind_reply(turn.message), ticket_id=turn.ticket_id, staged=turn.staged
        )
        return await proceed(turn) if replies is None else replies
