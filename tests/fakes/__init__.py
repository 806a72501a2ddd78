"""Local fake provider servers that speak the providers' real wire formats."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp.test_utils import TestServer


@contextlib.asynccontextmanager
async def serving(fake: Any, **options: Any) -> AsyncIterator[Any]:
    """Run a fake on a free local port; its `url` is set for the client under test.

    `options` go to aiohttp's AppRunner (`access_log=None`: the fake logs no request lines).
    """
    server = TestServer(fake.app())
    await server.start_server(**options)
    fake.url = str(server.make_url("")).rstrip("/")
    try:
        yield fake
    finally:
        await server.close()
