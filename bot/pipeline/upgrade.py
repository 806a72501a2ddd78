"""Move what an older version kept under names holding the address to the pseudonymous names.

Before bot/storage/keys.py, a conversation's keys (inbox, outbox, lease, preferences, Rasa's tracker,
...) were named by its conversation id: a phone number on SMS and WhatsApp. At start-up (before any
channel takes a message) and on demand (`python -m bot storage upgrade`) every key of the old naming is
moved to its new name with its time to live, and what is now sealed (preferences, a REST or web-chat
caller's unfetched messages) is sealed on the way. Each move is one script that does nothing when the old
key is gone, so the upgrade can run again, and on two replicas at once: each key moves once. What was
written under the new name since (another replica already running the new version) is kept: a list
keeps the old items before it, a set, sorted set or hash gains the old members it lacks.

A delivery status was named by the provider's message id, which may embed the recipient (a WhatsApp
wamid is base64 of her number): it moves to the digest of that id.

A left-over Rasa lock of the old naming is dropped: it only ever lasted a turn, and its value names the
conversation. A caller's unfetched messages were named by an unkeyed digest of the sender: they move
when another key of the old naming names the same conversation (a caller written to within the day has
preferences and a tracker), else they are left to expire within the day.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.pipeline.conversations import ConversationStore
from bot.storage.keys import (
    HELD,
    INBOX,
    LEASE,
    LOCK,
    OUTBOX,
    PREFIX,
    PREFS,
    SEEN_BY,
    SENT,
    TELEGRAM_IDS,
    TRACKER,
    TURN,
    WHATSAPP_WINDOW,
    push,
    status_key,
)

# `safespaces:<kind>:<conversation id>`, the conversation id being `<channel>:<sender>`
OLD_PER_CONVERSATION = frozenset({INBOX, OUTBOX, SENT, TURN, LEASE, SEEN_BY, PREFS, HELD, TRACKER})
# `safespaces:<kind>:<sender>`, the channel implied by the kind
OLD_PER_SENDER = {TELEGRAM_IDS: "telegram", WHATSAPP_WINDOW: "whatsapp"}
MAILBOX_CHANNELS = ("rest", "web")  # `safespaces:<channel>:push:<sha256 of the sender>`
STATUS = f"{PREFIX}:status:"  # `safespaces:status:<channel>:<provider's message id>`
DIGEST = re.compile("[0-9a-f]{64}")
SEALED_NOW = frozenset({PREFS, *(push(channel) for channel in MAILBOX_CHANNELS)})

# KEYS: the old name, the new. ARGV[1]: '1' when ARGV[2..] is the old key's content as it is kept now
# (a hash's field-value pairs, a list's items, sealed), else '0': the content moves as it is.
_MOVE = """
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'none' then
  return 0
end
local content = {}
if ARGV[1] == '1' then
  for i = 2, #ARGV do content[#content + 1] = ARGV[i] end
elseif kind == 'list' then
  content = redis.call('LRANGE', KEYS[1], 0, -1)
elseif kind == 'set' then
  content = redis.call('SMEMBERS', KEYS[1])
elseif kind == 'zset' then
  content = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
elseif kind == 'hash' then
  content = redis.call('HGETALL', KEYS[1])
else
  content = {redis.call('GET', KEYS[1])}
end
local fresh = redis.call('EXISTS', KEYS[2]) == 0
local ttl = redis.call('PTTL', KEYS[1])
if kind == 'list' then
  for i = #content, 1, -1 do redis.call('LPUSH', KEYS[2], content[i]) end
elseif kind == 'set' then
  for _, member in ipairs(content) do redis.call('SADD', KEYS[2], member) end
elseif kind == 'zset' then
  for i = 1, #content, 2 do redis.call('ZADD', KEYS[2], 'NX', content[i + 1], content[i]) end
elseif kind == 'hash' then
  for i = 1, #content, 2 do redis.call('HSETNX', KEYS[2], content[i], content[i + 1]) end
elseif fresh then
  redis.call('SET', KEYS[2], content[1])
end
if fresh and ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
redis.call('DEL', KEYS[1])
return 1
"""


@dataclass(frozen=True, slots=True)
class Upgraded:
    moved: int  # keys now under their pseudonymous name
    dropped: int  # Rasa locks of the old naming
    pending: int  # conversations moved from the plain pending set to the pseudonymous index


@dataclass(frozen=True, slots=True)
class _Old:
    key: bytes
    kind: str
    conversation_id: str


def old_name(key: str) -> tuple[str, str] | None:
    """The kind and conversation id an old-style key name holds, else None (a new name holds no colon
    after its kind: a pseudonym is `p-` and hex digits)."""
    prefix, _, rest = key.partition(":")
    if prefix != PREFIX:
        return None
    for kind, channel in OLD_PER_SENDER.items():
        sender = rest.removeprefix(f"{kind}:")
        if sender != rest and not sender.startswith("p-"):
            return kind, f"{channel}:{sender}"
    kind, _, conversation_id = rest.partition(":")
    if kind in OLD_PER_CONVERSATION | {LOCK} and ":" in conversation_id:
        return kind, conversation_id
    return None


def old_status(key: str) -> str | None:
    """The new name of a delivery status an older version named by the provider's message id."""
    channel, _, message_id = key.removeprefix(STATUS).partition(":")
    if key.startswith(STATUS) and message_id and not DIGEST.fullmatch(message_id):
        return status_key(channel, message_id)
    return None


async def move_old_keys(store: ConversationStore) -> Upgraded:
    """Move every key of the old naming (see the module's docstring); safe to run any number of times."""
    redis = store.redis
    found: list[_Old] = []
    statuses: list[tuple[bytes, str]] = []  # (old name, new name)
    digests: dict[tuple[str, str], bytes] = {}  # (channel, sha256 of a sender) -> its old push key
    async for key in redis.scan_iter(match=f"{PREFIX}:*", count=1000):
        name = key.decode()
        if (named := old_name(name)) is not None:
            found.append(_Old(key, *named))
        elif (status := old_status(name)) is not None:
            statuses.append((key, status))
        for channel in MAILBOX_CHANNELS:
            digest = name.removeprefix(f"{PREFIX}:{push(channel)}:")
            if digest != name and len(digest) == 64:
                digests[channel, digest] = key
    for conversation_id in {old.conversation_id for old in found}:
        channel, _, sender = conversation_id.partition(":")
        pushed = digests.get((channel, hashlib.sha256(sender.encode()).hexdigest()))
        if pushed is not None:
            found.append(_Old(pushed, push(channel), conversation_id))
    move = redis.register_script(_MOVE)
    moved = dropped = 0
    for old in found:
        if old.kind == LOCK:
            dropped += await redis.delete(old.key)
            continue
        content = await _sealed_content(redis, store.sealer.seal, old)
        new = store.keys.person(old.kind, old.conversation_id)
        moved += await move([old.key, new], ["1" if content is not None else "0", *(content or ())])
    for key, new in statuses:
        moved += await move([key, new], ["0"])
    return Upgraded(moved=moved, dropped=dropped, pending=await store.upgrade_pending())


async def _sealed_content(redis: Redis, seal: Callable[[str], bytes], old: _Old) -> list[bytes] | None:
    """The old key's content sealed, for what is sealed now (else None: it moves as it is)."""
    if old.kind not in SEALED_NOW:
        return None
    if old.kind == PREFS:
        fields = await redis.hgetall(old.key)
        return [part for field, value in fields.items() for part in (field, seal(value.decode()))]
    return [seal(item.decode()) for item in await redis.lrange(old.key, 0, -1)]
