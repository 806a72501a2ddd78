"""Helpline staff accounts and the protection of their logins, in Redis.

Passwords are argon2id hashes, computed in a worker thread: a hash takes a fifth of a second of CPU,
and the event loop must keep relaying survivors' messages meanwhile. Logins are guarded three ways:
a name is locked after repeated failures, an address is rate-limited across names, and an unknown
name costs the same work as a known one, so names cannot be probed by timing or by lockout behaviour.
Accounts never expire; login counters expire with their window.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import secrets
import time
from dataclasses import dataclass
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis

from bot.handoff.sessions import SessionStore

log = logging.getLogger(__name__)

STAFF_PREFIX = "safespaces:staff"
LOGIN_PREFIX = "safespaces:login"
NAMES = f"{STAFF_PREFIX}:names"
NAME = re.compile(r"[a-z0-9._-]{2,32}")
MIN_PASSWORD = 12
MAX_DISPLAY_NAME = 40
DEMO_NAME = "demo"


class Role(str, Enum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True, slots=True, kw_only=True)
class Staff:
    name: str  # login name
    display_name: str  # what survivors see
    role: Role


class StaffError(ValueError):
    """A staff account cannot be created or found as asked; the message says why."""


class LoginRefused(Exception):
    """A login was refused; `reason` is "invalid", "locked" or "rate_limited"."""

    def __init__(self, reason: str, retry_after: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after  # seconds; 0 for "invalid"


def _check_display_name(display_name: str) -> str:
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= MAX_DISPLAY_NAME or not display_name.isprintable():
        raise StaffError(f"the display name must be 1-{MAX_DISPLAY_NAME} printable characters")
    return display_name


class StaffStore:
    def __init__(
        self,
        redis: Redis,
        *,
        max_failures: int = 5,
        lockout_seconds: int = 900,
        ip_attempts: int = 20,
        ip_window_seconds: int = 900,
    ) -> None:
        self._redis = redis
        self._sessions = SessionStore(redis)
        self._hasher = PasswordHasher()
        self._dummy_hash: str | None = None
        self._max_failures = max_failures
        self._lockout_seconds = lockout_seconds
        self._ip_attempts = ip_attempts
        self._ip_window_seconds = ip_window_seconds

    @staticmethod
    def _key(name: str) -> str:
        return f"{STAFF_PREFIX}:account:{name}"

    async def add(self, name: str, password: str, role: Role, display_name: str | None = None) -> Staff:
        if not NAME.fullmatch(name):
            raise StaffError("the login name must be 2-32 characters of a-z, 0-9, '.', '_' and '-'")
        if len(password) < MIN_PASSWORD:
            raise StaffError(f"the password must be at least {MIN_PASSWORD} characters")
        staff = Staff(name=name, display_name=_check_display_name(display_name or name), role=Role(role))
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        if not await self._redis.sadd(NAMES, name):  # the atomic claim on the name
            raise StaffError(f"a staff member named {name!r} exists")
        await self._redis.hset(
            self._key(name),
            mapping={
                "password": password_hash,
                "role": staff.role.value,
                "display_name": staff.display_name,
                "created_at": time.time(),
            },
        )
        return staff

    async def get(self, name: str) -> Staff | None:
        if not NAME.fullmatch(name):
            return None
        role, display_name = await self._redis.hmget(self._key(name), "role", "display_name")
        if role is None or display_name is None:
            return None
        return Staff(name=name, display_name=display_name.decode(), role=Role(role.decode()))

    async def all(self) -> list[Staff]:
        names = sorted(member.decode() for member in await self._redis.smembers(NAMES))
        staff = [await self.get(name) for name in names]
        return [member for member in staff if member is not None]

    async def remove(self, name: str) -> bool:
        """Delete the account and end its sessions; False when there was no such account."""
        if not NAME.fullmatch(name):
            return False
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.srem(NAMES, name)
            pipe.delete(self._key(name), self._failures_key(name))
            removed, _ = await pipe.execute()
        await self._sessions.end_all(name)
        return bool(removed)

    async def count(self) -> int:
        return int(await self._redis.scard(NAMES))

    async def authenticate(self, name: str, password: str, ip: str) -> Staff:
        """The staff member whose password this is; raises LoginRefused otherwise."""
        await self._count_attempt(ip)
        name = name.strip().lower()
        if not NAME.fullmatch(name):  # cannot exist; still the same work, and no key for it
            await asyncio.to_thread(self._verify, await self._dummy(), password)
            raise LoginRefused("invalid")
        failures_key = self._failures_key(name)
        # Counted before verifying, so concurrent guesses cannot outrun the lock; a success clears it.
        attempt = await self._increment(failures_key, self._lockout_seconds)
        if attempt > self._max_failures:
            raise LoginRefused("locked", await self._seconds_left(failures_key))
        stored = await self._redis.hget(self._key(name), "password")
        dummy = await self._dummy()  # made before any verification, so the first one costs no more
        password_hash = stored.decode() if stored is not None else dummy
        if not await asyncio.to_thread(self._verify, password_hash, password) or stored is None:
            if attempt == self._max_failures:  # unknown names lock too: a lock reveals no name
                await self._redis.expire(failures_key, self._lockout_seconds)
                log.warning("a staff login name is locked after %d failed logins", self._max_failures)
            raise LoginRefused("invalid")
        staff = await self.get(name)
        if staff is None:  # removed while we were verifying
            raise LoginRefused("invalid")
        await self._redis.delete(failures_key)
        if self._hasher.check_needs_rehash(password_hash):
            await self._redis.hset(
                self._key(name), "password", await asyncio.to_thread(self._hasher.hash, password)
            )
        return staff

    async def ensure_demo(self) -> tuple[str, str] | None:
        """When no staff exist: create supervisor 'demo' with a random password and return (name, password)
        for `make run` to print once; None when staff exist."""
        if await self.count():
            return None
        password = secrets.token_urlsafe(15)
        try:
            await self.add(DEMO_NAME, password, Role.SUPERVISOR, display_name="Demo")
        except StaffError:  # another process made it first
            return None
        return DEMO_NAME, password

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def _dummy(self) -> str:
        """A hash of a random password with our parameters, made once, before any verification."""
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self._hasher.hash, secrets.token_urlsafe(16))
        return self._dummy_hash

    @staticmethod
    def _failures_key(name: str) -> str:
        return f"{LOGIN_PREFIX}:failures:{name}"

    async def _count_attempt(self, ip: str) -> None:
        key = f"{LOGIN_PREFIX}:ip:{ip}"
        attempts = await self._increment(key, self._ip_window_seconds)
        if attempts > self._ip_attempts:
            if attempts == self._ip_attempts + 1:
                log.warning("login attempts from one address are rate-limited")
            raise LoginRefused("rate_limited", await self._seconds_left(key))

    async def _increment(self, key: str, window_seconds: int) -> int:
        """One more in a fixed window that starts with the first count."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, ex=window_seconds, nx=True)
            pipe.incr(key)
            _, count = await pipe.execute()
        return int(count)

    async def _seconds_left(self, key: str) -> int:
        milliseconds: int = await self._redis.pttl(key)
        return max(1, math.ceil(milliseconds / 1000))
