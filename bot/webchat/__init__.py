"""The local web chat at `/`: try the assistant without any messaging account, and see how each
reply would look on Telegram, WhatsApp and SMS (with SMS segments counted). For demos and training.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from bot.channels.preview import preview
from bot.messages import Choice, OutboundMessage
from bot.request_body import read_json

STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _replies(body: Any) -> list[OutboundMessage]:
    if not isinstance(body, dict) or not isinstance(body.get("replies"), list):
        raise ValueError("expected {'replies': [...]}")
    replies = []
    for item in body["replies"]:
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ValueError("each reply needs a text")
        buttons = item.get("buttons") or []
        if not isinstance(buttons, list):
            raise ValueError("a reply's buttons are a list")
        choices = tuple(
            Choice(title=str(b["title"]), payload=str(b["payload"]))
            for b in buttons
            if isinstance(b, dict) and "title" in b and "payload" in b
        )
        replies.append(OutboundMessage(text=item["text"], choices=choices))
    return replies


async def page(request: web.Request) -> web.FileResponse:
    response = web.FileResponse(STATIC / "index.html")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def render_preview(request: web.Request) -> web.Response:
    try:
        return web.json_response(preview(_replies(await read_json(request))))
    except ValueError as error:  # malformed, or buttons that are not ours (no channel could carry them)
        return web.json_response({"error": str(error)}, status=400)


def routes() -> list[web.AbstractRouteDef]:
    return [
        web.get("/", page),
        web.post("/webchat/preview", render_preview),
        web.static("/webchat/static", STATIC),
    ]
