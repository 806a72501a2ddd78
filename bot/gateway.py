"""The gateway: every channel's messages, in order per conversation, through one turn function.

`accept` is what webhooks call once a message is verified and parsed: it stores the message durably
(deduplicated) and starts draining the conversation. `drain` runs turns one at a time under the
conversation's lease and hands the replies to the outbox. A sweeper picks up conversations a dead
replica left behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping, Sequence
from functools import partial
from typing import Any

from redis.exceptions import RedisError

from bot.action_endpoint import ActionServerUnavailable
from bot.channels.base import Channel
from bot.commands import Commands
from bot.conversations import METRICS, Acceptance, ConversationStore, Delivery, Started, Step
from bot.engine import Engine, StorageUnavailable
from bot.handoff.desk import Desk
from bot.handoff.flow import HandoffFlow
from bot.handoff.hours import Schedule
from bot.handoff.model import Author, Risk, Summary
from bot.language import Detector, decide
from bot.messages import InboundKind, InboundMessage, OutboundMessage
from bot.metrics import Metrics
from bot.nlg import parse_payload
from bot.outages import outlasting_outages
from bot.outbox import Outbox
from bot.preferences import PreferenceStore
from bot.privacy import Pseudonymizer

log = logging.getLogger(__name__)

# What a person gets for something the assistant cannot read. Media is never stored.
KIND_REPLIES = {
    InboundKind.IMAGE: "media_not_stored",
    InboundKind.VIDEO: "media_not_stored",
    InboundKind.AUDIO: "audio_not_understood",
    InboundKind.DOCUMENT: "media_not_stored",
    InboundKind.STICKER: "words_only",
    InboundKind.REACTION: "words_only",
    InboundKind.UNSUPPORTED: "words_only",
    InboundKind.LOCATION: "location_not_stored",
    InboundKind.CONTACT: "contact_not_stored",
    InboundKind.EDITED: "edit_not_read",
}
MAX_TURN_ATTEMPTS = 3
SWEEP_SECONDS = 10.0


def is_wordless(text: str) -> bool:
    """Empty, or only emoji and punctuation: nothing the NLU could read."""
    return not any(ch.isalnum() for ch in text)


class Gateway:
    def __init__(
        self,
        *,
        engine: Engine,
        store: ConversationStore,
        channels: Mapping[str, Channel],
        pseudonym: Pseudonymizer,
        schedule: Schedule | None = None,
        minutes_per_person: int = 5,
        metrics: Metrics | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.channels = channels
        self.metrics = metrics or Metrics()
        self.outbox = Outbox(store=store, channels=channels, pseudonym=pseudonym, metrics=self.metrics)
        self.preferences = PreferenceStore(store.redis, store.retention_seconds, store.sealer)
        self.desk = Desk(
            store.redis,
            sealer=store.sealer,
            pseudonym=pseudonym,
            render=engine.render,
            deliver=self.deliver,
            retention_seconds=store.retention_seconds,
            metrics=self.metrics,
        )
        self.handoff = HandoffFlow(
            desk=self.desk,
            engine=engine,
            schedule=schedule or Schedule.always_open(),
            minutes_per_person=minutes_per_person,
            sealer=store.sealer,
            pseudonym=pseudonym,
        )
        self.commands = Commands(engine, self.preferences)
        self._detector = Detector(engine.vocabularies)
        self._pseudonym = pseudonym
        self._tasks: set[asyncio.Task[None]] = set()

    async def accept(self, message: InboundMessage) -> bool:
        """Store a verified message and start its conversation; False for a re-delivery."""
        acceptance = await self.store.accept(message, take_lease=True)
        if not acceptance.stored:
            self.metrics.dedupe_hits.labels(message.channel).inc()
            return False
        self.metrics.received.labels(message.channel).inc()
        if acceptance.lease is not None:  # else its holder finds the message before it lets go
            self._start(self.drain(message.conversation_id, acceptance))
        return True

    async def deliver(self, conversation_id: str, replies: Sequence[OutboundMessage]) -> None:
        """Send replies that no inbound message asked for (staff messages), in order with the bot's."""
        await self.store.push_replies(conversation_id, replies)
        self.schedule(conversation_id)

    def schedule(self, conversation_id: str) -> None:
        self._start(self.drain(conversation_id))

    def _start(self, drain: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(drain)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, conversation_id: str, taken: Acceptance | None = None) -> None:
        """Run the conversation's pending work under its lease (`taken` when accepting the message
        took it). The worker's error boundary: whatever fails (Redis gone mid-turn), the message
        stays stored and the sweeper tries again; nothing escapes into the event loop."""
        try:
            token = taken.lease if taken is not None else await self.store.try_lease(conversation_id)
            if token is None:
                return  # the holder finds the new work before it lets go
            keeper = asyncio.create_task(self._keep_lease(conversation_id, token))
            try:
                step = taken.step if taken is not None else await self.store.begin(conversation_id)
                healthy = await self._steps(conversation_id, step, keeper)
            finally:
                keeper.cancel()
                # Let go once Redis answers again, not a lease's time later.
                more = await outlasting_outages(partial(self.store.finish, conversation_id, token))
            if healthy and more:
                self.schedule(conversation_id)  # arrived while we were letting go
        except Exception:
            log.exception("gateway.drain_failed")

    async def _steps(self, conversation_id: str, step: Step, keeper: asyncio.Task[None]) -> bool:
        """Deliver what is in the outbox, run the next turn, and so on, while the lease is kept: each
        step is one round trip that also says what comes next. False if a turn must wait for later."""
        while step is not None and not keeper.done():
            if isinstance(step, Delivery):
                counters = await self.outbox.send(conversation_id, step)
                delivered = partial(self.store.delivered, conversation_id, step, counters)
                step = await outlasting_outages(delivered)  # the provider has it: outlast a Redis restart
                continue
            with self.metrics.turn_seconds.labels(step.message.channel).time():
                replies = await self._turn_or_apology(conversation_id, step)
            if replies is None:
                return False
            step = await self.store.complete(conversation_id, step.message, replies)
        return True

    async def _keep_lease(self, conversation_id: str, token: str) -> None:
        """Renew the lease while its drain runs: a reply may wait minutes for a provider answering 429
        or 5xx, and another replica must not start the conversation meanwhile. Returns if the lease
        was lost, so the drain stops before its next step."""
        while True:
            await asyncio.sleep(self.store.lease_seconds / 3)
            try:
                if not await self.store.renew(conversation_id, token):
                    log.warning("gateway.lease_lost")
                    return
            except (RedisError, OSError):  # Redis restarting: the lease outlives a short outage
                log.warning("gateway.lease_not_renewed")

    async def _turn_or_apology(self, conversation_id: str, step: Started) -> list[OutboundMessage] | None:
        """The turn's replies; an apology after repeated failures; None to retry later."""
        message = step.message
        try:
            return await self.turn(message, recovering=step.recovering)
        except Exception:
            log.exception("gateway.turn_failed channel=%s", message.channel)
            await self.store.redis.hincrby(METRICS, f"turn_failed:{message.channel}", 1)
            if await self.store.count_attempt(message) < MAX_TURN_ATTEMPTS:
                return None
            await self.store.redis.hincrby(METRICS, f"apologised:{message.channel}", 1)
            prefs = await self.preferences.get(conversation_id)
            return [self.engine.render("technical_problem", prefs.language)]

    async def turn(self, message: InboundMessage, *, recovering: bool = False) -> list[OutboundMessage]:
        """One message in, the replies out: safety commands first, then a handoff in progress, then
        language and commands; only words reach the NLU."""
        conversation = message.conversation_id
        async with self.store.redis.pipeline(transaction=False) as pipe:  # one round trip for all
            pipe.hexists(*self.desk.block_entry(conversation))
            pipe.hgetall(self.preferences.key(conversation))
            self.handoff.queue_state(pipe, conversation)
            blocked, stored_prefs, ticket_id, staged = await pipe.execute()
        if blocked:
            return []
        prefs = self.preferences.parse(stored_prefs)
        country = prefs.country or message.country_hint
        readable = message.kind in {InboundKind.TEXT, InboundKind.CHOICE}
        decision = decide(
            available=self.engine.languages,
            default=self.engine.default_turn.language,
            remembered=prefs.language,
            chosen=prefs.language_chosen,
            hint=message.language_hint,
            country=country,
            text=message.text if readable and not message.text.startswith("/") else "",
            detector=self._detector,
        )
        language = decision.language
        if readable:
            safety = await self._safety(message, language, country)
            if safety is not None:
                return safety
        if decision.settled and prefs.language != language:
            await self.preferences.update(conversation, language=language)
        kind_reply = KIND_REPLIES.get(message.kind)
        if kind_reply is None and is_wordless(message.text):
            kind_reply = "words_only"
        in_handoff = await self.handoff.intercept(message, kind_reply, ticket_id=ticket_id, staged=staged)
        if in_handoff is not None:
            return in_handoff
        if readable:
            command = await self.commands.handle(conversation, message.text, language)
            if command is not None:
                replies, switched_to = command
                if switched_to is None:
                    return replies
                await self.preferences.update(conversation, pending_text=None)
                held = prefs.pending_text or "/menu"
                return replies + await self._run(message, held, switched_to, country, None)
            if decision.offer is not None:
                await self.preferences.update(conversation, pending_text=message.text)
                return [self.commands.switch_offer(decision.offer, language)]
        if kind_reply is not None:
            return [self.engine.render(kind_reply, language, country)]
        return await self._run(
            message, message.text, language, country, message.provider_id, replay=recovering
        )

    async def _safety(
        self, message: InboundMessage, language: str, country: str | None
    ) -> list[OutboundMessage] | None:
        """Quick exit and erase work in every state and language, handoff included."""
        conversation = message.conversation_id
        payload = parse_payload(message.text)
        if payload is not None and payload[0] == "erase_cancelled":
            return [self.engine.render("erase_cancelled", language, country)]
        if payload is not None and payload[0] == "erase_confirmed":
            await self.erase(conversation)
            return [self.engine.render("erase_done", language, country)]
        command = self.engine.safety_command(message.text)
        if command == "erase_data":
            return [self.engine.render("erase_confirm", language, country)]
        if command != "quick_exit":
            return None
        await self.desk.cancel(conversation, "quick_exit")
        await self.handoff.forget(conversation)
        try:
            await self.engine.handle(conversation, "/quick_exit", language=language, channel=message.channel)
        except (ActionServerUnavailable, StorageUnavailable):  # leaving must not wait: the chat still goes
            log.warning("gateway.quick_exit_without_rasa")
        channel = self.channels.get(message.channel)
        if channel is not None and await channel.wipe(message.sender):
            return []  # the chat is gone from their phone: say nothing more
        return [self.engine.render("quick_exit", language, country)]

    async def erase(self, conversation_id: str) -> None:
        """Everything keyed to this person, gone; staff keep only the fact that it was erased."""
        await self.desk.erase(conversation_id)
        await self.handoff.forget(conversation_id)
        await self.engine.erase(conversation_id)
        await self.preferences.erase(conversation_id)
        channel_name, _, sender = conversation_id.partition(":")
        channel = self.channels.get(channel_name)
        if channel is not None:
            await channel.forget(sender)
        await self.outbox.forget(conversation_id)
        await self.store.erase(conversation_id)

    async def _run(
        self,
        message: InboundMessage,
        text: str,
        language: str,
        country: str | None,
        message_id: str | None,
        *,
        replay: bool = False,
    ) -> list[OutboundMessage]:
        turn = await self.engine.handle(
            message.conversation_id,
            text,
            language=language,
            country=country,
            channel=message.channel,
            message_id=message_id,
            replay=replay,
        )
        if turn.handoff is None:
            return turn.replies
        return turn.replies + await self._hand_off(message, turn.handoff, language, country)

    async def _hand_off(
        self, message: InboundMessage, shared: dict[str, Any], language: str, country: str | None
    ) -> list[OutboundMessage]:
        """The person agreed: the summary they agreed to, and the chat only if they said so."""
        summary = Summary(
            situation=shared.get("situation"),
            platform=shared.get("platform"),
            steps_done=tuple(shared.get("steps_done") or ()),
            steps_skipped=tuple(shared.get("steps_skipped") or ()),
            risks=tuple(Risk(r) for r in shared.get("risks") or () if r in Risk._value2member_map_),
            language=language,
            channel=message.channel,
            country=country,
            transcript_shared=bool(shared.get("transcript_shared")),
        )
        transcript: list[tuple[Author, str]] = []
        if summary.transcript_shared:
            lines = await self.engine.transcript(message.conversation_id)
            transcript = [(Author(author), text) for author, text in lines]
        return await self.handoff.request(message.conversation_id, summary, transcript)

    async def sweep_forever(self) -> None:
        """Pick up conversations whose replica died mid-turn (their lease has expired)."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                for conversation_id in await self.store.pending():
                    self.schedule(conversation_id)
            except Exception:
                log.exception("gateway.sweep_failed")

    async def close(self) -> None:
        """Let in-flight turns finish (graceful shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=30)
