"""The ids (never the text) of a Telegram chat's messages on both sides, kept for 48 hours.

Quick exit deletes the conversation from the person's phone, and Telegram lets a bot delete its own
and the person's messages in a private chat only while they are under 48 hours old. So one sorted set
per chat holds the ids scored by the time each message was sent: trimmed on every write, it expires
48 hours after the last one, and nothing older is ever handed out.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from bot.channels.telegram.parse import CHANNEL
from bot.storage.keys import TELEGRAM_IDS, Keys

KEEP_SECONDS = 48 * 3600


class ChatLog:
    """Stateless over Redis: any replica, or the "erase my data" feature, may make one to `forget`."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    def key(self, chat_id: str) -> str:
        return self._keys.person(TELEGRAM_IDS, f"{CHANNEL}:{chat_id}")

    async def record(self, chat_id: str, message_id: int, sent_at: float) -> None:
        """Note a message sent at `sent_at` (Unix time, the message's own date: Telegram's limit counts
        from then, not from when we saw it)."""
        key = self.key(chat_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {str(message_id): sent_at})
            pipe.zremrangebyscore(key, "-inf", time.time() - KEEP_SECONDS)
            pipe.expire(key, KEEP_SECONDS)
            await pipe.execute()

    async def take(self, chat_id: str) -> list[int]:
        """The ids still under 48 hours old, newest first, removed from the log in the same step.

        Reading and removing together means an id recorded while a wipe runs (the person writes
        again) stays for the next one instead of being forgotten unseen.
        """
        key = self.key(chat_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrevrangebyscore(key, "+inf", f"({time.time() - KEEP_SECONDS}")
            pipe.delete(key)
            members, _ = await pipe.execute()
        return [int(member) for member in members]

    async def forget(self, chat_id: str) -> None:
        """Drop everything kept for this chat (the person asked us to erase their data)."""
        await self._redis.delete(self.key(chat_id))
