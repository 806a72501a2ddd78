"""A fake Twilio REST API: creates Messages as Twilio documents them, records every request.

Requests arrive as twilio-python sends them (HTTP Basic auth with the account SID and auth token,
form parameters); answers are Message resources (201) or Twilio's error JSON
({"code", "message", "more_info", "status"}).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from aiohttp import BasicAuth, web

MESSAGES_PATH = "/2010-04-01/Accounts/{sid}/Messages.json"


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    requests: list[dict[str, str]] = field(default_factory=list)  # form params of each create
    # Queued answers for creating a Message: (HTTP status, error JSON); consumed before normal answers.
    send_failures: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    url: str = ""
    _last_request: float = 0.0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(MESSAGES_PATH, self._create_message)
        return app

    def sent(self) -> list[dict[str, str]]:
        return list(self.requests)

    async def wait_for(self, count: int, timeout: float = 15) -> list[dict[str, str]]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"Messages created: {len(self.requests)}, wanted {count}")
            await asyncio.sleep(0.02)
        return self.sent()

    async def settled(self, quiet: float = 1.5) -> list[dict[str, str]]:
        """Every request so far, once none has come for `quiet` seconds (bodies go out 1 a second)."""
        while time.monotonic() - self._last_request < quiet:
            await asyncio.sleep(0.05)
        return self.sent()

    async def _create_message(self, request: web.Request) -> web.Response:
        self._last_request = time.monotonic()
        auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        if (auth.login, auth.password) != (self.account_sid, self.auth_token):
            return web.json_response(error(401, 20003, "Authenticate")[1], status=401)
        if request.match_info["sid"] != self.account_sid:
            return web.json_response(error(404, 20404, "The requested resource was not found")[1], status=404)
        params = {key: str(value) for key, value in (await request.post()).items()}
        self.requests.append(params)
        if self.send_failures:
            status, body = self.send_failures.pop(0)
            return web.json_response(body, status=status)
        return web.json_response(self._message(params), status=201)

    def _message(self, params: dict[str, str]) -> dict[str, Any]:
        sid = f"SM{next(self._ids):032x}"
        now = formatdate(usegmt=True)
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": params.get("Body"),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": params.get("From"),
            "messaging_service_sid": params.get("MessagingServiceSid"),
            "num_media": "0",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": params.get("To"),
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }


def error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def too_many_requests() -> tuple[int, dict[str, Any]]:
    return error(429, 20429, "Too Many Requests")


def server_error() -> tuple[int, dict[str, Any]]:
    return error(500, 20500, "Internal Server Error")


def unsubscribed() -> tuple[int, dict[str, Any]]:
    return error(400, 21610, "Attempt to send to unsubscribed recipient")


def invalid_number(to: str) -> tuple[int, dict[str, Any]]:
    return error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
