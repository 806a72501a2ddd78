"""The person's side of a handoff, run by the gateway before anything reaches Rasa.

Once someone agreed to talk to a person, the gateway owns the conversation: in hours it joins the
queue (and hears its place and the expected wait), out of hours it hears when the helpline opens and
may leave a message with a safe time to reply. While queued or with staff, every message is relayed to
the console and never reaches Rasa; quick exit and erase are handled before this (bot/pipeline/gateway.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bot.handoff.desk import Desk
from bot.handoff.hours import Schedule, describe_opening
from bot.handoff.model import Author, Summary, Ticket, TicketState
from bot.handoff.waits import Place, Waits
from bot.pipeline.limits import Limits
from bot.pipeline.messages import InboundMessage, OutboundMessage
from bot.rasa.engine import Engine
from bot.rasa.payloads import parse_payload
from bot.storage.keys import HANDOFF_STAGE, Keys
from bot.storage.pseudonyms import Pseudonymizer
from bot.storage.sealing import Sealer

STAGE_SECONDS = 24 * 3600  # a half-written message is forgotten after a day
ANY_TIME_HERE = "any time, in this chat"  # what staff read when the person tapped that button


class Stage(StrEnum):
    CLOSED_OFFER = "closed_offer"  # out of hours: may leave a message
    WRITING = "writing"  # writing the message for the helpline
    CONTACT = "contact"  # saying when and how it is safe to reply


class HandoffFlow:
    def __init__(
        self,
        *,
        desk: Desk,
        engine: Engine,
        schedule: Schedule,
        waits: Waits,
        sealer: Sealer,
        pseudonym: Pseudonymizer,
        limits: Limits,
    ) -> None:
        self._desk = desk
        self._engine = engine
        self._schedule = schedule
        self._waits = waits
        self._sealer = sealer
        self._pseudonym = pseudonym
        self._limits = limits

    @property
    def _redis(self) -> Redis:
        return self._desk.redis

    def stage_key(self, conversation_id: str) -> str:
        return Keys.named(HANDOFF_STAGE, self._pseudonym(conversation_id))

    async def request(
        self, message: InboundMessage, summary: Summary, transcript: Sequence[tuple[Author, str]]
    ) -> list[OutboundMessage]:
        """The person said yes: queue them, or say when the helpline opens; a kind word instead when
        this sender or address asked too often lately (the help the turn gave still goes out)."""
        conversation_id = message.conversation_id
        existing = await self._desk.open_ticket(conversation_id)
        if existing is not None:  # a replayed turn, or asking twice
            return [await self._queue_reply("handoff_queue_update", existing)]
        if not await self._limits.handoff(message):
            return [self._render("handoff_limited", summary)]
        now = datetime.now(UTC)
        if self._schedule.is_open(now):
            ticket = await self._desk.enqueue(conversation_id, summary, transcript)
            return [await self._queue_reply("handoff_queued", ticket)]
        await self._save_stage(conversation_id, Stage.CLOSED_OFFER, summary, transcript)
        opening = self._schedule.next_opening(now)
        assert opening is not None, "a schedule opens at least once a week (checked on loading)"
        opens = describe_opening(opening, summary.language)
        return [self._render("helpline_closed", summary, {"opens": opens})]

    def queue_state(self, pipe: Pipeline, conversation_id: str) -> None:
        """Queue what `intercept` reads on a turn's first round trip: the open ticket's id, then what
        is staged (a half-written message for the helpline)."""
        pipe.get(self._desk.tickets.open_key(conversation_id))
        pipe.hgetall(self.stage_key(conversation_id))

    async def intercept(
        self,
        message: InboundMessage,
        kind_reply: str | None,
        *,
        ticket_id: bytes | None,
        staged: dict[bytes, bytes],
    ) -> list[OutboundMessage] | None:
        """The replies when the conversation is in a handoff; None when the bot should answer."""
        conversation = message.conversation_id
        payload = parse_payload(message.text) if kind_reply is None else None
        intent = payload[0] if payload is not None else None
        ticket = await self._desk.ticket_if_open(conversation, ticket_id)
        if ticket is not None:
            return await self._in_line(conversation, ticket, message, intent, kind_reply)
        if not staged:
            return None
        stage = Stage(staged[b"stage"].decode())
        summary = Summary.from_json(self._sealer.open(staged[b"summary"]))
        if intent == "handoff_cancel" or (stage is Stage.CLOSED_OFFER and intent == "handoff_no_thanks"):
            await self._redis.delete(self.stage_key(conversation))
            key = "handoff_cancelled" if intent == "handoff_cancel" else "handoff_declined"
            return [self._render(key, summary)]
        if stage is Stage.CLOSED_OFFER:
            if intent != "handoff_message":
                await self._redis.delete(self.stage_key(conversation))
                return None  # they moved on: the bot answers
            await self._redis.hset(self.stage_key(conversation), "stage", Stage.WRITING.value)
            return [self._render("ask_message", summary)]
        if kind_reply is not None:
            return [self._render(kind_reply, summary)]
        if stage is Stage.WRITING:
            if intent is not None:  # a stray button: the message is still wanted
                return [self._render("ask_message", summary)]
            mapping = {"stage": Stage.CONTACT.value, "message": self._sealer.seal(message.text)}
            await self._redis.hset(self.stage_key(conversation), mapping=mapping)
            return [self._render("ask_safe_contact", summary)]
        safe_contact = None if intent == "handoff_contact_here" else message.text
        if intent is not None and safe_contact is not None:
            return [self._render("ask_safe_contact", summary)]
        transcript = [(Author(a), t) for a, t in json.loads(self._sealer.open(staged[b"transcript"]))]
        left = self._sealer.open(staged[b"message"])
        summary = replace(summary, safe_contact=safe_contact or ANY_TIME_HERE)
        await self._desk.leave_message(conversation, summary, left, transcript)
        await self._redis.delete(self.stage_key(conversation))
        return [self._render("message_left", summary)]

    async def forget(self, conversation_id: str) -> None:
        await self._redis.delete(self.stage_key(conversation_id))

    async def _in_line(
        self,
        conversation: str,
        ticket: Ticket,
        message: InboundMessage,
        intent: str | None,
        kind_reply: str | None,
    ) -> list[OutboundMessage]:
        queued = ticket.state is TicketState.QUEUED
        if queued and intent == "handoff_cancel":
            await self._desk.cancel(conversation, "cancelled")
            return [self._render("handoff_cancelled", ticket.summary)]
        if queued and intent == "handoff_message":
            transcript = [
                (entry.author, entry.text)
                for entry in await self._desk.tickets.log(ticket.id)
                if entry.author in {Author.PERSON, Author.BOT}
            ]
            await self._desk.cancel(conversation, "left_message")
            await self._save_stage(conversation, Stage.WRITING, ticket.summary, transcript)
            return [self._render("ask_message", ticket.summary)]
        if kind_reply is not None:
            await self._desk.from_person(ticket, f"[{message.kind.value}: not kept]")
            return [self._render(kind_reply, ticket.summary)]
        await self._desk.from_person(ticket, message.text)
        if queued:
            return [await self._queue_reply("handoff_queue_update", ticket)]
        return []

    async def _queue_reply(self, key: str, ticket: Ticket) -> OutboundMessage:
        """Her place and expected wait (or that nobody is available now), remembered as told."""
        place = await self._waits.place(ticket.id) or Place(position=1, available=0, wait_seconds=None)
        if not place.available:
            key = f"{key}_nobody"
        await self._waits.told(ticket.id, place, key)
        return self._render(key, ticket.summary, self._waits.params(place, ticket.summary.language))

    async def _save_stage(
        self,
        conversation: str,
        stage: Stage,
        summary: Summary,
        transcript: Sequence[tuple[Author, str]],
    ) -> None:
        key = self.stage_key(conversation)
        lines = json.dumps([(author.value, text) for author, text in transcript], ensure_ascii=False)
        mapping = {
            "stage": stage.value,
            "summary": self._sealer.seal(summary.to_json()),
            "transcript": self._sealer.seal(lines),
            "at": time.time(),
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=mapping)
            pipe.expire(key, STAGE_SECONDS)
            await pipe.execute()

    def _render(self, key: str, summary: Summary, params: dict[str, object] | None = None) -> OutboundMessage:
        return self._engine.render(key, summary.language, summary.country, dict(params or {}))
