"""The Redis the suite may empty: a server of its own, one database per test module.

The suite runs against `SAFESPACES_TEST_REDIS` (default: the server `scripts/test-redis` starts on
port 6390), never the Redis the assistant itself uses. Each module owns one database, listed here so
no two share one. Before emptying a database the suite checks that it holds only what the suite left
there: a database with keys but without the suite's mark is refused, so pointing the suite at a real
Redis by mistake erases nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator

import redis
from redis.asyncio import Redis as AsyncRedis

SERVER = os.environ.get("SAFESPACES_TEST_REDIS", "redis://127.0.0.1:6390").rstrip("/")

DATABASES = {
    "insights": 0,
    "upgrade": 1,
    "retried_scripts": 2,
    "long_conversation": 3,
    "sealing": 4,
    "refusal": 5,
    "fuzz": 6,
    "ops": 7,
    "handoff": 8,
    "console": 9,
    "chat_wipe": 10,
    "log_privacy": 11,
    "staff": 12,
    "corpus": 13,
    "gateway": 14,
    "trackers": 15,
}

# Left in a database between tests (never during one, so no test sees it): "the suite emptied this".
MARK = "safespaces-test-suite:emptied"


class NotATestDatabase(RuntimeError):
    """The database holds keys the suite did not leave there."""


def redis_url(owner: str) -> str:
    """The URL of the database this test module owns."""
    return f"{SERVER}/{DATABASES[owner]}"


def _refusal(url: str) -> NotATestDatabase:
    return NotATestDatabase(
        f"{url} holds keys the test suite did not leave there; it empties only its own databases. "
        "Point SAFESPACES_TEST_REDIS at a Redis for tests (scripts/test-redis starts one), "
        "or empty this database yourself if it is test data left by an interrupted run."
    )


async def empty(client: AsyncRedis, url: str) -> None:
    """Empty a test database, refusing one that holds anything but the suite's own keys."""
    if await client.dbsize() and not await client.exists(MARK):
        raise _refusal(url)
    await client.flushdb()


async def leave(client: AsyncRedis) -> None:
    """Empty a test database after use and mark it as the suite's."""
    await client.flushdb()
    await client.set(MARK, "1")


@contextlib.asynccontextmanager
async def emptied(url: str) -> AsyncIterator[AsyncRedis]:
    """A client of a database this test module owns, emptied before and after the test."""
    client = AsyncRedis.from_url(url)
    await empty(client, url)
    try:
        yield client
    finally:
        await leave(client)
        await client.close()


@contextlib.contextmanager
def emptied_sync(url: str) -> Iterator[redis.Redis]:
    """The same, for synchronous tests."""
    client = redis.Redis.from_url(url)
    if client.dbsize() and not client.exists(MARK):
        raise _refusal(url)
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.set(MARK, "1")
        client.set(MARK, "1")
        client.close()
