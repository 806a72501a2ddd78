"""A conversation with a stored message stays where the sweepers look, whatever runs at the same time.

Found by the fault soak (bench/faults): a drain that finished checked that its conversation had no
work, another replica stored a new message, then the first removed the conversation from the pending
set. When the new message's turn then failed (action server down), no sweeper ever retried it.
"""

from __future__ import annotations

import asyncio

import fakeredis

from bot.pipeline.conversations import ConversationStore, Delivery

from .test_delivery import SEALER, message


async def test_finishing_a_drain_while_a_message_arrives_never_strands_it() -> None:
    store = ConversationStore(fakeredis.aioredis.FakeRedis(), sealer=SEALER)
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
    store = ConversationStore(fakeredis.aioredis.FakeRedis(), sealer=SEALER)
    inbound = message("hi")
    token = (await store.accept(inbound, take_lease=True)).lease
    assert token is not None
    step = await store.complete(inbound.conversation_id, inbound, [])
    assert isinstance(step, Delivery)
    assert await store.delivered(inbound.conversation_id, step, {}) is None

    assert not await store.finish(inbound.conversation_id, token)

    assert await store.pending() == []
