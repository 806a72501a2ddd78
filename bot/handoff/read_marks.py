"""Which of the person's messages each staff member has seen: the console's unread counts."""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from bot.handoff.model import Ticket
from bot.handoff.staff import Staff
from bot.storage.keys import read_key


class ReadMarks:
    def __init__(self, redis: Redis, *, retention_seconds: int) -> None:
        self._redis = redis
        self._ttl = retention_seconds

    async def mark_read(self, staff: Staff, ticket: Ticket) -> None:
        """This staff member has seen the person's messages so far."""
        await self._redis.set(read_key(staff.name, ticket.id), ticket.person_messages, ex=self._ttl)

    async def unread(self, staff: Staff, tickets: Sequence[Ticket]) -> dict[str, int]:
        """How many of the person's messages this staff member has not seen, per ticket."""
        if not tickets:
            return {}
        seen = await self._redis.mget([read_key(staff.name, t.id) for t in tickets])
        return {t.id: max(0, t.person_messages - int(s or 0)) for t, s in zip(tickets, seen, strict=True)}
