"""Abusive senders the helpline no longer answers, by pseudonym, with who blocked them from which ticket."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.handoff.staff import Staff
from bot.storage.keys import BLOCKED
from bot.storage.pseudonyms import Pseudonymizer


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockRecord:
    id: str  # the sender's pseudonym
    ticket: str
    by: str
    at: float


class Blocks:
    def __init__(self, redis: Redis, pseudonym: Pseudonymizer) -> None:
        self._redis = redis
        self._pseudonym = pseudonym

    def entry(self, conversation_id: str) -> tuple[str, str]:
        """The hash and field that say a conversation is blocked (read in a turn's first round trip)."""
        return BLOCKED, self._pseudonym(conversation_id)

    async def is_blocked(self, conversation_id: str) -> bool:
        return bool(await self._redis.hexists(*self.entry(conversation_id)))

    async def add(self, conversation_id: str, ticket_id: str, staff: Staff) -> None:
        record = {"ticket": ticket_id, "by": staff.name, "at": time.time()}
        await self._redis.hset(BLOCKED, self._pseudonym(conversation_id), json.dumps(record))

    async def remove(self, block_id: str) -> bool:
        """Lift a block; False when there was none."""
        return bool(await self._redis.hdel(BLOCKED, block_id))

    async def all(self) -> list[BlockRecord]:
        """Every block, the newest first."""
        records = []
        for pseudonym, raw in (await self._redis.hgetall(BLOCKED)).items():
            data = json.loads(raw)
            records.append(
                BlockRecord(id=pseudonym.decode(), ticket=data["ticket"], by=data["by"], at=data["at"])
            )
        return sorted(records, key=lambda r: r.at, reverse=True)
