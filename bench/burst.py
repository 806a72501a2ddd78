"""Three messages from one person in a burst: how long until all three are answered?

The gateway runs a conversation's turns one at a time, in order, so three messages cost three turns;
the goal is that waiting adds nothing on top (no lock polling, no retries). The three are sent 2 ms
apart (in order, and well within the 100 ms of the goal) so that the second and third queue behind
the first turn: with gaps near a turn's length (10 ms gaps against 10 ms turns) the third would be
sent after the first was answered, and the time would measure the sender's gaps, not the gateway.
Each trial sends the same three messages to two conversations in the same state: one at a time to
the first (what one turn costs), as a burst to the second. Reported: the medians over the trials,
from the first message sent to the last answer.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

from bench.channels import Say
from bench.table import Goal, Row

TRIALS = 10
GAP_SECONDS = 0.002  # sent at 0, 2 and 4 ms
BURST = ("someone hacked my instagram and changed my password", "/step_done", "tell me more")


async def measure(rest: Say) -> Row:
    bursts, turns = [], []
    for _ in range(TRIALS):
        one_by_one, burst = (f"bench-burst-{uuid.uuid4().hex[:12]}" for _ in range(2))
        for conversation in (one_by_one, burst):
            await rest(conversation, "hello")
        for text in BURST:
            start = time.perf_counter()
            await rest(one_by_one, text)
            turns.append((time.perf_counter() - start) * 1000)

        async def send(index: int, text: str, conversation: str = burst) -> None:
            await asyncio.sleep(index * GAP_SECONDS)
            await rest(conversation, text)

        start = time.perf_counter()
        await asyncio.gather(*(send(index, text) for index, text in enumerate(BURST)))
        bursts.append((time.perf_counter() - start) * 1000)
    return Row(
        metric=f"burst of 3 within 4 ms, all answered vs one turn, median of {TRIALS} (ms)",
        ours=statistics.median(bursts),
        baseline=statistics.median(turns),
        goal=Goal(op="<=", limit=3.0),
    )
