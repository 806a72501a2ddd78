"""Per-conversation order, dedupe and durability, on Redis.

Each inbound message is deduplicated on its provider id and appended to its conversation's inbox in
one atomic step, before the webhook is acknowledged: a message that was acknowledged is stored, and a
re-delivered one is dropped. Whoever holds a conversation's lease drains its inbox in order, one
message at a time, on whichever replica. A replica that dies mid-turn leaves the message at the head
of the inbox; its lease expires and the sweeper of any replica picks the conversation up again.

There is no polling: the replica that stores a message takes the lease in the same step if nobody
holds it; if another does, that holder finds the message before it lets go (letting go and checking
for work are one step). Each step of a drain is one Redis round trip that also says what comes next,
so a turn costs a handful of round trips, not one per key it touches.

The embedded default runs the same code on fakeredis (in memory, with Lua).

What carries a person's words (inbox messages, outbox items) is stored sealed (bot/storage/sealing.py), and
a conversation's keys are named by its pseudonym (bot/storage/keys.py), never its address: the dedupe key
holds a digest of the provider's message id, because some ids embed the sender (a WhatsApp wamid is
base64 of her number). The pending index names conversations by pseudonym too; the conversation id it
needs is sealed beside it.
Everything expires: the inbox and outbox with the retention period after their last message, and a
pending entry whose work was not done within it is dropped by the sweeper (its inbox is gone by then).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bot.pipeline.messages import Choice, InboundMessage, OutboundMessage
from bot.storage.keys import (
    INBOX,
    LEASE,
    LEGACY_PENDING,
    METRICS,
    OUTBOX,
    PENDING,
    PENDING_IDS,
    SEEN_BY,
    SENT,
    TURN,
    Keys,
    attempts_key,
    seen_key,
)
from bot.storage.sealing import Sealer

# Every step of a drain is one script that also answers "what next?": an outbox item to send first
# (with how many of its requests went out already), else the inbox's head (marked as in a turn; a mark
# already there means a turn for it began and never completed), else nothing. One round trip per step.
# KEYS[1..4] of every such script: outbox, sent count, inbox, turn mark; ARGV[1]: retention seconds.
_NEXT_STEP = """
local function next_step()
  local item = redis.call('LINDEX', KEYS[1], 0)
  if item then
    return {'deliver', item, redis.call('GET', KEYS[2]) or '0'}
  end
  local message = redis.call('LINDEX', KEYS[3], 0)
  if not message then
    return {'idle'}
  end
  if redis.call('SET', KEYS[4], '1', 'GET', 'EX', ARGV[1]) then
    return {'turn', message, '1'}
  end
  return {'turn', message, '0'}
end
"""
# Every script here may run twice: after Redis restarts, a command that met a dead pooled connection is
# sent once more (bot/ops/app.py), and the first attempt may have run before its answer was lost. So each
# checks whether its change was already made before making it.
#
# KEYS[5..10]: metrics, dedupe key, pending index, the conversation's dedupe keys (for erasure), lease,
# pending ids. ARGV[2..10]: dedupe ttl, message, the conversation's pseudonym, channel, this call's
# token, lease ms, '1' to take the lease, the sealed conversation id, now. A re-delivery is only
# counted. A new message is stored and counted; if the lease is free, the same step takes it and
# returns the drain's first step. The dedupe key holds the call's token, so the call sent again knows
# the message as its own.
_ADD_PENDING = """
local function add_pending(index, ids, who, sealed_id, now, ttl)
  redis.call('ZADD', index, now, who)
  redis.call('HSET', ids, who, sealed_id)
  redis.call('EXPIRE', index, ttl)
  redis.call('EXPIRE', ids, ttl)
end
"""
_ACCEPT = (
    _NEXT_STEP
    + _ADD_PENDING
    + """
if redis.call('SET', KEYS[6], ARGV[6], 'NX', 'EX', ARGV[2]) then
  redis.call('RPUSH', KEYS[3], ARGV[3])
  redis.call('EXPIRE', KEYS[3], ARGV[1])
  add_pending(KEYS[7], KEYS[10], ARGV[4], ARGV[9], ARGV[10], ARGV[1])
  redis.call('SADD', KEYS[8], KEYS[6])
  redis.call('EXPIRE', KEYS[8], ARGV[2])
  redis.call('HINCRBY', KEYS[5], 'received:' .. ARGV[5], 1)
