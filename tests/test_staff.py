"""Staff accounts, login protection and console sessions on a real Redis (db 12), and the CLI."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from redis.asyncio import Redis

from bot.handoff.sessions import SessionStore, csrf_matches
from bot.handoff.staff import LoginRefused, Role, Staff, StaffError, StaffStore

from .support.redis_dbs import emptied, redis_url

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = redis_url("staff")
PASSWORD = "correct horse battery"
IP = "198.51.100.7"


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    async with emptied(REDIS_URL) as client:
        yield client


@pytest.fixture
def store(redis: Redis) -> StaffStore:
    return StaffStore(redis)


async def dump(redis: Redis) -> list[bytes]:
    """Every key and every value in the database, to search for what must not be there."""
    found: list[bytes] = []
    async for key in redis.scan_iter():
        found.append(key)
        match (await redis.type(key)).decode():
            case "hash":
                for field, value in (await redis.hgetall(key)).items():
                    found += [field, value]
            case "set":
                found += list(await redis.smembers(key))
            case "string":
                found.append(await redis.get(key))
    return found


async def refused(store: StaffStore, name: str, password: str, ip: str = IP) -> LoginRefused:
    with pytest.raises(LoginRefused) as refusal:
        await store.authenticate(name, password, ip)
    return refusal.value


async def test_add_get_all_remove(store: StaffStore) -> None:
    amina = await store.add("amina", PASSWORD, Role.AGENT, display_name="Amina")
    assert amina == Staff(name="amina", display_name="Amina", role=Role.AGENT)
    await store.add("bo.lead", PASSWORD, Role.SUPERVISOR)
    assert await store.get("amina") == amina
    assert await store.get("nobody") is None
    assert [s.name for s in await store.all()] == ["amina", "bo.lead"]
    assert (await store.get("bo.lead")) == Staff(name="bo.lead", display_name="bo.lead", role=Role.SUPERVISOR)
    assert await store.count() == 2
    with pytest.raises(StaffError, match="exists"):
        await store.add("amina", PASSWORD, Role.SUPERVISOR)
    assert await store.remove("amina")
    assert not await store.remove("amina")
    assert await store.get("amina") is None
    assert await store.count() == 1


@pytest.mark.parametrize("name", ["a", "x" * 33, "Amina", "amina lee", "amina:1", "émile", ""])
async def test_bad_names_are_refused(store: StaffStore, name: str) -> None:
    with pytest.raises(StaffError, match="login name"):
        await store.add(name, PASSWORD, Role.AGENT)
    assert await store.count() == 0


@pytest.mark.parametrize("display_name", ["x" * 41, "Ami\nna", "Ami\x1bna", "   "])
async def test_bad_display_names_are_refused(store: StaffStore, display_name: str) -> None:
    with pytest.raises(StaffError, match="display name"):
        await store.add("amina", PASSWORD, Role.AGENT, display_name=display_name)


async def test_weak_password_is_refused(store: StaffStore) -> None:
    with pytest.raises(StaffError, match="at least 12"):
        await store.add("amina", "elevenchars", Role.AGENT)
    assert await store.add("amina", "twelve chars", Role.AGENT)


async def test_only_an_argon2_hash_is_stored(store: StaffStore, redis: Redis) -> None:
    await store.add("amina", PASSWORD, Role.AGENT)
    values = await dump(redis)
    assert not [v for v in values if PASSWORD.encode() in v]
    assert [v for v in values if v.startswith(b"$argon2id$")]


async def test_authenticate(store: StaffStore) -> None:
    amina = await store.add("amina", PASSWORD, Role.AGENT)
    assert await store.authenticate("amina", PASSWORD, IP) == amina
    assert await store.authenticate(" Amina ", PASSWORD, IP) == amina
    assert (await refused(store, "amina", PASSWORD + "!")).reason == "invalid"
    assert (await refused(store, "nobody", PASSWORD)).retry_after == 0
    assert (await refused(store, "no one at all", PASSWORD)).reason == "invalid"


async def test_failures_of_a_name_from_an_address_slow_it_down_doubling_each_time(redis: Redis) -> None:
    # Waits longer than an argon2 check on a busy machine: the wait starts before the password is checked.
    store = StaffStore(redis, free_failures=1, first_wait_seconds=3, max_wait_seconds=6)
    await store.add("amina", PASSWORD, Role.AGENT)
    assert (await refused(store, "amina", "wrong password!")).reason == "invalid"  # free
    assert (await refused(store, "amina", "wrong password!")).reason == "invalid"  # now a 3 s wait
    slowed = await refused(store, "amina", PASSWORD)  # even the right password, for now
    assert slowed.reason == "slowed" and 1 <= slowed.retry_after <= 3
    await asyncio.sleep(slowed.retry_after + 0.1)
    assert (await refused(store, "amina", "wrong password!")).reason == "invalid"  # now 6 s
    doubled = await refused(store, "amina", PASSWORD)
    assert doubled.reason == "slowed" and 4 <= doubled.retry_after <= 6
    await asyncio.sleep(doubled.retry_after + 0.1)
    assert (await store.authenticate("amina", PASSWORD, IP)).name == "amina"


async def test_failures_never_slow_a_name_down_for_other_addresses(store: StaffStore) -> None:
    """Nobody can keep a colleague out by failing with her name: the wait is the failer's."""
    await store.add("amina", PASSWORD, Role.AGENT)
    reasons = [(await refused(store, "amina", "wrong password!")).reason for _ in range(10)]
    assert reasons[:4] == ["invalid"] * 4 and set(reasons[4:]) == {"slowed"}
    assert (await store.authenticate("amina", PASSWORD, "203.0.113.9")).name == "amina"


