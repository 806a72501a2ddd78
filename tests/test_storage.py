"""With REDIS_URL, trackers live in Redis with the retention limit as their TTL."""

from __future__ import annotations

import redis

from bot.rasa.engine import Engine

from .conftest import Conversation, tracker_key


async def test_progress_survives_in_redis_with_a_ttl(
    redis_engine: Engine, redis_client: redis.Redis, conversation_id: str
) -> None:
    conversation = Conversation(redis_engine, conversation_id)
    assert await conversation.say("/stalking") == ["playbook_intro", "step"]

    keys = [key.decode() for key in redis_client.keys("*")]
    assert keys == [tracker_key(conversation_id)]  # named by her pseudonym: no conversation id in it
    ttl = redis_client.ttl(keys[0])
    assert 29 * 24 * 3600 < ttl <= 30 * 24 * 3600

    assert await conversation.say("/greet") == ["resume_offer"]


async def test_no_lock_is_left_behind(
    redis_engine: Engine, redis_client: redis.Redis, conversation_id: str
) -> None:
    await Conversation(redis_engine, conversation_id).say("/greet")
    lock_keys = [k for k in redis_client.keys("*") if b"lock" in k]
    assert lock_keys == []
