"""The helpline desk's work: what happens to a ticket when the person or staff act on it.

The person's side (called by the gateway) queues her, relays what she writes and ends or erases her
tickets; the staff's side (called by the console) claims, writes, transfers, closes and records, each
checked against who may do it. Every replica sees the same desk: claims are one atomic Lua step (two
staff can never hold the same conversation), and each change is published (bot/handoff/events.py).
Where things are kept: tickets.py (tickets and logs, sealed), audit.py, blocks.py, desk_stats.py,
read_marks.py.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from redis.asyncio import Redis

from bot.evidence.record import Entry, RecordStore
from bot.handoff import safe_time
from bot.handoff.audit import AuditLog
from bot.handoff.blocks import Blocks
from bot.handoff.desk_stats import DeskStats, count_claim, count_close
from bot.handoff.errors import Conflict, DeskError, NotAllowed, NotFound, OutsideSafeTime
from bot.handoff.events import DeskEvents
from bot.handoff.model import OUTCOMES, Author, Case, LogEntry, Risk, Summary, Ticket, TicketState
from bot.handoff.presence import StaffPresence
from bot.handoff.read_marks import ReadMarks
from bot.handoff.staff import Role, Staff
from bot.handoff.tickets import JOINED, PRIORITY_SPAN, TicketStore, queue_score
from bot.insights.counts import Facts, InsightCounts
from bot.language.i18n import N_
from bot.ops.metrics import Metrics
from bot.pipeline.messages import OutboundMessage
from bot.storage.keys import (
    HANDOFF_ACTIVE,
    HANDOFF_FOLLOW_UPS,
    HANDOFF_QUEUE,
    Keys,
    ticket_key,
    ticket_log_key,
)
from bot.storage.pseudonyms import Pseudonymizer
from bot.storage.sealing import Sealer

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


class Deliver(Protocol):
    """The gateway's way to send replies to a conversation through its own channel, in order."""

    def __call__(self, conversation_id: str, replies: Sequence[OutboundMessage]) -> Awaitable[None]: ...