async def test_successful_sign_ins_never_count(store: StaffStore) -> None:
    await store.add("amina", PASSWORD, Role.AGENT)
    for _ in range(21):  # the review: 21 sign-ins from one address were refused, successes too
        assert (await store.authenticate("amina", PASSWORD, IP)).name == "amina"


async def test_unknown_names_slow_down_like_known_ones(store: StaffStore) -> None:
    for _ in range(4):
        assert (await refused(store, "nobody", PASSWORD)).reason == "invalid"
    assert (await refused(store, "nobody", PASSWORD)).reason == "slowed"


async def test_success_clears_the_failures_of_that_name_from_that_address(store: StaffStore) -> None:
    await store.add("amina", PASSWORD, Role.AGENT)
    for _ in range(3):
        await refused(store, "amina", "wrong password!")
    await store.authenticate("amina", PASSWORD, IP)
    for _ in range(3):
        assert (await refused(store, "amina", "wrong password!")).reason == "invalid"
    assert (await store.authenticate("amina", PASSWORD, IP)).name == "amina"


async def test_one_address_is_slowed_down_across_names(redis: Redis) -> None:
    store = StaffStore(redis, free_address_failures=3, first_wait_seconds=60)
    await store.add("amina", PASSWORD, Role.AGENT)
    for name in ("bo", "cy", "di", "ed"):
        assert (await refused(store, name, PASSWORD)).reason == "invalid"
    slowed = await refused(store, "amina", PASSWORD)
    assert slowed.reason == "slowed"
    assert 50 <= slowed.retry_after <= 60
    assert (await store.authenticate("amina", PASSWORD, "203.0.113.9")).name == "amina"


async def test_unknown_names_cost_as_much_time_as_known_ones(store: StaffStore) -> None:
    await store.add("amina", PASSWORD, Role.AGENT)

    async def seconds(name: str) -> float:
        started = time.perf_counter()
        await refused(store, name, "wrong password!", ip=name)
        return time.perf_counter() - started

    known = statistics.median([await seconds("amina") for _ in range(3)])
    unknown = statistics.median([await seconds("nobody") for _ in range(3)])
    assert unknown > known / 2


async def test_an_outdated_hash_is_replaced_on_login(store: StaffStore, redis: Redis) -> None:
    await store.add("amina", PASSWORD, Role.AGENT)
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    await redis.hset("safespaces:staff:account:amina", "password", weak)
    await store.authenticate("amina", PASSWORD, IP)
    stored = (await redis.hget("safespaces:staff:account:amina", "password")).decode()
    assert stored != weak
    assert not PasswordHasher().check_needs_rehash(stored)
    assert (await store.authenticate("amina", PASSWORD, IP)).name == "amina"


async def test_ensure_demo_creates_one_supervisor_once(store: StaffStore) -> None:
    demo = await store.ensure_demo()
    assert demo is not None
    name, password = demo
    assert len(password) >= 12
    assert (await store.authenticate(name, password, IP)).role is Role.SUPERVISOR
    assert await store.ensure_demo() is None
    assert await store.count() == 1


