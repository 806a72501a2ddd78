"""Telegram end to end: python-telegram-bot against a local fake Bot API server."""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bot.channels.telegram.callback_data import LIMIT_BYTES, CallbackDataError, ChoiceData
from bot.channels.telegram.render import TEXT_LIMIT, render
from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import Settings, TelegramSettings
from bot.pipeline.messages import Choice, OutboundMessage
from bot.rasa.engine import Engine
from bot.storage.keys import FAILURES
from content.model import PLATFORMS

from .conftest import GATEWAY_REDIS_URL
from .fakes import serving
from .fakes.telegram import FakeTelegram, blocked, server_error, too_many_requests
from .support.settle import settled
from .support.webhooks import TELEGRAM_SECRET as SECRET
from .support.webhooks import TELEGRAM_TOKEN as TOKEN
from .support.webhooks import TELEGRAM_WEBHOOK as WEBHOOK
from .support.webhooks import post_telegram as post
from .support.webhooks import telegram_update as payload


@pytest.fixture
async def fake() -> Any:
    async with serving(FakeTelegram(token=TOKEN)) as fake:
        yield fake


@pytest.fixture
async def client(
    aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis, fake: Any
) -> TestClient:
    telegram = TelegramSettings(token=TOKEN, secret_token=SECRET, api_url=fake.url, polling=False)
    app = create_app(replace(settings, telegram=telegram), engine, gateway_redis)
    return await aiohttp_client(app)


_chats = itertools.count(7_000_000)


@pytest.fixture
def chat() -> int:
    return next(_chats)


async def test_a_message_is_answered_through_the_bot_api(
    client: TestClient, fake: FakeTelegram, chat: int
) -> None:
    assert await post(client, payload("start_command", chat)) == 200
    sent = await fake.wait_for(1)
    # Welcome, limits, privacy and how to leave are merged into one message; the question has buttons.
    assert [m["chat_id"] for m in sent] == [str(chat)] * len(sent)
    last = sent[-1]
    assert last["text"].endswith("Are you safe right now?")
    keyboard = last["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == ["c:affirm", "c:immediate_danger"]


async def test_a_button_press_is_answered_and_walks_on(
    client: TestClient, fake: FakeTelegram, chat: int
) -> None:
    await post(client, payload("text_message", chat, text="/doxxing"))
    await fake.wait_for(1)
    before = len(fake.sent())
    press = payload("callback_query", chat, data="c:step_done")
    assert await post(client, press) == 200
    sent = await fake.wait_for(before + 1)
    assert sent[-1]["text"].startswith("2/8. ")
    answered = await fake.wait_for(1, "answerCallbackQuery")
    assert answered[0]["callback_query_id"] == press["callback_query"]["id"]


@pytest.mark.parametrize(("secret", "status"), [(None, 401), ("wrong-secret", 403), ("", 403)])
async def test_a_forged_webhook_is_refused_and_changes_nothing(
    client: TestClient, fake: FakeTelegram, gateway_redis: Redis, chat: int, secret: str | None, status: int
) -> None:
    """As docs/channels.md says: 401 when the secret is missing, 403 when it is wrong."""
    assert await post(client, payload("text_message", chat), secret=secret) == status
    await settled(client.app[GATEWAY])
    assert fake.sent() == []
    assert await gateway_redis.keys("*inbox*") == []


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"update_id": "x", "message": 5}'])
async def test_a_malformed_update_gets_400(client: TestClient, body: bytes) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    response = await client.post(WEBHOOK, data=body, headers=headers)
    assert response.status == 400


async def test_order_holds_across_two_replicas(
    aiohttp_client: Any,
    settings: Settings,
    engine: Engine,
    gateway_redis: Redis,
    fake: FakeTelegram,
    chat: int,
) -> None:
    telegram = TelegramSettings(token=TOKEN, secret_token=SECRET, api_url=fake.url, polling=False)
    configured = replace(settings, telegram=telegram)
    second_redis = Redis.from_url(GATEWAY_REDIS_URL)
    replicas = [
        await aiohttp_client(create_app(configured, engine, gateway_redis)),
        await aiohttp_client(create_app(configured, engine, second_redis)),
    ]
    texts = [
        "/report_abuse",
        '/inform_platform{"platform":"x"}',
        "/step_done",
        "/step_skip",
        "/step_back",
    ]
    for number, text in enumerate(texts):
        replica = replicas[number % 2]
        assert await post(replica, payload("text_message", chat, text=text)) == 200
    sent = await fake.wait_for(5)
    assert "1/7. " in sent[1]["text"]
    assert [m["text"][:5] for m in sent[2:]] == ["2/7. ", "3/7. ", "2/7. "]


