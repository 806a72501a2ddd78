"""Helpline staff accounts and the protection of their logins, in Redis.

Passwords are argon2id hashes, computed in a worker thread: a hash takes a fifth of a second of CPU,
and the event loop must keep relaying survivors' messages meanwhile. Failed sign-ins slow down whoever
fails, never anyone else: each failure of a name from an address, and each failure from an address
across names, past a few free ones, doubles the wait before that pair (or that address) may try again,
up to a cap. A name is never locked for everyone (an attacker could otherwise keep a colleague out);
successful sign-ins never count. The address is the client's (TRUSTED_PROXIES, bot/ops/hardening.py).
An unknown name costs the same work and backs off the same way as a known one, so names cannot be
probed by timing or by the backoff. Accounts never expire; failure counts expire a day after the last.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from babel import Locale, UnknownLocaleError
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


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True, slots=True, kw_only=True)
class Staff:
    name: str  # login name
    display_name: str  # what survivors see
    role: Role
    languages: tuple[str, ...] = ()  # language codes they can counsel in, for "take next"
    console_language: str | None = None  # the console's own language; None: the browser's


class StaffError(ValueError):
    """A staff account cannot be created or found as asked; the message says why."""


class LoginRefused(Exception):
    """A login was refused; `reason` is "invalid", or "slowed" (too many failures lately: wait)."""

    def __init__(self, reason: str, retry_after: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after  # seconds; 0 for "invalid"


# KEYS: failure records (a name from an address, the address); ARGV: now (ms), then per key its free
# failures, then the first delay and the cap (ms), and how long a record lasts (s). Refused (the ms
# to wait) while any record's wait runs; else the attempt is counted as a failure before the password
# is checked, so concurrent guesses cannot outrun the wait (a success takes it back).
_ATTEMPT = """
local now = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  local wait_until = tonumber(redis.call('HGET', key, 'until') or '0')
  if wait_until > now then
    return wait_until - now
  end
