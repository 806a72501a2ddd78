"""The Rasa-compatible REST channel: `POST /webhooks/rest/webhook`, replies in the HTTP response.

It runs through the same gateway as every provider (dedupe, order, outbox) and delivers through the
mailbox it shares with the web chat (bot/channels/mailbox.py). The sender id in the body is the
caller's to choose, so with `REST_TOKEN` set every request must carry it as a bearer token: the
channel is then for a helpline's own trusted front end, not for anyone who finds the URL.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from bot.channels.base import Accept
from bot.channels.mailbox import MailboxChannel, rasa_format
from bot.ops.request_body import read_json
from bot.pipeline.messages import InboundKind, InboundMessage, OutboundMessage
from bot.storage.keys import Keys
from bot.storage.sealing import Sealer
from bot.storage.wakeups import Wakeups

MAX_SENDER_LENGTH = 128
MAX_TEXT_LENGTH = 4096
PATH = "/webhooks/rest/webhook"
Shape = Callable[[str, Sequence[OutboundMessage]], list[dict[str, Any]]]  # replies as JSON for a client


class BadRequest(ValueError):
    """The request body is not a message we can take."""


def parse_body(body: Any) -> tuple[str, str, dict[str, Any]]:
    """Validate `{"sender", "message", "metadata"}` and return its parts."""
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    sender, text, metadata = body.get("sender"), body.get("message"), body.get("metadata")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_LENGTH:
        raise BadRequest(f"'sender' must be a non-empty string of at most {MAX_SENDER_LENGTH}")
    return (sender, *parse_message(text, metadata))


def parse_message(text: Any, metadata: Any) -> tuple[str, dict[str, Any]]:
    """Check a message's text and metadata (the web chat sends these two without a sender)."""
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("'message' must be a non-empty string")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be an object when given")
    return text[:MAX_TEXT_LENGTH], metadata or {}


def inbound(
    request: web.Request,
    sender: str,
    text: str,
    metadata: dict[str, Any],
    channel: str,
    provider_id: str | None = None,
) -> InboundMessage:
    """The message, with the client's address (bot/ops/hardening.py) for the rate limits; its id is
    new unless the caller names it (a message sent again keeps its id, so it is not run twice)."""
    language, country = metadata.get("language"), metadata.get("country")
    return InboundMessage(
        address=request.remote,
        channel=channel,
        provider_id=provider_id or uuid.uuid4().hex,
        sender=sender,
        kind=InboundKind.CHOICE if text.startswith("/") else InboundKind.TEXT,
        text=text,
        language_hint=language if isinstance(language, str) else None,
        country_hint=country.upper() if isinstance(country, str) else None,
    )


def bearer_matches(header: str | None, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time; of bytes, since a header may hold
    any byte (aiohttp decodes it with surrogateescape) and compare_digest takes only ASCII text."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return secrets.compare_digest(given.strip().encode(errors="surrogateescape"), token.encode())


def unauthorized() -> web.Response:
    response = web.json_response({"error": "missing or wrong bearer token"}, status=401)
    response.headers["WWW-Authenticate"] = 'Bearer realm="safespaces-rest"'
    return response


async def answer(
    channel: MailboxChannel,
    accept: Accept,
    message: InboundMessage,
    recipient: str,
    shape: Shape = rasa_format,
) -> web.Response:
    """The turn's replies (in Rasa's format by default), or a 504 when none came in time."""
    replies = await channel.mailbox.exchange(accept, message)
    if replies is None:
        return web.json_response({"error": "no reply in time; try again"}, status=504)
    return web.json_response(shape(recipient, replies))


async def pending(channel: MailboxChannel, recipient: str, shape: Shape = rasa_format) -> web.Response:
    """What a helpline person sent this recipient since the last poll."""
    return web.json_response(shape(recipient, await channel.mailbox.updates(recipient)))


class RestChannel(MailboxChannel):
    def __init__(
        self, redis: Redis, wakeups: Wakeups, *, sealer: Sealer, keys: Keys, token: str | None = None
    ) -> None:
        super().__init__(redis, "rest", wakeups, sealer=sealer, keys=keys)
        self._token = token

    def _refused(self, request: web.Request) -> web.Response | None:
        """401 unless the request carries the token (when one is configured)."""
        if self._token is None or bearer_matches(request.headers.get("Authorization"), self._token):
            return None
        return unauthorized()

    def routes(self, accept: Accept) -> list[web.RouteDef]:
        async def webhook(request: web.Request) -> web.Response:
            if (refused := self._refused(request)) is not None:
                return refused
            try:
                sender, text, metadata = parse_body(await read_json(request))
            except ValueError as error:  # BadRequest, or a body that is not JSON
                return web.json_response({"error": str(error)}, status=400)
            message = inbound(request, sender, text, metadata, self.name)
            return await answer(self, accept, message, sender)

        async def updates(request: web.Request) -> web.Response:
            """Long poll: what a helpline person sent since the last call, waiting up to 20 s for it."""
            if (refused := self._refused(request)) is not None:
                return refused
            sender = request.query.get("sender", "")
            if not sender.strip() or len(sender) > MAX_SENDER_LENGTH:
                return web.json_response({"error": "'sender' is required"}, status=400)
            return await pending(self, sender)

        return [web.post(PATH, webhook), web.get(f"{PATH}/updates", updates)]
