"""Which staff are at the console now: for the wait a person is told and for choosing whom to
transfer to.

A staff member is present while a console page of theirs holds the live event stream open (it marks
them seen at least once per heartbeat); one who closed the page, lost the network or signed out drops
out after `window_seconds`. Being present is not being free: a counsellor can mark herself away (a
break, a long call), and then counts as absent for both. Kept in Redis, so every replica agrees.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.storage.keys import PREFIX

SEEN = f"{PREFIX}:staff:seen"  # staff name -> when a console of theirs was last alive
AWAY = f"{PREFIX}:staff:away"  # staff who marked themselves away


@dataclass(frozen=True, slots=True, kw_only=True)
class Presence:
    status: str  # "online", "busy" (online, holding conversations) or "away"
    busy: int  # how many conversations they hold


class StaffPresence:
    def __init__(self, redis: Redis, *, window_seconds: float = 45.0) -> None:
        self._redis = redis
        self.window_seconds = window_seconds

    async def seen(self, name: str) -> None:
        await self._redis.zadd(SEEN, {name: time.time()})

    async def gone(self, name: str) -> None:
        """Signed out: absent at once, and no longer away when she comes back."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(SEEN, name)
            pipe.srem(AWAY, name)
            await pipe.execute()

    async def set_away(self, name: str, away: bool) -> None:
        if away:
            await self._redis.sadd(AWAY, name)
        else:
            await self._redis.srem(AWAY, name)

    async def is_away(self, name: str) -> bool:
        return bool(await self._redis.sismember(AWAY, name))

    async def available(self) -> set[str]:
        """Staff with a live console who are not away."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrangebyscore(SEEN, time.time() - self.window_seconds, "+inf")
            pipe.smembers(AWAY)
            online, away = await pipe.execute()
        return {name.decode() for name in online} - {name.decode() for name in away}

    async def of(self, names: Iterable[str], holding: dict[str, int]) -> dict[str, Presence]:
        """Each named staff member's presence; `holding` counts the conversations each holds."""
        available = await self.available()
        return {
            name: Presence(
                status="away" if name not in available else "busy" if holding.get(name) else "online",
                busy=holding.get(name, 0),
            )
            for name in names
        }
