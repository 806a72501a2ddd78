"""Her record: the entries she wrote of what happened, and the one she is writing.

One sealed JSON document per person (`safespaces:record:<pseudonym>`): her entries and how many days
she chose to keep them (bot/evidence/keeping.py). The record expires that many days after her last
entry (30 until she chooses); the entry being written (`safespaces:record:draft:<pseudonym>`) an hour
after her last answer. Files are never kept: an entry only says that she has one and when it arrived.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from redis.asyncio import Redis

from bot.storage.keys import RECORD, RECORD_DRAFT, Keys
from bot.storage.sealing import Sealer

# An entry left half written is dropped after this: weeks later, "hi" is not the answer to "when?".
DRAFT_SECONDS = 3600
# How long a record is kept until she chooses (and when she doesn't).
DEFAULT_KEEP_DAYS = 30
DAY_SECONDS = 24 * 3600
# The questions of an entry, in the order she is asked them.
FIELDS = ("when", "where", "who", "what", "links", "screenshots")


@dataclass(frozen=True, slots=True, kw_only=True)
class Kept:
    """A file she sent while writing an entry: not kept, only noted."""

    kind: str  # image, video, document
    at: float  # when it arrived (epoch seconds)


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    written_at: float
    day: str | None = None  # ISO date read from her words
    when: str = ""  # her words for when
    where: str = ""  # her words for where
    platform: str | None = None  # the platform the NLU found in them (its id)
    who: str = ""
    what: str = ""
    links: tuple[str, ...] = ()
    screenshots: bool | None = None
    files: tuple[Kept, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        """An entry from its stored JSON (lists where the entry holds tuples)."""
        files = tuple(Kept(**f) for f in data.pop("files", ()))
        return cls(files=files, links=tuple(data.pop("links", ())), **data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """The entry being written: which question is open, and which entry it corrects (1-based)."""

    entry: Entry
    asking: str = FIELDS[0]
    number: int | None = None  # None: a new entry

    def answered(self, **values: Any) -> Draft:
        """The draft with this question answered and the next one open ("" when none is left)."""
        following = FIELDS[FIELDS.index(self.asking) + 1 :]
        return replace(self, entry=replace(self.entry, **values), asking=following[0] if following else "")


class RecordStore:
    def __init__(self, redis: Redis, *, sealer: Sealer, keys: Keys) -> None:
        self._redis = redis
        self._sealer = sealer
        self._keys = keys

    async def entries(self, conversation_id: str) -> list[Entry]:
        return (await self._load(conversation_id))[0]

    async def keep_days(self, conversation_id: str) -> int | None:
        """The days she keeps her record for; None when she was never asked (or has no record)."""
        return (await self._load(conversation_id))[1]

    async def _load(self, conversation_id: str) -> tuple[list[Entry], int | None]:
        sealed = await self._redis.get(self._keys.person(RECORD, conversation_id))
        if sealed is None:
            return [], None
        document = json.loads(self._sealer.open(sealed))
        if isinstance(document, list):  # written before she could choose
            return [Entry.from_dict(e) for e in document], None
        return [Entry.from_dict(e) for e in document["entries"]], document["keep_days"]

    async def save_entries(
        self, conversation_id: str, entries: list[Entry], *, keep_days: int | None = None
    ) -> None:
        """Her entries, kept `keep_days` from now (None: as long as she chose before, else 30 days).
        No entries: the record is gone, her choice with it."""
        key = self._keys.person(RECORD, conversation_id)
        if not entries:
            await self._redis.delete(key)
            return
        if keep_days is None:
            keep_days = await self.keep_days(conversation_id) or DEFAULT_KEEP_DAYS
        document = json.dumps(
            {"keep_days": keep_days, "entries": [asdict(e) for e in entries]}, ensure_ascii=False
        )
        await self._redis.set(key, self._sealer.seal(document), ex=keep_days * DAY_SECONDS)

    async def keep_for(self, conversation_id: str, days: int) -> None:
        """Her choice: her record kept `days` from now, and after each entry she writes."""
        await self.save_entries(conversation_id, await self.entries(conversation_id), keep_days=days)

    def draft_key(self, conversation_id: str) -> str:
        return self._keys.person(RECORD_DRAFT, conversation_id)

    async def draft(self, conversation_id: str) -> Draft | None:
        return self.parse_draft(await self._redis.get(self.draft_key(conversation_id)))

    def parse_draft(self, sealed: bytes | None) -> Draft | None:
        """The entry being written, from its key (read by `draft`, or in a turn's first round trip)."""
        if sealed is None:
            return None
        data = json.loads(self._sealer.open(sealed))
        return Draft(entry=Entry.from_dict(data["entry"]), asking=data["asking"], number=data["number"])

    async def save_draft(self, conversation_id: str, draft: Draft) -> None:
        document = json.dumps(asdict(draft), ensure_ascii=False)
        await self._redis.set(self.draft_key(conversation_id), self._sealer.seal(document), ex=DRAFT_SECONDS)

    async def drop_draft(self, conversation_id: str) -> None:
        await self._redis.delete(self.draft_key(conversation_id))

    async def erase(self, conversation_id: str) -> None:
        await self._redis.delete(self._keys.person(RECORD, conversation_id), self.draft_key(conversation_id))
