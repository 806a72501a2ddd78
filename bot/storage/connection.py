"""The Redis connection every store shares: configured Redis, or the same code in memory."""

from __future__ import annotations

import fakeredis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.ops.settings import Settings


def connect_redis(settings: Settings) -> Redis:
    """Redis when configured; otherwise the same code on an in-memory Redis (the embedded default).

    The pool is capped (REDIS_MAX_CONNECTIONS): past the cap a command waits for a free connection
    (REDIS_POOL_TIMEOUT_SECONDS) instead of opening one more, so no flood of requests can exhaust
    Redis's clients. Nothing holds a pooled connection while it waits for something to happen: the
    long polls wait on one shared subscription (bot/storage/wakeups.py)."""
    if settings.redis_url:
        # After Redis restarts, every pooled connection is dead: a command that meets one is sent once
        # more on a new connection instead of failing (a webhook's 500, a delivered reply kept as failed).
        pool = BlockingConnectionPool.from_url(
            settings.redis_url,
            max_connections=settings.redis_max_connections,
            timeout=settings.redis_pool_timeout_seconds,
            retry=Retry(NoBackoff(), 1),
            retry_on_error=[RedisConnectionError],
        )
        return Redis(connection_pool=pool)
    return fakeredis.aioredis.FakeRedis()
