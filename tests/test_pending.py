"""A conversation with a stored message stays where the sweepers look, whatever runs at the same time.

Found by the fault soak (bench/faults): a drain that finished checked that its conversation had no
work, another replica stored a new message, then the first removed the conversation from the pending
set. When the new message's turn then failed (action server down), no sweeper ever retried it.
"""

from __future__ import annotations

import asyncio

import fakeredis

from bot.conversations import ConversationStore

from .test_delivery import SEALER, message


async def test_settling_while_a_message_arrives_never_strands_it() -> None:
    store = ConversationStore(fakeredis.aioredis.FakeRedis(), sealer=SEALER)
    stranded = []
    for _ in range(50):
        inbound = message("hi")
        await asyncio.gather(store.settle(inbound.conversation_id), store.accept(inbound))
        if inbound.conversation_id not in await store.pending():
            stranded.append(inbound.conversation_id)
    assert stranded == []


async def test_a_conversation_without_work_is_forgotten() -> None:
    store = ConversationStore(fakeredis.aioredis.FakeRedis(), sealer=SEALER)
    inbound = message("hi")
    await store.accept(inbound)
    await store.complete(inbound.conversation_id, inbound, [])
    await store.outbox_done(inbound.conversation_id)

    await store.settle(inbound.conversation_id)

    assert await store.pending() == []
