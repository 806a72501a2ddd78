"""Quick exit on Telegram deletes the chat from the person's phone; elsewhere the channel says it can't.

python-telegram-bot against the local fake Bot API server, our webhook in front, real Redis (db 10).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bot.channels.rest import RestChannel
from bot.channels.telegram import DELETE_LIMIT, TelegramChannel
from bot.channels.telegram.chat_log import KEEP_SECONDS, ChatLog
from bot.channels.telegram.render import TelegramMessage
from bot.channels.twilio import TwilioChannel
from bot.channels.whatsapp import WhatsAppChannel
from bot.ops.app import create_app
from bot.ops.settings import Settings, TelegramSettings, TwilioSettings, WhatsAppSettings
from bot.pipeline.messages import InboundMessage
from bot.rasa.engine import Engine
from bot.storage.keys import TELEGRAM_IDS
from bot.storage.wakeups import Wakeups

from .fakes import serving
from .fakes.telegram import FakeTelegram, cant_delete, server_error
from .support.redis_dbs import emptied, redis_url
from .support.webhooks import TELEGRAM_SECRET as SECRET
from .support.webhooks import TELEGRAM_TOKEN as TOKEN
from .support.webhooks import TELEGRAM_WEBHOOK as WEBHOOK
from .support.webhooks import telegram_update as payload
from .test_delivery import KEYS, PSEUDONYM, SEALER, SECRET_KEY

REDIS_URL = redis_url("chat_wipe")
PRIVATE_TEXT = "he reads my messages at night"
PHONE = "+15555550123"
FIRST_SENT_ID = 1000  # the fake numbers its sendMessage answers from here
_chats = itertools.count(8_100_000)


async def accept(message: InboundMessage) -> bool:
    """The gateway's side of the webhook, which these tests leave out."""
    return True


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    async with emptied(REDIS_URL) as client:
        yield client


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with serving(FakeTelegram(token=TOKEN)) as fake:
        yield fake


@pytest.fixture
async def channel(fake: FakeTelegram, redis: Redis) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(
        token=TOKEN, secret_token=SECRET, api_url=fake.url, polling=False, redis=redis, keys=KEYS
    )
    await channel.start()
    yield channel
    await channel.stop()


@pytest.fixture
async def webhook(aiohttp_client: Any, channel: TelegramChannel) -> TestClient:
    app = web.Application()
    app.add_routes(channel.routes(accept))
    client: TestClient = await aiohttp_client(app)
    return client


@pytest.fixture
def chat() -> int:
    return next(_chats)


