"""The inbox's storage: a sentence waiting for her answer, and the items she agreed to keep.

While the question is open, her sentence (already scrubbed) waits sealed under her pseudonym for
`ASKING_SECONDS` (`nlu-inbox:asking:<pseudonym>`): a yes turns it into an item, anything else drops
it, and erasing her data drops it too.

An item is one sealed record under a random id (`nlu-inbox:item:<id>`, listed in `nlu-inbox:items`):
the scrubbed sentence, the model's guess and confidence, the language and the day. Nothing in its
name or record links it to the conversation: no conversation id, pseudonym, ticket, channel,
country or time finer than the day. Its sealed token carries the start of that day as its time, and
it expires at the end of the `KEEP_DAYS`th day after it, so neither its token nor its TTL tells when
she wrote. A labelled item no longer expires (it is training data waiting for `inbox export`); a
discarded one is deleted.
"""

from __future__ import annotations

import calendar
import json
import secrets
import time
from dataclasses import asdict, dataclass, replace

from redis.asyncio import Redis

from bot.storage.keys import PREFIX, Keys
from bot.storage.sealing import Sealer

ASKING = "nlu-inbox:asking"  # her scrubbed sentence while the question is open (a per-person kind)
ITEM = f"{PREFIX}:nlu-inbox:item"  # + ":" + a random id
ITEMS = f"{PREFIX}:nlu-inbox:items"  # the ids of the items (some may have expired since)
ASKING_SECONDS = 600  # the answer is the next message: a later one is not taken as one
KEEP_DAYS = 30  # an unlabelled item expires after this many days
DAY = 86400


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiting:
    """A sentence asked about, waiting for her answer: scrubbed, with what the model made of it."""

    text: str
    language: str
    guess: str
    confidence: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """A kept sentence. `intent` is its label once a reviewer accepted or corrected the guess."""

    id: str
    text: str
    language: str
    guess: str
    confidence: float
    day: str  # YYYY-MM-DD (UTC)
    intent: str | None = None
    platform: str | None = None  # the platform it names, if the reviewer marked one


def _day_start(now: float) -> int:
    return int(now) - int(now) % DAY


class InboxStore:
    def __init__(self, redis: Redis, *, sealer: Sealer, keys: Keys | None = None) -> None:
        """`keys` name the sentence waiting for her answer (the gateway's); the items need none (the
        console, the export)."""
        self._redis = redis
        self._sealer = sealer
        self._keys = keys

    def asking_key(self, conversation_id: str) -> str:
        if self._keys is None:
            raise RuntimeError("this inbox store was made without keys: it cannot ask")
        return self._keys.person(ASKING, conversation_id)

    async def ask(self, conversation_id: str, waiting: Waiting) -> None:
        """Remember the sentence until her answer (or for `ASKING_SECONDS`)."""
        sealed = self._sealer.seal(json.dumps(asdict(waiting), ensure_ascii=False))
        await self._redis.set(self.asking_key(conversation_id), sealed, ex=ASKING_SECONDS)

    async def answered(self, conversation_id: str) -> Waiting | None:
        """The sentence asked about, taken: whatever she answered, it no longer waits."""
        sealed = await self._redis.getdel(self.asking_key(conversation_id))
        return Waiting(**json.loads(self._sealer.open(sealed))) if sealed is not None else None

    async def forget(self, conversation_id: str) -> None:
        await self._redis.delete(self.asking_key(conversation_id))

    async def keep(self, waiting: Waiting, now: float | None = None) -> str:
        """Store the sentence as an item with no link to the conversation; its id."""
        day_start = _day_start(time.time() if now is None else now)
        item = Item(
            id=secrets.token_hex(12),
            day=time.strftime("%Y-%m-%d", time.gmtime(day_start)),
            **asdict(waiting),
        )
        key = f"{ITEM}:{item.id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, self._seal(item, day_start))
            pipe.expireat(key, day_start + (KEEP_DAYS + 1) * DAY)
            pipe.sadd(ITEMS, item.id)
            await pipe.execute()
        return item.id

    async def items(self, *, language: str | None = None, labelled: bool | None = None) -> list[Item]:
        """The items still kept, oldest day first; ids of expired ones are dropped from the list."""
        ids = sorted(i.decode() for i in await self._redis.smembers(ITEMS))
        if not ids:
            return []
        records = await self._redis.mget([f"{ITEM}:{i}" for i in ids])
        gone = [i for i, record in zip(ids, records, strict=True) if record is None]
        if gone:
            await self._redis.srem(ITEMS, *gone)
        found = [self._open(record) for record in records if record is not None]
        return sorted(
            (
                item
                for item in found
                if (language is None or item.language == language)
                and (labelled is None or (item.intent is not None) == labelled)
            ),
            key=lambda item: (item.day, item.id),
        )

    async def get(self, item_id: str) -> Item | None:
        record = await self._redis.get(f"{ITEM}:{item_id}")
        return self._open(record) if record is not None else None

    async def label(self, item_id: str, intent: str, platform: str | None = None) -> Item | None:
        """The reviewer's label: the intent (the guess accepted, or corrected) and the platform it
        names; a labelled item is kept until it is exported and discarded. None if it is gone."""
        item = await self.get(item_id)
        if item is None:
            return None
        labelled = replace(item, intent=intent, platform=platform or None)
        key = f"{ITEM}:{item_id}"
        day_start = calendar.timegm(time.strptime(item.day, "%Y-%m-%d"))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, self._seal(labelled, day_start))  # a SET without an expiry: kept
            await pipe.execute()
        return labelled

    async def discard(self, item_id: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(f"{ITEM}:{item_id}")
            pipe.srem(ITEMS, item_id)
            deleted, _ = await pipe.execute()
        return bool(deleted)

    def _seal(self, item: Item, day_start: int) -> bytes:
        return self._sealer.seal(json.dumps(asdict(item), ensure_ascii=False), at=day_start)

    def _open(self, record: bytes) -> Item:
        return Item(**json.loads(self._sealer.open(record)))
