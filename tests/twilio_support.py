"""The Twilio tests' fixtures: the fake REST API, and the app with Twilio configured against it."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable
from dataclasses import replace
from typing import Any, Protocol

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bot.ops.app import create_app
from bot.ops.settings import Settings, TwilioSettings
from bot.rasa.engine import Engine

from .conftest import free_port
from .fakes import serving
from .fakes.twilio import FakeTwilio
from .support.webhooks import ACCOUNT_SID, AUTH_TOKEN

SMS_FROM = "+15005550006"


class Client(Protocol):
    """Makes the app with Twilio sending from `sender`, on the session's engine or another one."""

    def __call__(self, sender: str, engine: Engine | None = None, /) -> Awaitable[TestClient]: ...


@pytest.fixture
async def fake() -> Any:
    async with serving(FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)) as fake:
        yield fake


@pytest.fixture
def make_client(
    aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis, fake: FakeTwilio
) -> Client:
    async def make(sender: str, on: Engine | None = None) -> TestClient:
        port = free_port()
        twilio = TwilioSettings(
            account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sender=sender, api_url=fake.url
        )
        configured = replace(settings, twilio=twilio, public_url=f"http://127.0.0.1:{port}")
        client: TestClient = await aiohttp_client(
            create_app(configured, on or engine, gateway_redis), server_kwargs={"port": port}
        )
        assert str(client.make_url("")).rstrip("/") == configured.public_url
        return client

    return make


@pytest.fixture
async def client(make_client: Client) -> TestClient:
    return await make_client(SMS_FROM)


@pytest.fixture
def phone() -> str:
    return f"+1555{secrets.randbelow(10**7):07d}"  # unique even across test runs sharing Redis
