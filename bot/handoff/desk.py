"""The helpline desk in Redis: tickets, the priority queue, claims, the relay log, stats and audit.

Every replica sees the same desk: claims are one atomic Lua step (two staff can never hold the same
conversation), and each change is published on one pub/sub channel so every console, whichever replica
serves it, hears about it. Events carry ticket ids only; the console fetches what its user may see.

Content (summaries, logs, the person's address) is sealed at rest; tickets expire with the retention
period, the audit log is capped.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from redis.asyncio import Redis

from bot.handoff import safe_time
from bot.handoff.model import OUTCOMES, Author, Case, LogEntry, Risk, Summary, Ticket, TicketState
from bot.handoff.presence import StaffPresence
from bot.handoff.staff import Role, Staff
from bot.insights.counts import Facts, InsightCounts
from bot.ops.metrics import Metrics
from bot.pipeline.messages import OutboundMessage
from bot.storage.keys import HANDOFF_OPEN, HANDOFF_TICKETS, PREFIX, Keys
from bot.storage.pseudonyms import Pseudonymizer
from bot.storage.sealing import Sealer

EVENTS = f"{PREFIX}:handoff:events"
QUEUE = f"{PREFIX}:handoff:queue"  # ticket -> priority * PRIORITY_SPAN + queued_at
ACTIVE = f"{PREFIX}:handoff:active"  # ticket -> claimed_at
FOLLOW_UPS = f"{PREFIX}:handoff:follow_ups"  # ticket -> created_at
OPENED = f"{PREFIX}:handoff:opened"  # every ticket -> created_at, for reports; pruned with retention
BLOCKED = f"{PREFIX}:blocked"  # pseudonym -> who blocked which ticket when
AUDIT = f"{PREFIX}:audit"
KEPT_AUDIT = 10_000
JOINED = "joined:"  # a ticket field per supervisor who joined a colleague's conversation
PRIORITY_SPAN = 1e12  # larger than any timestamp: priority first, then time

# KEYS: queue, follow-ups, active, ticket; ARGV: ticket id, staff, now
# The claim may run twice (a call sent again after its connection broke, bot/ops/app.py): the second run
# finds the claim it made itself (same staff, same time) and wins too.
_CLAIM = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 or redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[4], 'state', 'with_staff', 'staff', ARGV[2], 'claimed_at', ARGV[3])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
  return 1
end
local claimed = redis.call('HMGET', KEYS[4], 'staff', 'claimed_at')
if claimed[1] == ARGV[2] and claimed[2] == ARGV[3] then
  return 1
end
return 0
"""
# KEYS: a person's open-ticket key; ARGV: the ticket id. Deletes the key only if it names this ticket.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class DeskError(Exception):
    """A staff action that cannot be done; the message is safe to show to staff."""


class NotFound(DeskError):
    pass


class NotAllowed(DeskError):
    pass


class Conflict(DeskError):
    pass


class OutsideSafeTime(Conflict):
    """Writing now would reach her outside the time she said is safe; staff may override explicitly."""


class Deliver(Protocol):
    """The gateway's way to send replies to a conversation through its own channel, in order."""

    def __call__(self, conversation_id: str, replies: Sequence[OutboundMessage]) -> Awaitable[None]: ...


Render = Callable[[str, str, "str | None", "dict[str, Any]"], OutboundMessage]


@dataclass(frozen=True, slots=True, kw_only=True)
class Stats:
    waiting: int
    with_staff: int
    follow_ups: int
    longest_wait_seconds: float
    average_wait_seconds: float | None  # of today's claims
    handled_today: int
    average_handling_seconds: float | None  # of today's conversations closed by staff


@dataclass(frozen=True, slots=True, kw_only=True)
class PastContact:
    """One of the person's earlier tickets, as staff see it in her case record."""

    ticket: Ticket
    notes: list[LogEntry]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    at: float
    staff: str
    action: str
    ticket: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockRecord:
    id: str  # the sender's pseudonym
    ticket: str
    by: str
    at: float


def ticket_key(ticket_id: str) -> str:
    return f"{PREFIX}:ticket:{ticket_id}"


def _log_key(ticket_id: str) -> str:
    return f"{PREFIX}:ticket:{ticket_id}:log"


