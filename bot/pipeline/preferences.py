"""What a person chose or we learnt about them, and the questions the last turn asked: per
conversation, in Redis, expiring with the retention period.

One hash per person, named by her pseudonym; each field's value is sealed (her language and country,
when she said she was in danger are hers), so a field is still written alone, in one round trip.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bot.storage.keys import PREFS, Keys
from bot.storage.sealing import Sealer


@dataclass(frozen=True, slots=True, kw_only=True)
class Asked:
    """A question the last turn asked, and the reply that asked it (to ask again, or to answer
    again once the question is answered: the emergency reply once the country is known)."""

    question: str
    key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Preferences:
    language: str | None = None
    language_chosen: bool = False  # the person picked it (beats every hint)
    country: str | None = None
    asked: tuple[Asked, ...] = ()  # the questions the last turn asked, in order
    asked_times: int = 0  # how many turns in a row asked the same questions
    danger_at: float | None = None  # when she last said she was in danger (epoch seconds)
    inbox_asked: bool = False  # she was asked whether a sentence may be kept (once per conversation)
    counted: frozenset[str] = frozenset()  # the situations she started that were counted (insights)


class PreferenceStore:
    def __init__(self, redis: Redis, retention_seconds: int, *, sealer: Sealer, keys: Keys) -> None:
        self._redis = redis
        self._ttl = retention_seconds
        self._sealer = sealer
        self._keys = keys

    def key(self, conversation_id: str) -> str:
        return self._keys.person(PREFS, conversation_id)

    async def get(self, conversation_id: str) -> Preferences:
        return self.parse(await self._redis.hgetall(self.key(conversation_id)))

    def parse(self, stored: dict[bytes, bytes]) -> Preferences:
        """Preferences from their hash (read by `get`, or in a turn's first round trip)."""
        raw = {k.decode(): self._sealer.open(v) for k, v in stored.items()}
        asked = tuple(Asked(question=q, key=k) for q, k in json.loads(raw.get("asked") or "[]"))
        return Preferences(
            language=raw.get("language"),
            language_chosen=raw.get("language_chosen") == "1",
            country=raw.get("country"),
            asked=asked,
            asked_times=int(raw.get("asked_times") or 0),
            danger_at=float(raw["danger_at"]) if raw.get("danger_at") else None,
            inbox_asked=raw.get("inbox_asked") == "1",
            counted=frozenset(json.loads(raw.get("counted") or "[]")),
        )

    async def update(self, conversation_id: str, **fields: str | None) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            self.queue(pipe, conversation_id, **fields)
            await pipe.execute()

    def queue(self, pipe: Pipeline, conversation_id: str, **fields: str | None) -> None:
        """`update`, in a pipeline the caller runs (None clears a field)."""
        key = self.key(conversation_id)
        values = {name: self._sealer.seal(value) for name, value in fields.items() if value is not None}
        cleared = [name for name, value in fields.items() if value is None]
        if values:
            pipe.hset(key, mapping=values)
        if cleared:
            pipe.hdel(key, *cleared)
        pipe.expire(key, self._ttl)

    @property
    def redis(self) -> Redis:
        return self._redis

    async def remember_questions(self, conversation_id: str, asked: tuple[Asked, ...], times: int) -> None:
        if not asked:
            await self.update(conversation_id, asked=None, asked_times=None)
            return
        pairs = json.dumps([(a.question, a.key) for a in asked])
        await self.update(conversation_id, asked=pairs, asked_times=str(times))

    async def erase(self, conversation_id: str) -> None:
        await self._redis.delete(self.key(conversation_id))
