"""Where a REST turn's time goes outside the engine: the p50 of each span of one turn.

    python -m bench.turn_spans [--turns 300]

The app runs in this process on Redis db 1 (emptied before and after) with the real models and action
server; the gateway's steps are wrapped to note when each starts and ends. Turns go one at a time
over 20 conversations, the benchmarks' script (bench/channels.py). For the latency row of
`make bench`: what the gateway adds to `Engine.handle`, and which part of it is which step.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import redis
from aiohttp.test_utils import TestServer

from bench.channels import SCRIPT, settings_on
from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import Settings
from bot.rasa.action_server import running_action_server
from bot.rasa.engine import Engine

REDIS_URL = "redis://127.0.0.1:6379/1"
WARM_UP = 40
SPANS = (  # name, from mark, to mark
    ("webhook until the message is stored", "post", "accept>"),
    ("accept (store, count, take the lease)", "accept>", "accept<"),
    ("before the NLU (state read, language, commands)", "accept<", "engine>"),
    ("Engine.handle", "engine>", "engine<"),
    ("complete (commit the replies)", "engine<", "complete<"),
    ("hand the reply to the waiting request", "complete<", "send<"),
    ("response received", "send<", "done"),
)


def noting(
    marks: dict[str, float], label: str, step: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    async def noted(*args: Any, **kwargs: Any) -> Any:
        marks[f"{label}>"] = time.perf_counter()
        result = await step(*args, **kwargs)
        marks[f"{label}<"] = time.perf_counter()
        return result

    return noted


async def measure(settings: Settings, turns: int) -> dict[str, list[float]]:
    engine = Engine.load(settings)
    app = create_app(settings, engine)
    gateway = app[GATEWAY]
    marks: dict[str, float] = {}
    engine.handle = noting(marks, "engine", engine.handle)  # type: ignore[method-assign]
    for store_step in ("accept", "complete"):
        setattr(gateway.store, store_step, noting(marks, store_step, getattr(gateway.store, store_step)))
    gateway.outbox.send = noting(marks, "send", gateway.outbox.send)  # type: ignore[method-assign]
    server = TestServer(app)
    await server.start_server()
    spans: dict[str, list[float]] = {name: [] for name, _, _ in SPANS}
    texts = itertools.cycle(SCRIPT)
    try:
        async with aiohttp.ClientSession() as session:
            for index in range(WARM_UP + turns):
                marks.clear()
                marks["post"] = time.perf_counter()
                body = {
                    "sender": f"spans-{index % 20}",
                    "message": next(texts),
                    "metadata": {"language": "en"},
                }
                async with session.post(server.make_url("/webhooks/rest/webhook"), json=body) as response:
                    assert response.status == 200, response.status
                    await response.read()
                marks["done"] = time.perf_counter()
                await gateway.close()  # the drain's last steps, before the next turn starts
                if index >= WARM_UP:
                    for name, start, end in SPANS:
                        spans[name].append((marks[end] - marks[start]) * 1000)
    finally:
        await server.close()
    return spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args()
    settings = settings_on(REDIS_URL)
    db = redis.Redis.from_url(REDIS_URL)
    db.flushdb()
    try:
        with running_action_server(settings.action_server_url):
            spans = asyncio.run(measure(settings, args.turns))
    finally:
        db.flushdb()
    medians = {name: statistics.median(values) for name, values in spans.items()}
    outside = sum(value for name, value in medians.items() if name != "Engine.handle")
    print(f"\none REST turn, p50 of each span over {args.turns} turns (ms)")
    for name, value in medians.items():
        print(f"  {name:<50} {value:6.2f}")
    print(f"  {'outside Engine.handle, sum':<50} {outside:6.2f}")


if __name__ == "__main__":
    main()
