"""Running the assistant: the gateway (with or without its action server), the terminal chat, parse."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

from aiohttp import web

from bot.handoff.hours import ScheduleError
from bot.language.detection import Detector
from bot.ops.app import build_gateway, create_app
from bot.ops.hardening import server_options
from bot.ops.health import SHUTDOWN_TIMEOUT_SECONDS
from bot.ops.logs import AccessLog
from bot.ops.settings import Settings, SettingsError
from bot.pipeline.messages import Choice, InboundKind, InboundMessage, OutboundMessage
from bot.rasa.action_server import running_action_server
from bot.rasa.engine import Engine
from bot.storage.connection import connect_redis


def serve(settings: Settings) -> None:
    engine = Engine.load(settings)
    try:
        app = create_app(settings, engine)
    except (ScheduleError, SettingsError) as error:
        sys.exit(str(error))
    print(f"SafeSpaces is listening on http://{settings.host}:{settings.port}")
    rest_auth = "bearer token required" if settings.rest_token else "open: set REST_TOKEN outside development"
    print(f"  REST channel: POST http://{settings.host}:{settings.port}/webhooks/rest/webhook ({rest_auth})")
    if settings.web_chat:
        print(f"  web chat: http://{settings.host}:{settings.port}/")
    channels = [name for name in ("telegram", "whatsapp", "twilio") if getattr(settings, name)]
    print(f"  channels: REST{''.join(', ' + name for name in channels)}")
    print(f"  action server: {settings.action_server_url}")
    print(f"  storage: {'Redis' if settings.redis_url else 'in memory (set REDIS_URL for Redis)'}")
    print(f"  staff console: http://{settings.host}:{settings.port}/console")
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=None,
        access_log_class=AccessLog,
        shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        **server_options(settings),
    )


def run(settings: Settings) -> None:
    with running_action_server(settings.action_server_url):
        serve(settings)


def format_reply(reply: OutboundMessage) -> str:
    lines = [reply.text]
    lines += [f"  [{n}] {choice.title}" for n, choice in enumerate(reply.choices, start=1)]
    return "\n".join(lines)


async def _chat(settings: Settings, engine: Engine) -> None:
    """The terminal is one more channel: its messages take the same turn as everyone's."""
    gateway = build_gateway(settings, engine, connect_redis(settings))
    sender = uuid.uuid4().hex[:12]
    choices: tuple[Choice, ...] = ()
    print("Type a message (a number picks a button; Ctrl-D ends).")
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        text = line.strip()
        if not text:
            continue
        if text.isdigit() and 1 <= int(text) <= len(choices):
            text = choices[int(text) - 1].payload
        kind = InboundKind.CHOICE if text.startswith("/") else InboundKind.TEXT
        message = InboundMessage(
            channel="terminal", provider_id=uuid.uuid4().hex, sender=sender, kind=kind, text=text
        )
        replies = await gateway.turn(message)
        for reply in replies:
            print(format_reply(reply), end="\n\n")
        choices = next((r.choices for r in reversed(replies) if r.choices), ())


def chat(settings: Settings) -> None:
    with running_action_server(settings.action_server_url):
        asyncio.run(_chat(settings, Engine.load(settings)))


async def _parse(engine: Engine, language: str | None) -> None:
    detector = Detector(engine.vocabularies)
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        parse = await engine.parse(text, language or detector.best(text))
        record = {
            "text": parse.text,
            "language": parse.language,
            "intent": parse.intent,
            "confidence": round(parse.confidence, 4),
        }
        print(json.dumps(record, ensure_ascii=False), flush=True)


def parse(settings: Settings, language: str | None) -> None:
    asyncio.run(_parse(Engine.load(settings), language))
