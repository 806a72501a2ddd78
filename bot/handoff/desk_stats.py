"""The desk's figures for today: who waits, who is with staff, and today's waits and handling times.

The day's counters are added in the same transaction as the claim or close they count (`count_claim`,
`count_close` take the caller's pipeline) and kept for a week.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bot.handoff.tickets import PRIORITY_SPAN
from bot.storage.keys import HANDOFF_ACTIVE, HANDOFF_FOLLOW_UPS, HANDOFF_QUEUE, desk_stats_key

KEPT_SECONDS = 8 * 24 * 3600


@dataclass(frozen=True, slots=True, kw_only=True)
class Stats:
    waiting: int
    with_staff: int
    follow_ups: int
    longest_wait_seconds: float
    average_wait_seconds: float | None  # of today's claims
    handled_today: int
    average_handling_seconds: float | None  # of today's conversations closed by staff


def count_claim(pipe: Pipeline, now: float, wait_seconds: float) -> None:
    key = desk_stats_key(now)
    pipe.hincrbyfloat(key, "wait_total", wait_seconds)
    pipe.hincrby(key, "wait_count", 1)
    pipe.expire(key, KEPT_SECONDS)


def count_close(pipe: Pipeline, now: float, handling_seconds: float | None) -> None:
    """A conversation closed by staff; `handling_seconds` from claim to close, if it was claimed."""
    key = desk_stats_key(now)
    pipe.hincrby(key, "handled", 1)
    if handling_seconds is not None:
        pipe.hincrbyfloat(key, "handle_total", handling_seconds)
        pipe.hincrby(key, "handle_count", 1)
    pipe.expire(key, KEPT_SECONDS)


class DeskStats:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def current(self) -> Stats:
        now = time.time()
        first = await self._redis.zrange(HANDOFF_QUEUE, 0, -1, withscores=True)
        created = [float(score) % PRIORITY_SPAN for _, score in first]
        today = await self._redis.hgetall(desk_stats_key(now))
        count = int(today.get(b"wait_count", 0))
        return Stats(
            waiting=len(first),
            with_staff=int(await self._redis.zcard(HANDOFF_ACTIVE)),
            follow_ups=int(await self._redis.zcard(HANDOFF_FOLLOW_UPS)),
            longest_wait_seconds=max((now - at for at in created), default=0.0),
            average_wait_seconds=float(today[b"wait_total"]) / count if count else None,
            handled_today=int(today.get(b"handled", 0)),
            average_handling_seconds=await self.handling_seconds(minimum=1),
        )

    async def handling_seconds(self, *, minimum: int) -> float | None:
        """How long today's conversations took with staff on average (claimed to closed by staff),
        once at least `minimum` were closed today; else None."""
        today = await self._redis.hmget(desk_stats_key(time.time()), "handle_total", "handle_count")
        count = int(today[1] or 0)
        return float(today[0] or 0) / count if count >= max(1, minimum) else None
