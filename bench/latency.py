"""Turn latency through our gateway's REST channel against `Engine.handle` in-process.

Same models, same action server, same Redis trackers. One conversation at a time, so the numbers
are a turn's latency, not a queue's; the two paths take turns in rounds, so load from elsewhere on
the machine falls on both alike.
"""

from __future__ import annotations

from bench.channels import SCRIPT, Say, closed_loop, percentile
from bench.table import Goal, Row

ROUNDS = 25  # 800 turns per path: enough for a p99 that does not hang on two samples
CONVERSATIONS_PER_ROUND = 4


async def measure(in_process: Say, rest: Say) -> list[Row]:
    floor: list[float] = []
    ours: list[float] = []
    for say in (in_process, rest):
        await closed_loop(say, 1, len(SCRIPT), 1)  # warm up
    for _ in range(ROUNDS):
        floor += (await closed_loop(in_process, CONVERSATIONS_PER_ROUND, len(SCRIPT), 1))[0]
        ours += (await closed_loop(rest, CONVERSATIONS_PER_ROUND, len(SCRIPT), 1))[0]
    return [
        Row(
            metric=f"turn latency p{label}, REST vs in-process handle (ms)",
            ours=percentile(ours, fraction),
            baseline=percentile(floor, fraction),
            goal=Goal(op="<=", limit=limit),
        )
        for label, fraction, limit in (("50", 0.5, 1.15), ("99", 0.99, 1.3))
    ]