async def test_staff_accounts_do_not_expire_but_counters_do(store: StaffStore, redis: Redis) -> None:
    await store.add("amina", PASSWORD, Role.AGENT)
    await refused(store, "amina", "wrong password!")
    async for key in redis.scan_iter():
        expires = await redis.ttl(key) > 0
        assert expires == key.startswith(b"safespaces:login:"), key


async def test_sessions(redis: Redis) -> None:
    sessions = SessionStore(redis)
    first = await sessions.create("amina")
    second = await sessions.create("amina")
    other = await sessions.create("bo")
    assert await sessions.get(first.id) == first
    assert first.id != second.id and first.csrf != second.csrf
    assert await sessions.get("made-up") is None
    await sessions.end(first.id)
    assert await sessions.get(first.id) is None
    assert await sessions.get(second.id) == second
    await sessions.end_all("amina")
    assert await sessions.get(second.id) is None
    assert await sessions.get(other.id) == other


async def test_removing_staff_ends_their_sessions(store: StaffStore, redis: Redis) -> None:
    await store.add("amina", PASSWORD, Role.AGENT)
    session = await SessionStore(redis).create("amina")
    await store.remove("amina")
    assert await SessionStore(redis).get(session.id) is None


async def test_sessions_expire_when_idle_and_slide_with_use(redis: Redis) -> None:
    sessions = SessionStore(redis, idle_seconds=1)
    used, idle = await sessions.create("amina"), await sessions.create("amina")
    for _ in range(3):
        await asyncio.sleep(0.5)
        assert await sessions.get(used.id) == used
    assert await sessions.get(idle.id) is None


async def test_sessions_end_at_their_maximum_age_however_used(redis: Redis) -> None:
    sessions = SessionStore(redis, idle_seconds=60, max_seconds=1)
    session = await sessions.create("amina")
    await asyncio.sleep(0.6)
    assert await sessions.get(session.id) == session
    await asyncio.sleep(0.6)
    assert await sessions.get(session.id) is None


async def test_session_ids_are_not_stored(redis: Redis) -> None:
    session = await SessionStore(redis).create("amina")
    stored = await dump(redis)
    assert stored
    assert not [value for value in stored if session.id.encode() in value]


async def test_csrf_matches(redis: Redis) -> None:
    session = await SessionStore(redis).create("amina")
    assert csrf_matches(session, session.csrf)
    assert not csrf_matches(session, None)
    assert not csrf_matches(session, "")
    assert not csrf_matches(session, session.csrf[:-1] + "é")


def cli(*args: str, stdin: str = "", redis_url: str | None = REDIS_URL) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    if redis_url:
        env["REDIS_URL"] = redis_url
    return subprocess.run(
        [sys.executable, "-m", "bot", "staff", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


async def test_cli_add_list_remove(store: StaffStore) -> None:
    """Each run imports Rasa (seconds), so one run per behaviour."""
    added = cli(
        "add",
        "amina",
        "--role",
        "agent",
        "--display-name",
        "Amina",
        "--languages",
        "sw,en",
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    amina = await store.authenticate("amina", PASSWORD, IP)
    assert (amina.display_name, amina.languages) == ("Amina", ("sw", "en"))

    listed = cli("list")
    assert listed.returncode == 0, listed.stderr
    assert "amina" in listed.stdout and "agent" in listed.stdout and "Amina" in listed.stdout
    assert "sw,en" in listed.stdout and "$argon2" not in listed.stdout

    changed = cli("languages", "amina", "fr,sw")
    assert changed.returncode == 0, changed.stderr
    assert (await store.get("amina")) == Staff(
        name="amina", display_name="Amina", role=Role.AGENT, languages=("fr", "sw")
    )
    unknown = cli("add", "bo", "--role", "agent", "--languages", "xx", stdin=PASSWORD + "\n")
    assert unknown.returncode != 0 and "unknown language code 'xx'" in unknown.stderr

    weak = cli("add", "bo", "--role", "agent", stdin="short\n")
    assert weak.returncode != 0
    assert "at least 12" in weak.stderr

    assert cli("remove", "amina").returncode == 0
    assert await store.get("amina") is None


def test_cli_needs_redis() -> None:
    result = cli("list", redis_url=None)
    assert result.returncode != 0
    assert "staff accounts live in Redis: set REDIS_URL" in result.stderr
