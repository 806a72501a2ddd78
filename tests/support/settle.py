"""Waiting for a settled state before a negative check ("nothing more was sent"), never a fixed sleep."""

from __future__ import annotations

import asyncio
import time

from bot.pipeline.gateway import Gateway

SETTLE_TIMEOUT_SECONDS = 10.0


async def settled(gateway: Gateway) -> None:
    """Every conversation drained: its turns ran and its replies went out (or were kept as failed)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_SECONDS
    while not await gateway.idle():
        assert time.monotonic() < deadline, "the gateway did not settle"
        await asyncio.sleep(0.02)
