"""Per-conversation order, dedupe and durability, on Redis.

Each inbound message is deduplicated on its provider id and appended to its conversation's inbox in
one atomic step, before the webhook is acknowledged: a message that was acknowledged is stored, and a
re-delivered one is dropped. Whoever holds a conversation's lease drains its inbox in order, one
message at a time, on whichever replica. A replica that dies mid-turn leaves the message at the head
of the inbox; its lease expires and the sweeper of any replica picks the conversation up again.

There is no polling: the replica that stores a message tries to take the lease; if another holds it,
that holder finds the message before it lets go (it re-checks the inbox after releasing).

The embedded default runs the same code on fakeredis (in memory, with Lua).

What carries a person's words (inbox messages, outbox items) is stored sealed (bot/sealing.py), and
no key name holds more than the channel and a conversation id: the dedupe key holds a digest of the
provider's message id, because some ids embed the sender (a WhatsApp wamid is base64 of her number).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from redis.asyncio import Redis

from bot.messages import Choice, InboundMessage, OutboundMessage
from bot.sealing import Sealer

PREFIX = "safespaces"
PENDING = f"{PREFIX}:pending"  # conversations that may have work left

# KEYS: dedupe key, inbox, pending set, the conversation's dedupe keys (for erasure)
# ARGV: dedupe ttl, message json, conversation id
_ACCEPT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  redis.call('SADD', KEYS[3], ARGV[3])
  redis.call('SADD', KEYS[4], KEYS[1])
  redis.call('EXPIRE', KEYS[4], ARGV[1])
  return 1
end
return 0
"""
# KEYS: lease; ARGV: token, ttl ms
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# KEYS: lease; ARGV: token
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
# KEYS: inbox, outbox, pending set; ARGV: conversation id. One step, so a message accepted meanwhile
# (its RPUSH and SADD are one step too) is never left in an inbox that no sweeper looks at.
_SETTLE = """
if redis.call('LLEN', KEYS[1]) == 0 and redis.call('LLEN', KEYS[2]) == 0 then
  return redis.call('SREM', KEYS[3], ARGV[1])
end
return 0
"""


def _key(kind: str, conversation_id: str) -> str:
    return f"{PREFIX}:{kind}:{conversation_id}"


def _seen_key(message: InboundMessage) -> str:
    digest = hashlib.sha256(message.provider_id.encode()).hexdigest()
    return f"{PREFIX}:seen:{message.channel}:{digest}"


def replies_to_json(replies: Sequence[OutboundMessage]) -> str:
    return json.dumps([asdict(r) for r in replies], ensure_ascii=False)


def replies_from_json(raw: str | bytes) -> list[OutboundMessage]:
    return [
        OutboundMessage(
            text=item["text"],
            key=item.get("key"),
            choices=tuple(Choice(**choice) for choice in item.get("choices") or ()),
        )
        for item in json.loads(raw)
    ]


