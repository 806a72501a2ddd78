"""The suite empties only databases it left: a Redis holding anything else is refused, untouched."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from .support.redis_dbs import MARK, NotATestDatabase, emptied, redis_url

URL = redis_url("refusal")


async def test_a_database_with_keys_the_suite_did_not_leave_is_refused_and_kept() -> None:
    client = Redis.from_url(URL)
    await client.flushdb()
    await client.set("safespaces:tracker:someone", "a real conversation")
    try:
        with pytest.raises(NotATestDatabase):
            async with emptied(URL):
                pass
        assert await client.get("safespaces:tracker:someone") == b"a real conversation"
    finally:
        await client.flushdb()
        await client.close()


async def test_a_database_the_suite_left_is_emptied_and_the_mark_is_gone_during_the_test() -> None:
    async with emptied(URL) as client:
        await client.set("left by a test", "1")
    async with emptied(URL) as client:
        assert await client.keys("*") == []
    client = Redis.from_url(URL)
    assert await client.keys("*") == [MARK.encode()]
    await client.close()
