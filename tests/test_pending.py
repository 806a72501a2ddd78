"""A conversation with a stored message stays where the sweepers look, whatever runs at the same time.

Found by the fault soak (bench/faults): a drain that finished checked that its conversation had no
work, another replica stored a new message, then the first removed the conversation from the pending
set. When the new message's turn then failed (action server down), no sweeper ever retried it.
"""

from __future__ import annotations

import asyncio
import time

import fakeredis
from redis.asyncio import Redis

from bot.pipeline.conversations import ConversationStore, Delivery
from bot.storage.keys import INBOX, LEGACY_PENDING, PENDING, PENDING_IDS

from .test_delivery import KEYS, PSEUDONYM, SEALER, message


async def test_finishing_a_drain_while_a_message_arrives_never_strands_it() -> None:
    store = ConversationStore(fakeredis.aioredis.FakeRedis(), sealer=SEALER, keys=KEYS)
    stranded, left_over = [], []
    for _ in range(50):
        inbound = message("hi")
        conversation = inbound.conversation_id
        token = await store.try_lease(conversation)
        assert token is not None
        more, accepted = await asyncio.gather(
            store.finish(conversation, token), store.accept(inbound, take_lease=True)
        )
        if conversation not in await store.pending():
            stranded.append(conversation)
        if not more and accepted.lease is None:
            left_over.append(conversation)  # nobody drains it now: neither the finisher nor the acceptor
    assert stranded == [] and left_over == []


async def test_a_conversation_without_work_is_forgotten() -> None:
    store = ConversationStore(fakeredis.aioredis.FakeRedis(), sealer=SEALER, keys=KEYS)
    inbound = message("hi")
    token = (await store.accept(inbound, take_lease=True)).lease
    assert token is not None
    step = await store.complete(inbound.conversation_id, inbound, [])
    assert isinstance(step, Delivery)
    assert await store.delivered(inbound.conversation_id, step, {}) is None

    assert not await store.finish(inbound.conversation_id, token)

    assert await store.pending() == []


RETENTION = 3600
NUMBER = "+254712345678"


async def test_an_inbox_with_a_backlog_expires(gateway_redis: Redis) -> None:
    """Messages wait behind a turn in progress (or behind a dead replica's): the inbox that holds
    them expires with the retention period like every other key about the person."""
    store = ConversationStore(gateway_redis, sealer=SEALER, keys=KEYS, retention_seconds=RETENTION)
    first, second = message("first", sender=NUMBER), message("second", sender=NUMBER)
    assert (await store.accept(first, take_lease=True)).lease is not None  # its turn is running
    assert (await store.accept(second)).stored  # waits behind it
    inbox = KEYS.person(INBOX, first.conversation_id)
    assert await gateway_redis.llen(inbox) == 2
    assert 0 < await gateway_redis.ttl(inbox) <= RETENTION


async def test_the_pending_index_names_conversations_by_pseudonym_and_expires(gateway_redis: Redis) -> None:
    store = ConversationStore(gateway_redis, sealer=SEALER, keys=KEYS, retention_seconds=RETENTION)
    inbound = message("hi", sender=NUMBER)
    await store.accept(inbound)
    assert await store.pending() == [inbound.conversation_id]
    who = PSEUDONYM(inbound.conversation_id).encode()
    assert await gateway_redis.zrange(PENDING, 0, -1) == [who]
    held = await gateway_redis.hgetall(PENDING_IDS)
    assert list(held) == [who] and NUMBER[1:].encode() not in held[who]  # sealed
    for key in (PENDING, PENDING_IDS):
        assert 0 < await gateway_redis.ttl(key) <= RETENTION


async def test_pending_entries_older_than_the_retention_period_are_dropped(gateway_redis: Redis) -> None:
    store = ConversationStore(gateway_redis, sealer=SEALER, keys=KEYS, retention_seconds=RETENTION)
    stale, fresh = message("stale"), message("fresh")
    await store.accept(stale)
    await store.accept(fresh)
    who = PSEUDONYM(stale.conversation_id)
    await gateway_redis.zadd(PENDING, {who: time.time() - RETENTION - 1})  # its work was added long ago

    assert await store.pending() == [fresh.conversation_id]
    assert await gateway_redis.zscore(PENDING, who) is None
    assert not await gateway_redis.hexists(PENDING_IDS, who)


async def test_the_plain_pending_set_of_an_older_version_is_moved_once(gateway_redis: Redis) -> None:
    store = ConversationStore(gateway_redis, sealer=SEALER, keys=KEYS)
    await gateway_redis.sadd(LEGACY_PENDING, f"twilio:{NUMBER}")
    assert await store.upgrade_pending() == 1
    assert await store.pending() == [f"twilio:{NUMBER}"]
    assert not await gateway_redis.exists(LEGACY_PENDING)
    assert await store.upgrade_pending() == 0
