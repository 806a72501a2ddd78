"""The rest of the last answer, when the person asks for it: the "more" choice's number, or "more",
"más", "mais", "zaidi" … in any language (the `more` keywords). Only a channel with a budget (SMS)
ever holds a rest back (bot/pipeline/outbox.py); with nothing held, the words mean what they always
meant ("tell me more" about a step)."""

from __future__ import annotations

from bot.pipeline.outbox import MORE, Outbox
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.rasa.engine import Engine


class More:
    def __init__(self, engine: Engine, outbox: Outbox) -> None:
        self._engine = engine
        self._outbox = outbox

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        if not turn.readable:
            return await proceed(turn)
        if turn.text != MORE and "step_more" not in self._engine.meanings(turn.text, turn.language):
            return await proceed(turn)
        held = await self._outbox.held(turn.conversation)
        if held:
            return held
        if turn.text == MORE:  # held a day and gone: as if she had written "more"
            turn.text = "/step_more"
        return await proceed(turn)
