"""The local web chat at `/`: try the assistant without any messaging account, and see how each
reply would look on Telegram, WhatsApp and SMS (with SMS segments counted). For demos and training.

Who is writing is not the page's to say: the first visit gets a random token in an HttpOnly,
SameSite=Strict cookie, and the conversation's sender id is an HMAC of it under the app's secret. So a
sender id seen anywhere (a log, a Redis key) cannot be turned back into the cookie, and nobody without
the cookie can write into or read from that conversation. Messages take the same gateway path and the
same reply delivery as the REST channel (bot/channels/mailbox.py).

The page is a survivor's, too: a "Leave quickly" button (and Esc) clears it, sends the chat's own
quick exit (the text "/quick_exit" through `/chat/messages`, then `/chat/restart`) and replaces it
with the neutral site of QUICK_EXIT_URL, rendered into the page for the script to read.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from bot.channels.base import Accept
from bot.channels.mailbox import MailboxChannel, previewable_format
from bot.channels.preview import preview
from bot.channels.rest import answer, inbound, parse_message, pending
from bot.handoff.console_auth import cookie
from bot.ops.request_body import read_json
from bot.pipeline.messages import Choice, OutboundMessage
from bot.pipeline.outbox import MORE
from bot.storage.keys import Keys
from bot.storage.sealing import Sealer
from bot.storage.wakeups import Wakeups

STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
COOKIE = "webchat"
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
SENDER_CONTEXT = b"safespaces web chat sender\x00"
CLIENT_ID = re.compile(r"[0-9a-f]{32}")  # the page's id of one message, kept across its retries
QUICK_EXIT_SLOT = "{{QUICK_EXIT_URL}}"  # in index.html; served raw, the script falls back to its default


def _optional_text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"a reply's {name} is a string when given")
    return value


def _replies(body: Any) -> list[OutboundMessage]:
    """The replies as the web chat received them (bot/channels/mailbox.py `previewable_format`)."""
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
            Choice(title=str(b["title"]), payload=str(b["payload"]), sms=_optional_text(b, "sms"))
            for b in buttons
            if isinstance(b, dict) and "title" in b and "payload" in b
        )
        language, sms = _optional_text(item, "language"), _optional_text(item, "sms")
        replies.append(OutboundMessage(text=item["text"], choices=choices, language=language, sms=sms))
    return replies


def render_page(quick_exit_url: str) -> str:
    """index.html with the neutral site filled in (an attribute value: escaped)."""
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    return page.replace(QUICK_EXIT_SLOT, html.escape(quick_exit_url, quote=True))


def message_id(sender: str, client_id: Any) -> str | None:
    """The id of a message the page may send again after a network error: its own random id, bound
    to this browser's sender so that no other browser can name it; None for a new id."""
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        return None
    return hashlib.sha256(f"{sender}\x00{client_id}".encode()).hexdigest()


def no_chat() -> web.Response:
    return web.json_response({"error": "no chat in this browser yet: reload the page"}, status=401)


class WebChatChannel(MailboxChannel):
    """The page, its preview and its chat endpoints; a browser's cookie is its only credential."""

    def __init__(
        self,
        redis: Redis,
        wakeups: Wakeups,
        secret: str,
        *,
        cookie_secure: bool,
        quick_exit_url: str,
        sealer: Sealer,
        keys: Keys,
        fold: bool = True,
        more: Callable[[str | None], str] = lambda language: "More",
    ) -> None:
        """`fold` (SMS_FOLD) and `more` (the "More" choice's title in a language) shape the SMS
        preview as the outbox shapes an SMS turn."""
        # a page may send a message again: its answer is kept a minute
        super().__init__(redis, "web", wakeups, sealer=sealer, keys=keys, keep_answers=True)
        self._key = hashlib.sha256(SENDER_CONTEXT + secret.encode()).digest()
        self._cookie_secure = cookie_secure
        self._page = render_page(quick_exit_url)
        self._fold = fold
        self._more = more

    async def preview(self, request: web.Request) -> web.Response:
        try:
            replies = _replies(await read_json(request))
            language = next((reply.language for reply in replies if reply.language), None)
            more = Choice(title=self._more(language), payload=MORE)
            return web.json_response(preview(replies, more=more, folded=self._fold))
        except ValueError as error:  # malformed, or buttons that are not ours (no channel could carry them)
            return web.json_response({"error": str(error)}, status=400)

    def sender_of(self, request: web.Request) -> str | None:
        """This browser's sender id, or None without a cookie we could have issued."""
        token = cookie(request, COOKIE)
        if token is None or not TOKEN.fullmatch(token):
            return None
        return "web-" + hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()

    def _issue(self, response: web.StreamResponse) -> None:
        """A new chat for this browser: a fresh token, for this browser session only."""
        response.set_cookie(
            COOKIE,
            secrets.token_urlsafe(32),
            path="/",
            httponly=True,
            samesite="Strict",
            secure=self._cookie_secure,
        )

    async def page(self, request: web.Request) -> web.Response:
        response = web.Response(text=self._page, content_type="text/html")
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"  # the neutral site does not learn of us
        response.headers["Cache-Control"] = "no-store"  # nothing of the chat left in the browser's cache
        if self.sender_of(request) is None:
            self._issue(response)
        return response

    def routes(self, accept: Accept) -> list[web.AbstractRouteDef]:
        async def messages(request: web.Request) -> web.Response:
            if (sender := self.sender_of(request)) is None:
                return no_chat()
            try:
                body = await read_json(request)
                if not isinstance(body, dict):
                    raise ValueError("body must be a JSON object")
                text, metadata = parse_message(body.get("message"), body.get("metadata"))
            except ValueError as error:
                return web.json_response({"error": str(error)}, status=400)
            message = inbound(request, sender, text, metadata, self.name, message_id(sender, body.get("id")))
            return await answer(self, accept, message, sender, shape=previewable_format)

        async def updates(request: web.Request) -> web.Response:
            """Long poll for what a helpline person wrote to this browser's chat."""
            if (sender := self.sender_of(request)) is None:
                return no_chat()
            return await pending(self, sender, shape=previewable_format)

        async def restart(request: web.Request) -> web.Response:
            """A new conversation: the old one stays with the old token, which the browser forgets."""
            if self.sender_of(request) is None:
                return no_chat()
            response = web.Response(status=204)
            self._issue(response)
            return response

        return [
            web.get("/", self.page),
            web.post("/chat/messages", messages),
            web.get("/chat/updates", updates),
            web.post("/chat/restart", restart),
            web.post("/webchat/preview", self.preview),
            web.static("/webchat/static", STATIC),
        ]
