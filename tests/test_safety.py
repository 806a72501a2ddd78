"""Survivor safety and privacy, end to end through Telegram: quick exit, erase, retention, blocking.

Each test asserts on what the fake Bot API received and on what Redis holds afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bot.channels.rest import PATH as REST_PATH
from bot.handoff.model import TicketState
from bot.handoff.staff import Role, Staff
from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import Settings, TelegramSettings
from bot.pipeline.gateway import Gateway
from bot.rasa.engine import NLU_DATA, Engine
from bot.storage.keys import (
    AUDIT,
    BLOCKED,
    FAILURES,
    HANDOFF_ACTIVE,
    HANDOFF_EVENTS,
    HANDOFF_FOLLOW_UPS,
    HANDOFF_QUEUE,
    METRICS,
    TICKETS_OPENED,
)
from content.model import load_library
from content.texts import load_texts

from .conftest import TEST_REDIS_URL, tracker_key
from .fakes.telegram import FakeTelegram
from .support.channels import CHANNELS, Driver, driving
from .support.redis_dbs import emptied
from .support.settle import settled
from .test_handoff import _dump
from .test_telegram import SECRET, TOKEN, chat, fake, payload, post

__all__ = ["chat", "fake"]  # fixtures used by name below
AMINA = Staff(name="amina", display_name="Amina", role=Role.AGENT)
SUPERVISOR = Staff(name="sam", display_name="Sam", role=Role.SUPERVISOR)
# Shared structures that name nobody: counters, capped logs of pseudonyms, the queue indexes.
UNEXPIRING = {
    METRICS,
    FAILURES,
    AUDIT,
    BLOCKED,
    HANDOFF_QUEUE,
    HANDOFF_ACTIVE,
    HANDOFF_FOLLOW_UPS,
    TICKETS_OPENED,
    HANDOFF_EVENTS,
}


@pytest.fixture
async def client(
    aiohttp_client: Any, settings: Settings, redis_engine: Engine, gateway_redis: Redis, fake: FakeTelegram
) -> TestClient:
    """The whole app on Telegram, with Rasa's trackers in Redis too (db 15)."""
    telegram = TelegramSettings(token=TOKEN, secret_token=SECRET, api_url=fake.url, polling=False)
    return await aiohttp_client(create_app(replace(settings, telegram=telegram), redis_engine, gateway_redis))


@pytest.fixture
async def tracker_redis() -> Any:
    async with emptied(TEST_REDIS_URL) as client:
        yield client


async def says(client: TestClient, fake: FakeTelegram, chat: int, text: str, replies: int = 1) -> list[Any]:
    """The person writes; wait until `replies` more messages reached the fake."""
    before = len(fake.sent())
    assert await post(client, payload("text_message", chat, text=text, date=int(time.time()))) == 200
    return (await fake.wait_for(before + replies))[before:] if replies else []


async def presses(client: TestClient, fake: FakeTelegram, chat: int, data: str) -> list[Any]:
    before = len(fake.sent())
    assert await post(client, payload("callback_query", chat, data=data)) == 200
    return (await fake.wait_for(before + 1))[before:]


async def test_quick_exit_wipes_the_telegram_chat_on_both_sides_and_says_nothing(
    client: TestClient, fake: FakeTelegram, chat: int
) -> None:
    await says(client, fake, chat, "/doxxing")
    ours = list(fake.message_ids)
    before = len(fake.sent())
    assert (
        await post(
            client, payload("text_message", chat, text="exit", message_id=424242, date=int(time.time()))
        )
        == 200
    )
    [deleted] = await fake.wait_for(1, "deleteMessages")
    assert deleted["chat_id"] == str(chat)
    ids = set(map(int, deleted["message_ids"]))
    assert set(ours) <= ids and 424242 in ids  # the bot's messages and the person's own
    await settled(client.app[GATEWAY])
    assert len(fake.sent()) == before  # nothing more appears on their phone
    greeting = await says(client, fake, chat, "hello")
    assert greeting[-1]["text"].endswith("Are you safe right now?")  # progress forgotten: a fresh start


