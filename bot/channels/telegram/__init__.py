"""Telegram through python-telegram-bot: secret-checked webhook or polling, inline keyboards."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from bot.channels.base import Accept, PermanentSendError, TransientSendError
from bot.channels.telegram.parse import NotForUs, parse_update
from bot.channels.telegram.render import TelegramMessage, render
from bot.messages import OutboundMessage

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  # a header name, not a secret
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "message_reaction"]
POLL_TIMEOUT_SECONDS = 25


class TelegramChannel:
    name = "telegram"
    # Telegram asks for about one message per second in a chat but allows short bursts (a turn's two
    # or three messages); sustained overruns get 429 + retry_after, which the outbox honours.
    per_recipient_rate = 3.0
    overall_rate = 30.0  # and about 30 per second in all

    def __init__(self, *, token: str, secret_token: str | None, api_url: str, polling: bool) -> None:
        self._secret = secret_token
        self._polling = polling
        self.bot = Bot(
            token,
            base_url=f"{api_url.rstrip('/')}/bot",
            base_file_url=f"{api_url.rstrip('/')}/file/bot",
            request=HTTPXRequest(connection_pool_size=16),
            get_updates_request=HTTPXRequest(read_timeout=POLL_TIMEOUT_SECONDS + 10),
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._accept: Accept | None = None

    def routes(self, accept: Accept) -> list[web.RouteDef]:
        self._accept = accept

        async def webhook(request: web.Request) -> web.Response:
            given = request.headers.get(SECRET_HEADER, "")
            if self._secret is None or not secrets.compare_digest(given, self._secret):
                return web.json_response({"error": "bad or missing secret token"}, status=401)
            try:
                data = json.loads(await request.read())
                if not isinstance(data, dict):
                    raise ValueError("an update is a JSON object")
                await self._receive(data, accept)
            except ValueError as error:
                return web.json_response({"error": f"malformed update: {error}"}, status=400)
            return web.json_response({"ok": True})

        return [web.post(WEBHOOK_PATH, webhook)]

    async def _receive(self, data: dict[str, Any], accept: Accept) -> None:
        try:
            message, callback_query_id = parse_update(data, self.bot)
        except NotForUs:
            return
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(type(error).__name__) from error
        if callback_query_id is not None:
            self._spawn(self._answer_callback(callback_query_id))
        await accept(message)

    async def _answer_callback(self, query_id: str) -> None:
        """Stop the button's spinner; a failure here loses nothing."""
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as error:
            log.info("telegram.answer_callback_failed error=%s", type(error).__name__)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def render(self, replies: Sequence[OutboundMessage]) -> list[TelegramMessage]:
        return render(replies)

    async def send(self, recipient: str, request: TelegramMessage, reply_to: str) -> str | None:
        markup = None
        if request.buttons:
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(title, callback_data=data)] for title, data in request.buttons]
            )
        try:
            sent = await self.bot.send_message(int(recipient), request.text, reply_markup=markup)
        except RetryAfter as error:
            retry = error.retry_after
            seconds = retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            raise TransientSendError("telegram 429", retry_after=seconds) from error
        except BadRequest as error:  # a NetworkError subclass in PTB: check it first
            raise PermanentSendError(f"telegram refused: {error.message}") from error
        except Forbidden as error:
            raise PermanentSendError("telegram: the person blocked the bot") from error
        except (TimedOut, NetworkError) as error:  # timeouts, connection errors and 5xx
            raise TransientSendError(f"telegram unavailable: {type(error).__name__}") from error
        except TelegramError as error:
            raise PermanentSendError(f"telegram refused: {error.message}") from error
        return str(sent.message_id)

    async def start(self) -> None:
        await self.bot.initialize()
        if self._polling:
            self._poller = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        await self.bot.shutdown()

    async def set_webhook(self, url: str) -> None:
        await self.bot.set_webhook(url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES)

    async def _poll(self) -> None:
        """For deployments without a public HTTPS address: long-poll getUpdates."""
        assert self._accept is not None, "routes() registers the gateway first"
        await self.bot.delete_webhook()
        offset: int | None = None
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT_SECONDS, allowed_updates=ALLOWED_UPDATES
                )
            except TelegramError as error:
                log.warning("telegram.poll_failed error=%s", type(error).__name__)
                await asyncio.sleep(2)
                continue
            for update in updates:
                try:
                    await self._receive(update.to_dict(), self._accept)
                except ValueError:
                    log.warning("telegram.poll_malformed_update")
                offset = update.update_id + 1
