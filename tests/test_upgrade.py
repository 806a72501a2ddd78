"""Keys an older version named by the conversation id (a phone number on SMS and WhatsApp) move to
their pseudonymous names: at start-up and on demand, once, on two replicas at once, sealed, with their
times to live (bot/pipeline/upgrade.py)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from bot.channels.telegram.chat_log import ChatLog
from bot.pipeline.conversations import ConversationStore, Delivery
from bot.pipeline.delivery import DeliveryStatuses
from bot.pipeline.messages import InboundKind, InboundMessage
from bot.pipeline.preferences import PreferenceStore
from bot.pipeline.upgrade import move_old_keys, old_name
from bot.storage.keys import (
    HELD,
    INBOX,
    LEASE,
    LEGACY_PENDING,
    OUTBOX,
    PREFS,
    SEEN_BY,
    SENT,
    TRACKER,
    WHATSAPP_WINDOW,
    Keys,
    push,
    status_key,
)
from bot.storage.sealing import Sealer

from .support.redis_dbs import emptied, redis_url

REDIS_URL = redis_url("upgrade")
ROOT = Path(__file__).resolve().parent.parent
SECRET = "upgrade-test-secret"
ENCRYPTION_KEY = Fernet.generate_key().decode()
KEYS = Keys.from_secret(SECRET)
SEALER = Sealer.from_keys([ENCRYPTION_KEY])
SMS = "twilio:+15551230001"
WHATSAPP_NUMBER = "15551230002"
TELEGRAM_CHAT = "8100042"
REST_SENDER = "+15551230003"  # a REST caller may name herself by her number
ADDRESSES = ("15551230001", WHATSAPP_NUMBER, TELEGRAM_CHAT, "15551230003")
DAY_MS = 24 * 3600 * 1000
# A WhatsApp message id is base64 of the recipient's number: "wamid.HBgLMTU1NTEyMzAwMDI..." holds 15551230002.
WAMID = "wamid.HBgLMTU1NTEyMzAwMDIVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    async with emptied(REDIS_URL) as client:
        yield client


def store(redis: Redis) -> ConversationStore:
    return ConversationStore(redis, sealer=SEALER, keys=KEYS)


def unversioned(text: str) -> bytes:
    """Sealed as an older version sealed it: no version inside."""
    return Fernet(ENCRYPTION_KEY.encode()).encrypt(text.encode())


def inbound(text: str) -> InboundMessage:
    channel, _, sender = SMS.partition(":")
    return InboundMessage(
        channel=channel, provider_id=f"SM{text}", sender=sender, kind=InboundKind.TEXT, text=text
    )


def outbox_item(text: str) -> str:
    channel, _, sender = SMS.partition(":")
    return json.dumps({"channel": channel, "sender": sender, "inbound": "", "replies": replies_json(text)})


def replies_json(text: str) -> str:
    return json.dumps(
        [{"text": text, "key": None, "choices": [], "asks": None, "language": "en", "sms": None}]
    )


async def write_old_keys(redis: Redis) -> dict[str, int]:
    """What the older version left, each key with its own time to live (ms): {old name: ttl}."""
    old = {
        f"safespaces:inbox:{SMS}": 5 * DAY_MS,
        f"safespaces:outbox:{SMS}": 6 * DAY_MS,
        f"safespaces:sent:{SMS}": 6 * DAY_MS,
        f"safespaces:lease:{SMS}": 60_000,
        f"safespaces:seen-by:{SMS}": 7 * DAY_MS,
        f"safespaces:prefs:{SMS}": 30 * DAY_MS,
        f"safespaces:held:{SMS}": DAY_MS,
        f"safespaces:tracker:{SMS}": 29 * DAY_MS,
        f"safespaces:whatsapp:window:{WHATSAPP_NUMBER}": 25 * 3600 * 1000,
        f"safespaces:telegram:ids:{TELEGRAM_CHAT}": 2 * DAY_MS,
        f"safespaces:prefs:rest:{REST_SENDER}": 30 * DAY_MS,
        f"safespaces:status:whatsapp:{WAMID}": 7 * DAY_MS,
        f"safespaces:rest:push:{hashlib.sha256(REST_SENDER.encode()).hexdigest()}": DAY_MS,
    }
    async with redis.pipeline(transaction=True) as pipe:
        pipe.rpush(f"safespaces:inbox:{SMS}", unversioned(inbound("first").to_json()))
        pipe.rpush(f"safespaces:outbox:{SMS}", unversioned(outbox_item("older reply")))
        pipe.set(f"safespaces:sent:{SMS}", 1)
        pipe.set(f"safespaces:lease:{SMS}", "a-dead-replica")
        pipe.sadd(f"safespaces:seen-by:{SMS}", "safespaces:seen:twilio:abc")
        pipe.hset(
            f"safespaces:prefs:{SMS}",
            mapping={"language": "sw", "country": "KE", "danger_at": "1765000000.5"},
        )
        pipe.set(f"safespaces:held:{SMS}", unversioned(replies_json("the rest")))
        pipe.set(f"safespaces:tracker:{SMS}", unversioned('{"events": []}').decode())
        pipe.hset(f"safespaces:whatsapp:window:{WHATSAPP_NUMBER}", "inbound", "1765000000")
        pipe.zadd(f"safespaces:telegram:ids:{TELEGRAM_CHAT}", {"11": time.time() - 60, "12": time.time()})
        pipe.hset(f"safespaces:prefs:rest:{REST_SENDER}", "language", "fr")
        pipe.hset(f"safespaces:status:whatsapp:{WAMID}", mapping={"status": "read", "at": "1765000000"})
        pipe.rpush(
            f"safespaces:rest:push:{hashlib.sha256(REST_SENDER.encode()).hexdigest()}",
            replies_json("from staff"),
        )
        for key, ttl in old.items():
            pipe.pexpire(key, ttl)
        # A lock a crashed replica left (Rasa's locks never expire) and the plain pending set of version 1.
        pipe.set(f"safespaces:lock:{SMS}", json.dumps({"conversation_id": SMS, "tickets": []}))
        pipe.sadd(LEGACY_PENDING, SMS)
        await pipe.execute()
    return old


def new_name(old: str) -> str:
    if old.startswith("safespaces:status:"):
        return status_key("whatsapp", WAMID)
    kind, conversation_id = old_name(old) or (push("rest"), f"rest:{REST_SENDER}")  # the push: by digest
    return KEYS.person(kind, conversation_id)


async def test_old_key_names_move_once_to_pseudonymous_names_sealed_with_their_ttls(redis: Redis) -> None:
    old = await write_old_keys(redis)
    already = KEYS.person(OUTBOX, SMS)  # a replica of the new version queued a staff message meanwhile
    await redis.rpush(already, SEALER.seal(outbox_item("newer reply")))
    await redis.pexpire(already, DAY_MS)

    first, second = await asyncio.gather(
        move_old_keys(store(redis)), move_old_keys(store(redis))
    )  # two replicas

    assert first.moved + second.moved == len(old)
    assert first.dropped + second.dropped == 1 and first.pending + second.pending == 1
    again = await move_old_keys(store(redis))
    assert (again.moved, again.dropped, again.pending) == (0, 0, 0)

    names = [key.decode() for key in await redis.keys("*")]
    assert [name for name in names if any(address in name for address in ADDRESSES)] == []
    for name, ttl in old.items():
        left = await redis.pttl(new_name(name))
        expected = DAY_MS if new_name(name) == already else ttl  # a key written since keeps its own
        assert expected - 60_000 < left <= expected, name

    # Found under the new names by the code that reads them.
    moved_store = store(redis)
    step = await moved_store.begin(SMS)  # what was queued first goes out first
    assert isinstance(step, Delivery) and step.item == json.loads(outbox_item("older reply"))
    outbox = await redis.lrange(KEYS.person(OUTBOX, SMS), 0, -1)
    assert [SEALER.open(item) for item in outbox] == [outbox_item("older reply"), outbox_item("newer reply")]
    [waiting] = await redis.lrange(KEYS.person(INBOX, SMS), 0, -1)
    assert InboundMessage.from_json(SEALER.open(waiting)).text == "first"
    assert await redis.get(KEYS.person(SENT, SMS)) == b"1"
    assert await redis.get(KEYS.person(LEASE, SMS)) == b"a-dead-replica"
    assert await redis.smembers(KEYS.person(SEEN_BY, SMS)) == {b"safespaces:seen:twilio:abc"}
    assert SEALER.open(await redis.get(KEYS.person(HELD, SMS))) == replies_json("the rest")
    assert SEALER.open(await redis.get(KEYS.person(TRACKER, SMS))) == '{"events": []}'
    prefs = await PreferenceStore(redis, 3600, sealer=SEALER, keys=KEYS).get(SMS)
    assert (prefs.language, prefs.country, prefs.danger_at) == ("sw", "KE", 1765000000.5)
    assert await ChatLog(redis, KEYS).take(TELEGRAM_CHAT) == [12, 11]
    window = KEYS.person(WHATSAPP_WINDOW, f"whatsapp:{WHATSAPP_NUMBER}")
    assert await redis.hget(window, "inbound") == b"1765000000"
    assert (await DeliveryStatuses(redis).get("whatsapp", WAMID))["status"] == "read"
    assert [name for name in names if "wamid" in name] == []
    assert await moved_store.pending() == [SMS]

    # What is sealed now was sealed on the way: preferences, a REST caller's unfetched messages.
    sealed = await redis.hgetall(KEYS.person(PREFS, SMS))
    assert all(value.startswith(b"gAAAAA") for value in sealed.values())  # Fernet tokens, not "sw"
    assert {field.decode(): SEALER.open(value) for field, value in sealed.items()} == {
        "language": "sw",
        "country": "KE",
        "danger_at": "1765000000.5",
    }
    [pushed] = await redis.lrange(KEYS.person(push("rest"), f"rest:{REST_SENDER}"), 0, -1)
    assert b"from staff" not in pushed and SEALER.open_versioned(pushed) == (1, replies_json("from staff"))
    assert await redis.exists(f"safespaces:lock:{SMS}") == 0


async def test_the_command_upgrades_on_demand_without_rasa(redis: Redis) -> None:
    old = await write_old_keys(redis)
    env = {
        **os.environ,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": SECRET,
        "ENCRYPTION_KEYS": ENCRYPTION_KEY,
    }
    command = [sys.executable, "-c", "import sys; from bot.cli.main import main; main(sys.argv[1:]); "
               "assert not {'rasa', 'tensorflow'} & set(sys.modules)", "storage", "upgrade"]  # fmt: skip
    done = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, env=env, capture_output=True, text=True)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        f"{len(old)} keys moved to their pseudonymous names, 1 old Rasa locks dropped"
    )
    assert all([await redis.exists(new_name(name)) for name in old])
    assert [name for name in await redis.keys("*") if any(a.encode() in name for a in ADDRESSES)] == []