@pytest.mark.parametrize("language", ["en", "es", "pt", "fr", "sw", "hi", "ar"])
async def test_quick_exit_works_in_every_language_and_in_a_handoff(
    client: TestClient, fake: FakeTelegram, chat: int, language: str
) -> None:
    exit_word = yaml.safe_load((NLU_DATA / language / "keywords.yml").read_text())["exit"][0]
    gateway: Gateway = client.app[GATEWAY]
    await says(client, fake, chat, "talk to a person")
    await presses(client, fake, chat, "c:affirm")
    [ticket] = await gateway.desk.tickets.queue()
    await says(client, fake, chat, exit_word, replies=0)
    await fake.wait_for(1, "deleteMessages")
    await settled(gateway)
    closed = await gateway.desk.tickets.get(ticket.id)
    assert closed is not None and closed.state is TicketState.CLOSED and closed.outcome == "quick_exit"


async def test_erase_leaves_nothing_tied_to_the_person(
    client: TestClient, fake: FakeTelegram, chat: int, gateway_redis: Redis, tracker_redis: Redis
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    words = "my cousin Quetzalcoatl posted my address"
    await says(client, fake, chat, "/language", replies=1)
    await presses(client, fake, chat, "c:set_language:language=en")
    await says(client, fake, chat, words, replies=1)
    await says(client, fake, chat, "talk to a person")
    await presses(client, fake, chat, "c:affirm:share=chat")
    [ticket] = await gateway.desk.tickets.queue()
    await gateway.desk.claim(ticket.id, AMINA)
    await says(client, fake, chat, "hello Amina", replies=0)
    await settled(gateway)
    confirm = await says(client, fake, chat, "delete my data")
    assert confirm[-1]["text"].startswith("This deletes everything")
    await presses(client, fake, chat, "c:erase_confirmed")
    assert fake.sent()[-1]["text"].startswith("Done: everything kept")
    await settled(gateway)
    await asyncio.sleep(2.1)  # the per-person pacing counters live for at most two seconds

    pseudonym = gateway.desk.tickets.open_key(f"telegram:{chat}").rsplit(":", 1)[1]
    dump = await _dump(gateway_redis) + await _dump(tracker_redis)
    for trace in (str(chat), pseudonym, "Quetzalcoatl", "hello Amina"):
        assert trace not in dump, trace
    erased = await gateway.desk.tickets.get(ticket.id)
    assert erased is not None and erased.erased and await gateway.desk.tickets.log(ticket.id) == []
    again = await says(client, fake, chat, "hello")
    assert again[-1]["text"].endswith("Are you safe right now?")


async def test_everything_kept_about_a_conversation_expires(
    client: TestClient, fake: FakeTelegram, chat: int, gateway_redis: Redis, tracker_redis: Redis
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    await says(client, fake, chat, "/doxxing")
    await says(client, fake, chat, "talk to a person")
    await presses(client, fake, chat, "c:affirm")
    [ticket] = await gateway.desk.tickets.queue()
    await gateway.desk.claim(ticket.id, AMINA)
    await gateway.desk.note(ticket.id, AMINA, "a note")
    await settled(gateway)
    retention = gateway.store.retention_seconds
    for redis in (gateway_redis, tracker_redis):
        async for key in redis.scan_iter():
            name = key.decode()
            # Anonymous monthly counts (docs/insights.md) name nobody and are kept on purpose.
            shared = ("safespaces:staff:", "safespaces:handoff:stats:", "safespaces:insights:")
            if name in UNEXPIRING or name.startswith(shared):
                continue
            ttl = await redis.ttl(key)
            assert 0 < ttl <= retention, f"{name} keeps for {ttl} s"


async def test_a_blocked_sender_gets_no_answer_until_a_supervisor_unblocks(
    client: TestClient, fake: FakeTelegram, chat: int
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    await says(client, fake, chat, "talk to a person")
    await presses(client, fake, chat, "c:affirm")
    [ticket] = await gateway.desk.tickets.queue()
    await gateway.desk.claim(ticket.id, AMINA)
    await gateway.desk.block(ticket.id, AMINA)
    await settled(gateway)
    before = len(fake.sent())
    await says(client, fake, chat, "hello", replies=0)
    await settled(gateway)
    assert len(fake.sent()) == before
    [record] = await gateway.desk.blocks.all()
    assert record.by == "amina" and record.ticket == ticket.id
    await gateway.desk.unblock(record.id, SUPERVISOR)
    assert (await says(client, fake, chat, "hello"))[-1]["text"].endswith("Are you safe right now?")


ALARMING = re.compile(
    r"\b(abuse|danger|emergency|police|intimate|nude|sextortion|blackmail|stalk|threat)", re.I
)


def test_discreet_wordings_start_without_alarming_words() -> None:
    """What a lock-screen preview shows first: the first message of a first contact and of danger."""
    texts = load_texts()
    for key in ("welcome", "limits", "emergency", "playbook_intro", "caution_stalkerware", "recap"):
        discreet = texts.responses[key].discreet
        assert discreet is not None, key
        first_line = discreet.split("\n")[0][:80]  # what a lock screen shows
        assert not ALARMING.search(first_line), (key, discreet)


def test_no_text_ever_asks_for_an_image() -> None:
    asking = re.compile(
        r"\b(send|share|upload|forward)\b[^.]{0,30}\b(me|us)\b[^.]{0,30}(image|photo|picture|video|nude)"
    )
    library = load_library()
    texts = [t.text for t in load_texts().responses.values()]
    wordings = [
        w for p in library.playbooks.values() for s in p.steps for w in (s.generic, *s.variants.values())
    ]
    texts += [text for wording in wordings for text in (wording.text, wording.more)]
    assert len(texts) > 100
    assert not [t for t in texts if asking.search(t)]


# ---- no key names her address ---------------------------------------------------------------------


class RestPerson:
    """A REST caller named by her phone number (a helpline's front end may do that)."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.person = f"+1555{secrets.randbelow(10**7):07d}"
        self.gateway: Gateway = client.app[GATEWAY]

    async def post(self, person: str, text: str) -> None:
        response = await self.client.post(REST_PATH, json={"sender": person, "message": text})
        assert response.status == 200


@contextlib.asynccontextmanager
async def someone_on(
    name: str, aiohttp_client: Any, settings: Settings, engine: Engine, redis: Redis
) -> AsyncIterator[tuple[Driver | RestPerson, str]]:
    """The app with channel `name` configured, and the address of someone who never wrote before."""
    if name == "rest":
        rest = RestPerson(await aiohttp_client(create_app(settings, engine, redis)))
        yield rest, rest.person
        return
    async with driving(name, aiohttp_client, settings, engine, redis) as driver:
        yield driver, driver.person()


async def key_names(*databases: Redis) -> list[str]:
    return [key.decode() for redis in databases async for key in redis.scan_iter()]


@pytest.mark.parametrize("name", [*CHANNELS, "rest"])
async def test_no_key_names_her_address_through_a_whole_conversation_and_erase_leaves_no_key_of_hers(
    name: str,
    aiohttp_client: Any,
    settings: Settings,
    redis_engine: Engine,
    gateway_redis: Redis,
    tracker_redis: Redis,
) -> None:
    """Every key a conversation leaves (a handoff and a staff message included), in the gateway's
    Redis and Rasa's, is named by her pseudonym, never her phone number, chat id or sender id; erasing
    leaves no key of hers at all."""
    async with someone_on(name, aiohttp_client, settings, redis_engine, gateway_redis) as (channel, person):
        gateway, conversation = channel.gateway, f"{name}:{person}"

        async def say(text: str) -> None:
            await channel.post(person, text)
            await settled(gateway)

        for text in ("hello", "/doxxing", "talk to a person", "yes"):
            await say(text)
        [ticket] = await gateway.desk.tickets.queue()
        await gateway.desk.claim(ticket.id, AMINA)
        await gateway.desk.send(ticket.id, AMINA, "I am here with you")
        await say("thank you")
        await settled(gateway)

        names = await key_names(gateway_redis, tracker_redis)
        addresses = {person, person.removeprefix("+")}
        assert [key for key in names if any(address in key for address in addresses)] == []
        pseudonym = gateway.store.keys.pseudonym(conversation)
        hers = {key.removeprefix("safespaces:").removesuffix(f":{pseudonym}") for key in names}
        assert {"prefs", "handoff:open", "handoff:tickets"} <= hers  # the scan sees her keys
        assert tracker_key(conversation) in names  # Rasa's tracker too, by the engine's pseudonym
        if name == "rest":  # the staff message waits, sealed, for her next poll
            assert "rest:push" in hers

        await say("delete my data")
        await say("yes")
        left = await key_names(gateway_redis, tracker_redis)
        assert [key for key in left if any(address in key for address in addresses)] == []
        # Sending paces itself per person in windows of at most two seconds: counters, gone by then.
        pacing = [key for key in left if key.startswith("safespaces:rate:")]
        for key in pacing:
            assert 0 < await gateway_redis.pttl(key) <= 2000, key
        assert [key for key in left if pseudonym in key and key not in pacing] == []
        assert tracker_key(conversation) not in left
        erased = await gateway.desk.tickets.get(ticket.id)
        assert erased is not None and erased.erased
