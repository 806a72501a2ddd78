"""Delivery statuses reported by providers (sent, delivered, read, failed), kept for staff and metrics."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from bot.storage.keys import METRICS, status_key

STATUS_TTL_SECONDS = 7 * 24 * 3600


class DeliveryStatuses:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def record(
        self, channel: str, provider_message_id: str, status: str, error: str | None = None
    ) -> None:
        key = status_key(channel, provider_message_id)
        fields = {"status": status, "at": str(time.time())}
        if error:
            fields["error"] = error
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, STATUS_TTL_SECONDS)
            pipe.hincrby(METRICS, f"status_{status}:{channel}", 1)
            await pipe.execute()

    async def get(self, channel: str, provider_message_id: str) -> dict[str, str]:
        raw = await self._redis.hgetall(status_key(channel, provider_message_id))
        return {k.decode(): v.decode() for k, v in raw.items()}
