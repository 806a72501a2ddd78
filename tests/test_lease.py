"""A conversation's lease lasts as long as its drain: a reply waiting on a provider keeps it.

Found by the fault soak (bench/faults): with the provider answering 429 and 500, the outbox retries
for longer than a lease lives, and another replica could then start the same conversation.
"""

from __future__ import annotations

import asyncio

import fakeredis

from bot.pipeline.conversations import ConversationStore
from bot.pipeline.gateway import Gateway
from bot.pipeline.messages import OutboundMessage
from bot.rasa.engine import Engine

from .test_delivery import KEYS, SEALER, RecordingChannel

LEASE_MS = 300


def replica(engine: Engine, redis: fakeredis.aioredis.FakeRedis, channel: RecordingChannel) -> Gateway:
    store = ConversationStore(redis, sealer=SEALER, keys=KEYS, lease_ms=LEASE_MS)
    return Gateway(engine=engine, store=store, channels={channel.name: channel})


async def test_a_drain_keeps_its_lease_while_the_provider_fails(engine: Engine) -> None:
    redis = fakeredis.aioredis.FakeRedis()
    channel = RecordingChannel(failing=True)
    first, second = replica(engine, redis, channel), replica(engine, redis, channel)
    conversation = "test:someone"

    await first.deliver(conversation, [OutboundMessage(text="a reply")])
    await asyncio.sleep(3 * LEASE_MS / 1000)  # the outbox is still retrying

    assert await second.store.try_lease(conversation) is None  # the first replica holds it still
    channel.failing = False
    await first.close()
    assert channel.sent == [("someone", "a reply")]
    assert await second.store.try_lease(conversation) is not None  # let go once done
