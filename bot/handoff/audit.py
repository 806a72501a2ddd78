"""The audit log of staff actions: who did what to which ticket when, newest first, capped."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.handoff.staff import Staff
from bot.storage.keys import AUDIT

KEPT_AUDIT = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    at: float
    staff: str
    action: str
    ticket: str | None


class AuditLog:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def record(self, staff: Staff, action: str, ticket_id: str | None) -> None:
        entry = {"at": time.time(), "staff": staff.name, "action": action, "ticket": ticket_id}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lpush(AUDIT, json.dumps(entry))
            pipe.ltrim(AUDIT, 0, KEPT_AUDIT - 1)
            await pipe.execute()

    async def entries(self, limit: int = 200) -> list[AuditEntry]:
        return [AuditEntry(**json.loads(raw)) for raw in await self._redis.lrange(AUDIT, 0, limit - 1)]
