"""The person's side of each provider channel, for the channel contract (tests/test_channel_contract.py).

A driver runs the whole app with one channel configured against its fake provider server, posts what
the provider would post (signed, from recorded payloads), and reads back what reached the person.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bench.processes import free_port
from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import Settings
from bot.pipeline.gateway import Gateway
from bot.rasa.engine import Engine
from tests.fakes import serving
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.fakes.whatsapp import FakeGraph

from .webhooks import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PHONE_NUMBER_ID,
    TELEGRAM_TOKEN,
    WHATSAPP_TOKEN,
    graph_body,
    post_telegram,
    post_twilio,
    post_whatsapp,
    telegram_settings,
    telegram_update,
    twilio_form,
    twilio_settings,
    whatsapp_settings,
    whatsapp_text,
    whatsapp_webhook,
)

AppClient = Callable[..., Awaitable[TestClient]]  # pytest-aiohttp's aiohttp_client
_chats = itertools.count(7_500_000)
_wa_ids = itertools.count(447_700_950_000)

# What each kind of message a person might send gets as the first words of its reply.
FILES, VOICE, WORDS = "I can't open files", "I can't listen to voice messages", "I can only read words"
PLACE, CONTACT = "I don't need your location", "I haven't kept that contact"


@dataclass
class Driver:
    """One channel end to end. Subclasses post the provider's webhooks and read its fake's requests."""

    name: str
    client: TestClient
    can_wipe: bool  # the provider lets the bot delete the chat from her device (quick exit)
    media: Mapping[str, str]  # recorded payload name -> the first words of its kind reply

    @property
    def gateway(self) -> Gateway:
        return self.client.app[GATEWAY]

    def person(self) -> str:
        """The address of someone who never wrote before."""
        raise NotImplementedError

    async def post(self, person: str, text: str) -> dict[str, Any]:
        """Post a new text message from `person`; return what was posted (to post it again)."""
        raise NotImplementedError

    async def repost(self, posted: dict[str, Any]) -> None:
        """The provider delivers the same message again (same id)."""
        raise NotImplementedError

    async def post_media(self, person: str, name: str) -> None:
        raise NotImplementedError

    def received(self, person: str) -> list[str]:
        """The texts that reached `person`, in the order the provider took them."""
        raise NotImplementedError

    def wiped(self, person: str) -> bool:
        """Whether the bot asked the provider to delete messages from her chat."""
        return False


@dataclass
class TelegramDriver(Driver):
    fake: FakeTelegram

    def person(self) -> str:
        return str(next(_chats))

    async def post(self, person: str, text: str) -> dict[str, Any]:
        update = telegram_update("text_message", int(person), text=text, date=int(time.time()))
        assert await post_telegram(self.client, update) == 200
        return update

    async def repost(self, posted: dict[str, Any]) -> None:
        assert await post_telegram(self.client, posted) == 200

    async def post_media(self, person: str, name: str) -> None:
        update = telegram_update(name, int(person))
        if name == "message_reaction":
            update["message_reaction"]["chat"]["id"] = int(person)
        assert await post_telegram(self.client, update) == 200

    def received(self, person: str) -> list[str]:
        return [str(m["text"]) for m in self.fake.sent() if m["chat_id"] == person]

    def wiped(self, person: str) -> bool:
        return any(m["chat_id"] == person for m in self.fake.sent("deleteMessages"))


@dataclass
class WhatsAppDriver(Driver):
    fake: FakeGraph

    def person(self) -> str:
        return str(next(_wa_ids))

    async def post(self, person: str, text: str) -> dict[str, Any]:
        webhook = whatsapp_text(person, text)
        assert await post_whatsapp(self.client, webhook) == 200
        return webhook

    async def repost(self, posted: dict[str, Any]) -> None:
        assert await post_whatsapp(self.client, posted) == 200

    async def post_media(self, person: str, name: str) -> None:
        assert await post_whatsapp(self.client, whatsapp_webhook(name, person)) == 200

    def received(self, person: str) -> list[str]:
        return [graph_body(r) for r in self.fake.sent() if r["to"] == person]


@dataclass
class TwilioDriver(Driver):
    fake: FakeTwilio

    def person(self) -> str:
        return f"+1555{secrets.randbelow(10**7):07d}"

    async def post(self, person: str, text: str) -> dict[str, Any]:
        form = twilio_form("incoming_sms", person, Body=text)
        assert await post_twilio(self.client, form) == 200
        return form

    async def repost(self, posted: dict[str, Any]) -> None:
        assert await post_twilio(self.client, posted) == 200

    async def post_media(self, person: str, name: str) -> None:
        assert await post_twilio(self.client, twilio_form(name, person)) == 200

    def received(self, person: str) -> list[str]:
        return [m["Body"] for m in self.fake.sent() if m["To"] == person]


CHANNELS = ("telegram", "whatsapp", "twilio")


@contextlib.asynccontextmanager
async def driving(
    name: str, aiohttp_client: AppClient, settings: Settings, engine: Engine, redis: Redis
) -> AsyncIterator[Driver]:
    """The app with channel `name` configured against its fake provider, and the driver for it."""

    async def app(configured: Settings, **server: Any) -> TestClient:
        application: web.Application = create_app(configured, engine, redis)
        client: TestClient = await aiohttp_client(application, server_kwargs=server)
        return client

    match name:
        case "telegram":
            async with serving(FakeTelegram(token=TELEGRAM_TOKEN)) as telegram:
                on = telegram_settings(telegram.url)
                media = {
                    "photo": FILES, "document": FILES, "voice": VOICE, "sticker": WORDS, "emoji_only": WORDS,
                    "location": PLACE, "contact": CONTACT, "message_reaction": WORDS,
                    "edited_message": "I only read new messages",
                }  # fmt: skip
                client = await app(replace(settings, telegram=on))
                yield TelegramDriver(name, client, can_wipe=True, media=media, fake=telegram)
        case "whatsapp":
            async with serving(FakeGraph(token=WHATSAPP_TOKEN, phone_number_id=PHONE_NUMBER_ID)) as graph:
                on_whatsapp = whatsapp_settings(graph.url)
                media = {
                    "image": FILES, "video": FILES, "document": FILES, "voice": VOICE, "sticker": WORDS,
                    "reaction": WORDS, "unsupported": WORDS, "location": PLACE, "contacts": CONTACT,
                }  # fmt: skip
                client = await app(replace(settings, whatsapp=on_whatsapp))
                yield WhatsAppDriver(name, client, can_wipe=False, media=media, fake=graph)
        case "twilio":
            async with serving(FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)) as twilio:
                port = free_port()  # Twilio signs over the public URL: the test server's own
                on_twilio = twilio_settings(twilio.url)
                public = f"http://127.0.0.1:{port}"
                client = await app(replace(settings, twilio=on_twilio, public_url=public), port=port)
                media = {"incoming_mms": FILES, "whatsapp_voice": VOICE, "whatsapp_location": PLACE}
                yield TwilioDriver(name, client, can_wipe=False, media=media, fake=twilio)
        case _:
            raise ValueError(f"no driver for {name!r}")
