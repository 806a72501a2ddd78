"""Handoff latency: a person's Telegram webhook until staff can read it in the console, and a staff
send until the provider receives it.

    python -m bench.handoff [--conversations 10] [--messages 20]

The whole app runs as in production on Redis (db 3), against the fake Bot API. The console side does
what the page does: it listens to /console/events (Server-Sent Events fed by Redis pub/sub) and, on a
"message" event, fetches the ticket's log; the clock stops when the log holds the person's text.
Messages go one at a time, so each sample is one message's own latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bench.channels import SECRET, TOKEN, free_port, percentile
from bot.handoff.console_auth import CSRF_HEADER, SESSION_COOKIE
from bot.handoff.sessions import SessionStore
from bot.handoff.staff import Role, StaffStore
from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import Settings, TelegramSettings
from bot.pipeline.gateway import Gateway
from bot.rasa.action_server import running_action_server
from bot.rasa.engine import Engine
from tests.fakes.telegram import FakeTelegram

REDIS_URL = "redis://127.0.0.1:6379/3"
WEBHOOK = "/webhooks/telegram/webhook"


def update(chat: int, update_id: int, text: str | None = None, data: str | None = None) -> dict[str, Any]:
    person = {"id": chat, "is_bot": False, "first_name": "P", "language_code": "en"}
    if data is not None:
        message = {"message_id": update_id, "date": int(time.time()), "chat": {"id": chat, "type": "private"}}
        query = {"id": str(update_id), "from": person, "message": message, "chat_instance": "1", "data": data}
        return {"update_id": update_id, "callback_query": query}
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": chat, "type": "private"},
        "from": person,
        "text": text,
    }
    return {"update_id": update_id, "message": message}


async def events(session: aiohttp.ClientSession, url: str) -> AsyncIterator[dict[str, Any]]:
    async with session.get(url) as response:
        async for raw in response.content:
            line = raw.decode().strip()
            if line.startswith("data:"):
                yield json.loads(line.removeprefix("data:"))


async def run(args: argparse.Namespace, settings: Settings) -> None:
    redis = Redis.from_url(REDIS_URL)
    await redis.flushdb()
    fake = FakeTelegram(token=TOKEN)
    provider = TestServer(fake.app())
    await provider.start_server()
    telegram = TelegramSettings(
        token=TOKEN, secret_token=SECRET, api_url=str(provider.make_url("")).rstrip("/"), polling=False
    )
    app = create_app(replace(settings, telegram=telegram), Engine.load(settings), redis)
    server = TestServer(app, port=free_port())
    await server.start_server()
    gateway: Gateway = app[GATEWAY]
    staff = await StaffStore(redis).add("bench", "a long bench password", Role.AGENT, "Bench")
    session = await SessionStore(redis).create(staff.name)
    headers = {CSRF_HEADER: session.csrf, "X-Telegram-Bot-Api-Secret-Token": SECRET}
    inbound: list[float] = []
    outbound: list[float] = []
    update_ids = iter(range(1, 10**9))
    async with aiohttp.ClientSession(cookies={SESSION_COOKIE: session.id}) as http:
        seen: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def listen() -> None:
            async for event in events(http, str(server.make_url("/console/events"))):
                seen.put_nowait(event)

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.3)  # subscribed

        async def post(body: dict[str, Any]) -> None:
            async with http.post(server.make_url(WEBHOOK), json=body, headers=headers) as response:
                assert response.status == 200, response.status

        for n in range(args.conversations):
            chat = 900_000 + n
            await post(update(chat, next(update_ids), text="talk to a person"))
            await asyncio.sleep(0.3)
            await post(update(chat, next(update_ids), data="c:affirm"))
            while not (queued := await gateway.desk.tickets.queue()):
                await asyncio.sleep(0.01)
            ticket = queued[0].id
            async with http.post(
                server.make_url(f"/console/api/tickets/{ticket}/claim"), headers=headers
            ) as r:
                assert r.status == 200, r.status
            while not seen.empty():
                seen.get_nowait()
            for m in range(args.messages):
                text = f"message {m} of {chat}"
                started = time.perf_counter()
                await post(update(chat, next(update_ids), text=text))
                while True:
                    event = await asyncio.wait_for(seen.get(), 10)
                    if event["type"] != "message" or event["ticket"] != ticket:
                        continue
                    async with http.get(server.make_url(f"/console/api/tickets/{ticket}")) as r:
                        log = (await r.json())["log"]
                    if any(entry["text"] == text for entry in log):
                        inbound.append(time.perf_counter() - started)
                        break
                reply = f"reply {m} to {chat}"
                before = len(fake.sent())
                started = time.perf_counter()
                url = server.make_url(f"/console/api/tickets/{ticket}/messages")
                async with http.post(url, json={"text": reply}, headers=headers) as r:
                    assert r.status == 200, r.status
                while not any(s["text"].endswith(reply) for s in fake.sent()[before:]):
                    await asyncio.sleep(0.001)
                outbound.append(time.perf_counter() - started)
            async with http.post(
                server.make_url(f"/console/api/tickets/{ticket}/close"),
                json={"outcome": "resolved"},
                headers=headers,
            ) as r:
                assert r.status == 200, r.status
        listener.cancel()
    await server.close()
    await provider.close()
    await redis.flushdb()
    await redis.close()
    print(f"{'path':<44}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}")
    for name, samples in (
        ("person webhook -> readable in the console", inbound),
        ("staff send -> provider receives it", outbound),
    ):
        ms = [s * 1000 for s in samples]
        print(f"{name:<44}{len(ms):>6}{percentile(ms, 0.5):>10.1f}{percentile(ms, 0.99):>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    settings = Settings.from_env(os.environ)
    with running_action_server(settings.action_server_url):
        asyncio.run(run(args, settings))


if __name__ == "__main__":
    main()
