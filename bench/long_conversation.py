"""Turn 300 against turn 10 of a conversation: does a turn slow down as the history grows?

Ours is timed at the seam where history is loaded and stored (`Engine.handle` on Redis trackers,
the production setup); stock `rasa run` on Redis trackers for comparison. A turn's latency at turn
k is the mean over turns k-4..k+3, one of each message of the script. A long conversation is first
brought to turn 295 and a short one to turn 5; then they take turns, so both windows are timed in
the same minutes, under the same load from elsewhere on the machine.
"""

from __future__ import annotations

import statistics
import time
import uuid

from bench.channels import SCRIPT, Say
from bench.table import Goal, Row

EARLY, LATE = 10, 300
BEFORE = len(SCRIPT) // 2  # turns k-4 .. k+3 are one of each message


def script_turn(turn: int) -> str:
    return SCRIPT[(turn - 1) % len(SCRIPT)]


async def timed(say: Say, conversation: str, turn: int) -> float:
    start = time.perf_counter()
    await say(conversation, script_turn(turn))
    return (time.perf_counter() - start) * 1000


async def early_and_late(say: Say) -> tuple[float, float]:
    """Mean latency (ms) around turn EARLY of one conversation and around turn LATE of another."""
    short, long = (f"bench-long-{uuid.uuid4().hex[:12]}" for _ in range(2))
    for turn in range(1, LATE - BEFORE):
        await say(long, script_turn(turn))
    for turn in range(1, EARLY - BEFORE):
        await say(short, script_turn(turn))
    early, late = [], []
    for offset in range(len(SCRIPT)):
        late.append(await timed(say, long, LATE - BEFORE + offset))
        early.append(await timed(say, short, EARLY - BEFORE + offset))
    return statistics.fmean(early), statistics.fmean(late)


async def measure(ours: Say, stock: Say) -> list[Row]:
    rows = []
    for name, say, goal in (
        ("ours, in-process on Redis", ours, Goal(op="<=", limit=1.5)),
        ("stock rasa run on Redis", stock, None),
    ):
        early, late = await early_and_late(say)
        rows.append(
            Row(metric=f"turn {LATE} vs turn {EARLY}, {name} (ms)", ours=late, baseline=early, goal=goal)
        )
    return rows
