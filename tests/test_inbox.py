"""The consent-first inbox through the REST channel (issue 16 §1): asked once after a message it did not
understand, kept only after a yes, scrubbed, sealed, unlinked from the conversation, expiring; never
during danger or to a minor; off unless the helpline turns it on."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bot.inbox.store import ASKING, ITEM, ITEMS, KEEP_DAYS
from bot.ops.app import GATEWAY, build_gateway, create_app
from bot.ops.settings import Settings
from bot.pipeline.gateway import Gateway
from bot.pipeline.messages import InboundKind, InboundMessage
from bot.rasa.engine import Engine

from .support.settle import settled

WEBHOOK = "/webhooks/rest/webhook"
UNCLEAR = "the soup was cold yesterday and Rosa laughed at www.soup.com"
DAY = 86400


@pytest.fixture
async def client(
    aiohttp_client: Any, placeless_settings: Settings, placeless_engine: Engine, gateway_redis: Redis
) -> TestClient:
    settings = replace(placeless_settings, inbox_ask=True)
    return await aiohttp_client(create_app(settings, placeless_engine, gateway_redis))


async def say(client: TestClient, sender: str, text: str) -> list[str]:
    response = await client.post(WEBHOOK, json={"sender": sender, "message": text, "metadata": {}})
    assert response.status == 200
    return [reply["text"] for reply in await response.json()]


def wording(engine: Engine, key: str) -> str:
    return engine.render(key, "en").text


async def asked_after_not_understood(client: TestClient, engine: Engine, sender: str) -> list[str]:
    await say(client, sender, "hello")
    replies = await say(client, sender, UNCLEAR)
    assert wording(engine, "did_you_mean") in replies, replies  # the fallback, first stage
    assert replies[-1] == wording(engine, "inbox_ask")
    return replies


async def test_a_yes_keeps_the_sentence_scrubbed_sealed_unlinked_and_expiring(
    client: TestClient, placeless_engine: Engine, gateway_redis: Redis, conversation_id: str
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    await asked_after_not_understood(client, placeless_engine, conversation_id)
    assert await gateway.inbox.items() == []  # nothing kept before she answers
    assert await say(client, conversation_id, "yes") == [wording(placeless_engine, "inbox_kept")]
    [item] = await gateway.inbox.items()
    assert item.text == "the soup was cold yesterday and Rosa laughed at <link>"  # scrubbed
    assert item.language == "en" and item.intent is None and item.guess != "nlu_fallback"
    assert 0.0 < item.confidence <= 1.0 and len(item.day) == 10
    # No key, value or record links the item to the conversation: neither her id nor her pseudonym.
    pseudonym = gateway.store.keys.pseudonym(f"rest:{conversation_id}")
    record = await gateway_redis.get(f"{ITEM}:{item.id}")
    assert record is not None and b"soup" not in record  # sealed
    opened = gateway.store.sealer.open(record)
    for trace in (conversation_id, pseudonym, conversation_id.partition("-")[2]):
        assert trace not in opened
    item_keys = [k.decode() async for k in gateway_redis.scan_iter(f"{ITEM}:*")] + [ITEMS]
    assert all(pseudonym not in key and conversation_id not in key for key in item_keys)
    assert await gateway_redis.smembers(ITEMS) == {item.id.encode()}
    assert not await gateway_redis.exists(gateway.store.keys.person(ASKING, f"rest:{conversation_id}"))
    # Expires at the end of a day KEEP_DAYS on: its TTL tells the day at most, not the time she wrote.
    ttl = await gateway_redis.ttl(f"{ITEM}:{item.id}")
    assert KEEP_DAYS * DAY < ttl <= (KEEP_DAYS + 1) * DAY
    expires_at = await gateway_redis.expiretime(f"{ITEM}:{item.id}")
    assert expires_at % DAY == 0
    # Once per conversation: the next message it does not understand is not asked about.
    replies = await say(client, conversation_id, "the blue thing is wobbling again and again")
    assert wording(placeless_engine, "inbox_ask") not in replies
    await settled(gateway)
    assert len(await gateway.inbox.items()) == 1


@pytest.mark.parametrize("answer", ["no", "what do you mean?", "/deny"])
async def test_no_or_anything_else_keeps_nothing(
    client: TestClient, placeless_engine: Engine, gateway_redis: Redis, conversation_id: str, answer: str
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    await asked_after_not_understood(client, placeless_engine, conversation_id)
    replies = await say(client, conversation_id, answer)
    kept = wording(placeless_engine, "inbox_kept")
    assert kept not in replies
    if answer != "what do you mean?":
        assert replies == [wording(placeless_engine, "inbox_not_kept")]
    await settled(gateway)
    assert await gateway.inbox.items() == []
    assert not await gateway_redis.exists(gateway.store.keys.person(ASKING, f"rest:{conversation_id}"))
    assert await say(client, conversation_id, "yes") != [kept]  # a later yes answers nothing of ours
    assert await gateway.inbox.items() == []


async def test_danger_after_the_question_drops_the_sentence_and_a_yes_then_keeps_nothing(
    client: TestClient, placeless_engine: Engine, gateway_redis: Redis, conversation_id: str
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    await asked_after_not_understood(client, placeless_engine, conversation_id)
    replies = await say(client, conversation_id, "he is outside my door and he is going to kill me")
    assert wording(placeless_engine, "inbox_not_kept") not in replies
    assert not await gateway_redis.exists(gateway.store.keys.person(ASKING, f"rest:{conversation_id}"))
    await say(client, conversation_id, "yes")
    assert await gateway.inbox.items() == []


@pytest.mark.parametrize(
    ("opening", "danger_ago"),
    [
        (["hello"], 1000.0),  # she said she was in danger 17 minutes ago: past the follow-up, not an hour
        (["i am in danger"], 7200.0),  # two hours ago, but the dialogue knows of the danger
        (["hello", "im 15"], None),  # a minor
        (["i want to kill myself"], None),  # self-harm
    ],
)
async def test_never_asked_in_danger_self_harm_or_to_a_minor(
    client: TestClient, placeless_engine: Engine, conversation_id: str, opening: list[str],
    danger_ago: float | None,
) -> None:  # fmt: skip
    gateway: Gateway = client.app[GATEWAY]
    for text in opening:
        await say(client, conversation_id, text)
    if danger_ago is not None:
        await gateway.preferences.update(f"rest:{conversation_id}", danger_at=str(time.time() - danger_ago))
    replies = await say(client, conversation_id, UNCLEAR)
    assert wording(placeless_engine, "inbox_ask") not in replies
    fallbacks = [wording(placeless_engine, key) for key in ("did_you_mean", "not_understood")]
    assert set(fallbacks) & set(replies), replies  # the turn it would have asked in
    assert await gateway.inbox.items() == []


async def test_not_asked_unless_the_helpline_turned_it_on_nor_in_discreet_mode_unless_allowed(
    aiohttp_client: Any, placeless_settings: Settings, placeless_engine: Engine, gateway_redis: Redis,
    conversation_id: str,
) -> None:  # fmt: skip
    off = await aiohttp_client(create_app(placeless_settings, placeless_engine, gateway_redis))
    await say(off, conversation_id, "hello")
    replies = await say(off, conversation_id, UNCLEAR)
    assert wording(placeless_engine, "did_you_mean") in replies  # the turn that would have asked
    assert wording(placeless_engine, "inbox_ask") not in replies
    on = replace(placeless_settings, inbox_ask=True)
    assert build_gateway(on, placeless_engine, gateway_redis)._ask_inbox
    assert not build_gateway(replace(on, discreet=True), placeless_engine, gateway_redis)._ask_inbox
    allowed = replace(on, discreet=True, inbox_in_discreet_mode=True)
    assert build_gateway(allowed, placeless_engine, gateway_redis)._ask_inbox


async def test_erasing_her_data_drops_the_sentence_asked_about(
    client: TestClient, placeless_engine: Engine, gateway_redis: Redis, conversation_id: str
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    await asked_after_not_understood(client, placeless_engine, conversation_id)
    assert await gateway_redis.exists(gateway.store.keys.person(ASKING, f"rest:{conversation_id}"))
    await gateway.erase(f"rest:{conversation_id}")
    assert not await gateway_redis.exists(gateway.store.keys.person(ASKING, f"rest:{conversation_id}"))


async def test_never_asked_on_sms(client: TestClient, placeless_engine: Engine) -> None:
    """Each question would cost the helpline a segment: on SMS the fallback comes alone."""
    gateway: Gateway = client.app[GATEWAY]
    keys = []
    for n, text in enumerate(["hello", UNCLEAR]):
        message = InboundMessage(
            channel="twilio", provider_id=f"SM{n}", sender="+254700000001", kind=InboundKind.TEXT, text=text
        )
        keys = [reply.key for reply in await gateway.turn(message)]
    assert "did_you_mean" in keys and "inbox_ask" not in keys
