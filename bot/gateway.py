"""The gateway: every channel's messages, in order per conversation, through one turn function.

`accept` is what webhooks call once a message is verified and parsed: it stores the message durably
(deduplicated) and starts draining the conversation. `drain` runs turns one at a time under the
conversation's lease and hands the replies to the outbox. A sweeper picks up conversations a dead
replica left behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from bot.channels.base import Channel
from bot.commands import Commands
from bot.conversations import PREFIX, ConversationStore
from bot.engine import Engine
from bot.language import Detector, decide
from bot.messages import InboundKind, InboundMessage, OutboundMessage
from bot.outbox import METRICS, Outbox
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
    ) -> None:
        self.engine = engine
        self.store = store
        self.channels = channels
        self.outbox = Outbox(store=store, channels=channels, pseudonym=pseudonym)
        self.preferences = PreferenceStore(store.redis, store.retention_seconds)
        self.commands = Commands(engine, self.preferences)
        self._detector = Detector(engine.vocabularies)
        self._pseudonym = pseudonym
        self._tasks: set[asyncio.Task[None]] = set()

    async def accept(self, message: InboundMessage) -> bool:
        """Store a verified message and start its conversation; False for a re-delivery."""
        if not await self.store.accept(message):
            await self.store.redis.hincrby(METRICS, f"dedupe_hits:{message.channel}", 1)
            return False
        await self.store.redis.hincrby(METRICS, f"received:{message.channel}", 1)
        self.schedule(message.conversation_id)
        return True

    def schedule(self, conversation_id: str) -> None:
        task = asyncio.create_task(self.drain(conversation_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, conversation_id: str) -> None:
        """The worker's error boundary: whatever fails (Redis gone mid-turn), the message stays
        stored and the sweeper tries again; nothing escapes into the event loop."""
        try:
            await self._drain(conversation_id)
        except Exception:
            log.exception("gateway.drain_failed")

    async def _drain(self, conversation_id: str) -> None:
        token = await self.store.try_lease(conversation_id)
        if token is None:
            return  # the holder will find the new message before it lets go
        healthy = True
        try:
            await self.outbox.deliver(conversation_id)  # what a crashed turn left
            while (message := await self.store.head(conversation_id)) is not None:
                replies = await self._turn_or_apology(conversation_id, message)
                if replies is None:
                    healthy = False
                    break
                await self.store.complete(conversation_id, message, replies)
                await self.outbox.deliver(conversation_id)
                await self.store.renew(conversation_id, token)
        finally:
            await self.store.release(conversation_id, token)
        if healthy and await self.store.has_work(conversation_id):
            self.schedule(conversation_id)  # arrived while we were letting go
        else:
            await self.store.settle(conversation_id)

    async def _turn_or_apology(
        self, conversation_id: str, message: InboundMessage
    ) -> list[OutboundMessage] | None:
        """The turn's replies; an apology after repeated failures; None to retry later."""
        previous = await self.store.mark_started(conversation_id, message.provider_id)
        recovering = previous == message.provider_id
        try:
            return await self.turn(message, recovering=recovering)
        except Exception:
            log.exception("gateway.turn_failed channel=%s", message.channel)
            attempts_key = f"{PREFIX}:attempts:{message.channel}:{message.provider_id}"
            attempts = await self.store.redis.incr(attempts_key)
            await self.store.redis.expire(attempts_key, 3600)
            if attempts < MAX_TURN_ATTEMPTS:
                return None
            prefs = await self.preferences.get(conversation_id)
            return [self.engine.render("technical_problem", prefs.language)]

    async def turn(self, message: InboundMessage, *, recovering: bool = False) -> list[OutboundMessage]:
        """One message in, the replies out: language first, commands, then only words to the NLU."""
        conversation = message.conversation_id
        prefs = await self.preferences.get(conversation)
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
        if decision.settled and prefs.language != language:
            await self.preferences.update(conversation, language=language)
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
        kind_reply = KIND_REPLIES.get(message.kind)
        if kind_reply is None and is_wordless(message.text):
            kind_reply = "words_only"
        if kind_reply is not None:
            return [self.engine.render(kind_reply, language, country)]
        return await self._run(
            message, message.text, language, country, message.provider_id, replay=recovering
        )

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
        return await self.engine.handle(
            message.conversation_id,
            text,
            language=language,
            country=country,
            channel=message.channel,
            message_id=message_id,
            replay=replay,
        )

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
