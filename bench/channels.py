"""Webhook -> reply latency and throughput per channel, against in-process turns and `rasa run`.

    python -m bench.channels [--conversations 20] [--turns 8] [--concurrency 4] [--skip-rasa-run]

Every path runs the same scripted turns on the same English models and action server:
- in-process: `Engine.handle` called directly (the floor: NLU + dialogue + actions);
- REST: our gateway's REST channel over HTTP (dedupe, inbox, lease, outbox included);
- Telegram, WhatsApp, Twilio SMS: verified webhook posts (secret token, HMAC, Twilio signature),
  timed until the provider's fake server receives the first reply (Twilio's pacing of one SMS per
  second per number is lifted here to measure the pipeline, not the pacing);
- rasa run: stock `rasa run` with its REST channel on a model trained from the same data (its
  trackers in Redis too when REDIS_URL is set).
Conversations run closed-loop (next message after the reply) with `--concurrency` in parallel.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.fernet import Fernet
from twilio.request_validator import RequestValidator

from bench.processes import free_port, http_ok, until
from bot.channels.twilio import TwilioChannel
from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import ROOT, Settings, TelegramSettings, TwilioSettings, WhatsAppSettings
from bot.rasa.action_server import running_action_server
from bot.rasa.engine import Engine
from bot.storage.connection import connect_redis
from tests.fakes.telegram import FakeTelegram  # the same fakes the tests use
from tests.fakes.twilio import FakeTwilio
from tests.fakes.whatsapp import FakeGraph

SCRIPT = [
    "hello",
    "/affirm",
    "someone hacked my instagram and changed my password",
    "/step_done",
    "tell me more",
    "/step_skip",
    "he keeps posting my home address on facebook",
    "/step_done",
]
TOKEN = "123456:BENCH-token-for-the-local-fake-only"
SECRET = "bench-secret"
WA_TOKEN, WA_NUMBER, WA_SECRET = "EAAbench", "106540352242922", "bench-app-secret"
TW_SID, TW_TOKEN, TW_FROM = "AC" + "0" * 31 + "1", "bench-auth-token", "+15005550006"

Say = Callable[[str, str], Awaitable[None]]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def closed_loop(
    say: Say, conversations: int, turns: int, concurrency: int
) -> tuple[list[float], float]:
    samples: list[float] = []
    queue: asyncio.Queue[str] = asyncio.Queue()
    for _ in range(conversations):
        queue.put_nowait(f"bench-{uuid.uuid4().hex[:12]}")

    async def worker() -> None:
        while not queue.empty():
            conversation = queue.get_nowait()
            for text in itertools.islice(itertools.cycle(SCRIPT), turns):
                start = time.perf_counter()
                await say(conversation, text)
                samples.append((time.perf_counter() - start) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples, time.perf_counter() - started


def rest_say(session: aiohttp.ClientSession, url: str, metadata: dict[str, Any] | None = None) -> Say:
    """A Rasa-style REST webhook (ours or stock `rasa run`'s): one POST, the replies in the response."""

    async def say(conversation: str, text: str) -> None:
        body = {"sender": conversation, "message": text, **({"metadata": metadata} if metadata else {})}
        async with session.post(url, json=body) as response:
            assert response.status == 200, response.status
            await response.read()

    return say


def settings_on(redis_url: str) -> Settings:
    """A benchmark's settings: the environment's, on `redis_url`, with fresh keys and an action server
    on a free port (the caller starts it)."""
    return replace(
        Settings.from_env(os.environ),
        redis_url=redis_url,
        action_server_url=f"http://127.0.0.1:{free_port()}/webhook",
        encryption_keys=(Fernet.generate_key().decode(),),
        secret_key=secrets.token_hex(32),
    )


class RasaRun:
    """Stock `rasa run` on a model trained from the same data (NLU + dialogue in one model);
    with `redis_url`, its trackers live in that Redis db, as a production deployment keeps them."""

    def __init__(self, action_server_url: str, redis_url: str | None = None) -> None:
        self.port = free_port()
        self._action_server_url = action_server_url
        self._redis_url = redis_url
        self._folder = Path(tempfile.mkdtemp(prefix="bench-rasa-"))
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> RasaRun:
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
        subprocess.run(  # fixed argv
            [sys.executable, "-m", "rasa", "train", "--domain", "domain.yml", "--data", "data",
             "nlu_data/en", "--config", "config.yml", "--out", str(self._folder),
             "--fixed-model-name", "combined"],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        endpoints = self._folder / "endpoints.yml"
        endpoints.write_text(yaml.safe_dump(self._endpoints()))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "--model", str(self._folder / "combined.tar.gz"),
             "--port", str(self.port), "--endpoints", str(endpoints), "--quiet"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        return self

    def _endpoints(self) -> dict[str, Any]:
        endpoints: dict[str, Any] = {"action_endpoint": {"url": self._action_server_url}}
        if self._redis_url:
            redis = urlparse(self._redis_url)
            endpoints["tracker_store"] = {
                "type": "redis",
                "url": redis.hostname or "localhost",
                "port": redis.port or 6379,
                "db": int(redis.path.strip("/") or 0),
                "password": redis.password,
            }
        return endpoints

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    async def ready(self) -> None:
        await until(lambda: http_ok(f"http://127.0.0.1:{self.port}/"), 120, "rasa run")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
        shutil.rmtree(self._folder, ignore_errors=True)


async def run(args: argparse.Namespace, settings: Settings) -> None:
    engine = Engine.load(settings)
    results: dict[str, tuple[list[float], float]] = {}
    shape = (args.conversations, args.turns, args.concurrency)

    async def in_process(conversation: str, text: str) -> None:
        await engine.handle(conversation, text, language="en")

    await closed_loop(in_process, 2, len(SCRIPT), 1)  # warm up
    results["in-process handle"] = await closed_loop(in_process, *shape)

    fake = FakeTelegram(token=TOKEN)
    graph = FakeGraph(token=WA_TOKEN, phone_number_id=WA_NUMBER)
    twilio = FakeTwilio(account_sid=TW_SID, auth_token=TW_TOKEN)
    servers = [TestServer(f.app()) for f in (fake, graph, twilio)]
    for server in servers:
        await server.start_server()
    urls = [str(server.make_url("")).rstrip("/") for server in servers]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    configured = replace(
        settings,
        telegram=TelegramSettings(token=TOKEN, secret_token=SECRET, api_url=urls[0], polling=False),
        whatsapp=WhatsAppSettings(
            access_token=WA_TOKEN, phone_number_id=WA_NUMBER, app_secret=WA_SECRET,
            verify_token="bench-verify", api_url=f"{urls[1]}/v21.0", template_name=None,
            template_language="en",
        ),
        twilio=TwilioSettings(account_sid=TW_SID, auth_token=TW_TOKEN, sender=TW_FROM, api_url=urls[2]),
        public_url=base,
    )  # fmt: skip
    app = create_app(configured, engine, connect_redis(settings))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    for channel in app[GATEWAY].channels.values():
        if isinstance(channel, TwilioChannel):
            channel.overall_rate = channel.per_recipient_rate = 0.0  # measure the pipeline, not pacing
    chats = itertools.count(9_000_000)
    updates = itertools.count(1)
    chat_of: dict[str, int] = {}

    async with aiohttp.ClientSession() as session:
        rest = rest_say(session, f"{base}/webhooks/rest/webhook", {"language": "en"})

        async def telegram_webhook(conversation: str, text: str) -> None:
            chat = chat_of.setdefault(conversation, next(chats))
            before = sum(1 for _, p in fake.requests if p.get("chat_id") == str(chat))
            update = {"update_id": next(updates), "message": {
                "message_id": 1, "date": int(time.time()), "text": text,
                "chat": {"id": chat, "type": "private"},
                "from": {"id": chat, "is_bot": False, "first_name": "B", "language_code": "en"}}}  # fmt: skip
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with session.post(
                f"{base}/webhooks/telegram/webhook", json=update, headers=headers
            ) as response:
                assert response.status == 200
            while sum(1 for _, p in fake.requests if p.get("chat_id") == str(chat)) <= before:
                await asyncio.sleep(0.001)

        people = itertools.count(447_700_000_001)
        phone_of: dict[str, str] = {}

        async def whatsapp_webhook(conversation: str, text: str) -> None:
            wa_id = phone_of.setdefault(conversation, str(next(people)))
            before = sum(1 for r in graph.requests if r.get("to") == wa_id)
            message = {"from": wa_id, "id": f"wamid.BENCH{next(updates)}", "timestamp": str(int(time.time())),
                       "type": "text", "text": {"body": text}}  # fmt: skip
            value = {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550000000", "phone_number_id": WA_NUMBER},
                "contacts": [{"profile": {"name": "B"}, "wa_id": wa_id}],
                "messages": [message],
            }
            change = {"field": "messages", "value": value}
            envelope = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
            body = json.dumps(envelope).encode()
            signature = "sha256=" + hmac.new(WA_SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers = {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
            async with session.post(
                f"{base}/webhooks/whatsapp/webhook", data=body, headers=headers
            ) as response:
                assert response.status == 200, response.status
            while sum(1 for r in graph.requests if r.get("to") == wa_id) <= before:
                await asyncio.sleep(0.001)

        async def sms_webhook(conversation: str, text: str) -> None:
            phone = "+" + phone_of.setdefault(conversation, str(next(people)))
            before = sum(1 for r in twilio.requests if r.get("To") == phone)
            form = {"MessageSid": f"SM{next(updates):032x}", "AccountSid": TW_SID, "From": phone,
                    "To": TW_FROM, "Body": text, "NumMedia": "0"}  # fmt: skip
            url = f"{base}/webhooks/twilio/webhook"
            headers = {"X-Twilio-Signature": RequestValidator(TW_TOKEN).compute_signature(url, form)}
            async with session.post(url, data=form, headers=headers) as response:
                assert response.status == 200, response.status
            while sum(1 for r in twilio.requests if r.get("To") == phone) <= before:
                await asyncio.sleep(0.001)

        await closed_loop(rest, 2, len(SCRIPT), 1)
        results["REST channel (ours)"] = await closed_loop(rest, *shape)
        results["Telegram webhook->reply"] = await closed_loop(telegram_webhook, *shape)
        results["WhatsApp webhook->reply"] = await closed_loop(whatsapp_webhook, *shape)
        results["Twilio SMS webhook->reply"] = await closed_loop(sms_webhook, *shape)

        if not args.skip_rasa_run:
            with RasaRun(settings.action_server_url, settings.redis_url) as rasa_run:
                await rasa_run.ready()
                stock = rest_say(session, f"http://127.0.0.1:{rasa_run.port}/webhooks/rest/webhook")
                await closed_loop(stock, 2, len(SCRIPT), 1)
                results["rasa run REST (stock)"] = await closed_loop(stock, *shape)

    await runner.cleanup()
    for server in servers:
        await server.close()
    report(results, shape)


def report(results: dict[str, tuple[list[float], float]], shape: tuple[int, int, int]) -> None:
    conversations, turns, concurrency = shape
    print(f"{conversations} conversations x {turns} turns, {concurrency} at a time")
    floor50 = percentile(results["in-process handle"][0], 0.5)
    floor99 = percentile(results["in-process handle"][0], 0.99)
    print(f"{'path':<26}{'p50 ms':>9}{'p99 ms':>9}{'msg/s':>8}{'p50 x':>8}{'p99 x':>8}")
    for name, (samples, elapsed) in results.items():
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(
            f"{name:<26}{p50:9.1f}{p99:9.1f}{len(samples) / elapsed:8.1f}"
            f"{p50 / floor50:8.2f}{p99 / floor99:8.2f}"
        )
    if "rasa run REST (stock)" in results:
        ours = results["REST channel (ours)"]
        stock = results["rasa run REST (stock)"]
        ratio = (len(ours[0]) / ours[1]) / (len(stock[0]) / stock[1])
        print(f"throughput, our REST vs stock rasa run: {ratio:.2f}x; mean ms ours "
              f"{statistics.fmean(ours[0]):.1f} vs {statistics.fmean(stock[0]):.1f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--skip-rasa-run", action="store_true")
    args = parser.parse_args()
    settings = Settings.from_env(os.environ)
    with running_action_server(settings.action_server_url):
        asyncio.run(run(args, settings))


if __name__ == "__main__":
    main()
