"""A fake Telegram Bot API server: answers the methods we call, records every request.

Requests arrive as python-telegram-bot sends them (form fields, complex values JSON-encoded);
answers are shaped as the Bot API documents them ({"ok": true, "result": ...}).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class FakeTelegram:
    token: str
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Queued answers for sendMessage and deleteMessages: (HTTP status, body); consumed before normal answers.
    send_failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    delete_failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    message_ids: list[int] = field(default_factory=list)  # of the messages "sent", in order
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        return app

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [params for name, params in self.requests if name == method]

    async def wait_for(
        self, count: int, method: str = "sendMessage", timeout: float = 15
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.sent(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{method}: got {len(self.sent(method))}, wanted {count}")
            await asyncio.sleep(0.02)
        return self.sent(method)

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await _params(request)
        self.requests.append((method, params))
        queued = {"sendMessage": self.send_failures, "deleteMessages": self.delete_failures}.get(method)
        if queued:
            status, body = queued.pop(0)
            return web.json_response(body, status=status)
        return web.json_response({"ok": True, "result": await self._result(method, params)})

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        match method:
            case "getMe":
                return {"id": 42, "is_bot": True, "first_name": "SafeSpaces", "username": "safespaces_bot",
                        "can_join_groups": False, "can_read_all_group_messages": False,
                        "supports_inline_queries": False}  # fmt: skip
            case "sendMessage":
                self.message_ids.append(next(self._ids))
                return {
                    "message_id": self.message_ids[-1],
                    "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "text": params["text"],
                }
            case "deleteMessages" | "deleteMessage":
                # Telegram skips ids it can't find and answers True; the recorded request says which.
                return True
            case "getUpdates":
                offset = int(params.get("offset") or 0)
                for _ in range(20):
                    ready = [u for u in self.updates if u["update_id"] >= offset]
                    if ready:
                        return ready
                    await asyncio.sleep(0.05)
                return []
            case _:
                return True


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        text = str(value)
        try:
            params[key] = json.loads(text) if text[:1] in "{[" else text
        except json.JSONDecodeError:
            params[key] = text
    return params


def too_many_requests(retry_after: int) -> tuple[int, dict[str, Any]]:
    return 429, {"ok": False, "error_code": 429,
                 "description": f"Too Many Requests: retry after {retry_after}",
                 "parameters": {"retry_after": retry_after}}  # fmt: skip


def server_error() -> tuple[int, dict[str, Any]]:
    return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}


def cant_delete() -> tuple[int, dict[str, Any]]:
    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message can't be deleted"}


def blocked() -> tuple[int, dict[str, Any]]:
    return 403, {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