class ConversationStore:
    def __init__(
        self,
        redis: Redis,
        *,
        sealer: Sealer,
        dedupe_seconds: int = 7 * 24 * 3600,
        lease_ms: int = 60_000,
        retention_seconds: int = 30 * 24 * 3600,
    ) -> None:
        self.redis = redis
        self.sealer = sealer
        self._dedupe_seconds = dedupe_seconds
        self._lease_ms = lease_ms
        self.retention_seconds = retention_seconds

    async def accept(self, message: InboundMessage) -> bool:
        """Store a new message in its conversation's inbox; False if it was seen before."""
        conversation = message.conversation_id
        stored = await self.redis.eval(
            _ACCEPT,
            4,
            _seen_key(message),
            _key("inbox", conversation),
            PENDING,
            _key("seen-by", conversation),
            self._dedupe_seconds,
            self.sealer.seal(message.to_json()),
            conversation,
        )
        return bool(stored)

    @property
    def lease_seconds(self) -> float:
        return self._lease_ms / 1000

    async def try_lease(self, conversation_id: str) -> str | None:
        token = secrets.token_hex(16)
        taken = await self.redis.set(_key("lease", conversation_id), token, nx=True, px=self._lease_ms)
        return token if taken else None

    async def renew(self, conversation_id: str, token: str) -> bool:
        renewed = await self.redis.eval(_RENEW, 1, _key("lease", conversation_id), token, self._lease_ms)
        return bool(renewed)

    async def release(self, conversation_id: str, token: str) -> None:
        await self.redis.eval(_RELEASE, 1, _key("lease", conversation_id), token)

    async def head(self, conversation_id: str) -> InboundMessage | None:
        raw = await self.redis.lindex(_key("inbox", conversation_id), 0)
        return InboundMessage.from_json(self.sealer.open(raw)) if raw is not None else None

    async def mark_started(self, conversation_id: str, provider_id: str) -> str | None:
        """Remember which message is in a turn; return the one a crashed turn left, if any."""
        key = _key("turn", conversation_id)
        previous = await self.redis.getset(key, provider_id)
        await self.redis.expire(key, self.retention_seconds)
        return previous.decode() if previous is not None else None

    async def complete(
        self, conversation_id: str, message: InboundMessage, replies: Sequence[OutboundMessage]
    ) -> None:
        """Atomically: the message leaves the inbox and its replies enter the outbox."""
        outbox = _key("outbox", conversation_id)
        item = self.sealer.seal(json.dumps(
            {"channel": message.channel, "sender": message.sender,
             "inbound": message.provider_id, "replies": replies_to_json(replies)},
        ))  # fmt: skip
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpop(_key("inbox", conversation_id))
            pipe.rpush(outbox, item)
            pipe.expire(outbox, self.retention_seconds)
            pipe.delete(_key("turn", conversation_id))
            await pipe.execute()

    async def push_replies(self, conversation_id: str, replies: Sequence[OutboundMessage]) -> None:
        """Replies no inbound message asked for (a staff member wrote), queued behind the bot's."""
        channel, _, sender = conversation_id.partition(":")
        item = self.sealer.seal(json.dumps(
            {"channel": channel, "sender": sender, "inbound": "", "replies": replies_to_json(replies)},
        ))  # fmt: skip
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(_key("outbox", conversation_id), item)
            pipe.expire(_key("outbox", conversation_id), self.retention_seconds)
            pipe.sadd(PENDING, conversation_id)
            await pipe.execute()

    async def erase(self, conversation_id: str) -> None:
        """Forget the conversation's dedupe keys and bookkeeping; the message being answered and its
        reply still pass through the inbox and outbox, which empty themselves as the turn completes."""
        seen = await self.redis.smembers(_key("seen-by", conversation_id))
        async with self.redis.pipeline(transaction=True) as pipe:
            if seen:
                pipe.delete(*seen)
            pipe.delete(_key("seen-by", conversation_id))
            await pipe.execute()

    async def count_attempt(self, message: InboundMessage) -> int:
        """How many times this message's turn has failed (keyed like the dedupe key: no sender in it)."""
        key = _seen_key(message).replace(":seen:", ":attempts:", 1)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 3600)
            attempts, _ = await pipe.execute()
        return int(attempts)

    async def outbox_head(self, conversation_id: str) -> dict[str, Any] | None:
        raw = await self.redis.lindex(_key("outbox", conversation_id), 0)
        return json.loads(self.sealer.open(raw)) if raw is not None else None

    async def sent_count(self, conversation_id: str) -> int:
        raw = await self.redis.get(_key("sent", conversation_id))
        return int(raw) if raw is not None else 0

    async def record_sent(self, conversation_id: str, count: int) -> None:
        await self.redis.set(_key("sent", conversation_id), count, ex=self.retention_seconds)

    async def outbox_done(self, conversation_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpop(_key("outbox", conversation_id))
            pipe.delete(_key("sent", conversation_id))
            await pipe.execute()

    async def has_work(self, conversation_id: str) -> bool:
        inbox = await self.redis.llen(_key("inbox", conversation_id))
        outbox = await self.redis.llen(_key("outbox", conversation_id))
        return bool(inbox or outbox)

    async def settle(self, conversation_id: str) -> None:
        """Forget a conversation in the pending set once it has no work (re-checked on accept)."""
        inbox, outbox = _key("inbox", conversation_id), _key("outbox", conversation_id)
        await self.redis.eval(_SETTLE, 3, inbox, outbox, PENDING, conversation_id)

    async def pending(self) -> list[str]:
        return [m.decode() for m in await self.redis.smembers(PENDING)]
