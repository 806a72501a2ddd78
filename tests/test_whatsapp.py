"""WhatsApp Cloud API end to end: signed webhooks in, the channel's httpx client against a fake Graph API."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bot.channels.whatsapp.parse import parse_webhook
from bot.channels.whatsapp.render import (
    BODY_LIMIT,
    BUTTON_TITLE_LIMIT,
    LIST_BUTTON,
    ROW_DESCRIPTION_LIMIT,
    ROW_TITLE_LIMIT,
    TEXT_LIMIT,
    Button,
    ButtonsMessage,
    ListMessage,
    Row,
    TextMessage,
    render,
    shorten,
    to_json,
)
from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import Settings
from bot.pipeline.delivery import DeliveryStatuses
from bot.pipeline.messages import Choice, InboundKind, OutboundMessage
from bot.rasa.engine import Engine
from bot.storage.keys import FAILURES

from .fakes import serving
from .fakes.whatsapp import FakeGraph, outside_window, rate_limited, server_error, undeliverable
from .support.settle import settled
from .support.webhooks import APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN, whatsapp_settings
from .support.webhooks import WHATSAPP_TOKEN as TOKEN
from .support.webhooks import WHATSAPP_WEBHOOK as WEBHOOK
from .support.webhooks import graph_body as body_text
from .support.webhooks import hub_signature as signature
from .support.webhooks import post_whatsapp as post
from .support.webhooks import whatsapp_text as text_message
from .support.webhooks import whatsapp_webhook as payload

TEMPLATE = "safespaces_reengage"
DAY = 24 * 3600
_people = itertools.count(447_700_900_000)


async def first_failure(redis: Redis) -> dict[str, Any]:
    for _ in range(200):
        raw = await redis.lindex(FAILURES, 0)
        if raw is not None:
            return dict(json.loads(raw))
        await asyncio.sleep(0.05)
    raise AssertionError("no delivery failure was recorded")


@pytest.fixture
async def fake() -> Any:
    async with serving(FakeGraph(token=TOKEN, phone_number_id=PHONE_NUMBER_ID)) as fake:
        yield fake


@pytest.fixture
async def client(
    aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis, fake: FakeGraph
) -> TestClient:
    app = create_app(replace(settings, whatsapp=whatsapp_settings(fake.url)), engine, gateway_redis)
    return await aiohttp_client(app)


@pytest.fixture
async def client_with_template(
    aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis, fake: FakeGraph
) -> TestClient:
    configured = replace(settings, whatsapp=whatsapp_settings(fake.url, TEMPLATE))
    return await aiohttp_client(create_app(configured, engine, gateway_redis))


@pytest.fixture
def person() -> str:
    return str(next(_people))


async def test_the_subscription_check_echoes_the_challenge(client: TestClient) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = await client.get(WEBHOOK, params=query)
    assert response.status == 200
    assert await response.text() == "1158201444"


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
async def test_a_wrong_subscription_check_is_refused(client: TestClient, query: dict[str, str]) -> None:
    response = await client.get(WEBHOOK, params=query)
    assert response.status == 403
    assert "1" not in await response.text()


async def test_a_message_is_answered_through_the_graph_api(
    client: TestClient, fake: FakeGraph, person: str
) -> None:
    assert await post(client, text_message(person, "hello")) == 200
    sent = await fake.wait_for(1)
    # Welcome, limits, privacy and how to leave are merged into the message with the question's buttons.
    assert len(sent) == 1
    question = sent[0]
    assert question["to"] == person
    assert question["messaging_product"] == "whatsapp"
    assert body_text(question).startswith("Hi, I'm SafeSpaces.")
    assert body_text(question).endswith("Are you safe right now?")
    assert question["interactive"]["type"] == "button"
    buttons = question["interactive"]["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == ["/affirm", "/immediate_danger"]
    assert [b["reply"]["title"] for b in buttons] == ["Yes, I'm safe", "No, I need help now"]


@pytest.mark.parametrize("name", ["button_reply", "list_reply"])
async def test_a_reply_button_or_list_row_walks_the_playbook(
    client: TestClient, fake: FakeGraph, person: str, name: str
) -> None:
    await post(client, text_message(person, "/doxxing"))
    step_one = (await fake.wait_for(1))[-1]
    rows = step_one["interactive"]["action"]["sections"][0]["rows"]
    assert step_one["interactive"]["action"]["button"] == LIST_BUTTON
    assert [r["id"] for r in rows][:2] == ["/step_done", "/step_more"]
    assert await post(client, payload(name, person)) == 200
    sent = await fake.wait_for(2)
    assert body_text(sent[-1]).startswith("2/8. ")


async def test_a_quick_reply_we_did_not_make_is_read_as_its_words() -> None:
    messages, _ = parse_webhook(payload("template_button"), PHONE_NUMBER_ID)
    assert [(m.kind, m.text) for m in messages] == [(InboundKind.TEXT, "Continue")]
    forged = payload("button_reply")
    forged["entry"][0]["changes"][0]["value"]["messages"][0]["interactive"]["button_reply"]["id"] = "x"
    messages, _ = parse_webhook(forged, PHONE_NUMBER_ID)
    assert [(m.kind, m.text) for m in messages] == [(InboundKind.TEXT, "Done")]


def test_a_message_parses_to_its_sender_id_and_time() -> None:
    data = payload("text", "447700900123", age=60)
    raw = data["entry"][0]["changes"][0]["value"]["messages"][0]
    [message], statuses = parse_webhook(data, PHONE_NUMBER_ID)
    assert statuses == []
    assert (message.channel, message.sender, message.provider_id) == ("whatsapp", "447700900123", raw["id"])
    assert message.received_at == float(raw["timestamp"])
    assert (message.kind, message.text) == (InboundKind.TEXT, "Someone hacked my account")
    assert parse_webhook(data, "another-number") == ([], [])


@pytest.mark.parametrize(
    ("kind", "signed_with", "status"),
    [("missing", None, 401), ("wrong secret", "not-the-app-secret", 403), ("tampered", APP_SECRET, 403)],
)
async def test_a_forged_webhook_is_refused_and_changes_nothing(
    client: TestClient,
    fake: FakeGraph,
    gateway_redis: Redis,
    person: str,
    kind: str,
    signed_with: str | None,
    status: int,
) -> None:
    body = json.dumps(text_message(person, "/stalking")).encode()
    headers = {"Content-Type": "application/json"}
    if signed_with is not None:
        headers["X-Hub-Signature-256"] = signature(body, signed_with)
    if kind == "tampered":
        body = body.replace(b"/stalking", b"/doxxing")
    response = await client.post(WEBHOOK, data=body, headers=headers)
    assert response.status == status
    await settled(client.app[GATEWAY])
    assert fake.requests == []
    assert await gateway_redis.keys("*inbox*") == []
    assert await gateway_redis.keys("*window*") == []


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"object": "whatsapp_business_account", "entry": 5}']
)
async def test_a_malformed_but_signed_webhook_gets_400(client: TestClient, body: bytes) -> None:
    headers = {"X-Hub-Signature-256": signature(body), "Content-Type": "application/json"}
    response = await client.post(WEBHOOK, data=body, headers=headers)
    assert response.status == 400


async def test_delivery_statuses_are_recorded(
    client: TestClient, fake: FakeGraph, gateway_redis: Redis
) -> None:
    statuses = DeliveryStatuses(gateway_redis)
    wamid = payload("status_sent")["entry"][0]["changes"][0]["value"]["statuses"][0]["id"]
    for name in ["sent", "delivered", "read"]:
        assert await post(client, payload(f"status_{name}")) == 200
        assert (await statuses.get("whatsapp", wamid))["status"] == name
    assert await post(client, payload("status_failed")) == 200
    failed = await statuses.get("whatsapp", wamid)
    assert failed["status"] == "failed"
    assert failed["error"] == "131026 Message undeliverable"
    assert fake.requests == []


async def test_outside_the_window_without_a_template_nothing_is_sent(
    client: TestClient, fake: FakeGraph, gateway_redis: Redis, person: str
) -> None:
    # A webhook WhatsApp re-delivers a day late: the window opened by that message has closed.
    assert await post(client, text_message(person, "/stalking", age=DAY + 60)) == 200
    record = await first_failure(gateway_redis)
    assert record["channel"] == "whatsapp"
    assert record["reason"] == "outside the 24-hour window; no template configured"
    assert person not in json.dumps(record)
    assert fake.requests == []


async def test_outside_the_window_the_template_is_sent_once(
    client_with_template: TestClient, fake: FakeGraph, gateway_redis: Redis, person: str
) -> None:
    await post(client_with_template, text_message(person, "/stalking", age=DAY + 60))
    await post(client_with_template, text_message(person, "/step_done", age=DAY + 30))
    [template] = await fake.wait_for(1)
    assert template["to"] == person
    assert template["type"] == "template"
    assert template["template"] == {"name": TEMPLATE, "language": {"code": "en"}}
    record = await first_failure(gateway_redis)
    assert record["reason"] == "outside the 24-hour window; the template was already sent"
    assert fake.sent("template") == [template]
    # Once the person writes again, replies flow freely.
    await post(client_with_template, text_message(person, "/step_done"))
    sent = await fake.wait_for(2)
    assert sent[-1]["type"] == "interactive"


async def test_the_window_survives_a_late_redelivery(
    client: TestClient, fake: FakeGraph, gateway_redis: Redis, person: str
) -> None:
    await post(client, text_message(person, "hello"))
    await fake.wait_for(1)
    await post(client, text_message(person, "/stalking", age=DAY + 60))
    await fake.wait_for(2)
    window = client.app[GATEWAY].channels["whatsapp"].window_key(person)
    inbound = float(await gateway_redis.hget(window, "inbound"))
    assert time.time() - inbound < 60
    assert 0 < await gateway_redis.ttl(window) <= DAY + 3600


async def test_without_a_record_of_the_window_whatsapp_decides(
    client: TestClient, fake: FakeGraph, person: str
) -> None:
    # The record lasts a little over a day (or Redis lost it): try, and let error 131047 say no.
    channel = client.app[GATEWAY].channels["whatsapp"]
    assert await channel.send(person, TextMessage(text="Hello."), "wamid.ANY") == "wamid.FAKE000001"
    assert fake.requests[0]["text"] == {"body": "Hello."}


@pytest.mark.parametrize("template", [None, TEMPLATE])
async def test_error_131047_is_handled_like_a_closed_window(
    aiohttp_client: Any,
    settings: Settings,
    engine: Engine,
    gateway_redis: Redis,
    fake: FakeGraph,
    person: str,
    template: str | None,
) -> None:
    configured = replace(settings, whatsapp=whatsapp_settings(fake.url, template))
    client = await aiohttp_client(create_app(configured, engine, gateway_redis))
    fake.failures.append(outside_window())
    await post(client, text_message(person, "hello"))
    if template is None:
        record = await first_failure(gateway_redis)
        assert record["reason"] == "outside the 24-hour window; no template configured"
        assert len(fake.requests) == 1
    else:
        refused, sent = await fake.wait_for(2)
        assert refused["type"] == "interactive"
        assert sent["template"]["name"] == TEMPLATE


@pytest.mark.parametrize("failure", [rate_limited(1), server_error()], ids=["429", "500"])
async def test_rate_limits_and_server_errors_are_retried(
    client: TestClient, fake: FakeGraph, person: str, failure: Any
) -> None:
    fake.failures.append(failure)
    started = time.monotonic()
    await post(client, text_message(person, "/sextortion"))
    first, second = (await fake.wait_for(2, timeout=20))[:2]
    assert first == second
    if failure[0] == 429:
        assert time.monotonic() - started >= 1  # the Retry-After WhatsApp asked for


async def test_a_permanent_failure_is_recorded_without_the_number(
    client: TestClient, fake: FakeGraph, gateway_redis: Redis, person: str
) -> None:
    fake.failures.append(undeliverable())
    await post(client, text_message(person, "/impersonation"))
    record = await first_failure(gateway_redis)
    assert record["channel"] == "whatsapp"
    assert "Graph error 131026" in record["reason"]
    assert person not in json.dumps(record)


async def test_a_ten_thousand_character_message_is_answered(
    client: TestClient, fake: FakeGraph, person: str
) -> None:
    long_text = ("someone hacked my instagram account and " * 250)[:10_000]
    assert await post(client, text_message(person, long_text)) == 200
    sent = await fake.wait_for(1)
    assert all(len(body_text(r)) <= TEXT_LIMIT for r in sent)


def choices(*titles: str) -> tuple[Choice, ...]:
    return tuple(Choice(title=t, payload=f"/intent_{n}") for n, t in enumerate(titles))


def test_up_to_three_choices_are_reply_buttons_with_short_titles() -> None:
    reply = OutboundMessage(
        text="Which?", choices=choices("Yes", "Not now", "Talk to a person from the helpline")
    )
    [message] = render([reply])
    assert message == ButtonsMessage(
        body="Which?",
        buttons=(
            Button(id="/intent_0", title="Yes"),
            Button(id="/intent_1", title="Not now"),
            Button(id="/intent_2", title="Talk to a person…"),
        ),
    )
    assert all(len(b.title) <= BUTTON_TITLE_LIMIT for b in message.buttons)
    assert to_json(message)["interactive"]["action"]["buttons"][2] == {
        "type": "reply",
        "reply": {"id": "/intent_2", "title": "Talk to a person…"},
    }


def test_four_to_ten_choices_are_a_list_with_the_whole_title_in_the_description() -> None:
    titles = [f"Choice {n}" for n in range(9)] + ["A title far too long for one row of a list"]
    [message] = render([OutboundMessage(text="Which?", choices=choices(*titles))])
    assert isinstance(message, ListMessage)
    assert len(message.rows) == 10
    assert message.rows[0] == Row(id="/intent_0", title="Choice 0")
    assert message.rows[9] == Row(
        id="/intent_9",
        title="A title far too long…",
        description="A title far too long for one row of a list",
    )
    assert all(len(r.title) <= ROW_TITLE_LIMIT for r in message.rows)
    action = to_json(message)["interactive"]["action"]
    assert action["button"] == LIST_BUTTON
    assert action["sections"][0]["rows"][0] == {"id": "/intent_0", "title": "Choice 0"}
    assert not any(ch.isalpha() for ch in LIST_BUTTON)  # no language is hard-coded
    [four] = render([OutboundMessage(text="Which?", choices=choices("A", "B", "C", "D"))])
    assert isinstance(four, ListMessage)


def test_more_than_ten_choices_become_several_lists() -> None:
    text = "Some context.\nWhich app is it?"
    messages = render([OutboundMessage(text=text, choices=choices(*(f"App {n}" for n in range(13))))])
    assert messages == [
        ListMessage(body=text, rows=tuple(Row(id=f"/intent_{n}", title=f"App {n}") for n in range(10))),
        ListMessage(
            body="Which app is it?",
            rows=tuple(Row(id=f"/intent_{n}", title=f"App {n}") for n in range(10, 13)),
        ),
    ]


def test_titles_that_clash_once_cut_use_a_list() -> None:
    reply = OutboundMessage(
        text="Which?", choices=choices("Report the account now", "Report the account later")
    )
    [message] = render([reply])
    assert isinstance(message, ListMessage)
    assert [r.title for r in message.rows] == ["Report the account now", "Report the account later"]


def test_a_body_over_1024_goes_first_as_text_and_its_ending_carries_the_buttons() -> None:
    text = "A sentence that explains. " * 60 + "Are you safe?"
    [first, second] = render([OutboundMessage(text=text, choices=choices("Yes", "No"))])
    assert isinstance(first, TextMessage)
    assert isinstance(second, ButtonsMessage)
    assert len(second.body) <= BODY_LIMIT
    assert second.body.endswith("Are you safe?")
    assert f"{first.text} {second.body}" == text


def test_render_merges_a_turn_and_splits_text_at_4096() -> None:
    replies = [
        OutboundMessage(text="Hello."),
        OutboundMessage(text="Are you safe?", choices=choices("Yes", "No")),
        OutboundMessage(text="A sentence. " * 700),
    ]
    messages = render(replies)
    assert isinstance(messages[0], ButtonsMessage)
    assert messages[0].body == "Hello.\n\nAre you safe?"
    assert all(isinstance(m, TextMessage) and len(m.text) <= TEXT_LIMIT for m in messages[1:])
    assert len(messages) == 4
    text_part = messages[1]
    assert isinstance(text_part, TextMessage)
    assert to_json(text_part) == {"type": "text", "text": {"body": text_part.text}}


def test_shorten_cuts_at_a_word_and_keeps_long_words_readable() -> None:
    assert shorten("Tracked or spied on", BUTTON_TITLE_LIMIT) == "Tracked or spied on"
    assert shorten("Talk to a person from the helpline", BUTTON_TITLE_LIMIT) == "Talk to a person…"
    assert shorten("Extraordinarilylongword here", BUTTON_TITLE_LIMIT) == "Extraordinarilylong…"
    assert len(shorten("x " * 100, ROW_DESCRIPTION_LIMIT)) <= ROW_DESCRIPTION_LIMIT
