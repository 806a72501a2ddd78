"""Replies for callers that fetch them over HTTP: the REST channel and the web chat.

The channel's "send" puts a turn's replies on a Redis list that the waiting request pops, so the answer
reaches the caller whichever replica ran the turn; anything nobody's request is waiting for (a helpline
person wrote) waits on another list for the caller's long poll. Both channels share this, so they take
the same gateway path (`accept`) and the same delivery, and differ only in who the sender is. Neither
wait holds a Redis connection: they wait on the process's one subscription (bot/storage/wakeups.py).
Replies are sealed at rest like every other reply, and a caller's list is named by her pseudonym.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from bot.channels.base import Accept, Budget
from bot.pipeline.conversations import replies_from_json, replies_to_json
from bot.pipeline.messages import InboundMessage, OutboundMessage
from bot.storage.keys import Keys, mailbox_key, push
from bot.storage.sealing import Sealer
from bot.storage.wakeups import Wakeups

REPLY_TIMEOUT_SECONDS = 30
ANSWERED_SECONDS = 2 * REPLY_TIMEOUT_SECONDS  # a caller whose answer was lost may ask again this long
RETRY_POLL_SECONDS = 0.5  # a message sent again looks this often for the answer its first sending got
UPDATES_WAIT_SECONDS = 20
PUSH_SECONDS = 24 * 3600  # a helpline message waits a day for the page to fetch it


def rasa_format(recipient: str, replies: Sequence[OutboundMessage]) -> list[dict[str, Any]]:
    return [
        {
            "recipient_id": recipient,
            "text": reply.text,
            "buttons": [{"title": c.title, "payload": c.payload} for c in reply.choices],
        }
        for reply in replies
    ]


def previewable_format(recipient: str, replies: Sequence[OutboundMessage]) -> list[dict[str, Any]]:
    """Rasa's format with what the web chat's SMS preview needs to send them back: each reply's
    language and SMS wording, each button's SMS title."""
    shaped = rasa_format(recipient, replies)
    for item, reply in zip(shaped, replies, strict=True):
        item.update(language=reply.language, sms=reply.sms)
        for button, choice in zip(item["buttons"], reply.choices, strict=True):
            button["sms"] = choice.sms
    return shaped


class Mailbox:
    """One channel's reply lists in Redis, keyed by message id (replies) and by recipient (pushes)."""

    def __init__(
        self, redis: Redis, channel: str, wakeups: Wakeups, *, sealer: Sealer, keys: Keys, keep_answers: bool
    ) -> None:
        self._redis = redis
        self._channel = channel
        self.wakeups = wakeups
        self._sealer = sealer
        self._keys = keys
        self._keep_answers = keep_answers  # each answer is also kept a minute for a retry

    def reply_key(self, message_id: str) -> str:
        return mailbox_key(self._channel, "reply", message_id)

    def push_key(self, recipient: str) -> str:
        return self._keys.person(push(self._channel), f"{self._channel}:{recipient}")

    def answered_key(self, message_id: str) -> str:
        return mailbox_key(self._channel, "answered", message_id)

    async def exchange(self, accept: Accept, message: InboundMessage) -> list[OutboundMessage] | None:
        """Hand the message to the gateway and wait for its turn's replies; None if none came in time.

        Where answers are kept (the web chat), a message sent again with the same id (its answer was
        lost on the way back) is not run again: it gets the answer of its first sending, once there."""
        fresh = await accept(message)
        key = self.reply_key(message.provider_id)
        if fresh or not self._keep_answers:
            popped = await self.wakeups.pop(key, REPLY_TIMEOUT_SECONDS)
            return None if popped is None else self._opened([popped])
        deadline = time.monotonic() + REPLY_TIMEOUT_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            popped = await self.wakeups.pop(key, min(left, RETRY_POLL_SECONDS))
            if popped is not None:
                return self._opened([popped])
            kept = await self._redis.lrange(self.answered_key(message.provider_id), 0, -1)
            if kept:
                return self._opened(kept)
        return None

    async def updates(self, recipient: str) -> list[OutboundMessage]:
        """Long poll: what a helpline person sent since the last call, waiting up to 20 s for it."""
        key = self.push_key(recipient)
        popped = await self.wakeups.pop(key, UPDATES_WAIT_SECONDS)
        batches = [popped] if popped is not None else []
        while (more := await self._redis.lpop(key)) is not None:
            batches.append(more)
        return self._opened(batches)

    def _opened(self, batches: list[bytes]) -> list[OutboundMessage]:
        return [reply for batch in batches for reply in replies_from_json(self._sealer.open(batch))]

    async def put(self, recipient: str, request: str, reply_to: str) -> None:
        """A turn's replies go to the request waiting for them; anything else waits for the poll."""
        key, ttl = (
            (self.reply_key(reply_to), REPLY_TIMEOUT_SECONDS * 2)
            if reply_to
            else (self.push_key(recipient), PUSH_SECONDS)
        )
        sealed = self._sealer.seal(request)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, sealed)
            pipe.expire(key, ttl)
            if reply_to and self._keep_answers:  # in the same round trip
                pipe.rpush(self.answered_key(reply_to), sealed)
                pipe.expire(self.answered_key(reply_to), ANSWERED_SECONDS)
            self.wakeups.notify(pipe, key)
            await pipe.execute()

    async def forget(self, recipient: str) -> None:
        """Replies wait under their message id for a minute; only unfetched pushes are the person's."""
        await self._redis.delete(self.push_key(recipient))


class MailboxChannel:
    """What the REST channel and the web chat share: everything but their routes."""

    per_recipient_rate = 0.0
    overall_rate = 0.0
    budget: Budget | None = None  # no cost per message: a turn goes out whole

    def __init__(
        self,
        redis: Redis,
        name: str,
        wakeups: Wakeups,
        *,
        sealer: Sealer,
        keys: Keys,
        keep_answers: bool = False,
    ) -> None:
        self.name = name
        self.mailbox = Mailbox(redis, name, wakeups, sealer=sealer, keys=keys, keep_answers=keep_answers)

    def render(self, replies: Sequence[OutboundMessage]) -> list[str]:
        return [replies_to_json(replies)]

    async def send(self, recipient: str, request: str, reply_to: str) -> str | None:
        await self.mailbox.put(recipient, request, reply_to)
        return None

    async def wipe(self, recipient: str) -> bool:
        """Whatever the caller shows (the web chat's page, too) is out of our reach."""
        return False

    async def opted_out(self, recipient: str) -> bool:
        return False

    async def forget(self, recipient: str) -> None:
        await self.mailbox.forget(recipient)

    async def start(self) -> None:
        self.mailbox.wakeups.start()  # subscribed before the first request waits

    async def stop(self) -> None:
        await self.mailbox.wakeups.stop()
