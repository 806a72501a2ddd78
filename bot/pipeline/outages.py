"""Writes that must outlast a Redis restart: the record that a provider took a message.

Once Telegram, WhatsApp or Twilio has accepted a message, failing to record it means sending it again
later (the outbox resends what it has no record of). Found by the fault soak (bench/faults): 10 of
25 drains that failed during a 10-second Redis restart had just sent a message, and those messages
reached the person twice. These writes wait the outage out instead; each is safe to repeat (the
scripts and writes used here check or overwrite, bot/pipeline/conversations.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

T = TypeVar("T")
OUTAGE_SECONDS = 30.0  # half a conversation's lease (pipeline/conversations.py): no other replica starts it
FIRST_PAUSE, LONGEST_PAUSE = 0.1, 2.0


async def outlasting_outages(write: Callable[[], Awaitable[T]], *, seconds: float = OUTAGE_SECONDS) -> T:
    """`write()`, tried again while Redis is unreachable, for up to `seconds`; then its error."""
    deadline = time.monotonic() + seconds
    pause = FIRST_PAUSE
    while True:
        try:
            return await write()
        except (RedisConnectionError, RedisTimeoutError, OSError):
            if time.monotonic() + pause > deadline:
                raise
            log.warning("redis.unreachable_retrying")
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)