async def test_group_messages_are_ignored(client: TestClient, fake: FakeTelegram) -> None:
    assert await post(client, payload("group_message")) == 200
    await settled(client.app[GATEWAY])
    assert fake.sent() == []


async def test_a_ten_thousand_character_message_is_answered(
    client: TestClient, fake: FakeTelegram, chat: int
) -> None:
    long_text = ("someone hacked my instagram account and " * 250)[:10_000]
    assert await post(client, payload("text_message", chat, text=long_text)) == 200
    sent = await fake.wait_for(1)
    assert all(len(m["text"]) <= TEXT_LIMIT for m in sent)


async def test_rate_limits_are_retried_after_the_time_telegram_asks(
    client: TestClient, fake: FakeTelegram, chat: int
) -> None:
    fake.send_failures += [too_many_requests(1), server_error()]
    await post(client, payload("text_message", chat, text="/sextortion"))
    sent = await fake.wait_for(3, timeout=20)  # two failed attempts, then the delivery
    assert sent[-1]["text"] == sent[0]["text"]


async def test_a_permanent_failure_is_recorded_not_raised(
    client: TestClient, fake: FakeTelegram, gateway_redis: Redis, chat: int
) -> None:
    fake.send_failures.append(blocked())
    await post(client, payload("text_message", chat, text="/impersonation"))
    await fake.wait_for(1)
    for _ in range(100):
        if await gateway_redis.llen(FAILURES):
            break
        await asyncio.sleep(0.05)
    record = json.loads(await gateway_redis.lindex(FAILURES, 0))
    assert record["channel"] == "telegram"
    assert "blocked" in record["reason"]
    assert str(chat) not in json.dumps(record)


def test_every_payload_the_assistant_can_send_fits_in_callback_data() -> None:
    intents = [
        "step_done",
        "step_more",
        "step_skip",
        "step_back",
        "step_stop",
        "affirm",
        "deny",
        "immediate_danger",
        "human_handoff",
        "menu",
        "secure_account",
        "document_evidence",
    ]
    payloads = [f"/{i}" for i in intents]
    payloads += [f'/inform_platform{{"platform":"{p}"}}' for p in PLATFORMS]
    for original in payloads:
        packed = ChoiceData.from_payload(original).pack()
        assert len(packed.encode()) <= LIMIT_BYTES
        assert ChoiceData.unpack(packed).payload() == original


def test_callback_data_over_64_bytes_is_refused() -> None:
    with pytest.raises(CallbackDataError):
        ChoiceData(intent="x" * 70).pack()
    with pytest.raises(CallbackDataError):
        ChoiceData.unpack("forged:data")


def test_render_merges_a_turn_and_splits_at_4096() -> None:
    replies = [
        OutboundMessage(text="Hello."),
        OutboundMessage(text="Are you safe?", choices=(Choice(title="Yes", payload="/affirm"),)),
        OutboundMessage(text="A sentence. " * 500),
    ]
    messages = render(replies)
    assert messages[0].text == "Hello.\n\nAre you safe?"
    assert messages[0].buttons == (("Yes", "c:affirm"),)
    assert len(messages) == 3
    assert all(len(m.text) <= TEXT_LIMIT for m in messages)
    assert "".join(m.text for m in messages[1:]).replace(" ", "") == ("A sentence." * 500).replace(" ", "")


async def test_set_webhook_registers_the_url_with_the_secret(settings: Settings, fake: FakeTelegram) -> None:
    from bot.cli.admin import _set_telegram_webhook

    telegram = TelegramSettings(token=TOKEN, secret_token=SECRET, api_url=fake.url, polling=False)
    await _set_telegram_webhook(
        replace(settings, telegram=telegram), "https://helpline.example/webhooks/telegram/webhook"
    )
    registered = fake.sent("setWebhook")
    assert registered[0]["url"] == "https://helpline.example/webhooks/telegram/webhook"
    assert registered[0]["secret_token"] == SECRET


async def test_polling_mode_answers_without_a_public_address(
    aiohttp_client: Any,
    settings: Settings,
    engine: Engine,
    gateway_redis: Redis,
    fake: FakeTelegram,
    chat: int,
) -> None:
    fake.updates.append(payload("text_message", chat, text="/document_evidence"))
    telegram = TelegramSettings(token=TOKEN, secret_token=None, api_url=fake.url, polling=True)
    await aiohttp_client(create_app(replace(settings, telegram=telegram), engine, gateway_redis))
    sent = await fake.wait_for(1)
    assert "1/8. " in sent[0]["text"]
    assert fake.sent("deleteWebhook")  # polling and a webhook cannot both be active
