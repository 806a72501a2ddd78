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

from bot.channels.base import Channel
from bot.evidence.exports import Exports
from bot.evidence.record import RecordStore
from bot.handoff.desk import Desk
from bot.handoff.flow import HandoffFlow
from bot.handoff.hours import Schedule
from bot.handoff.waits import Waits
from bot.inbox.store import InboxStore
from bot.language.detection import Detector, decide
from bot.ops.metrics import Metrics
from bot.ops.settings import RateLimits
from bot.pipeline.conversations import Acceptance, ConversationStore, Delivery, Started, Step
from bot.pipeline.limits import Limits
from bot.pipeline.messages import InboundKind, InboundMessage, OutboundMessage
from bot.pipeline.outages import outlasting_outages
from bot.pipeline.outbox import Outbox
from bot.pipeline.preferences import PreferenceStore
from bot.pipeline.stages.blocked import Blocked
from bot.pipeline.stages.commands import Commands
from bot.pipeline.stages.counting import SituationCounts
from bot.pipeline.stages.dialogue import Dialogue
from bot.pipeline.stages.evidence import EvidenceLog
from bot.pipeline.stages.inbox import InboxConsent
from bot.pipeline.stages.language import Language
from bot.pipeline.stages.media import Media
from bot.pipeline.stages.more import More
from bot.pipeline.stages.new_conversations import NewConversations
from bot.pipeline.stages.questions import OpenQuestion, QuestionMemory
from bot.pipeline.stages.relay import HandoffRelay
from bot.pipeline.stages.reply_cap import ReplyCap
from bot.pipeline.stages.safety import Safety
from bot.pipeline.turn import Stage, TurnState, chain
from bot.pipeline.upgrade import Upgraded, move_old_keys
from bot.rasa.engine import Engine
from bot.storage.keys import METRICS

log = logging.getLogger(__name__)

MAX_TURN_ATTEMPTS = 3
SWEEP_SECONDS = 10.0


async def _unanswered(turn: TurnState) -> list[OutboundMessage]:
    raise AssertionError("the dialogue stage answers every message that reaches it")


