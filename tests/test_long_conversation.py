"""A conversation's stored history stays bounded however long it runs, and compaction changes
nothing the person sees: slots carry over, the rules still predict, a playbook resumes where it was.

Real models, action server and Redis (db 4), as deployed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import redis

from bench.channels import SCRIPT  # the benchmarks' conversation
from bot.ops.settings import Settings
from bot.rasa.engine import Engine
from bot.rasa.history import HISTORY_TURNS
from bot.storage.sealing import Sealer

from .conftest import SECRET_KEY, Conversation, tracker_key
from .support.redis_dbs import emptied_sync, redis_url
from .test_stories import STORIES

LONG_REDIS_URL = redis_url("long_conversation")
TURNS = 300
SHORTEST_HISTORY = 2  # the two-stage fallback reads the previous turn


@pytest.fixture
def long_redis() -> Iterator[redis.Redis]:
    with emptied_sync(LONG_REDIS_URL) as client:
        yield client


@pytest.fixture(scope="module")
def long_settings(settings: Settings) -> Settings:
    return replace(settings, redis_url=LONG_REDIS_URL, secret_key=SECRET_KEY)


@pytest.fixture(scope="module")
def long_engine(long_settings: Settings) -> Engine:
    return Engine.load(long_settings)


@pytest.fixture(scope="module")
def forgetful_engine(long_settings: Settings) -> Engine:
    return Engine.load(long_settings, history_turns=SHORTEST_HISTORY)


def stored(client: redis.Redis, settings: Settings, conversation_id: str) -> tuple[int, list[dict[str, Any]]]:
    """The sealed tracker's size in Redis and its events, opened."""
    token = client.get(tracker_key(conversation_id))
    assert token is not None
    return len(token), json.loads(Sealer.from_settings(settings).open(token))["events"]


def step_text(conversation: Conversation) -> str:
    [step] = [reply.text for reply in conversation.replies if reply.key == "step"]
    return step


async def test_a_long_conversation_stays_bounded_and_resumes_its_playbook(
    long_engine: Engine, long_settings: Settings, long_redis: redis.Redis, conversation_id: str
) -> None:
    person = Conversation(long_engine, conversation_id)
    said = list(itertools.islice(itertools.cycle(SCRIPT), TURNS))
    sizes = []
    for text in said:
        await person.say(text)
        sizes.append(stored(long_redis, long_settings, conversation_id)[0])
    _, events = stored(long_redis, long_settings, conversation_id)
    assert [e["event"] for e in events].count("user") == HISTORY_TURNS
    assert max(sizes[-100:]) < 1.25 * max(sizes[HISTORY_TURNS : 3 * HISTORY_TURNS])
    assert 29 * 24 * 3600 < long_redis.ttl(tracker_key(conversation_id)) <= 30 * 24 * 3600
    transcript = await long_engine.transcript(conversation_id)
    assert [text for author, text in transcript if author == "person"] == [
        text for text in said[-HISTORY_TURNS:] if not text.startswith("/")
    ]

    # A playbook under way, then enough turns that the ones which started it are compacted away.
    assert await person.say("/doxxing") == ["playbook_intro", "step"]
    await person.say("/step_done")
    await person.say("/step_skip")
    for _ in range(HISTORY_TURNS):
        assert await person.say("/goodbye") == ["goodbye"]
    _, events = stored(long_redis, long_settings, conversation_id)
    assert not any(e.get("text") == "/doxxing" for e in events)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["playbook"] == "doxxing" and slots["step"] == 2.0
    assert slots["steps_done"] == ["danger_now"] and slots["steps_skipped"] == ["safe_place"]

    assert await person.say("/greet") == ["resume_offer"]
    assert (await person.say('/affirm{"question":"resume"}'))[-1] == "step"
    fresh = Conversation(long_engine, f"{conversation_id}-fresh")
    for text in ("/doxxing", "/step_done", "/step_skip"):
        await fresh.say(text)
    assert step_text(person) == step_text(fresh)


@pytest.mark.parametrize("story", STORIES, ids=[s["story"] for s in STORIES])
async def test_every_story_holds_when_only_the_latest_turns_are_kept(
    story: dict[str, Any],
    forgetful_engine: Engine,
    long_settings: Settings,
    long_redis: redis.Redis,
    conversation_id: str,
) -> None:
    conversation = Conversation(forgetful_engine, conversation_id, story.get("country"))
    for number, turn in enumerate(story["steps"], start=1):
        keys = await conversation.say(turn["user"])
        assert keys == turn["bot"], f"turn {number} ({turn['user']!r})"
    _, events = stored(long_redis, long_settings, conversation_id)
    assert [e["event"] for e in events].count("user") <= SHORTEST_HISTORY
