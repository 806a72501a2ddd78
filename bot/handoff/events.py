"""The desk's changes on one pub/sub channel, so every console, whichever replica serves it, hears them.

Events carry ticket ids only; the console fetches what its user may see.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from bot.storage.keys import HANDOFF_EVENTS


class DeskEvents:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def publish(self, kind: str, ticket_id: str, staff: str | None = None) -> None:
        event = {"type": kind, "ticket": ticket_id, "staff": staff, "at": time.time()}
        await self._redis.publish(HANDOFF_EVENTS, json.dumps(event))

    async def stream(
        self,
        *,
        until: tuple[str, bytes] | None = None,
        alive: Callable[[], Awaitable[bool]] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every desk change, from every replica, as it happens. Ends when `until` (a channel and a
        message on it: a console session's end) is published, or at once if `alive`, asked once the
        subscription is in place, says that it already happened."""
        channels = [HANDOFF_EVENTS] if until is None else [HANDOFF_EVENTS, until[0]]
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(*channels)
        try:
            if alive is not None and not await alive():
                return
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                if message["channel"] == HANDOFF_EVENTS.encode():
                    yield json.loads(message["data"])
                elif until is not None and message["data"] == until[1]:
                    return
        finally:
            await pubsub.unsubscribe(*channels)
            await pubsub.close()