Render = Callable[[str, str, "str | None", "dict[str, Any]"], OutboundMessage]


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
        self.tickets = TicketStore(
            redis, sealer=sealer, pseudonym=pseudonym, retention_seconds=retention_seconds
        )
        self.events = DeskEvents(redis)
        self.audit = AuditLog(redis)
        self.blocks = Blocks(redis, pseudonym)
        self.stats = DeskStats(redis)
        self.reads = ReadMarks(redis, retention_seconds=retention_seconds)
        # Her record, read only when she shared it; her erasure deletes it (bot/pipeline/gateway.py).
        self.records = RecordStore(redis, sealer=sealer, keys=Keys(pseudonym))
        self._sealer = sealer
        self._render = render
        self._deliver = deliver
        self._ttl = retention_seconds
        self._metrics = metrics or Metrics()
        self._insights = InsightCounts(redis)

    # --- the person's side (called by the gateway) ---

    async def open_ticket(self, conversation_id: str) -> Ticket | None:
        ticket_id = await self.redis.get(self.tickets.open_key(conversation_id))
        return await self.ticket_if_open(conversation_id, ticket_id)

    async def ticket_if_open(self, conversation_id: str, ticket_id: bytes | None) -> Ticket | None:
        """The ticket that the conversation's open key named (the caller read it), if still open."""
        if ticket_id is None:
            return None
        ticket = await self.tickets.get(ticket_id.decode())
        if ticket is None or ticket.state not in {TicketState.QUEUED, TicketState.WITH_STAFF}:
            await self.redis.delete(self.tickets.open_key(conversation_id))
            return None
        return ticket

    async def enqueue(
        self, conversation_id: str, summary: Summary, transcript: Sequence[tuple[Author, str]] = ()
    ) -> Ticket:
        """A new ticket waiting for a person, ahead of everyone less at risk."""
        ticket = await self.tickets.create(conversation_id, summary, TicketState.QUEUED, transcript)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(HANDOFF_QUEUE, {ticket.id: queue_score(summary, ticket.created_at)})
            pipe.set(self.tickets.open_key(conversation_id), ticket.id, ex=self._ttl)
            await pipe.execute()
        await self.events.publish("queued", ticket.id)
        return ticket

    async def leave_message(
        self,
        conversation_id: str,
        summary: Summary,
        message: str,
        transcript: Sequence[tuple[Author, str]] = (),
    ) -> Ticket:
        """A follow-up task: the person's message and, in the summary, when it is safe to reply."""
        ticket = await self.tickets.create(
            conversation_id, summary, TicketState.FOLLOW_UP, [*transcript, (Author.PERSON, message)]
        )
        await self.redis.zadd(HANDOFF_FOLLOW_UPS, {ticket.id: ticket.created_at})
        await self.events.publish("follow_up", ticket.id)
        return ticket

    async def position(self, ticket_id: str) -> int | None:
        """1 for the next person to be served; None when not waiting."""
        rank = await self.redis.zrank(HANDOFF_QUEUE, ticket_id)
        return None if rank is None else int(rank) + 1

    async def from_person(self, ticket: Ticket, text: str) -> None:
        entry = LogEntry(at=time.time(), author=Author.PERSON, text=text)
        await self.tickets.append(ticket.id, entry)
        if ticket.state is TicketState.QUEUED:  # shown in the queue, to decide whom to take first
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(ticket_key(ticket.id), "latest", self._sealer.seal(entry.to_json()))
                pipe.hincrby(ticket_key(ticket.id), "waiting_messages", 1)
                await pipe.execute()
        await self.events.publish("message", ticket.id)

    async def raise_risk(self, ticket: Ticket, risk: Risk) -> None:
        """Something she wrote while waiting or with staff (danger, self-harm) makes the ticket more
        urgent: the summary carries the risk, a queued ticket moves up, and the console is alerted."""
        summary = ticket.summary.with_risk(risk)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(ticket_key(ticket.id), "summary", self._sealer.seal(summary.to_json()))
            if ticket.state is TicketState.QUEUED:
                pipe.zadd(HANDOFF_QUEUE, {ticket.id: queue_score(summary, ticket.created_at)}, xx=True)
            await pipe.execute()
        await self.events.publish("risk", ticket.id)

    async def cancel(self, conversation_id: str, reason: str) -> Ticket | None:
        """The person left the queue or the chat (cancel, leave a message instead, quick exit)."""
        ticket = await self.open_ticket(conversation_id)
        if ticket is None:
            return None
        await self.tickets.append(ticket.id, self._system(f"person:{reason}"))
        await self.redis.hset(ticket_key(ticket.id), "left", reason)
        await self._finish(ticket, outcome=reason, by=None)
        return ticket

    async def erase(self, conversation_id: str) -> None:
        """The person erased their data: every ticket keeps only the fact that it was erased."""
        erased = await self.tickets.of_person(conversation_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            for ticket_id in erased:
                pipe.delete(ticket_log_key(ticket_id))
                pipe.hdel(ticket_key(ticket_id), "summary", "conversation", "person", "case", "latest")
                pipe.hset(ticket_key(ticket_id), mapping={"erased": "1", "state": "closed"})
                pipe.zrem(HANDOFF_QUEUE, ticket_id)
                pipe.zrem(HANDOFF_FOLLOW_UPS, ticket_id)
                pipe.zrem(HANDOFF_ACTIVE, ticket_id)
            pipe.delete(self.tickets.open_key(conversation_id), self.tickets.person_key(conversation_id))
            await pipe.execute()
        for ticket_id in erased:
            await self.events.publish("erased", ticket_id)

    # --- the staff's side (called by the console) ---

    async def shared_record(self, ticket: Ticket) -> list[Entry]:
        """Her record as it is now, if she chose to share it when she asked for a person: read from her
        own record (never copied into the ticket), so what she deletes or erases is gone here too."""
        if ticket.erased:
            raise NotFound(N_("This conversation was erased."))
        if not ticket.summary.record_shared:
            raise NotAllowed(N_("She did not share her record."))
        return await self.records.entries(await self.tickets.conversation(ticket.id))

    async def claim(self, ticket_id: str, staff: Staff) -> Ticket:
        """Take a waiting ticket or a follow-up; exactly one of two racing staff wins.

        A person waiting is told who joined; a follow-up stays silent until staff write (bot/handoff/
        safe_time.py): her phone may not be safe to light up now."""
        now = time.time()
        keys = (HANDOFF_QUEUE, HANDOFF_FOLLOW_UPS, HANDOFF_ACTIVE, ticket_key(ticket_id))
        won = await self.redis.eval(_CLAIM, len(keys), *keys, ticket_id, staff.name, now)
        if not won:
            ticket = await self.tickets.get(ticket_id)
            if ticket is not None and ticket.left is not None and ticket.claimed_at is None:
                raise Conflict(N_("She left before anyone took the conversation."))
            raise Conflict(N_("Someone else has already taken this conversation, or it has ended."))
        ticket = await self.tickets.require(ticket_id)
        conversation = await self.tickets.conversation(ticket_id)
        live = ticket.origin is TicketState.QUEUED
        async with self.redis.pipeline(transaction=True) as pipe:
            if live:
                pipe.set(self.tickets.open_key(conversation), ticket_id, ex=self._ttl)
            count_claim(pipe, now, now - ticket.created_at)
            await pipe.execute()
        self._metrics.handoff_wait.observe(now - ticket.created_at)
        await self.tickets.append(ticket_id, self._system("claimed", staff))
        await self.audit.record(staff, "claim", ticket_id)
        if live:
            await self.tell(ticket, "handoff_joined", {"staff_name": staff.display_name})
        await self.events.publish("claimed", ticket_id, staff.name)
        return await self.tickets.require(ticket_id)

    async def take_next(self, staff: Staff) -> Ticket:
        """The next person for this staff member: the most urgent first, and among the equally urgent,
        the longest waiting who writes in a language they speak (else the longest waiting)."""
        waiting = await self.redis.zrange(HANDOFF_QUEUE, 0, -1, withscores=True)
        tiers: dict[int, list[str]] = {}
        for ticket_id, score in waiting:
            tiers.setdefault(int(score // PRIORITY_SPAN), []).append(ticket_id.decode())
        for tier in sorted(tiers):
            tickets = await self.tickets.load([t.encode() for t in tiers[tier]])
            mine = [t for t in tickets if t.summary.language in staff.languages]
            for ticket in [*mine, *(t for t in tickets if t not in mine)]:
                try:
                    return await self.claim(ticket.id, staff)
                except Conflict:  # a colleague was quicker: the next one
                    continue
        raise NotFound(N_("Nobody is waiting."))

    async def send(self, ticket_id: str, staff: Staff, text: str, *, override: bool = False) -> None:
        """Relay a staff message to the person through their own channel, signed with a display name.

        A follow-up's first messages go out only inside the time she said is safe, unless staff
        override (audited); once she writes back she is there, and the time no longer applies."""
        text = text.strip()
        if not text:
            raise DeskError(N_("Write a message first."))
        ticket = await self._acting(ticket_id, staff)
        window = await self.unsafe_window(ticket)
        if window is not None:
            if not override:
                raise OutsideSafeTime(window, datetime.now(UTC))
            await self.audit.record(staff, "override_safe_time", ticket_id)
        if not ticket.contacted:
            await self._contact(ticket)
        await self.tickets.append(
            ticket_id, LogEntry(at=time.time(), author=Author.STAFF, text=text, staff=staff.name)
        )
        await self.tell(ticket, "staff_message", {"staff_name": staff.display_name, "text": text})
        await self.events.publish("message", ticket_id, staff.name)

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
            for entry in await self.tickets.log(ticket.id)
        )
        return None if answered else window

    async def _contact(self, ticket: Ticket) -> None:
        """The first message of a follow-up: from now on her messages come to staff."""
        key = self.tickets.open_key(await self.tickets.conversation(ticket.id))
        if not await self.redis.set(key, ticket.id, ex=self._ttl, nx=True):
            current = await self.redis.get(key)
            if current is not None and current.decode() != ticket.id:
                raise Conflict(N_("She is in another conversation with the helpline right now."))
        await self.redis.hset(ticket_key(ticket.id), "contacted", "1")

    def canned(self, key: str, ticket: Ticket, *, language: str | None = None) -> str:
        """A canned reply in the person's language (staff pick it; the person reads it in theirs), or
        in `language` (the English gloss staff read it by)."""
        summary = ticket.summary
        return self._render(f"canned_{key}", language or summary.language, summary.country, {}).text

    async def note(self, ticket_id: str, staff: Staff, text: str) -> None:
        text = text.strip()
        if not text:
            raise DeskError(N_("Write a note first."))
        await self._on_file(ticket_id, staff)
        await self.tickets.append(
            ticket_id, LogEntry(at=time.time(), author=Author.NOTE, text=text, staff=staff.name)
        )
        await self.events.publish("note", ticket_id, staff.name)

    async def whisper(self, ticket_id: str, supervisor: Staff, text: str) -> None:
        """A supervisor monitoring a colleague's conversation writes to the colleague only: kept in the
        log as a note addressed to them (never sent to the person), and their console alerts them."""
        text = text.strip()
        if not text:
            raise DeskError(N_("Write a message first."))
        if supervisor.role is not Role.SUPERVISOR:
            raise NotAllowed(N_("Only a supervisor can monitor a colleague's conversation."))
        ticket = await self._holding(ticket_id, supervisor)
        if ticket.staff is None or ticket.staff == supervisor.name:
            raise Conflict(N_("This conversation is yours: write a note instead."))
        entry = LogEntry(
            at=time.time(), author=Author.NOTE, text=text, staff=supervisor.name, to=ticket.staff
        )
        await self.tickets.append(ticket_id, entry)
        await self.events.publish("whisper", ticket_id, ticket.staff)

    async def join(self, ticket_id: str, supervisor: Staff) -> None:
        """A supervisor monitoring a colleague's conversation steps in: from now on what she writes
        reaches the person, next to the colleague. Audited."""
        if supervisor.role is not Role.SUPERVISOR:
            raise NotAllowed(N_("Only a supervisor can join a colleague's conversation."))
        ticket = await self._holding(ticket_id, supervisor)
        if ticket.staff == supervisor.name:
            raise Conflict(N_("This conversation is already yours."))
        await self.redis.hset(ticket_key(ticket_id), f"{JOINED}{supervisor.name}", time.time())
        await self.audit.record(supervisor, "join", ticket_id)
        await self.events.publish("joined", ticket_id, ticket.staff)

    async def transfer(self, ticket_id: str, staff: Staff, to: Staff) -> None:
        """Hand the conversation to a colleague: she is told who is with her now (once she has been
        contacted at all), and the colleague's console alerts them."""
        ticket = await self._acting(ticket_id, staff)
        if to.name == ticket.staff:
            raise DeskError(N_("This conversation is already with them."))
        await self.redis.hset(ticket_key(ticket_id), "staff", to.name)
        await self.tickets.append(ticket_id, self._system(f"transferred:{to.name}", staff))
        if ticket.contacted:
            await self.tell(ticket, "handoff_transferred", {"staff_name": to.display_name})
        await self.audit.record(staff, f"transfer:{to.name}", ticket_id)
        await self.events.publish("transferred", ticket_id, to.name)

    async def close(
        self, ticket_id: str, staff: Staff, outcome: str, *, case: Case | None = None, note: str = ""
    ) -> Ticket | None:
        """End the conversation with the case record; "follow_up_needed" leaves a follow-up task for
        the same person (returned), with her summary and her safe time."""
        if outcome not in OUTCOMES:
            raise DeskError(N_("Choose an outcome: {outcomes}."), outcomes=", ".join(OUTCOMES))
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
            raise DeskError(N_("Choose an outcome: {outcomes}."), outcomes=", ".join(OUTCOMES))
        ticket = await self._on_file(ticket_id, staff)
        if ticket.state is not TicketState.CLOSED:
            raise Conflict(N_("She is still here: close the conversation with the case form."))
        if note.strip():
            await self.note(ticket_id, staff, note)
        mapping: dict[str, str | bytes] = {"outcome": outcome}
        if case is not None:
            mapping["case"] = self._sealer.seal(case.to_json())
        await self.redis.hset(ticket_key(ticket_id), mapping=mapping)
        await self.tickets.append(ticket_id, self._system(f"recorded:{outcome}", staff))
        await self.audit.record(staff, f"record:{outcome}", ticket_id)
        await self.events.publish("recorded", ticket_id, staff.name)
        return await self._follow_up(ticket, staff, case) if outcome == "follow_up_needed" else None

    async def _follow_up(self, ticket: Ticket, staff: Staff, case: Case | None) -> Ticket:
        """A follow-up task for the same person, asked for at close, with her summary and safe time."""
        ticket_id = ticket.id
        summary = ticket.summary
        if case is not None:
            summary = replace(summary, situation=case.situation, platform=case.platform, risks=case.risks)
        follow_up = await self.tickets.create(
            await self.tickets.conversation(ticket_id), summary, TicketState.FOLLOW_UP, []
        )
        await self.redis.hset(ticket_key(follow_up.id), "follow_up_of", ticket_id)
        await self.tickets.append(follow_up.id, self._system(f"follow_up_of:{ticket_id}", staff))
        await self.redis.zadd(HANDOFF_FOLLOW_UPS, {follow_up.id: follow_up.created_at})
        await self.events.publish("follow_up", follow_up.id, staff.name)
        return follow_up

    async def hand_back(self, ticket_id: str, staff: Staff) -> None:
        """The bot resumes: the person is told so, with the way back to the menu."""
        ticket = await self._acting(ticket_id, staff)
        if ticket.contacted:
            await self.tell(ticket, "handoff_back_to_bot", {"staff_name": staff.display_name})
        await self._finish(ticket, outcome="handed_back", by=staff)

    async def block(self, ticket_id: str, staff: Staff) -> None:
        """Stop answering an abusive sender; a supervisor can reverse it."""
        ticket = await self._acting(ticket_id, staff)
        conversation = await self.tickets.conversation(ticket_id)
        await self.blocks.add(conversation, ticket_id, staff)
        await self.redis.hset(ticket_key(ticket_id), "blocked", "1")
        await self._finish(ticket, outcome="abusive", by=staff)
        await self.audit.record(staff, "block", ticket_id)

    async def unblock(self, block_id: str, staff: Staff) -> None:
        if staff.role is not Role.SUPERVISOR:
            raise NotAllowed(N_("Only a supervisor can unblock."))
        if not await self.blocks.remove(block_id):
            raise NotFound(N_("No such block."))
        await self.audit.record(staff, f"unblock:{block_id}", None)

    # --- internals ---

    @staticmethod
    def _system(event: str, staff: Staff | None = None) -> LogEntry:
        return LogEntry(at=time.time(), author=Author.SYSTEM, text=event, staff=staff.name if staff else None)

    async def _on_file(self, ticket_id: str, staff: Staff) -> Ticket:
        """The ticket, if this staff member may write to its file: held now, or held when she ended it
        herself (a quick exit), so the notes and outcome can still be recorded."""
        ticket = await self.tickets.require(ticket_id)
        if not self.recordable(ticket):
            return await self._holding(ticket_id, staff)
        if ticket.staff != staff.name and staff.role is not Role.SUPERVISOR:
            raise NotAllowed(N_("This conversation was with a colleague."))
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
        ticket = await self.tickets.require(ticket_id)
        if ticket.state is not TicketState.WITH_STAFF:
            raise Conflict(N_("This conversation is not open with staff."))
        if ticket.staff != staff.name and staff.role is not Role.SUPERVISOR:
            raise NotAllowed(N_("This conversation is with a colleague."))
        return ticket

    async def _acting(self, ticket_id: str, staff: Staff) -> Ticket:
        """The ticket, if this staff member may do what reaches the person: its holder, or a supervisor
        who joined it; a supervisor who only monitors it may write to the colleague, not to her."""
        ticket = await self._holding(ticket_id, staff)
        if ticket.staff != staff.name and staff.name not in ticket.joined:
            raise NotAllowed(
                N_("You are monitoring this conversation (read-only): join it first to act in it.")
            )
        return ticket

    async def tell(self, ticket: Ticket, key: str, params: dict[str, Any]) -> None:
        """Send the person one rendered reply through her own channel, in order with the bot's."""
        reply = self._render(key, ticket.summary.language, ticket.summary.country, params)
        await self._deliver(await self.tickets.conversation(ticket.id), [reply])

    async def _finish(self, ticket: Ticket, *, outcome: str, by: Staff | None) -> None:
        now = time.time()
        conversation = await self.tickets.conversation(ticket.id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                ticket_key(ticket.id), mapping={"state": "closed", "closed_at": now, "outcome": outcome}
            )
            pipe.zrem(HANDOFF_QUEUE, ticket.id)
            pipe.zrem(HANDOFF_FOLLOW_UPS, ticket.id)
            pipe.zrem(HANDOFF_ACTIVE, ticket.id)
            # hers may name a newer ticket
            pipe.eval(_RELEASE, 1, self.tickets.open_key(conversation), ticket.id)
            if by is not None:
                count_close(pipe, now, None if ticket.claimed_at is None else now - ticket.claimed_at)
            await pipe.execute()
        await self._insights.add(Facts.of(await self.tickets.require(ticket.id), now))  # counts only
        if by is not None:
            await self.tickets.append(ticket.id, self._system(f"closed:{outcome}", by))
            await self.audit.record(by, f"close:{outcome}", ticket.id)
        await self.events.publish("closed", ticket.id, by.name if by else None)
