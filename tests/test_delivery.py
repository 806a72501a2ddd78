"""Delivery guarantees of the gateway: bounded retries, crash recovery without a second turn."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet
from redis.asyncio import Redis

from bot.channels.base import Accept, TransientSendError
from bot.pipeline.conversations import (
    ConversationStore,
    Delivery,
    Started,
    replies_from_json,
    replies_to_json,
)
from bot.pipeline.gateway import Gateway
from bot.pipeline.messages import InboundKind, InboundMessage, OutboundMessage
from bot.pipeline.outbox import Outbox
from bot.rasa.engine import Engine
from bot.storage.keys import FAILURES, Keys
from bot.storage.sealing import Sealer


class RecordingChannel:
    """A channel whose sends are recorded; it can be told to fail every time."""

    name = "test"
    per_recipient_rate = 0.0
    overall_rate = 0.0
    budget = None  # no cost per message: a turn goes out whole

    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.sent: list[tuple[str, str]] = []
        self.attempts = 0

    def routes(self, accept: Accept) -> list[Any]:
        return []

    def render(self, replies: Sequence[OutboundMessage]) -> list[str]:
        return [reply.text for reply in replies]

    async def send(self, recipient: str, request: str, reply_to: str) -> str | None:
        self.attempts += 1
        if self.failing:
            raise TransientSendError("provider down")
        self.sent.append((recipient, request))
        return None

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def message(text: str, sender: str | None = None) -> InboundMessage:
    return InboundMessage(
        channel="test",
        provider_id=uuid.uuid4().hex,
        sender=sender or uuid.uuid4().hex[:10],
        kind=InboundKind.TEXT,
        text=text,
        language_hint="en",
    )


SECRET_KEY = "test"
KEYS = Keys.from_secret(SECRET_KEY)  # the app's keys with this SECRET_KEY
PSEUDONYM = KEYS.pseudonym
SEALER = Sealer.from_keys([Fernet.generate_key().decode()])


def gateway(engine: Engine, redis: Redis, channel: RecordingChannel) -> Gateway:
    return Gateway(
        engine=engine,
        store=ConversationStore(redis, sealer=SEALER, keys=KEYS),
        channels={channel.name: channel},
    )


async def deliver_to_a_provider_that_is_down(
    redis: Redis, attempts: int
) -> tuple[RecordingChannel, ConversationStore, InboundMessage]:
    """One committed reply, delivered to a channel that fails every time."""
    channel = RecordingChannel(failing=True)
    store = ConversationStore(redis, sealer=SEALER, keys=KEYS)
    outbox = Outbox(store=store, channels={"test": channel}, max_attempts=attempts, base_delay=0.01)
    inbound = message("hi")
    await store.accept(inbound, take_lease=True)  # and its turn begins
    step = await store.complete(inbound.conversation_id, inbound, [OutboundMessage(text="a reply")])
    assert isinstance(step, Delivery) and step.sent == 0
    await store.delivered(inbound.conversation_id, step, await outbox.send(inbound.conversation_id, step))
    return channel, store, inbound


async def test_a_provider_that_stays_down_is_given_up_on_and_recorded(gateway_redis: Redis) -> None:
    channel, store, inbound = await deliver_to_a_provider_that_is_down(gateway_redis, attempts=4)

    assert channel.attempts == 4
    record = json.loads(await gateway_redis.lindex(FAILURES, 0))
    assert record["reason"] == "gave up after 4 attempts: provider down"
    assert inbound.sender not in json.dumps(record)
    assert await store.begin(inbound.conversation_id) is None  # not retried forever


async def test_staff_can_list_failed_sends(gateway_redis: Redis, capsys: Any) -> None:
    from bot.cli.admin import _deliveries
    from bot.ops.settings import Settings

    from .conftest import GATEWAY_REDIS_URL

    _, _, inbound = await deliver_to_a_provider_that_is_down(gateway_redis, attempts=2)

    await _deliveries(Settings(redis_url=GATEWAY_REDIS_URL))
    printed = capsys.readouterr().out
    assert "failed:test" in printed and "gave up after 2 attempts: provider down" in printed
    assert inbound.sender not in printed


async def test_a_message_left_by_a_dead_replica_is_answered_once(
    engine: Engine, gateway_redis: Redis
) -> None:
    channel = RecordingChannel()
    gw = gateway(engine, gateway_redis, channel)
    inbound = message("/doxxing")
    conversation = inbound.conversation_id
    # The dead replica stored the message, ran the turn, and died before committing the replies.
    assert (await gw.store.accept(inbound)).stored
    started = await gw.store.begin(conversation)
    assert isinstance(started, Started) and not started.recovering
    ran = await engine.handle(conversation, inbound.text, message_id=inbound.provider_id)

    await gw.drain(conversation)  # what the sweeper of any replica does once the lease expired

    assert [text for _, text in channel.sent] == [reply.text for reply in ran.replies]
    tracker = await engine._dialogue.tracker_store.retrieve(engine._sender(conversation))
    user_turns = [e for e in tracker.events if getattr(e, "message_id", None) == inbound.provider_id]
    assert len(user_turns) == 1  # the turn was not run a second time


async def test_the_sweeper_picks_up_stored_messages_nobody_is_draining(
    engine: Engine, gateway_redis: Redis
) -> None:
    channel = RecordingChannel()
    gw = gateway(engine, gateway_redis, channel)
    inbound = message("/stalking")
    assert (await gw.store.accept(inbound)).stored  # stored, then the replica died before draining
    assert inbound.conversation_id in await gw.store.pending()

    for conversation in await gw.store.pending():
        await gw.drain(conversation)

    assert channel.sent and channel.sent[-1][1].startswith("1/10. ")  # stalking's first step
    assert inbound.conversation_id not in await gw.store.pending()  # no work left


async def test_undelivered_replies_are_resent_from_where_they_stopped(gateway_redis: Redis) -> None:
    channel = RecordingChannel()
    store = ConversationStore(gateway_redis, sealer=SEALER, keys=KEYS)
    outbox = Outbox(store=store, channels={"test": channel})
    inbound = message("hi")
    await store.accept(inbound, take_lease=True)  # and its turn begins
    replies = [OutboundMessage(text=t) for t in ("one", "two", "three")]
    await store.complete(inbound.conversation_id, inbound, replies)
    await store.record_sent(inbound.conversation_id, 1)  # "one" went out before the crash

    step = await store.begin(inbound.conversation_id)  # the next drain
    assert isinstance(step, Delivery) and step.sent == 1
    assert await outbox.send(inbound.conversation_id, step) == {"sent:test": 2}

    assert [text for _, text in channel.sent] == ["two", "three"]
    assert replies_from_json(replies_to_json(replies)) == replies  # the committed form round-trips


async def test_a_failure_mid_drain_keeps_the_message_and_raises_nothing(
    engine: Engine, gateway_redis: Redis, monkeypatch: Any
) -> None:
    gw = gateway(engine, gateway_redis, RecordingChannel())
    inbound = message("/doxxing")
    assert (await gw.store.accept(inbound)).stored

    async def redis_gone(*args: Any) -> None:
        raise ConnectionError("redis went away")

    monkeypatch.setattr(gw.store, "complete", redis_gone)
    await gw.drain(inbound.conversation_id)  # logged, not raised

    head = await gw.store.begin(inbound.conversation_id)
    assert isinstance(head, Started) and head.message.provider_id == inbound.provider_id
    assert head.recovering  # the failed turn had begun: its next run checks the tracker first
    assert await gw.store.try_lease(inbound.conversation_id) is not None  # the lease was let go
