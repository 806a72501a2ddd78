"""Socket timeouts for the synchronous Redis clients inside Rasa's tracker and lock stores.

Rasa 3.6.21 calls redis-py synchronously from inside its async turn (`self.red.get`, `.set`), so each
call blocks the gateway's event loop until Redis answers. Rasa builds its tracker store's client with
no timeout at all, and its lock store's with a read timeout of 10 s and no connect timeout: a Redis
that accepts a connection and never answers would freeze every conversation of the replica for good.
Here both clients get a connect and a read timeout (REDIS_SOCKET_TIMEOUT_SECONDS): a call that meets
a hung Redis raises `redis.TimeoutError` after that long, the turn fails, and the gateway keeps the
message and runs the turn again later (bot/pipeline/gateway.py), while other conversations go on.
"""

from __future__ import annotations

from typing import Any

from bot.rasa.speedups import RasaSeamMissing, require

TIMEOUT_OPTIONS = ("socket_timeout", "socket_connect_timeout")


def bound_socket_timeouts(store: Any, seconds: float) -> None:
    """Give the redis-py client of a Rasa store (`store.red`) connect and read timeouts of `seconds`.

    The options go into the client's connection pool, so every connection it opens from now on has
    them; connections it already opened are dropped (the next command reconnects)."""
    require(store, "red", "the synchronous Redis client given socket timeouts here")
    pool = store.red.connection_pool
    kwargs = getattr(pool, "connection_kwargs", None)
    if not isinstance(kwargs, dict):
        raise RasaSeamMissing(
            f"{type(store).__name__}.red has no connection pool options to set socket timeouts in"
        )
    kwargs.update(dict.fromkeys(TIMEOUT_OPTIONS, seconds))
    pool.disconnect()
