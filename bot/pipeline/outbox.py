"""Deliver a conversation's replies in order, with bounded retries; failures are kept, not raised.

On a channel with a budget (SMS, where every segment costs), a reply turn sends only what the budget
allows, ending with a "more" choice; the rest is held, sealed, for a day and sent when the person asks
for more (bot/pipeline/stages/more.py). Each reply turn replaces what was held: "more" always means
the rest of the last answer. Staff messages are never held back.

Runs under the conversation's lease, after the turn's replies were committed to the outbox, so a crash
resumes at the first request not yet sent (a request in flight at the crash may be sent twice: the
providers offer no idempotency key for sends).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from redis.asyncio import Redis

from bot.channels.base import Budget, Channel, PermanentSendError, TransientSendError
from bot.channels.text import page
from bot.ops.metrics import Metrics
from bot.pipeline.conversations import ConversationStore, Delivery, replies_from_json, replies_to_json
from bot.pipeline.messages import Choice, OutboundMessage
from bot.pipeline.outages import outlasting_outages
from bot.storage.keys import FAILURES, HELD, METRICS, rate_key

log = logging.getLogger(__name__)

KEPT_FAILURES = 1000
ERASED = "erase_done"  # the reply confirming an erasure
MORE = "/more"  # the payload of the "more" choice
HELD_SECONDS = 24 * 3600  # "more" a day later is a new conversation, not the rest of the last answer


class RateLimiter:
    """At most `rate` sends per second per key, across every replica (fixed windows in Redis)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def wait(self, limits: Sequence[tuple[str, float]]) -> None:
        """Until every (key, rate) limit allows one more send: one round trip per try."""
        active = [(key, rate) for key, rate in limits if rate > 0]
        while active:
            now = time.time()
            windows = []  # (length, slot, sends allowed in it) per limit
            async with self._redis.pipeline(transaction=True) as pipe:
                for key, rate in active:
                    window = max(1.0, 1.0 / rate)
                    slot = int(now // window)
                    counter = rate_key(key, slot)
                    pipe.incr(counter)
                    pipe.expire(counter, int(window) + 1)
                    windows.append((window, slot, max(1, round(rate * window))))
                counts = (await pipe.execute())[::2]
            ends = [
                (slot + 1) * length
                for (length, slot, allowed), count in zip(windows, counts, strict=True)
                if count > allowed
            ]
            if not ends:
                return
            await asyncio.sleep(max(ends) - now)  # until every full window has passed


class Outbox:
    def __init__(
        self,
        *,
        store: ConversationStore,
        channels: Mapping[str, Channel],
        max_attempts: int = 12,  # 0.5 s doubling to 30 s: about three minutes of provider trouble
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        metrics: Metrics | None = None,
        more: Callable[[str | None], str] = lambda language: "More",
    ) -> None:
        """`more` titles the "more" choice in a language."""
        self._store = store
        self._more = more
        self._channels = channels
        self._pseudonym = store.keys.pseudonym
        self._limiter = RateLimiter(store.redis)
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._metrics = metrics or Metrics()

    async def send(self, conversation_id: str, delivery: Delivery) -> dict[str, int]:
        """Send the requests of an outbox item that have not gone out yet; return the counters to add
        when the item is dropped (the drain does that in its next step)."""
        item = delivery.item
        channel = self._channels.get(item["channel"])
        if channel is None:
            await self._failed(conversation_id, item["channel"], "channel is not configured")
            return {}
        replies = replies_from_json(item["replies"])
        if channel.budget is not None and item["inbound"]:
            replies = await self._within_budget(conversation_id, channel.budget, replies)
        requests = channel.render(replies)
        sent = 0
        for index in range(delivery.sent, len(requests)):
            if index > delivery.sent:  # a crash resumes after these; they went out: outlast a restart
                await outlasting_outages(partial(self._store.record_sent, conversation_id, index))
            sent += await self._send(conversation_id, channel, item, requests[index])
        if any(reply.key == ERASED for reply in replies):
            await channel.forget(item["sender"])  # not even the confirmation is remembered
        return {f"sent:{channel.name}": sent} if sent else {}

    async def _within_budget(
        self, conversation_id: str, budget: Budget, replies: list[OutboundMessage]
    ) -> list[OutboundMessage]:
        """What this turn may send now; the rest is held for "more" (the same rest when a crash makes
        the item be sent again: paging is a pure function of the replies)."""
        language = next((reply.language for reply in replies if reply.language), None)
        now, rest = page(replies, budget, Choice(title=self._more(language), payload=MORE))
        if rest:
            sealed = self._store.sealer.seal(replies_to_json(rest))
            await self._store.redis.set(self._held_key(conversation_id), sealed, ex=HELD_SECONDS)
        else:
            await self._store.redis.delete(self._held_key(conversation_id))
        return now

    async def held(self, conversation_id: str) -> list[OutboundMessage]:
        """The rest of the last reply turn, not sent yet for want of budget."""
        sealed = await self._store.redis.get(self._held_key(conversation_id))
        return replies_from_json(self._store.sealer.open(sealed)) if sealed else []

    async def _send(
        self, conversation_id: str, channel: Channel, item: Mapping[str, Any], request: Any
    ) -> int:
        """1 once the provider took the request; 0 if it was given up on (and recorded)."""
        attempt = 0
        while True:
            attempt += 1
            per_person = f"{channel.name}:{self._pseudonym(conversation_id)}"
            limits = [(f"{channel.name}:all", channel.overall_rate), (per_person, channel.per_recipient_rate)]
            await self._limiter.wait(limits)
            try:
                await channel.send(item["sender"], request, item["inbound"])
            except TransientSendError as error:
                await self._count(f"retried:{channel.name}")
                self._metrics.retried.labels(channel.name).inc()
                if attempt >= self._max_attempts:
                    reason = f"gave up after {attempt} attempts: {error}"
                    await self._failed(conversation_id, channel.name, reason)
                    return 0
                await asyncio.sleep(self._delay(attempt, error.retry_after))
            except PermanentSendError as error:
                await self._failed(conversation_id, channel.name, str(error))
                return 0
            except Exception as error:  # the error boundary: a bug must not lose the rest
                log.exception("outbox.send_crashed channel=%s", channel.name)
                await self._failed(conversation_id, channel.name, f"{type(error).__name__}")
                return 0
            else:
                self._metrics.sent.labels(channel.name).inc()
                return 1

    async def forget(self, conversation_id: str) -> None:
        """Drop what was held for this person and their failure records (erasure): those carry only a
        pseudonym, but it is theirs."""
        await self._store.redis.delete(self._held_key(conversation_id))
        pseudonym = self._pseudonym(conversation_id)
        for raw in await self._store.redis.lrange(FAILURES, 0, -1):
            if json.loads(raw).get("conversation") == pseudonym:
                await self._store.redis.lrem(FAILURES, 0, raw)

    def _held_key(self, conversation_id: str) -> str:
        return self._store.keys.person(HELD, conversation_id)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self._max_delay)
        backoff = self._base_delay * 2 ** (attempt - 1)
        return float(min(backoff, self._max_delay) * random.uniform(0.8, 1.2))  # noqa: S311

    async def _count(self, name: str) -> None:
        await self._store.redis.hincrby(METRICS, name, 1)

    async def _failed(self, conversation_id: str, channel: str, reason: str) -> None:
        record = {
            "at": time.time(),
            "channel": channel,
            "conversation": self._pseudonym(conversation_id),
            "reason": reason,
        }
        log.warning("outbox.send_failed channel=%s reason=%s", channel, reason)
        async with self._store.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(FAILURES, json.dumps(record))
            pipe.ltrim(FAILURES, 0, KEPT_FAILURES - 1)
            pipe.hincrby(METRICS, f"failed:{channel}", 1)
            await pipe.execute()
        self._metrics.failed.labels(channel).inc()