def _stats_key(at: float) -> str:
    return f"{PREFIX}:handoff:stats:{datetime.fromtimestamp(at, UTC).date().isoformat()}"


class Desk:
    def __init__(
        self,
        redis: Redis,
        *,
        sealer: Sealer,
        pseudonym: Pseudonymizer,
        render: Render,
        deliver: Deliver,
        retention_seconds: int,
        metrics: Metrics | None = None,
        presence: StaffPresence | None = None,
    ) -> None:
        self.redis = redis
        self.presence = presence or StaffPresence(redis)
        self._sealer = sealer
        self._pseudonym = pseudonym
        self._render = render
        self._deliver = deliver
        self._ttl = retention_seconds
        self._metrics = metrics or Metrics()
        self._insights = InsightCounts(redis)

    # --- the person's side (called by the gateway) ---

    def open_key(self, conversation_id: str) -> str:
        """Which ticket a conversation has open (queued or with staff), keyed by pseudonym."""
        return Keys.named(HANDOFF_OPEN, self._pseudonym(conversation_id))

    async def open_ticket(self, conversation_id: str) -> Ticket | None:
        ticket_id = await self.redis.get(self.open_key(conversation_id))
        return await self.ticket_if_open(conversation_id, ticket_id)

    async def ticket_if_open(self, conversation_id: str, ticket_id: bytes | None) -> Ticket | None:
        """The ticket that the conversation's open key named (the caller read it), if still open."""
        if ticket_id is None:
            return None
        ticket = await self.ticket(ticket_id.decode())
        if ticket is None or ticket.state not in {TicketState.QUEUED, TicketState.WITH_STAFF}:
            await self.redis.delete(self.open_key(conversation_id))
            return None
        return ticket

    async def enqueue(
        self, conversation_id: str, summary: Summary, transcript: Sequence[tuple[Author, str]] = ()
    ) -> Ticket:
        """A new ticket waiting for a person, ahead of everyone less at risk."""
        ticket = await self._create(conversation_id, summary, TicketState.QUEUED, transcript)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(QUEUE, {ticket.id: summary.priority * PRIORITY_SPAN + ticket.created_at})
            pipe.set(self.open_key(conversation_id), ticket.id, ex=self._ttl)
            await pipe.execute()
        await self._publish("queued", ticket.id)
        return ticket

    async def leave_message(
        self,
        conversation_id: str,
        summary: Summary,
        message: str,
        transcript: Sequence[tuple[Author, str]] = (),
    ) -> Ticket:
        """A follow-up task: the person's message and, in the summary, when it is safe to reply."""
        ticket = await self._create(
            conversation_id, summary, TicketState.FOLLOW_UP, [*transcript, (Author.PERSON, message)]
        )
        await self.redis.zadd(FOLLOW_UPS, {ticket.id: ticket.created_at})
        await self._publish("follow_up", ticket.id)
        return ticket

    async def position(self, ticket_id: str) -> int | None:
        """1 for the next person to be served; None when not waiting."""
        rank = await self.redis.zrank(QUEUE, ticket_id)
        return None if rank is None else int(rank) + 1

    async def from_person(self, ticket: Ticket, text: str) -> None:
        entry = LogEntry(at=time.time(), author=Author.PERSON, text=text)
        await self._append(ticket.id, entry)
        if ticket.state is TicketState.QUEUED:  # shown in the queue, to decide whom to take first
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(ticket_key(ticket.id), "latest", self._sealer.seal(entry.to_json()))
                pipe.hincrby(ticket_key(ticket.id), "waiting_messages", 1)
                await pipe.execute()
        await self._publish("message", ticket.id)

    async def raise_risk(self, ticket: Ticket, risk: Risk) -> None:
        """Something she wrote while waiting or with staff (danger, self-harm) makes the ticket more
        urgent: the summary carries the risk, a queued ticket moves up, and the console is alerted."""
        summary = ticket.summary.with_risk(risk)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(ticket_key(ticket.id), "summary", self._sealer.seal(summary.to_json()))
            if ticket.state is TicketState.QUEUED:
                pipe.zadd(QUEUE, {ticket.id: summary.priority * PRIORITY_SPAN + ticket.created_at}, xx=True)
            await pipe.execute()
        await self._publish("risk", ticket.id)

    async def cancel(self, conversation_id: str, reason: str) -> Ticket | None:
        """The person left the queue or the chat (cancel, leave a message instead, quick exit)."""
        ticket = await self.open_ticket(conversation_id)
        if ticket is None:
            return None
        await self._append(ticket.id, self._system(f"person:{reason}"))
        await self.redis.hset(ticket_key(ticket.id), "left", reason)
        await self._finish(ticket, outcome=reason, by=None)
        return ticket

    async def erase(self, conversation_id: str) -> None:
        """The person erased their data: every ticket keeps only the fact that it was erased."""
        erased = await self._tickets_of(conversation_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            for ticket_id in erased:
                pipe.delete(_log_key(ticket_id))
                pipe.hdel(ticket_key(ticket_id), "summary", "conversation", "person", "case", "latest")
                pipe.hset(ticket_key(ticket_id), mapping={"erased": "1", "state": "closed"})
                pipe.zrem(QUEUE, ticket_id)
                pipe.zrem(FOLLOW_UPS, ticket_id)
                pipe.zrem(ACTIVE, ticket_id)
            pipe.delete(self.open_key(conversation_id), self._tickets_key(conversation_id))
            await pipe.execute()
        for ticket_id in erased:
            await self._publish("erased", ticket_id)

    def block_entry(self, conversation_id: str) -> tuple[str, str]:
        """The hash and field that say a conversation is blocked (read in a turn's first round trip)."""
        return BLOCKED, self._pseudonym(conversation_id)

    async def is_blocked(self, conversation_id: str) -> bool:
        return bool(await self.redis.hexists(*self.block_entry(conversation_id)))

    # --- the staff's side (called by the console) ---

    async def ticket(self, ticket_id: str) -> Ticket | None:
        raw = {k.decode(): v for k, v in (await self.redis.hgetall(ticket_key(ticket_id))).items()}
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

    async def queue(self) -> list[Ticket]:
        """Waiting tickets, the one to serve first first."""
        return await self._load(await self.redis.zrange(QUEUE, 0, -1))

    async def active(self) -> list[Ticket]:
        return await self._load(await self.redis.zrange(ACTIVE, 0, -1))

    async def follow_ups(self) -> list[Ticket]:
        return await self._load(await self.redis.zrange(FOLLOW_UPS, 0, -1))

    async def log(self, ticket_id: str) -> list[LogEntry]:
        return [
            LogEntry.from_json(self._sealer.open(raw))
            for raw in await self.redis.lrange(_log_key(ticket_id), 0, -1)
        ]

    async def claim(self, ticket_id: str, staff: Staff) -> Ticket:
        """Take a waiting ticket or a follow-up; exactly one of two racing staff wins.

        A person waiting is told who joined; a follow-up stays silent until staff write (bot/handoff/
        safe_time.py): her phone may not be safe to light up now."""
        now = time.time()
        won = await self.redis.eval(
            _CLAIM, 4, QUEUE, FOLLOW_UPS, ACTIVE, ticket_key(ticket_id), ticket_id, staff.name, now
        )
        if not won:
            ticket = await self.ticket(ticket_id)
            if ticket is not None and ticket.left is not None and ticket.claimed_at is None:
                raise Conflict("She left before anyone took the conversation.")
            raise Conflict("Someone else has already taken this conversation, or it has ended.")
        ticket = await self._require(ticket_id)
        conversation = await self._conversation(ticket_id)
        live = ticket.origin is TicketState.QUEUED
        async with self.redis.pipeline(transaction=True) as pipe:
            if live:
                pipe.set(self.open_key(conversation), ticket_id, ex=self._ttl)
            stats = _stats_key(now)
            pipe.hincrbyfloat(stats, "wait_total", now - ticket.created_at)
            pipe.hincrby(stats, "wait_count", 1)
            pipe.expire(stats, 8 * 24 * 3600)
            await pipe.execute()
        self._metrics.handoff_wait.observe(now - ticket.created_at)
        await self._append(ticket_id, self._system("claimed", staff))
        await self.audit(staff, "claim", ticket_id)
        if live:
            await self.tell(ticket, "handoff_joined", {"staff_name": staff.display_name})
        await self._publish("claimed", ticket_id, staff.name)
        return await self._require(ticket_id)

    async def take_next(self, staff: Staff) -> Ticket:
        """The next person for this staff member: the most urgent first, and among the equally urgent,
        the longest waiting who writes in a language they speak (else the longest waiting)."""
        waiting = await self.redis.zrange(QUEUE, 0, -1, withscores=True)
        tiers: dict[int, list[str]] = {}
        for ticket_id, score in waiting:
            tiers.setdefault(int(score // PRIORITY_SPAN), []).append(ticket_id.decode())
        for tier in sorted(tiers):
            tickets = await self._load([t.encode() for t in tiers[tier]])
            mine = [t for t in tickets if t.summary.language in staff.languages]
            for ticket in [*mine, *(t for t in tickets if t not in mine)]:
                try:
                    return await self.claim(ticket.id, staff)
                except Conflict:  # a colleague was quicker: the next one
                    continue
        raise NotFound("Nobody is waiting.")

    async def send(self, ticket_id: str, staff: Staff, text: str, *, override: bool = False) -> None:
        """Relay a staff message to the person through their own channel, signed with a display name.

        A follow-up's first messages go out only inside the time she said is safe, unless staff
        override (audited); once she writes back she is there, and the time no longer applies."""
        text = text.strip()
        if not text:
            raise DeskError("Write a message first.")
        ticket = await self._acting(ticket_id, staff)
        window = await self.unsafe_window(ticket)
        if window is not None:
            if not override:
                raise OutsideSafeTime(
                    f"It is outside the time she said is safe ({window.describe()}; now "
                    f"{window.local_now(datetime.now(UTC))}). Override to send anyway."
                )
            await self.audit(staff, "override_safe_time", ticket_id)
        if not ticket.contacted:
            await self._contact(ticket)
        await self._append(
            ticket_id, LogEntry(at=time.time(), author=Author.STAFF, text=text, staff=staff.name)
        )
        await self.tell(ticket, "staff_message", {"staff_name": staff.display_name, "text": text})
        await self._publish("message", ticket_id, staff.name)

    async def unsafe_window(self, ticket: Ticket) -> safe_time.SafeWindow | None:
        """The safe window that writing to her now would break, if any (follow-ups she has not
        answered yet, whose safe time could be read)."""
        if ticket.origin is not TicketState.FOLLOW_UP or ticket.claimed_at is None:
            return None
        window = safe_time.parse(ticket.summary.safe_contact, ticket.summary.country, ticket.summary.language)
        if window is None or window.allows(datetime.now(UTC)):
            return None
        answered = any(
            entry.author is Author.PERSON and entry.at > ticket.claimed_at
            for entry in await self.log(ticket.id)
        )
        return None if answered else window

    async def _contact(self, ticket: Ticket) -> None:
        """The first message of a follow-up: from now on her messages come to staff."""
        key = self.open_key(await self._conversation(ticket.id))
        if not await self.redis.set(key, ticket.id, ex=self._ttl, nx=True):
            current = await self.redis.get(key)
            if current is not None and current.decode() != ticket.id:
                raise Conflict("She is in another conversation with the helpline right now.")
        await self.redis.hset(ticket_key(ticket.id), "contacted", "1")

    def canned(self, key: str, ticket: Ticket, *, language: str | None = None) -> str:
        """A canned reply in the person's language (staff pick it; the person reads it in theirs), or
        in `language` (the English gloss staff read it by)."""
        summary = ticket.summary
        return self._render(f"canned_{key}", language or summary.language, summary.country, {}).text

    async def note(self, ticket_id: str, staff: Staff, text: str) -> None:
        text = text.strip()
        if not text:
            raise DeskError("Write a note first.")
        await self._on_file(ticket_id, staff)
        await self._append(
            ticket_id, LogEntry(at=time.time(), author=Author.NOTE, text=text, staff=staff.name)
        )
        await self._publish("note", ticket_id, staff.name)

    async def whisper(self, ticket_id: str, supervisor: Staff, text: str) -> None:
        """A supervisor monitoring a colleague's conversation writes to the colleague only: kept in the
        log as a note addressed to them (never sent to the person), and their console alerts them."""
        text = text.strip()
        if not text:
            raise DeskError("Write a message first.")
        if supervisor.role is not Role.SUPERVISOR:
            raise NotAllowed("Only a supervisor can monitor a colleague's conversation.")
        ticket = await self._holding(ticket_id, supervisor)
        if ticket.staff is None or ticket.staff == supervisor.name:
            raise Conflict("This conversation is yours: write a note instead.")
        entry = LogEntry(
            at=time.time(), author=Author.NOTE, text=text, staff=supervisor.name, to=ticket.staff
        )
        await self._append(ticket_id, entry)
        await self._publish("whisper", ticket_id, ticket.staff)

    async def join(self, ticket_id: str, supervisor: Staff) -> None:
        """A supervisor monitoring a colleague's conversation steps in: from now on what she writes
        reaches the person, next to the colleague. Audited."""
        if supervisor.role is not Role.SUPERVISOR:
            raise NotAllowed("Only a supervisor can join a colleague's conversation.")
        ticket = await self._holding(ticket_id, supervisor)
        if ticket.staff == supervisor.name:
            raise Conflict("This conversation is already yours.")
        await self.redis.hset(ticket_key(ticket_id), f"{JOINED}{supervisor.name}", time.time())
        await self.audit(supervisor, "join", ticket_id)
        await self._publish("joined", ticket_id, ticket.staff)

    async def transfer(self, ticket_id: str, staff: Staff, to: Staff) -> None:
        """Hand the conversation to a colleague: she is told who is with her now (once she has been
        contacted at all), and the colleague's console alerts them."""
        ticket = await self._acting(ticket_id, staff)
        if to.name == ticket.staff:
            raise DeskError("This conversation is already with them.")
        await self.redis.hset(ticket_key(ticket_id), "staff", to.name)
        await self._append(ticket_id, self._system(f"transferred:{to.name}", staff))
        if ticket.contacted:
            await self.tell(ticket, "handoff_transferred", {"staff_name": to.display_name})
        await self.audit(staff, f"transfer:{to.name}", ticket_id)
        await self._publish("transferred", ticket_id, to.name)

    async def close(
        self, ticket_id: str, staff: Staff, outcome: str, *, case: Case | None = None, note: str = ""
    ) -> Ticket | None:
        """End the conversation with the case record; "follow_up_needed" leaves a follow-up task for
        the same person (returned), with her summary and her safe time."""
        if outcome not in OUTCOMES:
            raise DeskError(f"Choose an outcome: {', '.join(OUTCOMES)}.")
        ticket = await self._acting(ticket_id, staff)
        if note.strip():
            await self.note(ticket_id, staff, note)
        if case is not None:
            await self.redis.hset(ticket_key(ticket_id), "case", self._sealer.seal(case.to_json()))
        if ticket.contacted:
            await self.tell(ticket, "handoff_closed", {"staff_name": staff.display_name})
        await self._finish(ticket, outcome=outcome, by=staff)
        return await self._follow_up(ticket, staff, case) if outcome == "follow_up_needed" else None

    async def record(
        self, ticket_id: str, staff: Staff, outcome: str, *, case: Case | None = None, note: str = ""
    ) -> Ticket | None:
        """The case record of a conversation she ended herself (a quick exit) while with staff: the
        outcome, categories and a note, written after the fact. She is told nothing; "follow_up_needed"
        leaves a follow-up task as at close (silent until staff write, inside her safe time)."""
        if outcome not in OUTCOMES:
            raise DeskError(f"Choose an outcome: {', '.join(OUTCOMES)}.")
        ticket = await self._on_file(ticket_id, staff)
        if ticket.state is not TicketState.CLOSED:
            raise Conflict("She is still here: close the conversation with the case form.")
        if note.strip():
            await self.note(ticket_id, staff, note)
        mapping: dict[str, str | bytes] = {"outcome": outcome}
        if case is not None:
            mapping["case"] = self._sealer.seal(case.to_json())
        await self.redis.hset(ticket_key(ticket_id), mapping=mapping)
        await self._append(ticket_id, self._system(f"recorded:{outcome}", staff))
        await self.audit(staff, f"record:{outcome}", ticket_id)
        await self._publish("recorded", ticket_id, staff.name)
        return await self._follow_up(ticket, staff, case) if outcome == "follow_up_needed" else None

    async def _follow_up(self, ticket: Ticket, staff: Staff, case: Case | None) -> Ticket:
        """A follow-up task for the same person, asked for at close, with her summary and safe time."""
        ticket_id = ticket.id
        summary = ticket.summary
        if case is not None:
            summary = replace(summary, situation=case.situation, platform=case.platform, risks=case.risks)
        follow_up = await self._create(
            await self._conversation(ticket_id), summary, TicketState.FOLLOW_UP, []
        )
        await self.redis.hset(ticket_key(follow_up.id), "follow_up_of", ticket_id)
        await self._append(follow_up.id, self._system(f"follow_up_of:{ticket_id}", staff))
        await self.redis.zadd(FOLLOW_UPS, {follow_up.id: follow_up.created_at})
        await self._publish("follow_up", follow_up.id, staff.name)
        return follow_up

    async def hand_back(self, ticket_id: str, staff: Staff) -> None:
        """The bot resumes: the person is told so, with the way back to the menu."""
        ticket = await self._acting(ticket_id, staff)
        if ticket.contacted:
            await self.tell(ticket, "handoff_back_to_bot", {"staff_name": staff.display_name})
        await self._finish(ticket, outcome="handed_back", by=staff)

    async def previous(self, ticket: Ticket) -> list[PastContact]:
        """The same person's earlier tickets within retention (linked by pseudonym), newest first,
        with their notes: her case record."""
        person = await self.redis.hget(ticket_key(ticket.id), "person")
        if person is None:
            return []
        ids = await self.redis.smembers(self._person_tickets_key(person.decode()))
        earlier = [t for t in await self._load(list(ids)) if t.created_at < ticket.created_at]
        earlier.sort(key=lambda t: t.created_at, reverse=True)
        return [
            PastContact(ticket=t, notes=[e for e in await self.log(t.id) if e.author is Author.NOTE])
            for t in earlier
        ]

    async def opened_between(self, start: float, end: float) -> list[Ticket]:
        """Tickets opened in [start, end), oldest first, for reports (expired ones are gone)."""
        return await self._load(await self.redis.zrangebyscore(OPENED, start, f"({end}"))

    def _read_key(self, staff: Staff, ticket_id: str) -> str:
        return f"{PREFIX}:handoff:read:{staff.name}:{ticket_id}"

    async def mark_read(self, staff: Staff, ticket: Ticket) -> None:
        """This staff member has seen the person's messages so far."""
        await self.redis.set(self._read_key(staff, ticket.id), ticket.person_messages, ex=self._ttl)

    async def unread(self, staff: Staff, tickets: Sequence[Ticket]) -> dict[str, int]:
        """How many of the person's messages this staff member has not seen, per ticket."""
        if not tickets:
            return {}
        seen = await self.redis.mget([self._read_key(staff, t.id) for t in tickets])
        return {t.id: max(0, t.person_messages - int(s or 0)) for t, s in zip(tickets, seen, strict=True)}

    async def block(self, ticket_id: str, staff: Staff) -> None:
        """Stop answering an abusive sender; a supervisor can reverse it."""
        ticket = await self._acting(ticket_id, staff)
        conversation = await self._conversation(ticket_id)
        record = {"ticket": ticket_id, "by": staff.name, "at": time.time()}
        await self.redis.hset(BLOCKED, self._pseudonym(conversation), json.dumps(record))
        await self.redis.hset(ticket_key(ticket_id), "blocked", "1")
        await self._finish(ticket, outcome="abusive", by=staff)
        await self.audit(staff, "block", ticket_id)

    async def blocked(self) -> list[BlockRecord]:
        records = []
        for pseudonym, raw in (await self.redis.hgetall(BLOCKED)).items():
            data = json.loads(raw)
            records.append(
                BlockRecord(id=pseudonym.decode(), ticket=data["ticket"], by=data["by"], at=data["at"])
            )
        return sorted(records, key=lambda r: r.at, reverse=True)

    async def unblock(self, block_id: str, staff: Staff) -> None:
        if staff.role is not Role.SUPERVISOR:
            raise NotAllowed("Only a supervisor can unblock.")
        if not await self.redis.hdel(BLOCKED, block_id):
            raise NotFound("No such block.")
        await self.audit(staff, f"unblock:{block_id}", None)

    async def stats(self) -> Stats:
        now = time.time()
        first = await self.redis.zrange(QUEUE, 0, -1, withscores=True)
        created = [float(score) % PRIORITY_SPAN for _, score in first]
        today = await self.redis.hgetall(_stats_key(now))
        count = int(today.get(b"wait_count", 0))
        return Stats(
            waiting=len(first),
            with_staff=int(await self.redis.zcard(ACTIVE)),
            follow_ups=int(await self.redis.zcard(FOLLOW_UPS)),
            longest_wait_seconds=max((now - at for at in created), default=0.0),
            average_wait_seconds=float(today[b"wait_total"]) / count if count else None,
            handled_today=int(today.get(b"handled", 0)),
            average_handling_seconds=await self.handling_seconds(minimum=1),
        )

    async def handling_seconds(self, *, minimum: int) -> float | None:
        """How long today's conversations took with staff on average (claimed to closed by staff),
        once at least `minimum` were closed today; else None."""
        today = await self.redis.hmget(_stats_key(time.time()), "handle_total", "handle_count")
        count = int(today[1] or 0)
        return float(today[0] or 0) / count if count >= max(1, minimum) else None

    async def audit(self, staff: Staff, action: str, ticket_id: str | None) -> None:
        entry = {"at": time.time(), "staff": staff.name, "action": action, "ticket": ticket_id}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(AUDIT, json.dumps(entry))
            pipe.ltrim(AUDIT, 0, KEPT_AUDIT - 1)
            await pipe.execute()

    async def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        return [AuditEntry(**json.loads(raw)) for raw in await self.redis.lrange(AUDIT, 0, limit - 1)]

    async def events(
        self,
        *,
        until: tuple[str, bytes] | None = None,
        alive: Callable[[], Awaitable[bool]] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every desk change, from every replica, as it happens. Ends when `until` (a channel and a
        message on it: a console session's end) is published, or at once if `alive`, asked once the
        subscription is in place, says that it already happened."""
        channels = [EVENTS] if until is None else [EVENTS, until[0]]
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(*channels)
        try:
            if alive is not None and not await alive():
                return
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                if message["channel"] == EVENTS.encode():
                    yield json.loads(message["data"])
                elif until is not None and message["data"] == until[1]:
                    return
        finally:
            await pubsub.unsubscribe(*channels)
            await pubsub.close()

    # --- internals ---

    def _tickets_key(self, conversation_id: str) -> str:
        return self._person_tickets_key(self._pseudonym(conversation_id))

    @staticmethod
    def _person_tickets_key(pseudonym: str) -> str:
        """Every ticket of one person (by pseudonym): her case record, erased with her data."""
        return Keys.named(HANDOFF_TICKETS, pseudonym)

    async def _tickets_of(self, conversation_id: str) -> list[str]:
        return [t.decode() for t in await self.redis.smembers(self._tickets_key(conversation_id))]

    async def _create(
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
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=mapping)
            pipe.expire(key, self._ttl)
            pipe.zadd(OPENED, {ticket.id: ticket.created_at})
            pipe.zremrangebyscore(OPENED, "-inf", ticket.created_at - self._ttl)
            pipe.sadd(self._tickets_key(conversation_id), ticket.id)
            pipe.expire(self._tickets_key(conversation_id), self._ttl)
            await pipe.execute()
        for author, text in log:
            await self._append(ticket.id, LogEntry(at=ticket.created_at, author=author, text=text))
        return ticket

    async def _append(self, ticket_id: str, entry: LogEntry) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(_log_key(ticket_id), self._sealer.seal(entry.to_json()))
            pipe.expire(_log_key(ticket_id), self._ttl)
            if entry.author is Author.PERSON:
                pipe.hincrby(ticket_key(ticket_id), "person_messages", 1)
            await pipe.execute()

    @staticmethod
    def _system(event: str, staff: Staff | None = None) -> LogEntry:
        return LogEntry(at=time.time(), author=Author.SYSTEM, text=event, staff=staff.name if staff else None)

    async def _load(self, ticket_ids: Sequence[bytes]) -> list[Ticket]:
        tickets = [await self.ticket(t.decode()) for t in ticket_ids]
        return [t for t in tickets if t is not None]

    async def _require(self, ticket_id: str) -> Ticket:
        ticket = await self.ticket(ticket_id)
        if ticket is None:
            raise NotFound("This conversation no longer exists (it expired or was erased).")
        return ticket

    async def _on_file(self, ticket_id: str, staff: Staff) -> Ticket:
        """The ticket, if this staff member may write to its file: held now, or held when she ended it
        herself (a quick exit), so the notes and outcome can still be recorded."""
        ticket = await self._require(ticket_id)
        if not self.recordable(ticket):
            return await self._holding(ticket_id, staff)
        if ticket.staff != staff.name and staff.role is not Role.SUPERVISOR:
            raise NotAllowed("This conversation was with a colleague.")
        return ticket

    @staticmethod
    def recordable(ticket: Ticket) -> bool:
        """Ended by the person while with staff, and not erased: its case record is still to write."""
        return (
            ticket.state is TicketState.CLOSED
            and ticket.left is not None
            and ticket.claimed_at is not None
            and not ticket.erased
        )

    async def _holding(self, ticket_id: str, staff: Staff) -> Ticket:
        """The ticket, if this staff member holds it (supervisors may act on any open one)."""
        ticket = await self._require(ticket_id)
        if ticket.state is not TicketState.WITH_STAFF:
            raise Conflict("This conversation is not open with staff.")
        if ticket.staff != staff.name and staff.role is not Role.SUPERVISOR:
            raise NotAllowed("This conversation is with a colleague.")
        return ticket

    async def _acting(self, ticket_id: str, staff: Staff) -> Ticket:
        """The ticket, if this staff member may do what reaches the person: its holder, or a supervisor
        who joined it; a supervisor who only monitors it may write to the colleague, not to her."""
        ticket = await self._holding(ticket_id, staff)
        if ticket.staff != staff.name and staff.name not in ticket.joined:
            raise NotAllowed("You are monitoring this conversation (read-only): join it first to act in it.")
        return ticket

    async def _conversation(self, ticket_id: str) -> str:
        raw = await self.redis.hget(ticket_key(ticket_id), "conversation")
        if raw is None:
            raise NotFound("This conversation was erased.")
        return self._sealer.open(raw)

    async def tell(self, ticket: Ticket, key: str, params: dict[str, Any]) -> None:
        """Send the person one rendered reply through her own channel, in order with the bot's."""
        reply = self._render(key, ticket.summary.language, ticket.summary.country, params)
        await self._deliver(await self._conversation(ticket.id), [reply])

    async def _finish(self, ticket: Ticket, *, outcome: str, by: Staff | None) -> None:
        now = time.time()
        conversation = await self._conversation(ticket.id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                ticket_key(ticket.id), mapping={"state": "closed", "closed_at": now, "outcome": outcome}
            )
            pipe.zrem(QUEUE, ticket.id)
            pipe.zrem(FOLLOW_UPS, ticket.id)
            pipe.zrem(ACTIVE, ticket.id)
            pipe.eval(_RELEASE, 1, self.open_key(conversation), ticket.id)  # hers may name a newer ticket
            if by is not None:
                pipe.hincrby(_stats_key(now), "handled", 1)
                if ticket.claimed_at is not None:
                    pipe.hincrbyfloat(_stats_key(now), "handle_total", now - ticket.claimed_at)
                    pipe.hincrby(_stats_key(now), "handle_count", 1)
                pipe.expire(_stats_key(now), 8 * 24 * 3600)
            await pipe.execute()
        await self._insights.add(Facts.of(await self._require(ticket.id), now))  # counts only
        if by is not None:
            await self._append(ticket.id, self._system(f"closed:{outcome}", by))
            await self.audit(by, f"close:{outcome}", ticket.id)
        await self._publish("closed", ticket.id, by.name if by else None)

    async def _publish(self, kind: str, ticket_id: str, staff: str | None = None) -> None:
        event = {"type": kind, "ticket": ticket_id, "staff": staff, "at": time.time()}
        await self.redis.publish(EVENTS, json.dumps(event))
