"""HTTP limits for when the gateway is reached directly, not only through nginx; who the client is.

aiohttp 3.9 closes an idle keep-alive connection after `keepalive_timeout`, but puts no limit on how
long a client may take to send a request's body: a slow client could hold a connection and a handler
for ever. And it names itself and its version in every `Server` header. Both are set here, once.

Behind nginx every request comes from nginx's address: rate limits per address (sign-in, new
conversations, handoff requests) would then count everyone together. With TRUSTED_PROXIES set,
`request.remote` is the client's address taken from X-Forwarded-For, but only when the request came
from one of those proxies, and only the part of the header they wrote (read from the right).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.ops.settings import IPNetwork, Settings

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
            except TimeoutError:
                response = web.json_response({"error": "the request body came too slowly"}, status=408)
                response.force_close()
                return response
        return await handler(request)

    return read_in_time


def client_address(peer: str | None, forwarded: str | None, trusted: Sequence[IPNetwork]) -> str | None:
    """The client's address: the peer's own unless the peer is a trusted proxy; then the rightmost
    address of X-Forwarded-For that is not a trusted proxy (what the first trusted proxy saw). Anything
    to its left was written by the client, and is ignored."""
    if not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in (forwarded or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop if _address(hop) is not None else peer  # garbage where a proxy writes: the peer
    return hops[0] if hops else peer


def _address(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text or "")
    except ValueError:
        return None


def _trusted(text: str | None, trusted: Sequence[IPNetwork]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in trusted)


def behind_proxies(trusted: Sequence[IPNetwork]) -> Any:
    """A middleware: `request.remote` becomes the client's address (`client_address`)."""

    @web.middleware
    async def forwarded_for(request: web.Request, handler: Handler) -> web.StreamResponse:
        client = client_address(request.remote, request.headers.get("X-Forwarded-For"), trusted)
        if client is not None and client != request.remote:
            request = request.clone(remote=client)
        return await handler(request)

    return forwarded_for


async def _neutral_server(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = SERVER_NAME


def setup_hardening(app: web.Application, settings: Settings) -> None:
    """Install the client's address, the body deadline and the neutral `Server` header (before the
    app starts)."""
    if settings.trusted_proxies:
        app.middlewares.append(behind_proxies(settings.trusted_proxies))
    app.middlewares.append(body_within(settings.http_read_timeout_seconds))
    # aiohttp 3.9 annotates its signals for aiosignal < 1.4, whose Signal took one type argument.
    app.on_response_prepare.append(_neutral_server)  # type: ignore[arg-type]
