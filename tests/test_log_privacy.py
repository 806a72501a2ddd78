"""Logs never carry what a person says, who she is, or a secret: not ours, not Rasa's, not a library's.

Everything is captured while people talk over REST, Telegram and SMS: the root logger at DEBUG
(caplog), and whatever reaches the process's stdout and stderr (capfd), where Rasa's structlog renders.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import redis
from aiohttp.test_utils import TestClient
from cryptography.fernet import Fernet
from redis.asyncio import Redis
from twilio.request_validator import RequestValidator

from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import Settings, TelegramSettings, TwilioSettings
from bot.rasa.engine import Engine

from .conftest import free_port
from .fakes import serving
from .fakes.telegram import FakeTelegram
from .fakes.twilio import FakeTwilio
from .support.redis_dbs import emptied_sync, redis_url

LOGS_REDIS_URL = redis_url("log_privacy")
PAYLOADS = Path(__file__).parent / "payloads"
PHONE = "+254712345678"
CHAT_ID = 254712345699  # a Telegram chat id that looks like a number too
FIRST_NAME = "Wanjikumoraa"
TELEGRAM_TOKEN = "7123456789:AAHlogPrivacyTokenForTheFakeServer0nly"
TELEGRAM_SECRET = "log-privacy-webhook-secret-7f3a9c"
TWILIO_SID = "AC5e1f00d2c3b4a5968778695a4b3c2d1e"
TWILIO_TOKEN = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
SECRET_KEY = "pseudonym-key-9d2b71c4e8a5f063"
ENCRYPTION_KEY = Fernet.generate_key().decode()
SAID = [
    "hello",
    "my ex Zanzibarcode posted my address online",
    "he knows my password Quetzalfeather99 and reads my messages",
    "me hackearon la cuenta de instagram, fue Marmotaverde, y cambiaron la contraseña",
]
# Shapes of secrets, whatever their value: a Telegram bot token, a Fernet key, a 32-hex auth token.
SECRET_SHAPES = [
    re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}"),
    re.compile(r"[A-Za-z0-9_-]{43}="),
    re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"),
]


@pytest.fixture
def logs_redis() -> Iterator[redis.Redis]:
    with emptied_sync(LOGS_REDIS_URL) as client:
        yield client


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    # The fakes stand for Telegram's and Twilio's servers: their request lines are not our logs.
    async with serving(FakeTelegram(token=TELEGRAM_TOKEN), access_log=None) as fake:
        yield fake


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with serving(FakeTwilio(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN), access_log=None) as fake:
        yield fake


@pytest.fixture
async def client(
    aiohttp_client: Any,
    settings: Settings,
    redis_engine: Engine,
    redis_client: redis.Redis,
    logs_redis: redis.Redis,
    telegram: FakeTelegram,
    twilio: FakeTwilio,
) -> TestClient:
    port = free_port()
    app_settings = replace(
        settings,
        redis_url=LOGS_REDIS_URL,
        secret_key=SECRET_KEY,
        encryption_keys=(ENCRYPTION_KEY,),
        public_url=f"http://127.0.0.1:{port}",
        telegram=TelegramSettings(
            token=TELEGRAM_TOKEN, secret_token=TELEGRAM_SECRET, api_url=telegram.url, polling=False
        ),
        twilio=TwilioSettings(
            account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN, sender="+15005550006", api_url=twilio.url
        ),
    )
    app = create_app(app_settings, redis_engine, Redis.from_url(LOGS_REDIS_URL))
    return await aiohttp_client(app, server_kwargs={"port": port})


def telegram_update(update_id: int, text: str) -> dict[str, Any]:
    update = json.loads((PAYLOADS / "telegram" / "text_message.json").read_text())
    update["update_id"] = update_id
    update["message"]["text"] = text
    for party in ("chat", "from"):
        update["message"][party].update(id=CHAT_ID, first_name=FIRST_NAME)
    return dict(update)


def sms(number: int, text: str) -> dict[str, str]:
    form: dict[str, str] = json.loads((PAYLOADS / "twilio" / "incoming_sms.json").read_text())
    sid = f"SM{number:032x}"
    form.update(MessageSid=sid, SmsSid=sid, SmsMessageSid=sid, From=PHONE, FromCountry="KE", Body=text)
    return form


async def converse(client: TestClient, telegram: FakeTelegram, twilio: FakeTwilio) -> None:
    """The same words from a phone number over REST, from a named person on Telegram, and by SMS."""
    for text in SAID:
        body = {"sender": PHONE, "message": text, "metadata": {"language": "en"}}
        assert (await client.post("/webhooks/rest/webhook", json=body)).status == 200
    for number, text in enumerate(SAID, start=1):
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        update = telegram_update(900_000 + number, text)
        assert (await client.post("/webhooks/telegram/webhook", json=update, headers=headers)).status == 200
        await telegram.wait_for(number)
    for number, text in enumerate(SAID[:2], start=1):
        form = sms(number, text)
        url = str(client.make_url("/webhooks/twilio/webhook"))
        headers = {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, form)}
        assert (await client.post("/webhooks/twilio/webhook", data=form, headers=headers)).status == 200
        await twilio.wait_for(number)
    await client.app[GATEWAY].close()  # every reply is out


async def test_a_conversation_leaves_no_words_numbers_names_or_secrets_in_the_logs(
    client: TestClient,
    telegram: FakeTelegram,
    twilio: FakeTwilio,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    capfd.readouterr()

    await converse(client, telegram, twilio)

    out, err = capfd.readouterr()
    logs = "\n".join([caplog.text, out, err])
    assert any(r.levelno == logging.DEBUG for r in caplog.records)  # the capture works, down to DEBUG
    replies = [m["text"] for m in telegram.sent()] + [m["Body"] for m in await twilio.settled()]
    forbidden = [
        *SAID[1:],  # "hello" is a word anyone may log
        *(word for text in SAID for word in text.split() if len(word) >= 10),
        *replies,
        PHONE,
        PHONE.lstrip("+"),
        str(CHAT_ID),
        FIRST_NAME,
        TELEGRAM_TOKEN,
        TELEGRAM_TOKEN.split(":")[1],
        TELEGRAM_SECRET,
        TWILIO_TOKEN,
        SECRET_KEY,
        ENCRYPTION_KEY,
    ]
    found = [text for text in forbidden if text in logs or json.dumps(text)[1:-1] in logs]
    assert found == []
    shaped = [match.group() for shape in SECRET_SHAPES for match in shape.finditer(logs)]
    assert shaped == []
