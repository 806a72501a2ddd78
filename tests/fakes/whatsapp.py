"""A fake WhatsApp Cloud (Graph) API: answers POST /{version}/{phone_number_id}/messages, records them.

Answers are shaped as the Graph API documents them: the message id on success, and
`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}` on failure.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Failure = tuple[int, dict[str, Any], dict[str, str]]  # HTTP status, body, headers


@dataclass
class FakeGraph:
    token: str
    phone_number_id: str
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    # Queued answers for /messages, consumed before normal answers.
    failures: list[Failure] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{version}/{phone_number_id}/messages", self._messages)
        return app

    def sent(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every /messages request, or those of one type (text, interactive, template)."""
        return [r for r in self.requests if kind is None or r["type"] == kind]

    async def wait_for(self, count: int, timeout: float = 15) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"messages: got {len(self.requests)}, wanted {count}")
            await asyncio.sleep(0.02)
        return self.requests

    async def _messages(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response(graph_error(190, "Invalid OAuth access token.")[1], status=401)
        if request.match_info["phone_number_id"] != self.phone_number_id:
            return web.json_response(graph_error(100, "Unsupported post request.")[1], status=400)
        body = await request.json()
        self.requests.append(body)
        if self.failures:
            status, answer, headers = self.failures.pop(0)
            return web.json_response(answer, status=status, headers=headers)
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": f"wamid.FAKE{next(self._ids):06d}"}],
            }
        )


def graph_error(code: int, message: str, status: int = 400, subcode: int | None = None) -> Failure:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEfGhIjKlMnOp",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return status, {"error": error}, {}


def outside_window() -> Failure:
    return graph_error(131047, "(#131047) Re-engagement message")


def undeliverable() -> Failure:
    return graph_error(131026, "(#131026) Message Undeliverable.")


def rate_limited(retry_after: int) -> Failure:
    status, body, _ = graph_error(130429, "(#130429) Rate limit hit", status=429)
    return status, body, {"Retry-After": str(retry_after)}


def server_error() -> Failure:
    return graph_error(131000, "(#131000) Something went wrong", status=500)
