"""The tickets in Redis: each a hash with a log, sealed at rest and expiring with the retention period.

A ticket is named by a random id; the person behind it only by her pseudonym (`person`) and her sealed
conversation id. Her tickets are linked by pseudonym, which makes her case record (`previous`), and
erased with her data. The queue, active and follow-up sets list tickets by id.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.handoff.errors import NotFound
from bot.handoff.model import Author, Case, LogEntry, Summary, Ticket, TicketState
from bot.language.i18n import N_
from bot.storage.keys import (
    HANDOFF_ACTIVE,
    HANDOFF_FOLLOW_UPS,
    HANDOFF_OPEN,
    HANDOFF_QUEUE,
    HANDOFF_TICKETS,
    TICKETS_OPENED,
    Keys,
    ticket_key,
    ticket_log_key,
)
from bot.storage.pseudonyms import Pseudonymizer
from bot.storage.sealing import Sealer

PRIORITY_SPAN = 1e12  # larger than any timestamp: priority first, then time
JOINED = "joined:"  # a ticket field per supervisor who joined a colleague's conversation


def queue_score(summary: Summary, created_at: float) -> float:
    """A waiting ticket's place: the most at risk first, then the longest waiting."""
    return summary.priority * PRIORITY_SPAN + created_at


@dataclass(frozen=True, slots=True, kw_only=True)
class PastContact:
    """One of the person's earlier tickets, as staff see it in her case record."""

    ticket: Ticket
    notes: list[LogEntry]


