"""At most a few replies per turn, whatever went wrong upstream: never a storm of messages (each one
an SMS the helpline pays for, and a phone buzzing that someone else may see)."""

from __future__ import annotations

import logging

from bot.ops.metrics import Metrics
from bot.pipeline.turn import Proceed, Replies, TurnState

log = logging.getLogger(__name__)
MAX_REPLIES = 6


class ReplyCap:
    def __init__(self, metrics: Metrics, limit: int = MAX_REPLIES) -> None:
        self._metrics = metrics
        self._limit = limit

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        replies = await proceed(turn)
        if len(replies) <= self._limit:
            return replies
        log.warning("turn.reply_cap channel=%s replies=%d", turn.message.channel, len(replies))
        self._metrics.reply_cap_hits.labels(turn.message.channel).inc()
        # Keep the last reply: it is the one that asks what comes next.
        return [*replies[: self._limit - 1], replies[-1]]
