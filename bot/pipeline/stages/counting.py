"""Conversations counted by situation (issue 16 §3), also when they never reach the helpline.

A conversation has no end event (a session just goes quiet), but the start of a situation is seen:
the dialogue's `playbook_intro` reply, or its help in danger (`emergency`) or for self-harm. That turn
adds one to the anonymous counts of its month (bot/insights/counts.py) for each situation the
conversation had not started before, with her language, channel, country, the platform and the risk
flags the dialogue knows — nothing that names her, no word she wrote.

Cost: nothing on a turn that starts no situation. On one that does, the dialogue's memory is read
(its tracker) and one transaction adds the counts and notes the situation in her preferences, so the
same situation is counted once per conversation, and a turn run again after a crash is not counted
twice. Erasing her data erases the note, not the counts.
"""

from __future__ import annotations

import json
import time

from bot.insights.counts import Facts, InsightCounts
from bot.pipeline.preferences import PreferenceStore
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.rasa.engine import Engine

# The reply a situation starts with, and the situation when the reply does not name a playbook.
STARTS = {"playbook_intro": None, "emergency": "danger", "self_harm": "self_harm"}


class SituationCounts:
    def __init__(self, engine: Engine, preferences: PreferenceStore) -> None:
        self._engine = engine
        self._preferences = preferences

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        replies = await proceed(turn)
        keys = [reply.key for reply in replies if reply.key is not None and reply.key in STARTS]
        if keys:
            await self._count(turn, keys)
        return replies

    async def _count(self, turn: TurnState, keys: list[str]) -> None:
        slots = await self._engine.slots(turn.conversation)
        started = {STARTS[key] or slots.get("playbook") or slots.get("situation") for key in keys}
        new = {situation for situation in started if situation} - turn.prefs.counted
        if not new:
            return
        risks = set(slots.get("risks") or ()) | (new & {"danger", "self_harm"})
        now = time.time()
        async with self._preferences.redis.pipeline(transaction=True) as pipe:
            for situation in sorted(new):
                facts = Facts.started(
                    situation,
                    platform=slots.get("platform"),
                    risks=risks,
                    language=turn.language,
                    channel=turn.message.channel,
                    country=turn.country,
                    at=now,
                )
                InsightCounts.queue(pipe, facts)
            counted = json.dumps(sorted(turn.prefs.counted | new))
            self._preferences.queue(pipe, turn.conversation, counted=counted)
            await pipe.execute()
