"""The aiohttp application: channels' routes, the gateway, and their lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

from aiohttp import web
from redis.asyncio import Redis

from bot.channels.base import Channel
from bot.channels.registry import configured_channels
from bot.handoff.console import setup_console
from bot.handoff.hours import Schedule
from bot.handoff.sessions import SessionStore
from bot.handoff.staff import StaffStore
from bot.inbox.console import setup_inbox
from bot.insights.console import setup_insights
from bot.ops.hardening import setup_hardening
from bot.ops.health import setup_ops
from bot.ops.settings import Settings
from bot.pipeline.conversations import ConversationStore
from bot.pipeline.gateway import Gateway
from bot.rasa.engine import Engine
from bot.storage.connection import connect_redis
from bot.storage.keys import Keys, secret_key
from bot.storage.sealing import Sealer

log = logging.getLogger(__name__)

GATEWAY = web.AppKey("gateway", Gateway)
SETTINGS = web.AppKey("settings", Settings)
WAIT_NOTICE_SECONDS = 15.0  # how often waiting people's waits are checked for news (bot/handoff/waits.py)


def build_gateway(
    settings: Settings, engine: Engine, redis: Redis, channels: dict[str, Channel] | None = None
) -> Gateway:
    """The gateway and its stores: for the app, the terminal chat and the conversation corpus."""
    store = ConversationStore(
        redis,
        sealer=Sealer.from_settings(settings),
        keys=Keys.from_settings(settings),
        retention_seconds=settings.retention_days * 24 * 3600,
    )
    schedule = Schedule.load(settings.handoff_hours) if settings.handoff_hours else Schedule.always_open()
    return Gateway(
        engine=engine,
        store=store,
        channels=channels or {},
        schedule=schedule,
        minutes_per_person=settings.minutes_per_person,
        limits=settings.limits,
        public_url=settings.public_url,
        evidence_max_days=settings.evidence_max_days,
        ask_inbox=settings.inbox_ask and (not settings.discreet or settings.inbox_in_discreet_mode),
    )


def create_app(settings: Settings, engine: Engine, redis: Redis | None = None) -> web.Application:
    redis = redis if redis is not None else connect_redis(settings)
    settings = replace(settings, secret_key=secret_key(settings))  # in memory, one made for the process
    channels: dict[str, Channel] = {
        c.name: c for c in configured_channels(settings, redis, settings.secret_key, more=engine.more_title)
    }
    gateway = build_gateway(settings, engine, redis, channels)

    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS] = settings
    app[GATEWAY] = gateway
    setup_hardening(app, settings)
    setup_ops(
        app,
        engine=engine,
        redis=redis,
        metrics=gateway.metrics,
        action_server_url=settings.action_server_url,
    )
    for channel in channels.values():
        app.router.add_routes(channel.routes(gateway.accept))
    app.router.add_routes(gateway.exports.routes())  # one-time links to her record's PDF
    staff = StaffStore(redis)
    sessions = SessionStore(redis)
    setup_console(
        app,
        desk=gateway.desk,
        staff=staff,
        sessions=sessions,
        cookie_secure=settings.cookie_secure,
        long_wait_seconds=settings.long_wait_minutes * 60,
    )
    setup_insights(app, min_count=settings.insights_min_count)
    setup_inbox(app, gateway.inbox)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await _first_staff_login(settings, staff)
        await gateway.upgrade_storage()  # before any channel takes a message
        for channel in channels.values():
            await channel.start()
        background = [
            asyncio.create_task(gateway.sweep_forever()),
            asyncio.create_task(gateway.waits.tell_forever(WAIT_NOTICE_SECONDS)),
        ]
        yield
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await gateway.close()
        for channel in channels.values():
            await channel.stop()
        await redis.close()

    app.cleanup_ctx.append(lifecycle)
    return app


async def _first_staff_login(settings: Settings, staff: StaffStore) -> None:
    """In memory, a demo supervisor so the console can be tried at once; with Redis, staff are real
    accounts that someone creates on purpose (never a default password in production)."""
    if settings.redis_url is None:
        demo = await staff.ensure_demo()
        if demo is not None:
            print(f"  demo staff login for /console (shown once): {demo[0]} / {demo[1]}", flush=True)
    elif await staff.count() == 0:
        log.warning("console.no_staff: add one with `python -m bot staff add NAME --role supervisor`")
