"""What every provider channel must do, run against each (Telegram, WhatsApp Cloud API, Twilio SMS):
a re-delivered message is answered once, quick messages in order, quick exit wipes the chat or says
one neutral line, erasing leaves nothing of her, and every kind of message gets a kind reply.

Each runs the whole app with real models on the test Redis, against the channel's fake provider
(tests/support/channels.py). Channel-specific behaviour stays in each channel's own module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.ops.settings import Settings
from bot.rasa.engine import Engine
from content.texts import load_texts

from .support.channels import CHANNELS, Driver, driving
from .support.settle import settled

TEXTS = load_texts().responses
NEUTRAL_LINE = TEXTS["quick_exit"].text
ERASE_QUESTION, ERASED = TEXTS["erase_confirm"].text, TEXTS["erase_done"].text


@pytest.fixture(params=CHANNELS)
async def channel(
    request: pytest.FixtureRequest,
    aiohttp_client: Any,
    settings: Settings,
    engine: Engine,
    gateway_redis: Redis,
) -> AsyncIterator[Driver]:
    async with driving(request.param, aiohttp_client, settings, engine, gateway_redis) as driver:
        yield driver


async def turn(channel: Driver, person: str, text: str) -> list[str]:
    """She writes; what reached her once the gateway settled."""
    before = len(channel.received(person))
    await channel.post(person, text)
    await settled(channel.gateway)
    return channel.received(person)[before:]


async def test_a_redelivered_message_is_answered_once(channel: Driver) -> None:
    person, other = channel.person(), channel.person()
    posted = await channel.post(person, "/stalking")
    await channel.repost(posted)
    await settled(channel.gateway)
    once = await turn(channel, other, "/stalking")  # the same message, delivered once
    assert once and channel.received(person) == once


async def test_quick_messages_are_answered_in_order(channel: Driver) -> None:
    person = channel.person()
    # Each webhook returns once the message is stored, so all three arrive while the first turn runs.
    for text in ["/doxxing", "/step_done", "/step_done"]:
        await channel.post(person, text)
    await settled(channel.gateway)
    texts = channel.received(person)
    steps = [[i for i, text in enumerate(texts) if f"{n}/8. " in text] for n in (1, 2, 3)]
    assert [len(found) for found in steps] == [1, 1, 1], texts
    assert steps == sorted(steps), texts


async def test_quick_exit_wipes_the_chat_or_says_one_neutral_line(channel: Driver) -> None:
    person = channel.person()
    assert await turn(channel, person, "/doxxing")
    after = await turn(channel, person, "exit")
    if channel.can_wipe:
        assert channel.wiped(person) and after == []  # nothing more appears on her phone
    else:
        assert not channel.wiped(person) and after == [NEUTRAL_LINE]


async def test_erase_asks_once_then_leaves_nothing_of_her(channel: Driver, gateway_redis: Redis) -> None:
    person = channel.person()
    first = await turn(channel, person, "hello")
    assert await turn(channel, person, "/doxxing")
    assert (await turn(channel, person, "delete my data"))[-1].startswith(ERASE_QUESTION[:40])
    assert await turn(channel, person, "yes") == [ERASED]
    assert not [key for key in await gateway_redis.keys() if person.encode() in key]
    assert await turn(channel, person, "hello") == first  # a first contact again: nothing remembered


async def test_every_kind_of_message_gets_a_kind_reply(channel: Driver) -> None:
    for name, expected in channel.media.items():
        person = channel.person()
        await channel.post_media(person, name)
        await settled(channel.gateway)
        replies = channel.received(person)
        assert len(replies) == 1 and replies[0].startswith(expected), (name, replies)
