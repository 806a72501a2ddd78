"""A drain step whose answer is lost, and which the Redis client therefore sends again, happens once.

bot/ops/app.py sends a command once more when its connection breaks (what a Redis restart does to every
pooled connection). If the first attempt had run before the connection broke, a script would run
twice: `complete` would put the same replies in the outbox twice and drop the next message, `delivered`
would drop an item never sent. Found while tracing replies sent twice during the fault soak's Redis
restart (bench/faults; most of those had another cause, see bot/pipeline/outages.py).

Between the client and a real Redis (db 2) sits a proxy that, when told to, forwards the next call of a
command and breaks the connection instead of passing the answer back: the real retry in redis-py follows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.handoff.desk import Desk
from bot.handoff.model import Summary, TicketState
from bot.handoff.staff import Role, Staff
from bot.ops.settings import Settings
from bot.pipeline.conversations import ConversationStore, Delivery, Started
from bot.pipeline.messages import OutboundMessage
from bot.storage.connection import connect_redis
from bot.storage.keys import INBOX, LEASE, OUTBOX

from .conftest import free_port
from .console_support import render
from .support.redis_dbs import SERVER, emptied, redis_url
from .test_delivery import KEYS, PSEUDONYM, SEALER, message
from .test_handoff import Recorder

DB_URL = redis_url("retried_scripts")
REDIS_HOST, _, REDIS_PORT = SERVER.removeprefix("redis://").rpartition(":")
DB = DB_URL.rsplit("/", 1)[1]


class AnswerLosingProxy:
    """Forwards Redis traffic; once armed, the next call of a command runs but its answer never arrives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.armed: tuple[bytes, ...] = ()  # the commands (as sent) whose next answer is lost
        self.lost = 0
        self._server: asyncio.Server | None = None

    def arm(self, *commands: str) -> None:
        self.armed = tuple(f"\r\n{command}\r\n".encode() for command in commands)

    async def __aenter__(self) -> AnswerLosingProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        redis_reader, redis_writer = await asyncio.open_connection(REDIS_HOST, REDIS_PORT)
        try:
            while request := await client_reader.read(65536):
                redis_writer.write(request)
                await redis_writer.drain()
                answer = await redis_reader.read(65536)
                if any(command in request for command in self.armed):
                    self.armed = ()
                    self.lost += 1
                    return  # the command ran; its answer goes nowhere
                client_writer.write(answer)
                await client_writer.drain()
        finally:
            client_writer.close()
            redis_writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[AnswerLosingProxy]:
    async with emptied(DB_URL), AnswerLosingProxy() as proxy:
        yield proxy


@pytest.fixture
async def client(proxy: AnswerLosingProxy) -> AsyncIterator[Redis]:
    """Configured as the gateway's own (bot/ops/app.py): a broken connection's command is sent again."""
    client = connect_redis(Settings(redis_url=f"redis://127.0.0.1:{proxy.port}/{DB}"))
    yield client
    with contextlib.suppress(Exception):
        await client.close()


@pytest.fixture
async def store(client: Redis) -> ConversationStore:
    store = ConversationStore(client, sealer=SEALER, keys=KEYS)
    warm_up = message("loads every script into Redis")
    accepted = await store.accept(warm_up, take_lease=True)
    assert isinstance(accepted.step, Started)
    step = await store.complete(warm_up.conversation_id, warm_up, [])
    assert isinstance(step, Delivery)
    await store.delivered(warm_up.conversation_id, step, {})
    return store


async def lengths(redis: Redis, conversation: str) -> tuple[int, int]:
    """How many messages wait in the conversation's inbox, and how many items in its outbox."""
    inbox, outbox = (KEYS.person(kind, conversation) for kind in (INBOX, OUTBOX))
    return await redis.llen(inbox), await redis.llen(outbox)


async def test_accept_sent_twice_stores_once_and_keeps_its_lease(
    store: ConversationStore, proxy: AnswerLosingProxy
) -> None:
    inbound = message("hello")
    proxy.arm("EVAL", "EVALSHA")

    accepted = await store.accept(inbound, take_lease=True)

    assert proxy.lost == 1
    assert accepted.stored and accepted.lease is not None  # its own, not a "re-delivery"
    assert isinstance(accepted.step, Started) and accepted.step.message == inbound
    assert await lengths(store.redis, inbound.conversation_id) == (1, 0)
    assert await store.redis.hget("safespaces:metrics", "dedupe_hits:test") is None
    assert not (await store.accept(inbound)).stored  # a real re-delivery is still one


async def test_complete_sent_twice_moves_the_message_once(
    store: ConversationStore, proxy: AnswerLosingProxy
) -> None:
    first = message("one")
    second = message("two", sender=first.sender)
    conversation = first.conversation_id
    assert (await store.accept(first, take_lease=True)).step is not None
    await store.accept(second)
    proxy.arm("EVAL", "EVALSHA")

    step = await store.complete(conversation, first, [OutboundMessage(text="the reply")])

    assert proxy.lost == 1
    assert isinstance(step, Delivery) and "the reply" in step.item["replies"]
    assert await lengths(store.redis, conversation) == (1, 1)  # "two" waits; one reply, not two


async def test_delivered_sent_twice_drops_one_item(
    store: ConversationStore, proxy: AnswerLosingProxy
) -> None:
    inbound = message("hello")
    conversation = inbound.conversation_id
    await store.accept(inbound, take_lease=True)
    step = await store.complete(conversation, inbound, [OutboundMessage(text="the reply")])
    await store.push_replies(conversation, [OutboundMessage(text="a helpline message")])
    assert isinstance(step, Delivery)
    proxy.arm("EVAL", "EVALSHA")

    following = await store.delivered(conversation, step, {"sent:test": 1})

    assert proxy.lost == 1
    assert isinstance(following, Delivery) and "a helpline message" in following.item["replies"]
    assert await lengths(store.redis, conversation) == (0, 1)
    assert await store.redis.hget("safespaces:metrics", "sent:test") == b"1"


async def test_taking_a_lease_sent_twice_still_takes_it(
    store: ConversationStore, proxy: AnswerLosingProxy
) -> None:
    proxy.arm("SET")

    token = await store.try_lease("test:someone")

    assert proxy.lost == 1
    assert token is not None  # not "someone else holds it" for a minute
    assert await store.redis.get(KEYS.person(LEASE, "test:someone")) == token.encode()


async def test_a_claim_sent_twice_is_still_won(client: Redis, proxy: AnswerLosingProxy) -> None:
    desk = Desk(
        client,
        sealer=SEALER,
        pseudonym=PSEUDONYM,
        render=render,
        deliver=Recorder(),
        retention_seconds=3600,
    )
    ticket = await desk.enqueue("test:someone", Summary(language="en", channel="test"))
    amina = Staff(name="amina", display_name="Amina", role=Role.AGENT)
    proxy.arm("EVAL", "EVALSHA")

    claimed = await desk.claim(ticket.id, amina)  # not "someone else has already taken this"

    assert proxy.lost == 1
    assert claimed.state is TicketState.WITH_STAFF and claimed.staff == "amina"
