"""The Redis connection every store shares: configured Redis, or the same code in memory."""

from __future__ import annotations

import fakeredis
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.ops.settings import Settings


def connect_redis(settings: Settings) -> Redis:
    """Redis when configured; otherwise the same code on an in-memory Redis (the embedded default)."""
    if settings.redis_url:
        # After Redis restarts, every pooled connection is dead: a command that meets one is sent once
        # more on a new connection instead of failing (a webhook's 500, a delivered reply kept as failed).
        return Redis.from_url(
            settings.redis_url, retry=Retry(NoBackoff(), 1), retry_on_error=[RedisConnectionError]
        )
    return fakeredis.aioredis.FakeRedis()