elseif redis.call('GET', KEYS[6]) ~= ARGV[6] then
  redis.call('HINCRBY', KEYS[5], 'dedupe_hits:' .. ARGV[5], 1)
  return {'duplicate'}
end
if ARGV[8] == '1' then
  local holder = redis.call('GET', KEYS[9])
  if holder == ARGV[6] or (not holder and redis.call('SET', KEYS[9], ARGV[6], 'NX', 'PX', ARGV[7])) then
    return next_step()
  end
end
return {'stored'}
"""
)
_BEGIN = _NEXT_STEP + "return next_step()"
# ARGV[2]: the outbox item. The message leaves the inbox as its replies enter the outbox, once: the
# turn mark goes in the same step.
_COMPLETE = (
    _NEXT_STEP
    + """
if redis.call('DEL', KEYS[4]) == 1 then
  redis.call('LPOP', KEYS[3])
  redis.call('RPUSH', KEYS[1], ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return next_step()
"""
)
# KEYS[5]: metrics; ARGV[2]: the item that went out; ARGV[3..]: counter name, increment, ... The outbox's
# head is dropped if it is still that item.
_DELIVERED = (
    _NEXT_STEP
    + """
if redis.call('LINDEX', KEYS[1], 0) == ARGV[2] then
  redis.call('LPOP', KEYS[1])
  redis.call('DEL', KEYS[2])
  for i = 3, #ARGV, 2 do
    redis.call('HINCRBY', KEYS[5], ARGV[i], ARGV[i + 1])
  end
end
return next_step()
"""
)
# KEYS: lease; ARGV: token, ttl ms
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# KEYS: lease, inbox, outbox, pending index, pending ids; ARGV: token, the conversation's pseudonym.
# Let go of the lease and, in the same step, forget the conversation in the pending index if it has no
# work (a message accepted meanwhile is pushed and added in one step too, so it is never left where no
# sweeper looks). Returns 1 if work is left: it arrived while the drain was finishing, or the drain
# stopped early.
_FINISH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
if redis.call('LLEN', KEYS[2]) == 0 and redis.call('LLEN', KEYS[3]) == 0 then
  redis.call('ZREM', KEYS[4], ARGV[2])
  redis.call('HDEL', KEYS[5], ARGV[2])
  return 0
end
return 1
"""
# KEYS: pending index, pending ids; ARGV: oldest time kept. Entries whose work was last added before it
# go (their inbox and outbox have expired: nothing is left to do); the sealed ids of the rest come back.
_PENDING = """
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
for _, who in ipairs(old) do
  redis.call('ZREM', KEYS[1], who)
  redis.call('HDEL', KEYS[2], who)
end
return redis.call('HVALS', KEYS[2])
"""


@dataclass(frozen=True, slots=True)
class Delivery:
    """An outbox item to send before anything else, and how many of its requests already went out."""

    item: dict[str, Any]
    sent: int
    sealed: bytes  # as stored: what `delivered` drops


@dataclass(frozen=True, slots=True)
class Started:
    """The inbox's head, now in a turn; `recovering` if an earlier turn for it never completed."""

    message: InboundMessage
    recovering: bool


Step = Delivery | Started | None


@dataclass(frozen=True, slots=True)
class Acceptance:
    stored: bool  # False: a re-delivery of a message already stored
    lease: str | None = None  # the lease's token, when storing it also took the conversation's lease
    step: Step = None  # with the lease: the drain's first step


def replies_to_json(replies: Sequence[OutboundMessage]) -> str:
    return json.dumps([asdict(r) for r in replies], ensure_ascii=False)


def replies_from_json(raw: str | bytes) -> list[OutboundMessage]:
    return [
        OutboundMessage(
            text=item["text"],
            key=item.get("key"),
            choices=tuple(Choice(**choice) for choice in item.get("choices") or ()),
            asks=item.get("asks"),
            language=item.get("language"),
            sms=item.get("sms"),
        )
        for item in json.loads(raw)
    ]


class ConversationStore:
    def __init__(
        self,
        redis: Redis,
        *,
        sealer: Sealer,
        keys: Keys,
        dedupe_seconds: int = 7 * 24 * 3600,
        lease_ms: int = 60_000,
        retention_seconds: int = 30 * 24 * 3600,
    ) -> None:
        self.redis = redis
        self.sealer = sealer
        self.keys = keys
        self._pseudonym = keys.pseudonym
        self._dedupe_seconds = dedupe_seconds
        self._lease_ms = lease_ms
        self.retention_seconds = retention_seconds
        self._accept = redis.register_script(_ACCEPT)
        self._renew = redis.register_script(_RENEW)
        self._finish = redis.register_script(_FINISH)
        self._begin = redis.register_script(_BEGIN)
        self._complete = redis.register_script(_COMPLETE)
        self._delivered = redis.register_script(_DELIVERED)
        self._pending = redis.register_script(_PENDING)

    async def accept(self, message: InboundMessage, *, take_lease: bool = False) -> Acceptance:
        """Store a new message in its conversation's inbox, counted; a re-delivery is only counted.
        With `take_lease`, the same step takes the conversation's lease if nobody holds it."""
        conversation = message.conversation_id
        token = secrets.token_hex(16)
        keys = [
            *self._drain_keys(conversation),
            METRICS,
            seen_key(message.channel, message.provider_id),
            PENDING,
            self.keys.person(SEEN_BY, conversation),
            self.keys.person(LEASE, conversation),
            PENDING_IDS,
        ]
        sealed = self.sealer.seal(message.to_json())
        args = [
            self.retention_seconds,
            self._dedupe_seconds,
            sealed,
            self._pseudonym(conversation),
            message.channel,
            token,
            self._lease_ms,
            "1" if take_lease else "0",
            self.sealer.seal(conversation),
            time.time(),
        ]
        raw = await self._accept(keys, args)
        if raw[0] == b"duplicate":
            return Acceptance(stored=False)
        if raw[0] == b"stored":
            return Acceptance(stored=True)
        if raw[0] == b"turn" and raw[1] == sealed:  # this message is next: no need to unseal it
            return Acceptance(stored=True, lease=token, step=Started(message, recovering=raw[2] == b"1"))
        return Acceptance(stored=True, lease=token, step=self._step(raw))

    @property
    def lease_seconds(self) -> float:
        return self._lease_ms / 1000

    async def try_lease(self, conversation_id: str) -> str | None:
        """The lease's token if it was free. The holder's token comes back with the answer, so a call
        sent again after its connection broke still knows the lease it took as its own."""
        token = secrets.token_hex(16)
        key = self.keys.person(LEASE, conversation_id)
        holder = await self.redis.set(key, token, nx=True, px=self._lease_ms, get=True)
        return token if holder is None or holder == token.encode() else None

    async def renew(self, conversation_id: str, token: str) -> bool:
        return bool(await self._renew([self.keys.person(LEASE, conversation_id)], [token, self._lease_ms]))

    async def finish(self, conversation_id: str, token: str) -> bool:
        """Let go of the lease; True if the conversation still has work (someone must drain it)."""
        keys = [
            *(self.keys.person(kind, conversation_id) for kind in (LEASE, INBOX, OUTBOX)),
            PENDING,
            PENDING_IDS,
        ]
        return bool(await self._finish(keys, [token, self._pseudonym(conversation_id)]))

    async def begin(self, conversation_id: str) -> Step:
        """A drain's first step: what a crashed drain left in the outbox, else the next message."""
        return self._step(await self._begin(self._drain_keys(conversation_id), [self.retention_seconds]))

    async def complete(
        self, conversation_id: str, message: InboundMessage, replies: Sequence[OutboundMessage]
    ) -> Step:
        """Atomically: the message leaves the inbox and its replies enter the outbox. Returns the
        outbox's head to deliver (the replies, or a staff message queued before them). The turn must
        have begun (`begin`, or `accept` taking the lease): its mark is what makes this happen once."""
        entry = {
            "channel": message.channel,
            "sender": message.sender,
            "inbound": message.provider_id,
            "replies": replies_to_json(replies),
        }
        item = self.sealer.seal(json.dumps(entry))
        raw = await self._complete(self._drain_keys(conversation_id), [self.retention_seconds, item])
        if raw[0] == b"deliver" and raw[1] == item:  # these replies are next: no need to unseal them
            return Delivery(item=entry, sent=int(raw[2]), sealed=item)
        return self._step(raw)

    async def delivered(self, conversation_id: str, delivery: Delivery, counters: dict[str, int]) -> Step:
        """The outbox's head went out (or was given up on): drop it, add `counters` to the shared
        metrics, and return the next step."""
        keys = [*self._drain_keys(conversation_id), METRICS]
        counts = [part for name, count in counters.items() for part in (name, count)]
        return self._step(await self._delivered(keys, [self.retention_seconds, delivery.sealed, *counts]))

    def _drain_keys(self, conversation_id: str) -> list[str]:
        return [self.keys.person(kind, conversation_id) for kind in (OUTBOX, SENT, INBOX, TURN)]

    def _step(self, raw: list[bytes]) -> Step:
        kind = raw[0]
        if kind == b"deliver":
            return Delivery(item=json.loads(self.sealer.open(raw[1])), sent=int(raw[2]), sealed=raw[1])
        if kind == b"turn":
            message = InboundMessage.from_json(self.sealer.open(raw[1]))
            return Started(message=message, recovering=raw[2] == b"1")
        return None

    async def push_replies(self, conversation_id: str, replies: Sequence[OutboundMessage]) -> None:
        """Replies no inbound message asked for (a staff member wrote), queued behind the bot's."""
        channel, _, sender = conversation_id.partition(":")
        item = self.sealer.seal(json.dumps(
            {"channel": channel, "sender": sender, "inbound": "", "replies": replies_to_json(replies)},
        ))  # fmt: skip
        async with self.redis.pipeline(transaction=True) as pipe:
            outbox = self.keys.person(OUTBOX, conversation_id)
            pipe.rpush(outbox, item)
            pipe.expire(outbox, self.retention_seconds)
            self._add_pending(pipe, conversation_id)
            await pipe.execute()

    def _add_pending(self, pipe: Pipeline, conversation_id: str) -> None:
        """As the accept script's `add_pending`, in a pipeline."""
        who = self._pseudonym(conversation_id)
        pipe.zadd(PENDING, {who: time.time()})
        pipe.hset(PENDING_IDS, who, self.sealer.seal(conversation_id))
        pipe.expire(PENDING, self.retention_seconds)
        pipe.expire(PENDING_IDS, self.retention_seconds)

    async def erase(self, conversation_id: str) -> None:
        """Forget the conversation's dedupe keys and bookkeeping; the message being answered and its
        reply still pass through the inbox and outbox, which empty themselves as the turn completes."""
        seen_by = self.keys.person(SEEN_BY, conversation_id)
        seen = await self.redis.smembers(seen_by)
        async with self.redis.pipeline(transaction=True) as pipe:
            if seen:
                pipe.delete(*seen)
            pipe.delete(seen_by)
            await pipe.execute()

    async def count_attempt(self, message: InboundMessage) -> int:
        """How many times this message's turn has failed (keyed like the dedupe key: no sender in it)."""
        key = attempts_key(message.channel, message.provider_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 3600)
            attempts, _ = await pipe.execute()
        return int(attempts)

    async def record_sent(self, conversation_id: str, count: int) -> None:
        """How many of the outbox head's requests went out: a crash resumes after them."""
        await self.redis.set(self.keys.person(SENT, conversation_id), count, ex=self.retention_seconds)

    async def pending(self) -> list[str]:
        """The conversations that may have work left; entries older than the retention period go."""
        oldest = time.time() - self.retention_seconds
        sealed_ids = await self._pending([PENDING, PENDING_IDS], [oldest])
        return [self.sealer.open(sealed) for sealed in sealed_ids]

    async def upgrade_pending(self) -> int:
        """Move the plain conversation ids an older version kept in the pending set into the
        pseudonymous index (once, at start-up); how many were moved."""
        legacy = await self.redis.smembers(LEGACY_PENDING)
        if not legacy:
            return 0
        async with self.redis.pipeline(transaction=True) as pipe:
            for conversation_id in legacy:
                self._add_pending(pipe, conversation_id.decode())
            pipe.srem(LEGACY_PENDING, *legacy)
            *_, removed = await pipe.execute()  # another replica may have moved them first: counted once
        return int(removed)
