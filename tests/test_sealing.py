"""Conversation content is sealed at rest: keys, rotation, and nothing readable left in Redis."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import fakeredis
import pytest
import redis
from aiohttp.test_utils import TestClient
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from bot.ops.app import create_app
from bot.ops.settings import Settings
from bot.pipeline.conversations import ConversationStore, Delivery, Started
from bot.pipeline.gateway import Gateway
from bot.pipeline.messages import InboundKind, InboundMessage, OutboundMessage
from bot.rasa.engine import Engine, StorageUnavailable
from bot.storage.sealing import VERSION, Sealer, SealError, load_or_create_local_key

from .conftest import SECRET_KEY, TEST_REDIS_URL, tracker_key
from .support.redis_dbs import emptied_sync, redis_url
from .test_action_outage import WipingChannel
from .test_delivery import KEYS, SEALER, message

SEALING_REDIS_URL = redis_url("sealing")  # the gateway's storage in these tests
WEBHOOK = "/webhooks/rest/webhook"
# What the person says: each with a word found nowhere else, so any copy of it in storage is a leak.
SAID = [
    "hello",
    "my ex Zanzibarcode posted my address online",
    "he also knows my password Quetzalfeather99",
    "me hackearon la cuenta de instagram, fue Marmotaverde, y cambiaron la contraseña",
]
SECRET_WORDS = ["Zanzibarcode", "Quetzalfeather99", "Marmotaverde"]


def new_key() -> str:
    return Fernet.generate_key().decode()


def test_a_sealed_text_opens_to_the_same_text_and_does_not_show_it() -> None:
    sealer = Sealer.from_keys([new_key()])
    token = sealer.seal("my ex Zanzibarcode posted my address")
    assert b"Zanzibarcode" not in token
    assert sealer.open(token) == "my ex Zanzibarcode posted my address"
    assert sealer.open(token.decode()) == "my ex Zanzibarcode posted my address"


def test_data_sealed_with_an_old_key_opens_after_a_new_key_is_prepended() -> None:
    old, new = new_key(), new_key()
    token = Sealer.from_keys([old]).seal("ünïcode and Zanzibarcode")
    rotated = Sealer.from_keys([new, old])

    assert rotated.open(token) == "ünïcode and Zanzibarcode"
    assert Sealer.from_keys([new]).open(rotated.seal("fresh")) == "fresh"  # writes use the newest key
    resealed = rotated.reseal(token)
    assert Sealer.from_keys([new]).open(resealed) == "ünïcode and Zanzibarcode"
    with pytest.raises(SealError):
        Sealer.from_keys([old]).open(resealed)


@pytest.mark.parametrize("token", [b"not a token", "", b"gAAAAAB" + b"A" * 80])
def test_a_token_that_is_not_one_is_refused(token: bytes | str) -> None:
    with pytest.raises(SealError):
        Sealer.from_keys([new_key()]).open(token)


def test_a_tampered_token_or_one_from_an_unknown_key_is_refused() -> None:
    sealer = Sealer.from_keys([new_key()])
    token = bytearray(sealer.seal("Zanzibarcode"))
    token[-5] = ord("A") if token[-5] != ord("A") else ord("B")
    with pytest.raises(SealError):
        sealer.open(bytes(token))
    with pytest.raises(SealError):
        sealer.open(Sealer.from_keys([new_key()]).seal("Zanzibarcode"))
    with pytest.raises(SealError):
        sealer.reseal(Sealer.from_keys([new_key()]).seal("Zanzibarcode"))


def test_the_local_key_is_made_once_for_its_owner_only_and_reused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / ".local" / "encryption.key"
    with caplog.at_level(logging.WARNING, logger="bot.storage.sealing"):
        key = load_or_create_local_key(path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert load_or_create_local_key(path) == key
    assert path.read_text().strip() == key
    sealer = Sealer.from_keys([key])
    assert sealer.open(sealer.seal("x")) == "x"  # a usable Fernet key
    assert "production must set ENCRYPTION_KEYS" in caplog.text
    assert key not in caplog.text


def test_configured_keys_are_used_newest_first() -> None:
    new, old = new_key(), new_key()
    sealer = Sealer.from_settings(Settings(encryption_keys=(new, old)))
    assert Fernet(new.encode()).decrypt(sealer.seal("Zanzibarcode")).endswith(b"Zanzibarcode")
    assert sealer.open(Fernet(old.encode()).encrypt(b"older")) == "older"
    with pytest.raises(SealError):
        Sealer.from_keys([old]).open(sealer.seal("Zanzibarcode"))


def test_a_sealed_record_carries_its_version_and_one_sealed_before_versions_still_opens() -> None:
    key = new_key()
    sealer = Sealer.from_keys([key])
    assert sealer.open_versioned(sealer.seal('{"language": "sw"}')) == (VERSION, '{"language": "sw"}')
    assert VERSION == 1
    unversioned = Fernet(key.encode()).encrypt('{"language": "sw", "text": "ñ"}'.encode())  # as sealed before
    assert sealer.open_versioned(unversioned) == (0, '{"language": "sw", "text": "ñ"}')
    assert sealer.open(unversioned) == '{"language": "sw", "text": "ñ"}'
    assert sealer.open_versioned(Fernet(key.encode()).encrypt(b"")) == (0, "")
    # The version is inside the token: it is authenticated with the text, not a prefix one could edit.
    assert sealer.seal("x")[:6] == Fernet(key.encode()).encrypt(b"x")[:6] == b"gAAAAA"


# ---- nothing readable at rest ---------------------------------------------------------------------


def dump(client: redis.Redis) -> bytes:
    """Every key and every value of a Redis db, whatever its type, as one blob."""
    parts: list[bytes] = []
    for key in client.scan_iter():
        parts.append(key)
        match client.type(key):
            case b"string":
                parts.append(client.get(key))
            case b"hash":
                for field, value in client.hgetall(key).items():
                    parts += [field, value]
            case b"list":
                parts += client.lrange(key, 0, -1)
            case b"set":
                parts += client.smembers(key)
            case b"zset":
                parts += [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
            case b"stream":
                for _, entry in client.xrange(key):
                    for field, value in entry.items():
                        parts += [field, value]
            case other:
                raise AssertionError(f"a Redis type this dump does not read: {other!r}")
    return b"\n".join(parts)


def spellings(text: str) -> set[str]:
    """The text as stored raw or inside JSON (ASCII-escaped or not), lower-cased."""
    return {
        form.lower() for form in (text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1])
    }


def leaks(blob: bytes, texts: Iterable[str]) -> list[str]:
    """Which texts (or, for long texts, which of their lines) can be read in the blob."""
    readable = blob.decode("utf-8", errors="replace").lower()
    found = []
    for text in texts:
        pieces = [text, *(line for line in text.splitlines() if len(line) >= 20)]
        if any(form in readable for piece in pieces for form in spellings(piece)):
            found.append(text)
    return found


def inbound(text: str, provider_id: str) -> InboundMessage:
    return InboundMessage(
        channel="whatsapp",
        provider_id=provider_id,
        sender="254712345678",
        kind=InboundKind.TEXT,
        text=text,
    )


@pytest.fixture
def sealing_redis() -> Iterable[redis.Redis]:
    with emptied_sync(SEALING_REDIS_URL) as client:
        yield client


@pytest.fixture
async def gateway_redis_11(sealing_redis: redis.Redis) -> AsyncIterator[Redis]:
    client = Redis.from_url(SEALING_REDIS_URL)
    yield client
    await client.close()


async def test_inbox_and_outbox_hold_only_sealed_content(
    sealing_redis: redis.Redis, gateway_redis_11: Redis
) -> None:
    store = ConversationStore(gateway_redis_11, sealer=Sealer.from_keys([new_key()]), keys=KEYS)
    # WhatsApp message ids are base64 of bytes that include the sender's number (254712345678).
    first = inbound(SAID[1], "wamid.HBgMMjU0NzEyMzQ1Njc4FQIAEhgUM0FBQkNERUYwMTIzNDU2Nzg5QUIA")
    second = inbound(SAID[2], "wamid.HBgMMjU0NzEyMzQ1Njc4FQIAEhgUM0FBQkNERUYwMTIzNDU2Nzg5QUMA")
    reply = OutboundMessage(text="I'm sorry Zanzibarcode did that; here is what we can do")

    assert (await store.accept(first, take_lease=True)).stored  # and its turn begins
    assert (await store.accept(second)).stored
    step = await store.complete(first.conversation_id, first, [reply])

    blob = dump(sealing_redis)
    assert leaks(blob, [SAID[1], SAID[2], reply.text]) == []
    assert b"HBgM" not in blob  # the wamid embeds her number: not even in the dedupe key
    assert isinstance(step, Delivery) and "Zanzibarcode did that" in step.item["replies"]
    head = await store.delivered(first.conversation_id, step, {})
    assert isinstance(head, Started) and head.message == second
    assert not (await store.accept(second)).stored  # dedupe still works on the hashed id


async def say(client: TestClient, sender: str, text: str, **metadata: str) -> list[dict[str, Any]]:
    response = await client.post(WEBHOOK, json={"sender": sender, "message": text, "metadata": metadata})
    assert response.status == 200
    return list(await response.json())


async def test_a_whole_conversation_leaves_nothing_readable_in_redis(
    aiohttp_client: Any,
    settings: Settings,
    redis_engine: Engine,
    redis_client: redis.Redis,
    sealing_redis: redis.Redis,
    gateway_redis_11: Redis,
    conversation_id: str,
) -> None:
    gateway_settings = replace(
        settings, redis_url=SEALING_REDIS_URL, encryption_keys=(new_key(),), secret_key="test-secret"
    )
    client = await aiohttp_client(create_app(gateway_settings, redis_engine, gateway_redis_11))
    turns = [await say(client, conversation_id, SAID[0], language="en")]
    for text in SAID[1:]:
        turns.append(await say(client, conversation_id, text))
    assert turns[-1][-1]["text"].startswith("1/10. ")  # the Spanish message is answered in Spanish
    replies = [reply["text"] for turn in turns for reply in turn]

    stored = dump(sealing_redis) + dump(redis_client)
    assert leaks(stored, SAID + SECRET_WORDS + replies) == []

    # The check can fail: the tracker, opened, holds her words and the engine's replies in Rasa's JSON.
    tracker = redis_client.get(tracker_key(f"rest:{conversation_id}"))
    assert tracker is not None
    opened = Sealer.from_settings(settings).open(tracker).encode()
    assert leaks(opened, SAID + SECRET_WORDS) == SAID + SECRET_WORDS
    ran_by_the_engine = [reply["text"] for turn in turns[:3] for reply in turn]
    assert leaks(opened, ran_by_the_engine) == ran_by_the_engine


async def test_a_replica_without_the_key_fails_the_turn_instead_of_starting_over(
    settings: Settings, redis_engine: Engine, redis_client: redis.Redis
) -> None:
    """A replica that lacks the key a conversation was sealed with (a rotation done on one replica
    only) must not treat her as new: Rasa's fallback would answer with a welcome and overwrite her
    tracker. The turn fails instead, and the gateway retries it (bot/rasa/engine.py)."""
    conversation = "test:rotated-on-one-replica"  # as the gateway names a test channel's conversation
    await redis_engine.handle(conversation, "someone hacked my instagram and changed my password")
    key = tracker_key(conversation)
    stored = redis_client.get(key)
    assert stored is not None
    other_replica = Engine.load(
        replace(settings, redis_url=TEST_REDIS_URL, secret_key=SECRET_KEY, encryption_keys=(new_key(),))
    )

    with pytest.raises(StorageUnavailable):
        await other_replica.handle(conversation, "/step_done")

    assert redis_client.get(key) == stored  # nothing overwritten
    turn = await redis_engine.handle(conversation, "/step_done")
    assert turn.replies[-1].text.startswith("2/10. ")  # she carries on where she was

    # Quick exit does not wait for the conversation's state: the chat is wiped all the same.
    channel = WipingChannel()
    gateway = Gateway(
        engine=other_replica,
        store=ConversationStore(fakeredis.aioredis.FakeRedis(), sealer=SEALER, keys=KEYS),
        channels={channel.name: channel},
    )
    leaving = message("/exit", sender=conversation.removeprefix("test:"))
    await gateway.accept(leaving)
    await gateway.close()
    assert channel.wiped == [leaving.sender] and channel.sent == []
