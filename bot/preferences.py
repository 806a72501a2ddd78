"""What a person chose or we learnt about them: language and country, per conversation, in Redis.

A message held while the person picks a language is her words: it is stored sealed.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from bot.conversations import PREFIX
from bot.sealing import Sealer


@dataclass(frozen=True, slots=True, kw_only=True)
class Preferences:
    language: str | None = None
    language_chosen: bool = False  # the person picked it (beats every hint)
    country: str | None = None
    pending_text: str | None = None  # a message held while we ask which language to use


class PreferenceStore:
    def __init__(self, redis: Redis, retention_seconds: int, sealer: Sealer) -> None:
        self._redis = redis
        self._ttl = retention_seconds
        self._sealer = sealer

    @staticmethod
    def key(conversation_id: str) -> str:
        return f"{PREFIX}:prefs:{conversation_id}"

    async def get(self, conversation_id: str) -> Preferences:
        return self.parse(await self._redis.hgetall(self.key(conversation_id)))

    def parse(self, stored: dict[bytes, bytes]) -> Preferences:
        """Preferences from their hash (read by `get`, or in a turn's first round trip)."""
        raw = {k.decode(): v.decode() for k, v in stored.items()}
        pending = raw.get("pending_text")
        return Preferences(
            language=raw.get("language"),
            language_chosen=raw.get("language_chosen") == "1",
            country=raw.get("country"),
            pending_text=self._sealer.open(pending) if pending is not None else None,
        )

    async def update(self, conversation_id: str, **fields: str | None) -> None:
        key = self.key(conversation_id)
        values = {name: value for name, value in fields.items() if value is not None}
        if "pending_text" in values:
            values["pending_text"] = self._sealer.seal(values["pending_text"]).decode()
        cleared = [name for name, value in fields.items() if value is None]
        async with self._redis.pipeline(transaction=True) as pipe:
            if values:
                pipe.hset(key, mapping=values)
            if cleared:
                pipe.hdel(key, *cleared)
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def erase(self, conversation_id: str) -> None:
        await self._redis.delete(self.key(conversation_id))
