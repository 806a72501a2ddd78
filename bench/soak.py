"""Many conversations at once for minutes: tail latency, messages per second, and whether the
gateway process's memory keeps growing.

Each of the concurrent people runs the script (eight turns) and starts a new conversation, so a
ten-minute run goes through thousands of conversations. Memory is compared between the end of the
warm-up (caches filled, models touched) and the end of the run.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from bench.channels import SCRIPT, Say, percentile
from bench.processes import rss_mb
from bench.table import Goal, Row

CONVERSATIONS = 50
WARM_UP_SECONDS = 15


async def measure(rest: Say, pid: int, minutes: float) -> list[Row]:
    duration = minutes * 60
    warm_up = max(WARM_UP_SECONDS, duration / 10)
    start = time.perf_counter()
    samples: list[float] = []
    rss: list[float] = []

    async def person() -> None:
        while True:
            conversation = f"bench-soak-{uuid.uuid4().hex[:12]}"
            for text in SCRIPT:
                sent = time.perf_counter()
                if sent - start >= duration:
                    return
                await rest(conversation, text)
                if sent - start >= warm_up:
                    samples.append((time.perf_counter() - sent) * 1000)

    async def after_warm_up() -> None:
        await asyncio.sleep(warm_up)
        rss.append(rss_mb(pid))

    await asyncio.gather(after_warm_up(), *(person() for _ in range(CONVERSATIONS)))
    measured_seconds = time.perf_counter() - start - warm_up
    label = f"{CONVERSATIONS} conversations x {minutes:g} min"
    return [
        Row(metric=f"{label}: p99 (ms)", ours=percentile(samples, 0.99)),
        Row(metric=f"{label}: messages/s", ours=len(samples) / measured_seconds),
        Row(
            metric=f"{label}: gateway RSS, end vs after warm-up (MiB)",
            ours=rss_mb(pid),
            baseline=rss[0],
            goal=Goal(op="<", limit=1.1),
        ),
    ]