end
local first, cap, ttl = tonumber(ARGV[#KEYS + 2]), tonumber(ARGV[#KEYS + 3]), ARGV[#KEYS + 4]
for i, key in ipairs(KEYS) do
  local over = redis.call('HINCRBY', key, 'failures', 1) - tonumber(ARGV[1 + i])
  if over > 0 then
    redis.call('HSET', key, 'until', math.floor(now + math.min(first * 2 ^ (over - 1), cap)))
  end
  redis.call('EXPIRE', key, ttl)
end
return 0
"""
# KEYS: the name-from-address record, the address's; ARGV: the address's free failures. A success
# forgets the pair's failures and takes back the address's count of this attempt.
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then
  local failures = redis.call('HINCRBY', KEYS[2], 'failures', -1)
  if failures <= tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[2], 'until')
  end
end
return 1
"""


def _check_languages(languages: Sequence[str]) -> tuple[str, ...]:
    """Language codes as the summaries carry them (bot/language): known to CLDR, lower case."""
    checked = []
    for code in languages:
        code = code.strip().lower()
        try:
            Locale.parse(code)
        except (ValueError, UnknownLocaleError):
            raise StaffError(f"unknown language code {code!r} (use codes such as sw, en, pt)") from None
        if code not in checked:
            checked.append(code)
    return tuple(checked)


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
        free_failures: int = 3,  # of one name from one address, before any wait
        free_address_failures: int = 10,  # from one address across names (an office shares one)
        first_wait_seconds: float = 1.0,  # then doubling with each further failure
        max_wait_seconds: float = 900.0,
        remembered_seconds: int = 24 * 3600,  # failures are forgotten a day after the last
    ) -> None:
        self._redis = redis
        self._sessions = SessionStore(redis)
        self._hasher = PasswordHasher()
        self._dummy_hash: str | None = None
        self._free = (free_failures, free_address_failures)
        self._waits_ms = (int(first_wait_seconds * 1000), int(max_wait_seconds * 1000))
        self._remembered_seconds = max(remembered_seconds, math.ceil(max_wait_seconds))
        self._attempt = redis.register_script(_ATTEMPT)
        self._succeeded = redis.register_script(_SUCCEEDED)

    @staticmethod
    def _key(name: str) -> str:
        return f"{STAFF_PREFIX}:account:{name}"

    async def add(
        self,
        name: str,
        password: str,
        role: Role,
        display_name: str | None = None,
        languages: Sequence[str] = (),
    ) -> Staff:
        if not NAME.fullmatch(name):
            raise StaffError("the login name must be 2-32 characters of a-z, 0-9, '.', '_' and '-'")
        if len(password) < MIN_PASSWORD:
            raise StaffError(f"the password must be at least {MIN_PASSWORD} characters")
        staff = Staff(
            name=name,
            display_name=_check_display_name(display_name or name),
            role=Role(role),
            languages=_check_languages(languages),
        )
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        if not await self._redis.sadd(NAMES, name):  # the atomic claim on the name
            raise StaffError(f"a staff member named {name!r} exists")
        await self._redis.hset(
            self._key(name),
            mapping={
                "password": password_hash,
                "role": staff.role.value,
                "display_name": staff.display_name,
                "languages": ",".join(staff.languages),
                "created_at": time.time(),
            },
        )
        return staff

    async def get(self, name: str) -> Staff | None:
        if not NAME.fullmatch(name):
            return None
        role, display_name, languages, console_language = await self._redis.hmget(
            self._key(name), "role", "display_name", "languages", "console_language"
        )
        if role is None or display_name is None:
            return None
        return Staff(
            name=name,
            display_name=display_name.decode(),
            role=Role(role.decode()),
            languages=tuple(code for code in (languages or b"").decode().split(",") if code),
            console_language=console_language.decode() if console_language else None,
        )

    async def set_languages(self, name: str, languages: Sequence[str]) -> Staff:
        """Record the languages a staff member counsels in (replacing the earlier list)."""
        checked = _check_languages(languages)
        staff = await self.get(name)
        if staff is None:
            raise StaffError(f"no staff member named {name!r}")
        await self._redis.hset(self._key(name), "languages", ",".join(checked))
        return replace(staff, languages=checked)

    async def set_console_language(self, name: str, language: str) -> Staff:
        """Record the language this staff member reads the console in (the caller checks it has a
        catalog)."""
        staff = await self.get(name)
        if staff is None:
            raise StaffError(f"no staff member named {name!r}")
        await self._redis.hset(self._key(name), "console_language", language)
        return replace(staff, console_language=language)

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
            pipe.delete(self._key(name))
            removed, _ = await pipe.execute()
        await self._sessions.end_all(name)
        return bool(removed)

    async def count(self) -> int:
        return int(await self._redis.scard(NAMES))

    async def authenticate(self, name: str, password: str, ip: str) -> Staff:
        """The staff member whose password this is; raises LoginRefused otherwise."""
        name = name.strip().lower()
        # A name that cannot exist is tried like any other, under a key of its own shape.
        pair, address = self._failures_key(name if NAME.fullmatch(name) else "-", ip), self._address_key(ip)
        await self._try(pair, address)
        stored = await self._redis.hget(self._key(name), "password") if NAME.fullmatch(name) else None
        dummy = await self._dummy()  # made before any verification, so the first one costs no more
        password_hash = stored.decode() if stored is not None else dummy
        if not await asyncio.to_thread(self._verify, password_hash, password) or stored is None:
            raise LoginRefused("invalid")  # counted already
        staff = await self.get(name)
        if staff is None:  # removed while we were verifying
            raise LoginRefused("invalid")
        await self._succeeded([pair, address], [self._free[1]])
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
    def _failures_key(name: str, ip: str) -> str:
        return f"{LOGIN_PREFIX}:failures:{name}:{ip}"

    @staticmethod
    def _address_key(ip: str) -> str:
        return f"{LOGIN_PREFIX}:address:{ip}"

    async def _try(self, pair: str, address: str) -> None:
        """Refused (with the wait) while this name from this address, or this address, must wait;
        else counted as a failure until it succeeds."""
        args = [int(time.time() * 1000), *self._free, *self._waits_ms, self._remembered_seconds]
        wait_ms = int(await self._attempt([pair, address], args))
        if wait_ms > 0:
            log.warning("a staff sign-in is slowed down after repeated failures")
            raise LoginRefused("slowed", max(1, math.ceil(wait_ms / 1000)))
