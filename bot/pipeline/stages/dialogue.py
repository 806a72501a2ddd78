"""Words reach the NLU and the dialogue model; a yes to a person becomes a handoff."""

from __future__ import annotations

from typing import Any

from bot.handoff.flow import HandoffFlow
from bot.handoff.model import Author, Risk, Summary
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.rasa.engine import Engine


class Dialogue:
    def __init__(self, engine: Engine, handoff: HandoffFlow) -> None:
        self._engine = engine
        self._handoff = handoff

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        message = turn.message
        result = await self._engine.handle(
            turn.conversation,
            turn.text,
            language=turn.language,
            country=turn.country,
            channel=message.channel,
            message_id=message.provider_id,
            replay=turn.recovering,
            parse=turn.parse,
        )
        if result.handoff is None:
            return result.replies
        return result.replies + await self._hand_off(turn, result.handoff)

    async def _hand_off(self, turn: TurnState, shared: dict[str, Any]) -> Replies:
        """The person agreed: the summary they agreed to, and the chat only if they said so."""
        summary = Summary(
            situation=shared.get("situation"),
            platform=shared.get("platform"),
            steps_done=tuple(shared.get("steps_done") or ()),
            steps_skipped=tuple(shared.get("steps_skipped") or ()),
            risks=tuple(Risk(r) for r in shared.get("risks") or () if r in Risk._value2member_map_),
            language=turn.language,
            channel=turn.message.channel,
            country=turn.country,
            transcript_shared=bool(shared.get("transcript_shared")),
            record_shared=bool(shared.get("record_shared")),
        )
        transcript: list[tuple[Author, str]] = []
        if summary.transcript_shared:
            lines = await self._engine.transcript(turn.conversation)
            transcript = [(Author(author), text) for author, text in lines]
        return await self._handoff.request(turn.message, summary, transcript)