class Gateway:
    def __init__(
        self,
        *,
        engine: Engine,
        store: ConversationStore,
        channels: Mapping[str, Channel],
        schedule: Schedule | None = None,
        minutes_per_person: int = 5,
        metrics: Metrics | None = None,
        limits: RateLimits | None = None,
        public_url: str | None = None,
        ask_inbox: bool = False,
        evidence_max_days: int = 365,
    ) -> None:
        """`ask_inbox`: ask whether a sentence it did not understand may be kept (stages/inbox.py)."""
        pseudonym = store.keys.pseudonym
        self.engine = engine
        self.store = store
        self.channels = channels
        self.metrics = metrics or Metrics()
        self.outbox = Outbox(
            store=store,
            channels=channels,
            metrics=self.metrics,
            more=engine.more_title,
        )
        self.preferences = PreferenceStore(
            store.redis, store.retention_seconds, sealer=store.sealer, keys=store.keys
        )
        self.limits = Limits(
            store.redis,
            pseudonym=pseudonym,
            limits=limits or RateLimits(),
            retention_seconds=store.retention_seconds,
            metrics=self.metrics,
        )
        self.desk = Desk(
            store.redis,
            sealer=store.sealer,
            pseudonym=pseudonym,
            render=engine.render,
            deliver=self.deliver,
            retention_seconds=store.retention_seconds,
            metrics=self.metrics,
        )
        self.records = RecordStore(store.redis, sealer=store.sealer, keys=store.keys)
        self.exports = Exports(store.redis, sealer=store.sealer, keys=store.keys)
        self._public_url = public_url
        self._evidence_max_days = evidence_max_days
        self.waits = Waits(self.desk, minutes_per_person=minutes_per_person)
        self.handoff = HandoffFlow(
            desk=self.desk,
            engine=engine,
            schedule=schedule or Schedule.always_open(),
            waits=self.waits,
            sealer=store.sealer,
            pseudonym=pseudonym,
            limits=self.limits,
        )
        self.inbox = InboxStore(store.redis, sealer=store.sealer, keys=store.keys)
        self._ask_inbox = ask_inbox
        self._detector = Detector(engine.vocabularies)
        self._tasks: set[asyncio.Task[None]] = set()
        self._upgraded = False
        self._chain = chain(self.stages(), _unanswered)

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
        """One message in, the replies out: through the stages, in order (`stages`)."""
        return await self._chain(await self._turn_state(message, recovering))

    async def _turn_state(self, message: InboundMessage, recovering: bool) -> TurnState:
        """What the stages need to know about the conversation, read in one round trip."""
        conversation = message.conversation_id
        async with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.hexists(*self.desk.blocks.entry(conversation))
            pipe.hgetall(self.preferences.key(conversation))
            self.handoff.queue_state(pipe, conversation)
            pipe.get(self.records.draft_key(conversation))
            blocked, stored_prefs, ticket_id, staged, draft = await pipe.execute()
        prefs = self.preferences.parse(stored_prefs)
        readable = message.kind in {InboundKind.TEXT, InboundKind.CHOICE}
        decision = decide(
            available=self.engine.languages,
            default=self.engine.default_turn.language,
            remembered=prefs.language,
            chosen=prefs.language_chosen,
            hint=message.language_hint,
            country=prefs.country or message.country_hint,
            text=message.text if readable and not message.text.startswith("/") else "",
            detector=self._detector,
        )
        return TurnState(
            message=message,
            prefs=prefs,
            decision=decision,
            ticket_id=ticket_id,
            staged=staged,
            blocked=bool(blocked),
            recovering=recovering,
            country=prefs.country or message.country_hint,
            draft=self.records.parse_draft(draft),
        )

    def stages(self) -> list[Stage]:
        """The turn, top to bottom. The first two wrap the rest: they see every stage's replies."""
        return [
            ReplyCap(self.metrics),  # at most a few replies, whatever happened below
            QuestionMemory(self.preferences),  # which questions the replies asked, for the next message
            Blocked(),  # a blocked sender gets nothing
            Safety(  # danger, self-harm, quick exit, erase: every language, every state
                engine=self.engine,
                desk=self.desk,
                handoff=self.handoff,
                preferences=self.preferences,
                channels=self.channels,
                erase=self.erase,
                drop_draft=self.records.drop_draft,
            ),
            NewConversations(self.engine, self.limits),  # an address that started too many lately
            More(self.engine, self.outbox),  # the rest of the last answer, held back for its cost
            # her record: an entry being written, her requests about it
            EvidenceLog(self.engine, self.records, self.exports, self._public_url, self._evidence_max_days),
            InboxConsent(  # may a sentence it did not understand be kept? Her answer, read
                engine=self.engine, preferences=self.preferences, inbox=self.inbox, ask=self._ask_inbox
            ),
            OpenQuestion(engine=self.engine, preferences=self.preferences, erase=self.erase),
            HandoffRelay(self.handoff),  # queued, with staff, or writing for the helpline
            Language(self.engine, self.preferences),  # remember her language; switch when asked
            Commands(self.engine, self.preferences),  # language and country menus, unknown commands
            Media(self.engine),  # photos, voice notes, stickers: a kind reply, nothing stored
            SituationCounts(self.engine, self.preferences),  # a situation started: anonymous counts
            Dialogue(self.engine, self.handoff),  # NLU and the dialogue model; a yes becomes a handoff
        ]

    async def erase(self, conversation_id: str) -> None:
        """Everything keyed to this person, gone; staff keep only the fact that it was erased."""
        await self.desk.erase(conversation_id)
        await self.handoff.forget(conversation_id)
        await self.engine.erase(conversation_id)
        await self.preferences.erase(conversation_id)
        await self.records.erase(conversation_id)
        await self.exports.erase(conversation_id)
        await self.inbox.forget(conversation_id)  # a sentence asked about; kept items are no one's
        await self.limits.forget(conversation_id)
        channel_name, _, sender = conversation_id.partition(":")
        channel = self.channels.get(channel_name)
        if channel is not None:
            await channel.forget(sender)
        await self.outbox.forget(conversation_id)
        await self.store.erase(conversation_id)

    async def upgrade_storage(self) -> Upgraded | None:
        """What an older version left under its key names, moved (bot/pipeline/upgrade.py); None if
        Redis did not answer: the sweeper tries again."""
        try:
            upgraded = await move_old_keys(self.store)
        except (RedisError, OSError):
            log.warning("gateway.upgrade_postponed")
            return None
        self._upgraded = True
        if upgraded.moved or upgraded.dropped or upgraded.pending:
            log.info("gateway.storage_upgraded %s", upgraded)
        return upgraded

    async def sweep_forever(self) -> None:
        """Pick up conversations whose replica died mid-turn (their lease has expired)."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                if not self._upgraded:  # Redis did not answer at start-up
                    await self.upgrade_storage()
                for conversation_id in await self.store.pending():
                    self.schedule(conversation_id)
            except Exception:
                log.exception("gateway.sweep_failed")

    async def idle(self) -> bool:
        """No conversation has work left here: no drain running, none waiting (tests, shutdown checks)."""
        return not self._tasks and not await self.store.pending()

    async def close(self) -> None:
        """Let in-flight turns finish (graceful shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=30)
