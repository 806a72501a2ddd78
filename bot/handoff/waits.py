"""What a person waiting for the helpline is told about her wait, and when she is told again.

The estimate counts the staff who are at the console and not away (bot/handoff/presence.py) and how
long today's conversations took (once a few were closed; until then HANDOFF_MINUTES_PER_PERSON): with
`k` counsellors free and `h` per conversation, number `p` in line waits about ceil(p / k) * h. With
nobody there she is told so, never a number of minutes nobody will keep.

She hears again only when something she would want to know changed: nobody is available any more,
someone is again, her place moved up noticeably, or the time she was told has passed (once: then
only a new estimate, given when her place moves or she writes, can pass again). At most one such
message per ticket per `throttle_seconds` (her own messages' replies count), decided by a Redis key
so that replicas never tell her twice.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from babel.dates import format_timedelta

from bot.handoff.desk import Desk
from bot.handoff.model import Ticket, TicketState
from bot.storage.keys import PREFIX, ticket_key

log = logging.getLogger(__name__)

MEASURED_AFTER = 3  # conversations closed today before their average replaces the configured guess


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    position: int  # 1: the next to be served
    available: int  # staff at the console and not away
    wait_seconds: float | None  # None when nobody is available


def _told_key(ticket_id: str) -> str:
    return f"{PREFIX}:handoff:told:{ticket_id}"


def noticeably_closer(told: int, now: int) -> bool:
    """Worth a message: next in line, or moved up by a third of the places (at least two)."""
    return now < told and (now == 1 or told - now >= max(2, math.ceil(told / 3)))


class Waits:
    def __init__(
        self,
        desk: Desk,
        *,
        minutes_per_person: int,
        throttle_seconds: float = 60.0,
        overrun_grace_seconds: float = 60.0,  # past the time she was told by this much: say so
    ) -> None:
        self._desk = desk
        self._guess_seconds = minutes_per_person * 60.0
        self._throttle_seconds = throttle_seconds
        self._grace_seconds = overrun_grace_seconds

    async def place(self, ticket_id: str) -> Place | None:
        """Her place and expected wait now; None when she is not waiting."""
        position = await self._desk.position(ticket_id)
        if position is None:
            return None
        available = len(await self._desk.presence.available())
        if not available:
            return Place(position=position, available=0, wait_seconds=None)
        handling = await self._desk.stats.handling_seconds(minimum=MEASURED_AFTER) or self._guess_seconds
        wait = math.ceil(position / available) * handling
        return Place(position=position, available=available, wait_seconds=wait)

    @staticmethod
    def params(place: Place, language: str) -> dict[str, Any]:
        wait = timedelta(seconds=max(60.0, place.wait_seconds or 0.0))
        return {"position": place.position, "wait": format_timedelta(wait, threshold=2, locale=language)}

    async def told(self, ticket_id: str, place: Place, key: str) -> None:
        """Remember what she was just told (`key`: the response), and hold further notices for the
        throttle period."""
        due = time.time() + place.wait_seconds if place.wait_seconds is not None else 0.0
        async with self._desk.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                ticket_key(ticket_id),
                mapping={
                    "told_position": place.position,
                    "told_available": int(place.available > 0),
                    "told_due": due,
                    "told_key": key,
                },
            )
            pipe.set(_told_key(ticket_id), 1, px=int(self._throttle_seconds * 1000))
            await pipe.execute()

    async def notice(self, ticket: Ticket, place: Place) -> str | None:
        """The response key of what to tell her now, if anything changed that she would want to know."""
        raw = await self._desk.redis.hmget(
            ticket_key(ticket.id), "told_position", "told_available", "told_due", "told_key"
        )
        if raw[0] is None:
            return None  # never told anything yet: the reply to her request does that
        told_position, was_available, due = int(raw[0]), raw[1] == b"1", float(raw[2] or 0)
        overrun_told = raw[3] == b"handoff_taking_longer"
        if not place.available:
            return "handoff_nobody_available" if was_available else None
        if not was_available or noticeably_closer(told_position, place.position):
            return "handoff_place_changed"
        if due and time.time() > due + self._grace_seconds and not overrun_told:
            return "handoff_taking_longer"
        return None

    async def tell_waiting(self) -> int:
        """One pass over the queue: tell each waiting person what changed. Returns how many were told."""
        told = 0
        for ticket in await self._desk.tickets.queue():
            place = await self.place(ticket.id)
            if place is None:
                continue
            key = await self.notice(ticket, place)
            if key is None:
                continue
            # One replica, once per throttle period: whoever sets the key tells her.
            throttle = int(self._throttle_seconds * 1000)
            if not await self._desk.redis.set(_told_key(ticket.id), 1, nx=True, px=throttle):
                continue
            current = await self._desk.tickets.get(ticket.id)
            if current is None or current.state is not TicketState.QUEUED:
                continue
            await self._desk.tell(current, key, self.params(place, current.summary.language))
            await self.told(ticket.id, place, key)
            told += 1
        return told

    async def tell_forever(self, interval_seconds: float) -> None:
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                await self.tell_waiting()
            except Exception:
                log.exception("handoff.wait_notices_failed")
