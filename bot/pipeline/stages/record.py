"""Her record's open question: the guided entry's answer, a screenshot sent while writing it, or
its buttons (bot/evidence/journal.py). Before the other open questions, so an answer that names a
country or says "yes" is taken as what the entry asked. When the helpline is offered and she has a
record, the offer gets a third choice: "Yes, share my record".

An answer is read, and the next question asked, in the language the conversation already has: a
handle, a link or a place name says nothing about her language ("https://…" alone reads as
Portuguese to the detector)."""

from __future__ import annotations

from dataclasses import replace

from bot.evidence.journal import Journal
from bot.pipeline.turn import Proceed, Replies, TurnState


class Record:
    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        if turn.in_handoff or turn.urgent:  # her words go to the helpline; danger's help comes first
            return await proceed(turn)
        decided = turn.decision
        if turn.prefs.language is not None:
            turn.decision = replace(decided, language=turn.prefs.language)
        replies = await self._journal.answer(turn)
        if replies is not None:
            return replies
        turn.decision = decided
        return await self._journal.offer_sharing(turn, await proceed(turn))
