"""What the console's tests share: a real Desk on Redis db 9, three staff accounts, a console app.

Imported as fixtures by tests/test_console_api.py (HTTP level) and tests/test_console.py (browser).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from bot.handoff.console import setup_console
from bot.handoff.desk import Desk
from bot.handoff.model import Risk, Summary
from bot.handoff.sessions import SessionStore
from bot.handoff.staff import Role, Staff, StaffStore
from bot.inbox.console import setup_inbox
from bot.inbox.store import InboxStore
from bot.insights.console import setup_insights
from bot.language.i18n import Catalogs
from bot.pipeline.messages import OutboundMessage
from bot.rasa.nlg import Renderer
from bot.storage.pseudonyms import Pseudonymizer
from bot.storage.sealing import Sealer
from content.model import load_library
from content.texts import load_texts

from .support.redis_dbs import emptied, redis_url

REDIS_URL = redis_url("console")
PASSWORD = "a long staff password"
INBOX_SEALER = Sealer.from_keys([Fernet.generate_key().decode()])
SUMMARY = Summary(
    situation="hacked_account",
    platform="instagram",
    steps_done=("change_password",),
    steps_skipped=("two_factor",),
    risks=(Risk.NCII, Risk.DANGER),
    language="es",
    channel="telegram",
    country="MX",
    safe_contact="evenings, by text",
    transcript_shared=True,
)


class Outbox:
    """The desk's deliver port: records what would reach each person instead of sending it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, OutboundMessage]] = []

    async def __call__(self, conversation_id: str, replies: Sequence[OutboundMessage]) -> None:
        self.sent.extend((conversation_id, reply) for reply in replies)

    def keys(self, conversation_id: str) -> list[str | None]:
        return [reply.key for to, reply in self.sent if to == conversation_id]

    def texts(self, conversation_id: str) -> list[str]:
        return [reply.text for to, reply in self.sent if to == conversation_id]


# The desk renders with the assistant's own texts and catalogs, as in production (bot/rasa/engine.py).
RENDERER = Renderer(
    texts=load_texts(), library=load_library(), catalogs=Catalogs(), show_unverified=False, helpline=None
)
render = RENDERER.message


def reply(key: str, language: str = SUMMARY.language, **params: object) -> str:
    """What the person reads for a response key, as the desk renders it for SUMMARY's country."""
    return render(key, language, SUMMARY.country, params).text


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    async with emptied(REDIS_URL) as client:
        yield client


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def desk(redis: Redis, outbox: Outbox) -> Desk:
    return Desk(
        redis,
        sealer=Sealer.from_keys([Fernet.generate_key().decode()]),
        pseudonym=Pseudonymizer(b"k" * 32),
        render=render,
        deliver=outbox,
        retention_seconds=3600,
    )


@pytest.fixture
def staff_store(redis: Redis) -> StaffStore:
    """A first wait after repeated failures long enough that a test's next attempt always falls in it."""
    return StaffStore(redis, first_wait_seconds=60.0)


@pytest.fixture
def sessions(redis: Redis) -> SessionStore:
    return SessionStore(redis)


@pytest.fixture
async def staff(staff_store: StaffStore) -> dict[str, Staff]:
    """alice and bob (agents), sue (supervisor); hashed in parallel, each hash takes a while."""
    accounts = await asyncio.gather(
        staff_store.add("alice", PASSWORD, Role.AGENT, "Alice"),
        staff_store.add("bob", PASSWORD, Role.AGENT, "Bob"),
        staff_store.add("sue", PASSWORD, Role.SUPERVISOR, "Sue"),
    )
    return {account.name: account for account in accounts}


def console_app(
    desk: Desk,
    staff_store: StaffStore,
    sessions: SessionStore,
    *,
    cookie_secure: bool = False,
    heartbeat_seconds: float = 0.3,
    undo_seconds: float = 0.2,
) -> web.Application:
    app = web.Application()
    setup_console(
        app,
        desk=desk,
        staff=staff_store,
        sessions=sessions,
        cookie_secure=cookie_secure,
        heartbeat_seconds=heartbeat_seconds,
        undo_seconds=undo_seconds,
    )
    setup_insights(app, min_count=10)
    setup_inbox(app, inbox_store(desk.redis))
    return app


def inbox_store(redis: Redis) -> InboxStore:
    """The inbox the console reviews, on the desk's Redis, sealed with a key of its own."""
    return InboxStore(redis, sealer=INBOX_SEALER)


@pytest.fixture
def undo_seconds() -> float:
    """How long a reply waits in the page before it leaves; a test that undoes one parametrizes it."""
    return 0.2


@pytest.fixture
async def server(
    desk: Desk, staff_store: StaffStore, sessions: SessionStore, undo_seconds: float
) -> AsyncIterator[TestServer]:
    server = TestServer(console_app(desk, staff_store, sessions, undo_seconds=undo_seconds))
    await server.start_server()
    yield server
    await server.close()
