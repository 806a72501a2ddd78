"""Shared fixtures: a real action server, real trained models, a real Redis for tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from redis.asyncio import Redis as AsyncRedis

from bench.processes import free_port
from bot.ops.settings import Settings
from bot.pipeline.messages import OutboundMessage
from bot.rasa.action_server import running_action_server
from bot.rasa.engine import Engine
from bot.storage.keys import TRACKER, Keys

from .support.markers import MARKERS, NEEDS
from .support.redis_dbs import MARK, emptied, emptied_sync, redis_url

ROOT = Path(__file__).resolve().parent.parent
TEST_REDIS_URL = redis_url("trackers")  # Rasa's trackers in the Redis-backed tests
GATEWAY_REDIS_URL = redis_url("gateway")  # the gateway's inboxes, leases, outboxes
SECRET_KEY = "test-secret-key"  # what names keys in Redis (with REDIS_URL, a deployment must set it)


@pytest.fixture(scope="session")
def action_server_url() -> Iterator[str]:
    url = f"http://127.0.0.1:{free_port()}/webhook"
    with running_action_server(url):
        yield url


@pytest.fixture(scope="session")
def settings(action_server_url: str) -> Settings:
    return Settings(action_server_url=action_server_url, default_country="IN")


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Engine:
    return Engine.load(settings)


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    with emptied_sync(TEST_REDIS_URL) as client:
        yield client


@pytest.fixture(scope="session")
def placeless_settings(settings: Settings) -> Settings:
    """No default country: where she is comes only from her channel and her words (the web chat)."""
    return replace(settings, default_country=None)


@pytest.fixture(scope="session")
def placeless_engine(placeless_settings: Settings) -> Engine:
    return Engine.load(placeless_settings)


@pytest.fixture(scope="session")
def redis_engine(settings: Settings) -> Iterator[Engine]:
    """The engine with Rasa's trackers in the suite's own database, emptied and marked as the suite's
    first: a module that writes trackers before another empties the database is no stranger's data."""
    with emptied_sync(TEST_REDIS_URL) as client:
        client.set(MARK, "1")
        yield Engine.load(replace(settings, redis_url=TEST_REDIS_URL, secret_key=SECRET_KEY))


def tracker_key(conversation_id: str) -> str:
    """Where an engine with SECRET_KEY keeps a conversation's tracker: under its pseudonym."""
    return Keys.from_secret(SECRET_KEY).person(TRACKER, conversation_id)


@pytest.fixture
def conversation_id() -> str:
    return f"test-{uuid.uuid4().hex}"


class Conversation:
    """One person talking to the engine; keeps the replies of the last turn."""

    def __init__(self, engine: Engine, conversation_id: str, country: str | None = None) -> None:
        self.engine = engine
        self.id = conversation_id
        self.country = country
        self.replies: list[OutboundMessage] = []

    async def say(self, text: str) -> list[str | None]:
        self.replies = (await self.engine.handle(self.id, text, country=self.country)).replies
        return [reply.key for reply in self.replies]

    def payload(self, title: str) -> str:
        """The payload of the button with this title in the last turn."""
        for reply in self.replies:
            for choice in reply.choices:
                if choice.title == title:
                    return choice.payload
        raise AssertionError(f"no button {title!r} in {[r.choices for r in self.replies]}")

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.replies)


@pytest.fixture
async def conversation(engine: Engine, conversation_id: str) -> AsyncIterator[Conversation]:
    yield Conversation(engine, conversation_id)


@pytest.fixture
async def gateway_redis() -> AsyncIterator[AsyncRedis]:
    async with emptied(GATEWAY_REDIS_URL) as client:
        yield client


def pytest_configure(config: pytest.Config) -> None:
    for name, meaning in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {meaning}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with what its module needs (tests/support/markers.py)."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module not in NEEDS:
            raise pytest.UsageError(f"{module} is not in tests/support/markers.py: say what it needs")
        for need in sorted(NEEDS[module]):
            item.add_marker(need)
