"""The Rasa-compatible REST channel: `POST /webhooks/rest/webhook`, replies in the HTTP response.

It runs through the same gateway as every provider (dedupe, order, outbox); its "send" puts the
turn's replies on a Redis list that the waiting request pops, so the answer reaches the caller
whichever replica ran the turn.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from bot.channels.base import Accept
from bot.conversations import PREFIX, replies_from_json, replies_to_json
from bot.messages import InboundKind, InboundMessage, OutboundMessage
from bot.request_body import read_json

MAX_SENDER_LENGTH = 128
MAX_TEXT_LENGTH = 4096
REPLY_TIMEOUT_SECONDS = 30
UPDATES_WAIT_SECONDS = 20
PUSH_SECONDS = 24 * 3600  # a helpline message waits a day for the page to fetch it


class BadRequest(ValueError):
    """The request body is not a message we can take."""


def parse_body(body: Any) -> tuple[str, str, dict[str, Any]]:
    """Validate `{"sender", "message", "metadata"}` and return its parts."""
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    sender, text, metadata = body.get("sender"), body.get("message"), body.get("metadata")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_LENGTH:
        raise BadRequest(f"'sender' must be a non-empty string of at most {MAX_SENDER_LENGTH}")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("'message' must be a non-empty string")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be an object when given")
    return sender, text[:MAX_TEXT_LENGTH], metadata or {}


def inbound(sender: str, text: str, metadata: dict[str, Any], channel: str) -> InboundMessage:
    language, country = metadata.get("language"), metadata.get("country")
    return InboundMessage(
        channel=channel,
        provider_id=uuid.uuid4().hex,
        sender=sender,
        kind=InboundKind.CHOICE if text.startswith("/") else InboundKind.TEXT,
        text=text,
        language_hint=language if isinstance(language, str) else None,
        country_hint=country.upper() if isinstance(country, str) else None,
    )


def rasa_format(recipient: str, replies: Sequence[OutboundMessage]) -> list[dict[str, Any]]:
    return [
        {
            "recipient_id": recipient,
            "text": reply.text,
            "buttons": [{"title": c.title, "payload": c.payload} for c in reply.choices],
        }
        for reply in replies
    ]


def reply_key(message_id: str) -> str:
    return f"{PREFIX}:rest:reply:{message_id}"


def push_key(recipient: str) -> str:
    """Messages nobody's request is waiting for (a helpline person wrote), fetched from /updates."""
    return f"{PREFIX}:rest:push:{hashlib.sha256(recipient.encode()).hexdigest()}"


class RestChannel:
    """Also serves the local web chat (channel name "web"), which speaks the same format."""

    per_recipient_rate = 0.0
    overall_rate = 0.0

    def __init__(self, redis: Redis, name: str = "rest", path: str = "/webhooks/rest/webhook") -> None:
        self.name = name
        self._path = path
        self._redis = redis

    def routes(self, accept: Accept) -> list[web.RouteDef]:
        async def webhook(request: web.Request) -> web.Response:
            try:
                sender, text, metadata = parse_body(await read_json(request))
            except ValueError as error:  # BadRequest, or a body that is not JSON
                return web.json_response({"error": str(error)}, status=400)
            message = inbound(sender, text, metadata, self.name)
            await accept(message)
            popped = await self._redis.blpop([reply_key(message.provider_id)], timeout=REPLY_TIMEOUT_SECONDS)
            if popped is None:
                return web.json_response({"error": "no reply in time; try again"}, status=504)
            return web.json_response(rasa_format(sender, replies_from_json(popped[1])))

        async def updates(request: web.Request) -> web.Response:
            """Long poll: what a helpline person sent since the last call, waiting up to 20 s for it."""
            sender = request.query.get("sender", "")
            if not sender.strip() or len(sender) > MAX_SENDER_LENGTH:
                return web.json_response({"error": "'sender' is required"}, status=400)
            popped = await self._redis.blpop([push_key(sender)], timeout=UPDATES_WAIT_SECONDS)
            batches = [popped[1]] if popped is not None else []
            while (more := await self._redis.lpop(push_key(sender))) is not None:
                batches.append(more)
            replies = [reply for batch in batches for reply in replies_from_json(batch)]
            return web.json_response(rasa_format(sender, replies))

        return [web.post(self._path, webhook), web.get(f"{self._path}/updates", updates)]

    def render(self, replies: Sequence[OutboundMessage]) -> list[str]:
        return [replies_to_json(replies)]

    async def send(self, recipient: str, request: str, reply_to: str) -> str | None:
        """A turn's replies go to the request waiting for them; anything else waits for /updates."""
        key, ttl = (
            (reply_key(reply_to), REPLY_TIMEOUT_SECONDS * 2)
            if reply_to
            else (push_key(recipient), PUSH_SECONDS)
        )
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, request)
            pipe.expire(key, ttl)
            await pipe.execute()
        return None

    async def wipe(self, recipient: str) -> bool:
        """Whatever the caller shows (the web chat's page, too) is out of our reach."""
        return False

    async def forget(self, recipient: str) -> None:
        """Replies wait under their message id for a minute; only unfetched pushes are the person's."""
        await self._redis.delete(push_key(recipient))

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
