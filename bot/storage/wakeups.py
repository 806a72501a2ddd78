"""Waiting for an item on a Redis list without holding a pooled connection while waiting.

A long poll that sits in BLPOP holds its own connection for its whole wait: the review opened enough
unauthenticated polls to use up Redis's connections, and webhooks then answered 500 and /readyz 503.
Here whoever pushes an item also publishes the list's name; one subscription per process (one
connection) wakes the requests waiting for that list, which then take the item with a plain LPOP.
A wake-up lost while the subscription reconnects costs at most RECHECK_SECONDS: each waiter looks
again that often anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

CHANNEL = "safespaces:wakeups"  # pub/sub: the name of a list that has just got an item
RECHECK_SECONDS = 5.0
RESUBSCRIBE_SECONDS = 1.0


class Wakeups:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._listener: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """How many requests wait for an item right now (on this replica)."""
        return sum(len(events) for events in self._waiting.values())

    @staticmethod
    def notify(pipe: Pipeline, key: str) -> None:
        """Queue, in the pipeline that pushes to `key`, the wake-up of whoever waits for it."""
        pipe.publish(CHANNEL, key)

    async def pop(self, key: str, timeout: float) -> bytes | None:
        """The list's first item, waiting up to `timeout` seconds for one; None if none came."""
        self.start()
        event = asyncio.Event()
        self._waiting.setdefault(key, set()).add(event)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                item: bytes | None = await self._redis.lpop(key)
                remaining = deadline - loop.time()
                if item is not None or remaining <= 0:
                    return item
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(event.wait(), min(remaining, RECHECK_SECONDS))
                event.clear()
        finally:
            waiting = self._waiting[key]
            waiting.discard(event)
            if not waiting:
                del self._waiting[key]

    def start(self) -> None:
        """Subscribe, once per process (again if the subscription ended)."""
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    async def _listen(self) -> None:
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        for event in self._waiting.get(message["data"].decode(), ()):
                            event.set()
            except (RedisError, OSError) as problem:  # Redis restarting: waiters look again meanwhile
                log.warning("wakeups.subscription_lost %s", type(problem).__name__)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.close()
            await asyncio.sleep(RESUBSCRIBE_SECONDS)
