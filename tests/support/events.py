"""Waiting until the desk's event stream has its listeners, before anything is published to them."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bot.storage.keys import HANDOFF_EVENTS


async def subscribers(redis: Redis) -> int:
    """How many listen to the desk's events right now (consoles on any replica, tests)."""
    counts = await redis.pubsub_numsub(HANDOFF_EVENTS)
    return int(counts[0][1])


async def until_subscribers(redis: Redis, count: int) -> None:
    for _ in range(200):
        if await subscribers(redis) == count:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"expected {count} event subscribers, found {await subscribers(redis)}")
