"""The Rasa-compatible REST channel over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.engine import Engine
from bot.settings import Settings

WEBHOOK = "/webhooks/rest/webhook"


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings, engine: Engine) -> TestClient:
    return await aiohttp_client(create_app(settings, engine))


async def test_a_message_gets_the_replies_in_rasa_format(
    client: TestClient, conversation_id: str
) -> None:
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


async def test_a_button_payload_walks_the_playbook(
    client: TestClient, conversation_id: str
) -> None:
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
