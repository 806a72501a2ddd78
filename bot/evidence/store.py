"""Her record in Redis: one hash per person, named by pseudonym, every value that holds her words
sealed, expiring the number of days she chose after its last change.

Fields: `e:<n>` an entry, `draft` the entry being written, `pick` which entry she is choosing for
("correct", "delete", "part:<n>", "confirm:<n>", "export"), `file:<key>` a PDF
waiting behind a one-time link, `next` the last entry number given, `days` her
retention, `to` the sealed conversation id and `lang` her language (for the reminder before it
expires). Reminders wait in one sorted set of pseudonyms scored by when they are due.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.evidence.model import Draft, Entry
from bot.pipeline.conversations import PREFIX
from bot.storage.pseudonyms import Pseudonymizer
from bot.storage.sealing import Sealer

REMINDERS = f"{PREFIX}:record:reminders"  # pseudonym -> when the reminder before expiry is due
DAY = 86_400
DEFAULT_DAYS = 30
REMIND_DAYS_BEFORE = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class Due:
    """A record about to expire: whose, in which language, and when it goes."""

    conversation_id: str
    language: str | None
    expires_at: float


class RecordStore:
    def __init__(
        self,
        redis: Redis,
        *,
        sealer: Sealer,
        pseudonym: Pseudonymizer,
        default_days: int = DEFAULT_DAYS,
        max_days: int = 365,
    ) -> None:
        self._redis = redis
        self._sealer = sealer
        self._pseudonym = pseudonym
        self.default_days = default_days
        self.max_days = max_days

    def key(self, conversation_id: str) -> str:
        return f"{PREFIX}:record:{self._pseudonym(conversation_id)}"

    async def entries(self, conversation_id: str) -> list[Entry]:
        stored = await self._redis.hgetall(self.key(conversation_id))
        entries = [Entry.from_json(self._sealer.open(v)) for k, v in stored.items() if k.startswith(b"e:")]
        return sorted(entries, key=lambda entry: entry.number)

    async def entry(self, conversation_id: str, number: int) -> Entry | None:
        raw = await self._redis.hget(self.key(conversation_id), f"e:{number}")
        return Entry.from_json(self._sealer.open(raw)) if raw is not None else None

    async def next_number(self, conversation_id: str) -> int:
        return int(await self._redis.hincrby(self.key(conversation_id), "next", 1))

    async def draft(self, conversation_id: str) -> Draft | None:
        raw = await self._redis.hget(self.key(conversation_id), "draft")
        return Draft.from_json(self._sealer.open(raw)) if raw is not None else None

    async def pick(self, conversation_id: str) -> str | None:
        raw = await self._redis.hget(self.key(conversation_id), "pick")
        return raw.decode() if raw is not None else None

    async def days(self, conversation_id: str) -> int:
        raw = await self._redis.hget(self.key(conversation_id), "days")
        return int(raw) if raw is not None else self.default_days

    async def expires_at(self, conversation_id: str) -> float:
        """When the record goes, as things stand (its days after the last change)."""
        ttl = int(await self._redis.ttl(self.key(conversation_id)))
        return time.time() + max(ttl, 0)

    async def write(
        self,
        conversation_id: str,
        language: str,
        *,
        entry: Entry | None = None,
        draft: Draft | None = None,
        pick: str | None = None,
        days: int | None = None,
        deleted: int | None = None,
    ) -> None:
        """One change to the record; the draft and the pick are replaced (None clears them). The
        record's expiry, and the reminder before it, move to `days` after this change."""
        key = self.key(conversation_id)
        days = min(days or await self.days(conversation_id), self.max_days)
        values: dict[str, str | bytes] = {
            "to": self._sealer.seal(conversation_id),
            "lang": language,
            "days": str(days),
        }
        if entry is not None:
            values[f"e:{entry.number}"] = self._sealer.seal(entry.to_json())
        if draft is not None:
            values["draft"] = self._sealer.seal(draft.to_json())
        if pick is not None:
            values["pick"] = pick
        cleared = [name for name, value in (("draft", draft), ("pick", pick)) if value is None]
        if deleted is not None:
            cleared.append(f"e:{deleted}")
        expires_at = time.time() + days * DAY
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=values)
            pipe.hdel(key, *cleared)
            pipe.expire(key, days * DAY)
            pipe.zadd(REMINDERS, {self._pseudonym(conversation_id): expires_at - self._notice(days)})
            await pipe.execute()

    @staticmethod
    def _notice(days: int) -> float:
        """How long before expiry she is reminded: three days, or a third of a shorter period."""
        return min(REMIND_DAYS_BEFORE * DAY, days * DAY / 3)

    async def due(self, now: float | None = None) -> list[Due]:
        """Records whose reminder is due, taken off the schedule (another replica won't send it
        again); a record already gone, or holding no entry, is dropped without a reminder."""
        now = time.time() if now is None else now
        found: list[Due] = []
        for member in await self._redis.zrangebyscore(REMINDERS, "-inf", now):
            if not await self._redis.zrem(REMINDERS, member):
                continue  # another replica took it
            key = f"{PREFIX}:record:{member.decode()}"
            stored = await self._redis.hgetall(key)
            ttl = await self._redis.ttl(key)
            if not any(k.startswith(b"e:") for k in stored) or b"to" not in stored or ttl <= 0:
                continue
            language = stored[b"lang"].decode() if b"lang" in stored else None
            found.append(Due(conversation_id=self._sealer.open(stored[b"to"]), language=language,
                             expires_at=time.time() + ttl))  # fmt: skip
        return found

    async def remember_file(self, conversation_id: str, key: str) -> None:
        """A PDF of her record waiting behind a one-time link: erased with her record."""
        await self._redis.hset(self.key(conversation_id), f"file:{key}", "1")

    async def quiet(self, conversation_id: str) -> None:
        """Quick exit: nothing half-written is kept, and no reminder will arrive later (someone may
        be looking at her phone); her saved entries stay hers and expire as they would. Her next
        change schedules the reminder again."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self.key(conversation_id), "draft", "pick")
            pipe.zrem(REMINDERS, self._pseudonym(conversation_id))
            await pipe.execute()

    async def erase(self, conversation_id: str) -> None:
        """Her record, its draft, its reminder and any PDF not yet downloaded."""
        fields = await self._redis.hkeys(self.key(conversation_id))
        files = [name.decode().removeprefix("file:") for name in fields if name.startswith(b"file:")]
        async with self._redis.pipeline(transaction=True) as pipe:
            if files:
                pipe.delete(*files)
            pipe.delete(self.key(conversation_id))
            pipe.zrem(REMINDERS, self._pseudonym(conversation_id))
            await pipe.execute()
