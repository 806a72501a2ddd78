"""Messages per second through our REST channel against stock `rasa run`'s, both on Redis trackers.

Closed loop with several conversations at a time; the two servers take turns in rounds.
"""

from __future__ import annotations

from bench.channels import SCRIPT, Say, closed_loop
from bench.table import Goal, Row

ROUNDS = 3
CONVERSATIONS_PER_ROUND = 16
CONCURRENCY = 8


async def measure(ours: Say, stock: Say) -> Row:
    messages = {ours: 0, stock: 0}
    seconds = {ours: 0.0, stock: 0.0}
    for say in (ours, stock):
        await closed_loop(say, 1, len(SCRIPT), 1)  # warm up
    for _ in range(ROUNDS):
        for say in (ours, stock):
            samples, elapsed = await closed_loop(say, CONVERSATIONS_PER_ROUND, len(SCRIPT), CONCURRENCY)
            messages[say] += len(samples)
            seconds[say] += elapsed
    return Row(
        metric=f"throughput, {CONCURRENCY} at a time, REST vs rasa run REST (msg/s)",
        ours=messages[ours] / seconds[ours],
        baseline=messages[stock] / seconds[stock],
        goal=Goal(op=">=", limit=1.5),
    )