class TicketStore:
    def __init__(
        self, redis: Redis, *, sealer: Sealer, pseudonym: Pseudonymizer, retention_seconds: int
    ) -> None:
        self._redis = redis
        self._sealer = sealer
        self._pseudonym = pseudonym
        self.ttl = retention_seconds

    def open_key(self, conversation_id: str) -> str:
        """Which ticket a conversation has open (queued or with staff), keyed by pseudonym."""
        return Keys.named(HANDOFF_OPEN, self._pseudonym(conversation_id))

    def person_key(self, conversation_id: str) -> str:
        """Every ticket of one person (by pseudonym): her case record, erased with her data."""
        return Keys.named(HANDOFF_TICKETS, self._pseudonym(conversation_id))

    async def create(
        self,
        conversation_id: str,
        summary: Summary,
        state: TicketState,
        log: Sequence[tuple[Author, str]],
    ) -> Ticket:
        ticket = Ticket(
            id=secrets.token_hex(6), state=state, summary=summary, created_at=time.time(), origin=state
        )
        key = ticket_key(ticket.id)
        mapping = {
            "state": state.value,
            "origin": state.value,
            "created_at": ticket.created_at,
            "summary": self._sealer.seal(summary.to_json()),
            "conversation": self._sealer.seal(conversation_id),
            "person": self._pseudonym(conversation_id),
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=mapping)
            pipe.expire(key, self.ttl)
            pipe.zadd(TICKETS_OPENED, {ticket.id: ticket.created_at})
            pipe.zremrangebyscore(TICKETS_OPENED, "-inf", ticket.created_at - self.ttl)
            pipe.sadd(self.person_key(conversation_id), ticket.id)
            pipe.expire(self.person_key(conversation_id), self.ttl)
            await pipe.execute()
        for author, text in log:
            await self.append(ticket.id, LogEntry(at=ticket.created_at, author=author, text=text))
        return ticket

    async def get(self, ticket_id: str) -> Ticket | None:
        raw = {k.decode(): v for k, v in (await self._redis.hgetall(ticket_key(ticket_id))).items()}
        if not raw:
            return None

        def number(name: str) -> float | None:
            return float(raw[name]) if name in raw else None

        def text(name: str) -> str | None:
            return raw[name].decode() if name in raw else None

        erased = raw.get("erased") == b"1"
        summary = Summary() if erased else Summary.from_json(self._sealer.open(raw["summary"]))
        case = Case.from_json(self._sealer.open(raw["case"])) if "case" in raw else None
        state = TicketState(raw["state"].decode())
        # Tickets from before origins were kept: a follow-up still waiting is one.
        origin = TicketState(text("origin") or ("follow_up" if state is TicketState.FOLLOW_UP else "queued"))
        claimed_at = number("claimed_at")
        sealed_latest = None if erased else raw.get("latest")
        latest = None if sealed_latest is None else LogEntry.from_json(self._sealer.open(sealed_latest))
        return Ticket(
            id=ticket_id,
            state=state,
            summary=summary,
            created_at=float(raw["created_at"]),
            origin=origin,
            staff=text("staff"),
            claimed_at=claimed_at,
            closed_at=number("closed_at"),
            outcome=text("outcome"),
            case=case,
            # A person waiting is told at once who joined; a follow-up only by staff's first message.
            contacted=raw.get("contacted") == b"1"
            or (origin is TicketState.QUEUED and claimed_at is not None),
            person_messages=int(raw.get("person_messages", 0)),
            follow_up_of=text("follow_up_of"),
            left=text("left"),
            waiting_messages=int(raw.get("waiting_messages", 0)),
            latest=latest,
            erased=erased,
            blocked=raw.get("blocked") == b"1",
            joined=tuple(sorted(k.removeprefix(JOINED) for k in raw if k.startswith(JOINED))),
        )

    async def require(self, ticket_id: str) -> Ticket:
        ticket = await self.get(ticket_id)
        if ticket is None:
            raise NotFound(N_("This conversation no longer exists (it expired or was erased)."))
        return ticket

    async def load(self, ticket_ids: Sequence[bytes]) -> list[Ticket]:
        tickets = [await self.get(t.decode()) for t in ticket_ids]
        return [t for t in tickets if t is not None]

    async def queue(self) -> list[Ticket]:
        """Waiting tickets, the one to serve first first."""
        return await self.load(await self._redis.zrange(HANDOFF_QUEUE, 0, -1))

    async def active(self) -> list[Ticket]:
        return await self.load(await self._redis.zrange(HANDOFF_ACTIVE, 0, -1))

    async def follow_ups(self) -> list[Ticket]:
        return await self.load(await self._redis.zrange(HANDOFF_FOLLOW_UPS, 0, -1))

    async def opened_between(self, start: float, end: float) -> list[Ticket]:
        """Tickets opened in [start, end), oldest first, for reports (expired ones are gone)."""
        return await self.load(await self._redis.zrangebyscore(TICKETS_OPENED, start, f"({end}"))

    async def of_person(self, conversation_id: str) -> list[str]:
        return [t.decode() for t in await self._redis.smembers(self.person_key(conversation_id))]

    async def previous(self, ticket: Ticket) -> list[PastContact]:
        """The same person's earlier tickets within retention (linked by pseudonym), newest first,
        with their notes: her case record."""
        person = await self._redis.hget(ticket_key(ticket.id), "person")
        if person is None:
            return []
        ids = await self._redis.smembers(Keys.named(HANDOFF_TICKETS, person.decode()))
        earlier = [t for t in await self.load(list(ids)) if t.created_at < ticket.created_at]
        earlier.sort(key=lambda t: t.created_at, reverse=True)
        return [
            PastContact(ticket=t, notes=[e for e in await self.log(t.id) if e.author is Author.NOTE])
            for t in earlier
        ]

    async def log(self, ticket_id: str) -> list[LogEntry]:
        return [
            LogEntry.from_json(self._sealer.open(raw))
            for raw in await self._redis.lrange(ticket_log_key(ticket_id), 0, -1)
        ]

    async def append(self, ticket_id: str, entry: LogEntry) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(ticket_log_key(ticket_id), self._sealer.seal(entry.to_json()))
            pipe.expire(ticket_log_key(ticket_id), self.ttl)
            if entry.author is Author.PERSON:
                pipe.hincrby(ticket_key(ticket_id), "person_messages", 1)
            await pipe.execute()

    async def conversation(self, ticket_id: str) -> str:
        """The person's conversation id, to reach her through her own channel."""
        raw = await self._redis.hget(ticket_key(ticket_id), "conversation")
        if raw is None:
            raise NotFound(N_("This conversation was erased."))
        return self._sealer.open(raw)
