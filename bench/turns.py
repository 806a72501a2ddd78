"""Turn latency through the REST channel vs in-process `Engine.handle`, on the same models.

    python -m bench.turns [--conversations 40]

Both paths run the same scripted conversations (free text and button payloads) against the same
action server; the REST path adds aiohttp's server and a real HTTP client on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

from bot.action_server import running_action_server
from bot.app import create_app
from bot.engine import Engine
from bot.settings import Settings

SCRIPT = [
    "hello",
    "/affirm",
    "someone hacked my instagram and changed my password",
    "/step_done",
    "tell me more",
    "/step_done",
    "/step_skip",
    "go back",
    "/step_done",
    "i want to talk to a real person",
    "/deny",
    "he keeps posting my home address on facebook",
    "/step_done",
    "/step_stop",
]

Say = Callable[[str, str], Awaitable[object]]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(say: Say, conversations: int) -> list[float]:
    samples = []
    for _ in range(conversations):
        conversation = f"bench-{uuid.uuid4().hex}"
        for text in SCRIPT:
            start = time.perf_counter()
            await say(conversation, text)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


async def run(conversations: int) -> None:
    settings = Settings.from_env(os.environ)
    engine = Engine.load(settings)

    async def in_process(conversation: str, text: str) -> object:
        return await engine.handle(conversation, text)

    runner = web.AppRunner(create_app(settings, engine))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    async with aiohttp.ClientSession() as session:

        async def over_rest(conversation: str, text: str) -> object:
            async with session.post(url, json={"sender": conversation, "message": text}) as reply:
                assert reply.status == 200
                return await reply.json()

        await measure(in_process, 2)  # warm up both paths
        await measure(over_rest, 2)
        direct = await measure(in_process, conversations)
        rest = await measure(over_rest, conversations)
    await runner.cleanup()

    print(f"{len(direct)} turns per path ({conversations} conversations x {len(SCRIPT)} turns)")
    print(f"{'path':<22}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}")
    for name, samples in (("in-process handle", direct), ("REST over HTTP", rest)):
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(f"{name:<22}{p50:9.1f}{p99:9.1f}{statistics.fmean(samples):9.1f}")
    ratio50 = percentile(rest, 0.5) / percentile(direct, 0.5)
    ratio99 = percentile(rest, 0.99) / percentile(direct, 0.99)
    print(f"{'REST / in-process':<22}{ratio50:8.2f}x{ratio99:8.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=40)
    args = parser.parse_args()
    settings = Settings.from_env(os.environ)
    with running_action_server(settings.action_server_url):
        asyncio.run(run(args.conversations))


if __name__ == "__main__":
    main()
