"""The aiohttp application: routes, shared state and the Rasa-compatible REST channel."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.engine import Engine, Reply
from bot.settings import Settings

log = logging.getLogger(__name__)

ENGINE = web.AppKey("engine", Engine)
SETTINGS = web.AppKey("settings", Settings)
MAX_SENDER_LENGTH = 128
MAX_TEXT_LENGTH = 4096


class BadRequest(ValueError):
    """The request body is not a message we can take."""


def parse_rest_body(body: Any) -> tuple[str, str, dict[str, Any]]:
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


def rest_replies(recipient: str, replies: list[Reply]) -> list[dict[str, Any]]:
    return [
        {
            "recipient_id": recipient,
            "text": reply.text,
            "buttons": [{"title": title, "payload": payload} for title, payload in reply.buttons],
        }
        for reply in replies
    ]


async def rest_webhook(request: web.Request) -> web.Response:
    try:
        sender, text, metadata = parse_rest_body(await request.json())
    except ValueError as error:  # BadRequest, or JSON that does not decode
        return web.json_response({"error": str(error)}, status=400)
    engine = request.app[ENGINE]
    language = metadata.get("language")
    country = metadata.get("country")
    replies = await engine.handle(
        sender,
        text,
        language=language if isinstance(language, str) else None,
        country=country.upper() if isinstance(country, str) else None,
        channel="rest",
        metadata={},
    )
    return web.json_response(rest_replies(sender, replies))


async def root(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    return web.json_response({"service": "safespaces", "languages": engine.languages})


def create_app(settings: Settings, engine: Engine) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[SETTINGS] = settings
    app[ENGINE] = engine
    app.router.add_post("/webhooks/rest/webhook", rest_webhook)
    app.router.add_get("/webhooks/rest/", root)
    return app
