"""Console sessions for helpline staff, in Redis.

A session is keyed by the sha256 of its id, so a Redis dump or a replica does not hand out live
sessions: the id itself exists only in the staff member's HttpOnly cookie. Each session carries its
own CSRF token, required on every state-changing request. Sessions slide with use (idle expiry) but
never outlive a hard maximum age, so a console left open on a shared computer does not stay signed in.
Every ending (sign-out, staff removal, maximum age) is published on ENDED with the session's key, so
the live event stream of that session ends at once on whichever replica serves it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from redis.asyncio import Redis

PREFIX = "safespaces:session"
ENDED = f"{PREFIX}:ended"  # pub/sub: the key of each session as it ends


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    id: str  # goes in the HttpOnly cookie; never stored
    staff: str  # staff name
    csrf: str  # required on every state-changing request
    created_at: float


def csrf_matches(session: Session, token: str | None) -> bool:
    """Constant-time comparison, so the token cannot be guessed byte by byte; of bytes, since a header
    may hold any byte (aiohttp decodes it with surrogateescape)."""
    if token is None:
        return False
    return hmac.compare_digest(session.csrf.encode(), token.encode(errors="surrogateescape"))


class SessionStore:
    def __init__(self, redis: Redis, *, idle_seconds: int = 8 * 3600, max_seconds: int = 12 * 3600) -> None:
        self._redis = redis
        self._idle_ms = idle_seconds * 1000
        self._max_seconds = max_seconds

    @staticmethod
    def key(session_id: str) -> str:
        """Where a session is kept, and what ENDED says when it ends: never the id itself."""
        return f"{PREFIX}:id:{hashlib.sha256(session_id.encode()).hexdigest()}"

    @staticmethod
    def _index(staff: str) -> str:
        """The keys of one staff member's sessions, so removing them ends every session at once."""
        return f"{PREFIX}:staff:{staff}"

    async def create(self, staff: str) -> Session:
        session = Session(
            id=secrets.token_urlsafe(32), staff=staff, csrf=secrets.token_urlsafe(32), created_at=time.time()
        )
        key = self.key(session.id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"staff": staff, "csrf": session.csrf, "created_at": session.created_at})
            pipe.pexpire(key, self._idle_ms)
            pipe.sadd(self._index(staff), key)
            pipe.expire(self._index(staff), self._max_seconds)
            await pipe.execute()
        return session

    async def get(self, session_id: str) -> Session | None:
        """The live session, its idle expiry renewed; None when unknown, idle too long or too old."""
        key = self.key(session_id)
        raw = {k.decode(): v.decode() for k, v in (await self._redis.hgetall(key)).items()}
        if not raw:
            return None
        session = Session(
            id=session_id, staff=raw["staff"], csrf=raw["csrf"], created_at=float(raw["created_at"])
        )
        remaining_ms = int((session.created_at + self._max_seconds - time.time()) * 1000)
        if remaining_ms <= 0:
            await self.end(session_id)
            return None
        await self._redis.pexpire(key, min(self._idle_ms, remaining_ms))
        return session

    async def end(self, session_id: str) -> None:
        key = self.key(session_id)
        staff = await self._redis.hget(key, "staff")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if staff is not None:
                pipe.srem(self._index(staff.decode()), key)
            pipe.publish(ENDED, key)
            await pipe.execute()

    async def end_all(self, staff: str) -> None:
        index = self._index(staff)
        keys = await self._redis.smembers(index)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(index, *keys)
            for key in keys:
                pipe.publish(ENDED, key)
            await pipe.execute()
