"""Findings of the security review that are about the HTTP server itself (docs/security.md): idle and
slow connections end, no version in `Server`, the action server only on loopback."""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import urlparse

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.ops.app import create_app
from bot.ops.hardening import SERVER_NAME, client_address, server_options
from bot.ops.settings import Settings
from bot.rasa.engine import Engine

LIMITS = {"http_keepalive_seconds": 0.5, "http_read_timeout_seconds": 0.5}


@pytest.fixture
async def server(settings: Settings, engine: Engine, gateway_redis: Redis) -> AsyncIterator[TestServer]:
    """Served as `python -m bot serve` serves it, with small limits."""
    limited = replace(settings, **LIMITS)
    server = TestServer(create_app(limited, engine, gateway_redis))
    await server.start_server(**server_options(limited))
    yield server
    await server.close()


async def connect(server: TestServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    assert server.port is not None
    return await asyncio.open_connection("127.0.0.1", server.port)


async def response_head(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)


async def test_an_idle_keep_alive_connection_is_closed_after_the_timeout(server: TestServer) -> None:
    reader, writer = await connect(server)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    head = await response_head(reader)
    assert head.startswith(b"HTTP/1.1 200")
    length = int(
        next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1]
    )
    await reader.readexactly(length)
    started = time.monotonic()
    assert await asyncio.wait_for(reader.read(), timeout=5) == b""  # closed by the server
    assert time.monotonic() - started < 3
    writer.close()


async def test_a_body_that_comes_too_slowly_is_answered_408_and_not_taken(
    server: TestServer, gateway_redis: Redis
) -> None:
    reader, writer = await connect(server)
    head = b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    writer.write(head + b"Content-Length: 100\r\n\r\n" + b'{"sender": ')  # and then nothing more
    assert (await response_head(reader)).startswith(b"HTTP/1.1 408")
    # aiohttp then reads and drops what is left of the body for at most 10 s (lingering) and closes.
    assert await gateway_redis.keys("*inbox*") == []
    writer.close()


async def test_responses_carry_no_server_version(server: TestServer) -> None:
    reader, writer = await connect(server)
    for path in (b"/healthz", b"/no-such-page"):
        writer.write(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await response_head(reader)
        server_header = next(h for h in head.split(b"\r\n") if h.lower().startswith(b"server:"))
        assert server_header == b"Server: " + SERVER_NAME.encode()
        length = next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length"))
        await reader.readexactly(int(length.split(b":")[1]))
    writer.close()


async def test_the_action_server_make_run_starts_listens_on_loopback_only(action_server_url: str) -> None:
    """Every 127.x address reaches a socket bound to 0.0.0.0; only 127.0.0.1 one bound to 127.0.0.1."""
    port = urlparse(action_server_url).port
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.2", port)


PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not a proxy: its header is the client's lie
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),  # nginx, one hop
        ("10.0.0.2", "192.0.2.66, 198.51.100.1", "198.51.100.1"),  # the client wrote the left part
        ("127.0.0.1", "198.51.100.1, 10.0.0.3", "198.51.100.1"),  # a TLS proxy, then nginx
        ("10.0.0.2", None, "10.0.0.2"),  # no header: the proxy itself
        ("10.0.0.2", "10.0.0.9", "10.0.0.9"),  # only proxies: the first of them
        ("10.0.0.2", "not-an-address", "10.0.0.2"),  # garbage where a proxy writes: the peer
    ],
)
def test_the_client_address_comes_from_x_forwarded_for_only_through_trusted_proxies(
    peer: str, forwarded: str | None, client: str
) -> None:
    assert client_address(peer, forwarded, PROXIES) == client
    assert client_address(peer, forwarded, ()) == peer  # no TRUSTED_PROXIES: the header means nothing
