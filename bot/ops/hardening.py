"""HTTP limits for when the gateway is reached directly, not only through nginx.

aiohttp 3.9 closes an idle keep-alive connection after `keepalive_timeout`, but puts no limit on how
long a client may take to send a request's body: a slow client could hold a connection and a handler
for ever. And it names itself and its version in every `Server` header. Both are set here, once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.ops.settings import Settings

SERVER_NAME = "SafeSpaces"  # no product version: nothing to match against a list of known flaws


def server_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of `web.run_app` (and `AppRunner`) that bound idle connections."""
    return {"keepalive_timeout": settings.http_keepalive_seconds}


def body_within(seconds: float) -> Any:
    """A middleware: the request's body is read in full within `seconds`, else 408 (the handler's own
    read then takes it from memory)."""

    @web.middleware
    async def read_in_time(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.body_exists:
            try:
                await asyncio.wait_for(request.read(), timeout=seconds)
            except asyncio.TimeoutError:
                response = web.json_response({"error": "the request body came too slowly"}, status=408)
                response.force_close()
                return response
        return await handler(request)

    return read_in_time


async def _neutral_server(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = SERVER_NAME


def setup_hardening(app: web.Application, settings: Settings) -> None:
    """Install the body deadline and the neutral `Server` header (before the app starts)."""
    app.middlewares.append(body_within(settings.http_read_timeout_seconds))
    # aiohttp 3.9 annotates its signals for aiosignal < 1.4, whose Signal took one type argument.
    app.on_response_prepare.append(_neutral_server)  # type: ignore[arg-type]
