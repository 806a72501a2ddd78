"""The Rasa-compatible REST channel over real HTTP."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bot.insights.counts import CONVERSATION_DIMENSIONS, CONVERSATIONS, InsightCounts, month_key
from bot.ops.app import GATEWAY, create_app
from bot.ops.metrics import Metrics
from bot.ops.settings import RateLimits, Settings
from bot.pipeline.limits import Limits, network
from bot.pipeline.messages import OutboundMessage
from bot.pipeline.stages.counting import SituationCounts
from bot.pipeline.turn import TurnState
from bot.rasa.engine import Engine

from .conftest import GATEWAY_REDIS_URL
from .support.redis_dbs import empty, leave
from .test_delivery import PSEUDONYM, message

WEBHOOK = "/webhooks/rest/webhook"


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis) -> TestClient:
    return await aiohttp_client(create_app(settings, engine, gateway_redis))


async def test_a_message_gets_the_replies_in_rasa_format(client: TestClient, conversation_id: str) -> None:
    response = await client.post(WEBHOOK, json={"sender": conversation_id, "message": "hello"})
    assert response.status == 200
    body = await response.json()
    assert [set(reply) for reply in body] == [{"recipient_id", "text", "buttons"}] * 5
    assert {reply["recipient_id"] for reply in body} == {conversation_id}
    assert body[-1]["text"] == "Are you safe right now?"
    assert body[-1]["buttons"] == [
        {"title": "Yes, I'm safe", "payload": "/affirm"},
        {"title": "No, I need help now", "payload": "/immediate_danger"},
    ]


async def test_a_button_payload_walks_the_playbook(client: TestClient, conversation_id: str) -> None:
    first = await client.post(WEBHOOK, json={"sender": conversation_id, "message": "/doxxing"})
    step_one = (await first.json())[-1]
    done = next(b["payload"] for b in step_one["buttons"] if b["title"] == "Done")
    second = await client.post(WEBHOOK, json={"sender": conversation_id, "message": done})
    step_two = (await second.json())[-1]
    assert step_one["text"].startswith("1/8. ")
    assert step_two["text"].startswith("2/8. ")


async def test_country_from_metadata_chooses_the_emergency_numbers(
    client: TestClient, conversation_id: str
) -> None:
    body = {
        "sender": conversation_id,
        "message": "/immediate_danger",
        "metadata": {"country": "us"},
    }
    replies = await (await client.post(WEBHOOK, json=body)).json()
    assert "911" in replies[0]["text"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"message": "hi"}',
        b'{"sender": "", "message": "hi"}',
        b'{"sender": "a", "message": ""}',
        b'{"sender": "a", "message": 5}',
        b'{"sender": "a", "message": "hi", "metadata": []}',
        b'{"sender": "' + b"x" * 200 + b'", "message": "hi"}',
    ],
)
async def test_malformed_bodies_are_refused_with_400(client: TestClient, body: bytes) -> None:
    response = await client.post(WEBHOOK, data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert "error" in await response.json()


async def test_a_refused_body_changes_no_conversation(
    client: TestClient, engine: Engine, conversation_id: str
) -> None:
    refused = {
        "sender": conversation_id,
        "message": "/doxxing",
        "metadata": ["not", "an", "object"],
    }
    assert (await client.post(WEBHOOK, json=refused)).status == 400
    replies = await client.post(WEBHOOK, json={"sender": conversation_id, "message": "/greet"})
    # Had the refused message started the doxxing playbook, greeting would offer to resume it.
    assert len(await replies.json()) == 5


async def say(client: TestClient, sender: str, text: str, **metadata: str) -> list[dict[str, Any]]:
    body = {"sender": sender, "message": text, "metadata": metadata}
    response = await client.post(WEBHOOK, json=body)
    assert response.status == 200
    return list(await response.json())


async def test_a_first_message_in_spanish_is_answered_in_spanish(
    client: TestClient, engine: Engine, conversation_id: str
) -> None:
    replies = await say(client, conversation_id, "hola buenas tardes")
    assert replies[0]["text"] == engine.render("welcome", "es").text


async def test_the_language_menu_names_each_language_in_its_own_name(
    client: TestClient, conversation_id: str
) -> None:
    replies = await say(client, conversation_id, "idioma")  # a Spanish word, from an English default
    titles = [b["title"] for b in replies[0]["buttons"]]
    assert {"English", "Español", "Français", "Kiswahili", "Português", "हिन्दी", "العربية"} <= set(titles)
    chosen = next(b["payload"] for b in replies[0]["buttons"] if b["title"] == "Français")
    after = await say(client, conversation_id, chosen)
    assert "français" in after[0]["text"]  # as French writes it mid-sentence
    assert len(after) >= 2  # then the menu, in French


async def test_a_sentence_in_another_language_is_answered_in_it_at_once(
    client: TestClient, engine: Engine, conversation_id: str
) -> None:
    await say(client, conversation_id, "hello", language="en")  # settles English
    replies = await say(
        client, conversation_id, "me hackearon la cuenta de instagram y cambiaron la contraseña"
    )
    assert replies[-1]["text"].startswith("1/10. ")
    step = engine.render("step", "es", params={"playbook": "secure_account", "step": 0})
    assert replies[-1]["buttons"][0]["title"] == step.choices[0].title


async def test_asking_for_a_language_switches_at_once(
    client: TestClient, engine: Engine, conversation_id: str
) -> None:
    await say(client, conversation_id, "hola", country="MX")
    replies = await say(client, conversation_id, "reply in english please")
    assert replies[0]["text"] == engine.render("language_set", "en", params={"language_name": "English"}).text
    arabic = await say(client, conversation_id, "بالعربي")
    assert arabic[0]["text"] == engine.render("language_set", "ar", params={"language_name": "العربية"}).text


async def test_a_telegram_style_language_hint_is_used(
    client: TestClient, engine: Engine, conversation_id: str
) -> None:
    replies = await say(client, conversation_id, "/greet", language="sw")
    assert replies[0]["text"] == engine.render("welcome", "sw").text


class CountingRedis(Redis):
    """A real Redis client that records its round trips: each command, and each pipeline sent at once."""

    round_trips: list[str]

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        self.round_trips.append(str(args[0]))
        return await super().execute_command(*args, **options)

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        pipe = CountingPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
        pipe.round_trips = self.round_trips
        return pipe


class CountingPipeline(Pipeline):
    round_trips: list[str]

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        self.round_trips.append("pipeline " + " ".join(str(call[0][0]) for call in self.command_stack))
        return list(await super().execute(raise_on_error))


async def test_a_turn_costs_the_gateway_nine_redis_round_trips(
    aiohttp_client: Any, settings: Settings, engine: Engine, conversation_id: str
) -> None:
    """Each step of a drain is one script that also says what comes next, and a turn reads what it
    needs before the NLU in one pipeline: a regression guard for the latency benchmark (bench/)."""
    redis = CountingRedis.from_url(GATEWAY_REDIS_URL)
    redis.round_trips = []
    await empty(redis, GATEWAY_REDIS_URL)
    client = await aiohttp_client(create_app(settings, engine, redis))
    gateway = client.app[GATEWAY]
    await say(client, conversation_id, "hello", language="en")
    await gateway.close()  # the drain's last steps run after the reply went out
    redis.round_trips.clear()

    await say(client, conversation_id, "someone hacked my instagram and changed my password")
    await gateway.close()

    trips = Counter(redis.round_trips)
    # The waiting request looks once, and again when the reply's wake-up comes (unless it was quicker).
    assert 1 <= trips.pop("LPOP") <= 2
    assert trips == {
        # accept (and take the lease), complete, delivered, finish (let go); and, where the client's
        # address is known (REST, web chat), whether this is a new conversation (bot/pipeline/limits.py)
        "EVALSHA": 5,
        # blocked? preferences, open ticket, half-written message, an entry of her record being written
        "pipeline HEXISTS HGETALL GET HGETALL GET": 1,
        "pipeline HDEL EXPIRE": 1,  # "are you safe?" was asked last: it is no longer the open question
        "pipeline RPUSH EXPIRE PUBLISH": 1,  # the REST channel's "send": the reply, and its wake-up
        # the steps of a situation start: its anonymous counts, and that it was counted (only then:
        # bot/pipeline/stages/counting.py)
        "pipeline " + " ".join(["HINCRBY"] * len(CONVERSATION_DIMENSIONS)) + " HSET EXPIRE": 1,
    }
    redis.round_trips.clear()

    await say(client, conversation_id, "done i changed it")  # a turn within the steps: no counting
    await gateway.close()
    assert not any("HINCRBY" in trip for trip in redis.round_trips)
    assert len(redis.round_trips) <= 9
    await leave(redis)


async def test_a_conversation_is_counted_once_per_situation_it_starts_without_a_trace_of_her(
    aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis, conversation_id: str
) -> None:
    """Conversations that never reach the helpline count too: when the steps of a playbook, or the
    help in danger, start. Counts only: no pseudonym, no word she wrote; erase leaves them."""
    client = await aiohttp_client(create_app(settings, engine, gateway_redis))
    gateway = client.app[GATEWAY]
    counts = InsightCounts(gateway_redis)
    month = datetime.now(UTC).strftime("%Y-%m")  # the REST client names no country: "unknown"
    await say(client, conversation_id, "hello", language="en")
    await gateway.close()
    assert await counts.month(month, CONVERSATIONS) == {}  # a greeting starts nothing

    await say(client, conversation_id, "someone hacked my instagram and changed my password")
    await gateway.close()
    # Its steps start again (as in a turn run again after a crash): the stage sees the intro once more.
    again = replace(message("again", sender=conversation_id), channel="rest")

    async def intro(turn: TurnState) -> list[OutboundMessage]:
        return [OutboundMessage(text="", key="playbook_intro")]

    await SituationCounts(engine, gateway.preferences)(await gateway._turn_state(again, False), intro)
    cells = await counts.month(month, CONVERSATIONS)
    assert cells[("situation", "secure_account", "unknown")] == 1  # once, though its steps started twice
    assert cells[("language", "en", "unknown")] == cells[("channel", "rest", "unknown")] == 1
    assert cells[("platform", "instagram", "unknown")] == 1 and cells[("risk_danger", "no", "unknown")] == 1
    assert sum(cells.values()) == len(CONVERSATION_DIMENSIONS)

    await say(client, conversation_id, "he is outside my door right now and says he will kill me")
    await gateway.close()
    cells = await counts.month(month, CONVERSATIONS)
    assert cells[("situation", "danger", "unknown")] == 1 and cells[("risk_danger", "yes", "unknown")] == 1
    assert sum(cells.values()) == 2 * len(CONVERSATION_DIMENSIONS)
    assert await gateway_redis.ttl(month_key(month, CONVERSATIONS)) == -1  # kept beyond retention

    stored = await gateway_redis.hgetall(month_key(month, CONVERSATIONS))
    raw = b" ".join(k + b" " + v for k, v in stored.items())
    pseudonym = gateway.preferences.key(conversation_id).rsplit(":", 1)[1]
    for secret in (conversation_id, pseudonym, "hacked", "password", "kill"):
        assert secret.encode() not in raw
    await gateway.erase(conversation_id)
    assert await counts.month(month, CONVERSATIONS) == cells  # her data goes, the counts stay
    await leave(gateway_redis)


REST_TOKEN = "test-rest-token-0123456789abcdefghijklmnop"


@pytest.fixture
async def guarded(
    aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis
) -> TestClient:
    """The REST channel with REST_TOKEN set."""
    return await aiohttp_client(create_app(replace(settings, rest_token=REST_TOKEN), engine, gateway_redis))


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong", f"Basic {REST_TOKEN}", f"Bearer {REST_TOKEN}x", "Bearer é"],
)
async def test_with_a_rest_token_a_request_without_it_is_refused_and_stores_nothing(
    guarded: TestClient, gateway_redis: Redis, conversation_id: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    body = {"sender": conversation_id, "message": "/immediate_danger"}
    posted = await guarded.post(WEBHOOK, json=body, headers=headers)
    polled = await guarded.get(f"{WEBHOOK}/updates", params={"sender": conversation_id}, headers=headers)
    for response in (posted, polled):
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "error" in await response.json()
    assert await gateway_redis.keys("*inbox*") == []
    assert await gateway_redis.keys("*seen*") == []


async def test_with_a_rest_token_the_bearer_token_is_answered(
    guarded: TestClient, conversation_id: str
) -> None:
    headers = {"Authorization": f"Bearer {REST_TOKEN}"}
    response = await guarded.post(
        WEBHOOK, json={"sender": conversation_id, "message": "hello"}, headers=headers
    )
    assert response.status == 200
    assert (await response.json())[-1]["text"] == "Are you safe right now?"


# --- rate limits on new conversations and handoff requests (the review flooded the queue) ---

PROXY = ipaddress.ip_network("127.0.0.1/32")  # the test client connects from here, as nginx would


async def limited(
    aiohttp_client: Any, settings: Settings, engine: Engine, redis: Redis, **limits: int
) -> TestClient:
    """The app behind a trusted proxy (X-Forwarded-For names the client), with these limits."""
    limited_settings = replace(settings, limits=RateLimits(**limits), trusted_proxies=(PROXY,))
    return await aiohttp_client(create_app(limited_settings, engine, redis))


async def said(client: TestClient, sender: str, text: str, address: str = "198.51.100.7") -> list[str]:
    body = {"sender": sender, "message": text}
    response = await client.post(WEBHOOK, json=body, headers={"X-Forwarded-For": address})
    assert response.status == 200
    return [reply["text"] for reply in await response.json()]


async def rate_limited(client: TestClient, limit: str) -> float:
    exposition = await (await client.get("/metrics")).text()
    found = re.search(rf'safespaces_rate_limited_total{{channel="rest",limit="{limit}"}} (\S+)', exposition)
    return float(found.group(1)) if found else 0.0


async def test_handoff_requests_are_limited_per_address_and_danger_help_still_goes_out(
    aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis
) -> None:
    client = await limited(aiohttp_client, settings, engine, gateway_redis, handoffs_per_address=2)
    gateway = client.app[GATEWAY]
    emergency = engine.render("emergency", "en", "IN").text.split("\n")[0]
    for sender in ("fake-1", "fake-2", "fake-3"):
        assert emergency in "\n".join(await said(client, sender, "/immediate_danger"))
        last = await said(client, sender, "/affirm")
    assert last == [engine.render("handoff_limited", "en").text]
    assert len(await gateway.desk.tickets.queue()) == 2
    assert await rate_limited(client, "handoff_address") == 1
    # Another address is not held back by this one.
    assert emergency in "\n".join(await said(client, "real", "/immediate_danger", address="203.0.113.9"))
    assert (await said(client, "real", "/affirm", address="203.0.113.9"))[0].startswith(
        "You're number 3 in line"
    )


async def test_handoff_requests_are_limited_per_sender(
    aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis
) -> None:
    client = await limited(aiohttp_client, settings, engine, gateway_redis, handoffs_per_sender=1)
    gateway = client.app[GATEWAY]
    await said(client, "asker", "talk to a person")
    assert (await said(client, "asker", "/affirm"))[-1].startswith("You're number 1 in line")
    await said(client, "asker", "/handoff_cancel")
    await said(client, "asker", "talk to a person")
    assert await said(client, "asker", "/affirm") == [engine.render("handoff_limited", "en").text]
    assert await gateway.desk.tickets.queue() == []
    assert await rate_limited(client, "handoff_sender") == 1


async def test_new_conversations_are_limited_per_address_but_danger_always_goes_through(
    aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis
) -> None:
    client = await limited(aiohttp_client, settings, engine, gateway_redis, new_conversations_per_address=2)
    welcome = engine.render("welcome", "en").text
    assert (await said(client, "first", "hello"))[0] == welcome
    assert (await said(client, "second", "hello"))[0] == welcome
    refusal = engine.render("new_conversation_limited", "en")
    body = {"sender": "third", "message": "hello"}
    response = await client.post(WEBHOOK, json=body, headers={"X-Forwarded-For": "198.51.100.7"})
    [reply] = await response.json()  # one kind reply, with the way to help
    assert reply["text"] == refusal.text
    assert reply["buttons"] == [{"title": "I need help now", "payload": "/immediate_danger"}]
    emergency = engine.render("emergency", "en", "IN").text.split("\n")[0]
    assert emergency in "\n".join(await said(client, "third", "/immediate_danger"))
    assert (await said(client, "first", "hello"))[0] == welcome  # known conversations go on
    assert (await said(client, "fourth", "hello", address="203.0.113.9"))[0] == welcome  # another address
    assert await rate_limited(client, "new_conversation_address") == 1


async def test_a_request_counts_once_however_often_its_turn_runs(gateway_redis: Redis) -> None:
    """A replica that dies mid-turn leaves the message for another to run again: still one request."""
    limits = Limits(
        gateway_redis,
        pseudonym=PSEUDONYM,
        limits=RateLimits(handoffs_per_sender=1),
        retention_seconds=3600,
        metrics=Metrics(),
    )
    asked = message("talk to a person", sender="someone")
    assert await limits.handoff(asked)
    assert await limits.handoff(asked)  # the same message's turn, run again
    assert not await limits.handoff(message("talk to a person", sender="someone"))
    assert await limits.handoff(message("talk to a person", sender="someone else"))


def test_ipv6_clients_are_counted_by_their_64() -> None:
    assert network("2001:db8:1:2:aaaa::1") == network("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert network("::ffff:192.0.2.1") == "192.0.2.1"
