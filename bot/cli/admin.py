"""Administration that needs no models: staff accounts, delivery counters, the Telegram webhook, the
storage upgrade."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
import time

from bot.channels.telegram import TelegramChannel
from bot.handoff.staff import Role, Staff, StaffError, StaffStore
from bot.ops.settings import Settings
from bot.pipeline.conversations import ConversationStore
from bot.pipeline.upgrade import move_old_keys
from bot.storage.connection import connect_redis
from bot.storage.keys import FAILURES, METRICS, Keys
from bot.storage.sealing import Sealer


async def _set_telegram_webhook(settings: Settings, url: str) -> None:
    if settings.telegram is None:
        sys.exit("TELEGRAM_TOKEN is not set")
    if settings.telegram.secret_token is None:
        sys.exit("TELEGRAM_SECRET_TOKEN is not set: Telegram would post unauthenticated updates")
    redis = connect_redis(settings)  # registering a webhook records no message: it stays unused
    channel = TelegramChannel(
        token=settings.telegram.token,
        secret_token=settings.telegram.secret_token,
        api_url=settings.telegram.api_url,
        polling=False,
        redis=redis,
        keys=Keys.from_settings(settings),
    )
    await channel.bot.initialize()
    try:
        await channel.set_webhook(url)
    finally:
        await channel.bot.shutdown()
        await redis.close()
    print(f"Telegram will post updates to {url}")


async def _deliveries(settings: Settings, limit: int = 20) -> None:
    if not settings.redis_url:
        sys.exit("REDIS_URL is not set: the embedded in-memory store lives only inside `make run`")
    redis = connect_redis(settings)
    try:
        counters = {k.decode(): int(v) for k, v in (await redis.hgetall(METRICS)).items()}
        failures = [json.loads(raw) for raw in await redis.lrange(FAILURES, 0, limit - 1)]
    finally:
        await redis.close()
    for name, value in sorted(counters.items()):
        print(f"{name:40} {value}")
    print(f"\nlatest {len(failures)} failed sends:")
    for failure in failures:
        at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(failure["at"]))
        print(f"{at} UTC  {failure['channel']:9} {failure['conversation']}  {failure['reason']}")


async def _staff(settings: Settings, args: argparse.Namespace) -> None:
    if not settings.redis_url:
        sys.exit(
            "staff accounts live in Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/0); "
            "without Redis, `make run` prints a one-time demo login"
        )
    redis = connect_redis(settings)
    store = StaffStore(redis)
    try:
        match args.action:
            case "add":
                if sys.stdin.isatty():
                    password = getpass.getpass("password: ")
                    if getpass.getpass("password again: ") != password:
                        sys.exit("the passwords differ")
                else:  # one line, so scripts and tests can pipe it
                    password = sys.stdin.readline().rstrip("\r\n")
                languages = _codes(args.languages)
                staff = await store.add(args.name, password, Role(args.role), args.display_name, languages)
                print(f"added {staff.role.value} {staff.name} ({staff.display_name}) {_spoken(staff)}")
            case "languages":
                staff = await store.set_languages(args.name, _codes(args.languages))
                print(f"{staff.name} {_spoken(staff)}")
            case "list":
                for staff in await store.all():
                    spoken = ",".join(staff.languages)
                    print(f"{staff.name:32} {staff.role.value:10} {spoken:12} {staff.display_name}")
            case "remove":
                if not await store.remove(args.name):
                    sys.exit(f"no staff member named {args.name!r}")
                print(f"removed {args.name}; their console sessions are ended")
    except StaffError as error:
        sys.exit(str(error))
    finally:
        await redis.close()


async def _storage_upgrade(settings: Settings) -> None:
    if not settings.redis_url:
        sys.exit("REDIS_URL is not set: the embedded in-memory store starts empty, with nothing to upgrade")
    redis = connect_redis(settings)
    store = ConversationStore(redis, sealer=Sealer.from_settings(settings), keys=Keys.from_settings(settings))
    try:
        upgraded = await move_old_keys(store)
    finally:
        await redis.close()
    print(
        f"{upgraded.moved} keys moved to their pseudonymous names, {upgraded.dropped} old Rasa locks "
        f"dropped, {upgraded.pending} conversations moved to the pending index"
    )


def _codes(languages: str) -> list[str]:
    return [code for code in languages.split(",") if code.strip()]


def _spoken(staff: Staff) -> str:
    return f"speaks {', '.join(staff.languages)}" if staff.languages else "(no languages recorded)"


def set_telegram_webhook(settings: Settings, url: str) -> None:
    asyncio.run(_set_telegram_webhook(settings, url))


def deliveries(settings: Settings) -> None:
    asyncio.run(_deliveries(settings))


def staff(settings: Settings, args: argparse.Namespace) -> None:
    asyncio.run(_staff(settings, args))


def storage_upgrade(settings: Settings) -> None:
    asyncio.run(_storage_upgrade(settings))