async def post(client: TestClient, update: dict[str, Any]) -> None:
    response = await client.post(WEBHOOK, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status == 200


def recent(name: str, chat: int, message_id: int, **changes: Any) -> dict[str, Any]:
    """A recorded update, sent just now (the payloads' own dates are long past 48 hours)."""
    return payload(name, chat, message_id=message_id, date=int(time.time()), **changes)


def ids_key(chat: int) -> str:
    """Where the chat's message ids are kept: named by her pseudonym, not the chat id."""
    return KEYS.person(TELEGRAM_IDS, f"telegram:{chat}")


async def logged(redis: Redis, chat: int) -> set[int]:
    return {int(member) for member in await redis.zrange(ids_key(chat), 0, -1)}


def deleted(fake: FakeTelegram) -> list[tuple[str, list[int]]]:
    return [(call["chat_id"], call["message_ids"]) for call in fake.sent("deleteMessages")]


async def test_ids_from_both_sides_are_recorded_and_no_text(
    webhook: TestClient, channel: TelegramChannel, redis: Redis, chat: int
) -> None:
    await post(webhook, recent("text_message", chat, 11, text=PRIVATE_TEXT))
    await post(webhook, recent("edited_message", chat, 11))
    await post(webhook, recent("photo", chat, 12))
    await post(webhook, payload("callback_query", chat))  # the pressed message is ours: no id of hers
    reaction = payload("message_reaction")
    reaction["message_reaction"]["chat"]["id"] = chat
    await post(webhook, reaction)  # no message of hers at all
    replies = ["Are you safe right now?", "1/8. Save the evidence."]
    first, second = [await channel.send(str(chat), TelegramMessage(text=text), "x") for text in replies]
    assert first is not None and second is not None

    assert await logged(redis, chat) == {11, 12, int(first), int(second)}
    assert 0 < await redis.ttl(ids_key(chat)) <= KEEP_SECONDS
    everything = [(key, await redis.zrange(key, 0, -1, withscores=True)) for key in await redis.keys("*")]
    assert [key for key, _ in everything] == [ids_key(chat).encode()]
    for member, _ in everything[0][1]:
        assert member.isdigit()
    for text in (PRIVATE_TEXT, *replies):
        assert text.encode() not in repr(everything).encode()


async def test_a_turn_through_the_gateway_records_her_message_and_the_replies(
    aiohttp_client: Any, settings: Settings, engine: Engine, redis: Redis, fake: FakeTelegram, chat: int
) -> None:
    telegram = TelegramSettings(token=TOKEN, secret_token=SECRET, api_url=fake.url, polling=False)
    configured = replace(settings, telegram=telegram, secret_key=SECRET_KEY)  # the keys `ids_key` names
    client = await aiohttp_client(create_app(configured, engine, redis))
    await post(client, recent("text_message", chat, 3, text="/doxxing"))
    await fake.wait_for(1)
    for _ in range(100):  # a reply's id is recorded once sendMessage has answered
        await asyncio.sleep(0.05)
        replies = set(range(FIRST_SENT_ID, FIRST_SENT_ID + len(fake.sent())))
        if await logged(redis, chat) == {3} | replies:
            break
    assert await logged(redis, chat) == {3} | replies


async def test_wipe_deletes_exactly_her_ids_from_her_chat(
    channel: TelegramChannel, fake: FakeTelegram, redis: Redis, chat: int
) -> None:
    other = next(_chats)
    log = ChatLog(redis, KEYS)
    now = time.time()
    for offset, message_id in enumerate([5, 6, 1000, 7, 1001]):
        await log.record(str(chat), message_id, now - 60 + offset)
    await log.record(str(other), 99, now)

    assert await channel.wipe(str(chat)) is True
    assert deleted(fake) == [(str(chat), [1001, 7, 1000, 6, 5])]  # newest first
    assert not await redis.exists(ids_key(chat))
    assert await logged(redis, other) == {99}


async def test_more_than_a_hundred_ids_go_in_several_calls(
    channel: TelegramChannel, fake: FakeTelegram, chat: int, redis: Redis
) -> None:
    log = ChatLog(redis, KEYS)
    now = time.time()
    for message_id in range(1, 251):
        await log.record(str(chat), message_id, now - 1000 + message_id)

    assert await channel.wipe(str(chat)) is True
    calls = [ids for _, ids in deleted(fake)]
    assert [len(ids) for ids in calls] == [DELETE_LIMIT, DELETE_LIMIT, 50]
    assert [i for ids in calls for i in ids] == list(range(250, 0, -1))


async def test_ids_older_than_48_hours_are_neither_kept_nor_sent(
    channel: TelegramChannel, fake: FakeTelegram, chat: int, redis: Redis
) -> None:
    key, now = ids_key(chat), time.time()
    await redis.zadd(key, {"1": now - KEEP_SECONDS - 3600, "2": now - KEEP_SECONDS - 1})
    await redis.zadd(key, {"3": now - KEEP_SECONDS + 600})
    assert await channel.wipe(str(chat)) is True
    assert deleted(fake) == [(str(chat), [3])]

    await redis.zadd(key, {"4": now - KEEP_SECONDS - 1})
    await ChatLog(redis, KEYS).record(str(chat), 5, now)  # every write trims
    assert await logged(redis, chat) == {5}


async def test_a_refusal_is_logged_by_class_only_and_never_raised(
    channel: TelegramChannel, fake: FakeTelegram, chat: int, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    await ChatLog(redis, KEYS).record(str(chat), 4242, time.time())
    fake.delete_failures.append(cant_delete())
    with caplog.at_level(logging.INFO, logger="bot.channels.telegram"):
        assert await channel.wipe(str(chat)) is False
    assert "BadRequest" in caplog.text
    assert str(chat) not in caplog.text and "4242" not in caplog.text
    assert not await redis.exists(ids_key(chat))
    assert len(deleted(fake)) == 1  # refused for good: not tried again


async def test_one_deleted_chunk_is_enough_to_count_as_wiped(
    channel: TelegramChannel, fake: FakeTelegram, chat: int, redis: Redis
) -> None:
    log = ChatLog(redis, KEYS)
    for message_id in range(1, 151):
        await log.record(str(chat), message_id, time.time())
    fake.delete_failures.append(cant_delete())
    assert await channel.wipe(str(chat)) is True
    assert len(deleted(fake)) == 2


async def test_server_errors_are_retried_briefly(
    channel: TelegramChannel, fake: FakeTelegram, chat: int, redis: Redis
) -> None:
    await ChatLog(redis, KEYS).record(str(chat), 8, time.time())
    fake.delete_failures += [server_error(), server_error()]
    assert await channel.wipe(str(chat)) is True
    assert deleted(fake) == [(str(chat), [8])] * 3


async def test_a_telegram_that_stays_down_is_given_up_quietly(
    channel: TelegramChannel, fake: FakeTelegram, chat: int, redis: Redis
) -> None:
    await ChatLog(redis, KEYS).record(str(chat), 8, time.time())
    fake.delete_failures += [server_error()] * 5
    started = time.monotonic()
    assert await channel.wipe(str(chat)) is False
    assert len(deleted(fake)) == 3
    assert time.monotonic() - started < 3


async def test_nothing_on_record_means_nothing_was_deleted(
    channel: TelegramChannel, fake: FakeTelegram, chat: int
) -> None:
    # Anything older may still be on her screen: the gateway's neutral line should come last.
    assert await channel.wipe(str(chat)) is False
    assert deleted(fake) == []


async def test_forget_erases_the_chats_ids(channel: TelegramChannel, redis: Redis, chat: int) -> None:
    await ChatLog(redis, KEYS).record(str(chat), 1, time.time())
    await channel.forget(str(chat))
    assert not await redis.exists(ids_key(chat))


def whatsapp(redis: Redis) -> WhatsAppChannel:
    settings = WhatsAppSettings(
        access_token="t",
        phone_number_id="1",
        app_secret="s",
        verify_token="v",
        api_url="http://127.0.0.1:9",
        template_name=None,
        template_language="en",
    )
    return WhatsAppChannel(settings, redis, KEYS)


def twilio(redis: Redis) -> TwilioChannel:
    settings = TwilioSettings(account_sid="AC0", auth_token="t", sender="+15555550100", api_url="x")
    return TwilioChannel(
        settings, "https://safespaces.example.org", redis, pseudonym=PSEUDONYM, retention_seconds=3600
    )


async def test_channels_that_cannot_delete_say_so(redis: Redis) -> None:
    for channel in (
        whatsapp(redis),
        twilio(redis),
        RestChannel(redis, Wakeups(redis), sealer=SEALER, keys=KEYS),
    ):
        assert await channel.wipe(PHONE) is False


async def test_whatsapp_and_twilio_forget_what_they_keep_but_a_stop(redis: Redis) -> None:
    await redis.hset(whatsapp(redis).window_key(PHONE), "inbound", time.time())
    sms = twilio(redis)
    await redis.set(sms.choices_key(PHONE), '["Yes", "No"]')
    await redis.set(sms.opt_out_key(PHONE), "1")
    await whatsapp(redis).forget(PHONE)
    await sms.forget(PHONE)
    assert await redis.keys("*") == [sms.opt_out_key(PHONE).encode()]
