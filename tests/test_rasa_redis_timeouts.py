"""A hung Redis cannot freeze the gateway through Rasa's synchronous Redis calls.

Rasa's tracker and lock stores call redis-py synchronously inside the turn, blocking the event loop
until Redis answers. Against real sockets that never answer, each call must fail within the socket
timeout. The calls run in a worker thread so that, without the timeouts, the test fails at its own
deadline instead of hanging.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
from cryptography.fernet import Fernet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.ops.settings import Settings
from bot.rasa.engine import _stores
from bot.rasa.redis_timeouts import bound_socket_timeouts
from bot.rasa.speedups import RasaSeamMissing

TIMEOUT_SECONDS = 1
DEADLINE_SECONDS = TIMEOUT_SECONDS + 4  # far past the timeout, far short of "forever"


@contextlib.contextmanager
def silent_redis() -> Iterator[str]:
    """A server that accepts every connection, reads what is sent, and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):  # the server closed
            while True:
                accepted.append(server.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        server.close()
        for connection in accepted:  # the peer sees the end: a call still waiting fails at once
            connection.close()


@contextlib.contextmanager
def unreachable_redis() -> Iterator[str]:
    """A server that never accepts and whose accept queue is full: a new connection never completes."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    address = server.getsockname()
    queued = socket.create_connection(address)  # fills the queue of one
    try:
        yield f"redis://127.0.0.1:{address[1]}/0"
    finally:
        queued.close()
        server.close()


def stores(url: str) -> tuple[Any, Any]:
    settings = Settings(
        redis_url=url,
        encryption_keys=(Fernet.generate_key().decode(),),
        redis_socket_timeout_seconds=TIMEOUT_SECONDS,
    )
    return _stores(settings, history_turns=2)


def fails_in_time(call: Callable[[], object]) -> float:
    """Seconds until `call` failed with a Redis timeout; fails the test if it did not within the deadline."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        started = time.monotonic()
        future = pool.submit(call)
        with pytest.raises(redis.TimeoutError):
            future.result(timeout=DEADLINE_SECONDS)
        return time.monotonic() - started
    finally:
        pool.shutdown(wait=False)  # a call still hanging ends when the server closes


@pytest.mark.parametrize("server", [silent_redis, unreachable_redis], ids=["read", "connect"])
def test_rasas_redis_calls_fail_within_the_socket_timeout_when_redis_hangs(
    server: Callable[[], contextlib.AbstractContextManager[str]],
) -> None:
    with server() as url:
        tracker_store, lock_store = stores(url)
        calls: dict[str, Callable[[], object]] = {
            "tracker retrieve": lambda: asyncio.run(tracker_store.retrieve("someone")),
            "tracker save": lambda: asyncio.run(tracker_store.save(DialogueStateTracker("someone", []))),
            "lock read": lambda: lock_store.get_lock("someone"),
        }
        for name, call in calls.items():
            seconds = fails_in_time(call)
            assert TIMEOUT_SECONDS * 0.9 <= seconds < TIMEOUT_SECONDS + 2, (name, seconds)


def test_a_store_without_the_client_it_expects_stops_the_start() -> None:
    class Store:
        pass

    with pytest.raises(RasaSeamMissing, match=r"Store\.red is missing"):
        bound_socket_timeouts(Store(), TIMEOUT_SECONDS)
