"""A replica's Redis client survives a Redis restart: stale pooled connections are replaced, not failed on.

Found by the fault soak (bench/faults): after Redis restarted, the first command on each pooled
connection failed, minutes later, and a reply Telegram had accepted was recorded as a failed send.
The test runs its own redis-server on a free port (never the shared one), restarted with its AOF.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.ops.settings import Settings
from bot.pipeline.outages import outlasting_outages
from bot.storage.connection import connect_redis

from .conftest import free_port


class OwnRedis:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self._argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(folder),
                      "--appendonly", "yes", "--save", ""]  # fmt: skip
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(self._argv, stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()  # SIGTERM: Redis writes its AOF and exits
            self._process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_commands_after_a_redis_restart_succeed(own_redis: OwnRedis) -> None:
    client = connect_redis(Settings(redis_url=f"redis://127.0.0.1:{own_redis.port}/0"))
    await client.rpush("inbox", "one")
    async with client.pipeline(transaction=True) as pipe:  # a second pooled connection
        await pipe.rpush("inbox", "two").execute()

    own_redis.stop()
    own_redis.start()

    assert await client.lrange("inbox", 0, -1) == [b"one", b"two"]  # kept by the AOF
    async with client.pipeline(transaction=True) as pipe:
        assert await pipe.rpush("inbox", "three").execute() == [3]
    await client.close()


async def test_the_record_of_a_sent_message_waits_out_a_redis_restart(own_redis: OwnRedis) -> None:
    """A provider took the message while Redis was down: its record is written once Redis is back
    (bot/pipeline/outages.py), instead of failing and having the message sent again later."""
    client = connect_redis(Settings(redis_url=f"redis://127.0.0.1:{own_redis.port}/0"))
    await client.set("sent", 0)
    own_redis.stop()

    attempts = 0

    async def record() -> None:
        nonlocal attempts
        attempts += 1
        async with client.pipeline(transaction=True) as pipe:  # pipelines are never retried by redis-py
            await pipe.set("sent", 1).execute()

    writing = asyncio.create_task(outlasting_outages(record, seconds=20))
    deadline = time.monotonic() + 10
    while attempts < 3:  # it met the outage and tried again, twice: waiting it out, not failing
        assert not writing.done() and time.monotonic() < deadline, (attempts, writing)
        await asyncio.sleep(0.05)
    assert not writing.done()
    own_redis.start()
    await asyncio.wait_for(writing, 10)

    assert await client.get("sent") == b"1"
    await client.close()


async def test_an_outage_longer_than_allowed_is_raised(own_redis: OwnRedis) -> None:
    client = connect_redis(Settings(redis_url=f"redis://127.0.0.1:{own_redis.port}/0"))
    own_redis.stop()

    with pytest.raises(redis.ConnectionError):
        await outlasting_outages(lambda: client.set("sent", 1), seconds=0.5)

    own_redis.start()
    await client.close()
