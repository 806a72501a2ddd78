"""Telegram through python-telegram-bot: secret-checked webhook or polling, inline keyboards, and
quick exit that deletes the conversation from the person's phone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.request import HTTPXRequest

from bot.channels.base import Accept, Budget, PermanentSendError, TransientSendError
from bot.channels.telegram.chat_log import ChatLog
from bot.channels.telegram.parse import NotForUs, parse_update
from bot.channels.telegram.render import TelegramMessage, render
from bot.ops.request_body import loads
from bot.pipeline.messages import OutboundMessage
from bot.pipeline.outages import outlasting_outages
from bot.storage.keys import Keys

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  # a header name, not a secret
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "message_reaction"]
POLL_TIMEOUT_SECONDS = 25
DELETE_LIMIT = 100  # message ids per deleteMessages call
# Quick exit runs while the person waits: a couple of short retries, then it stops trying.
WIPE_ATTEMPTS = 3
WIPE_BACKOFF_SECONDS = 0.3
WIPE_MAX_WAIT_SECONDS = 3.0


class TelegramChannel:
    name = "telegram"
    # Telegram asks for about one message per second in a chat but allows short bursts (a turn's two
    # or three messages); sustained overruns get 429 + retry_after, which the outbox honours.
    per_recipient_rate = 3.0
    overall_rate = 30.0  # and about 30 per second in all
    budget: Budget | None = None  # no cost per message: a turn goes out whole

    def __init__(
        self, *, token: str, secret_token: str | None, api_url: str, polling: bool, redis: Redis, keys: Keys
    ) -> None:
        # PTB logs each call's parameters (chat id, text) at DEBUG and httpx each URL, which holds the
        # bot token, at INFO: neither may reach the logs, whatever the root level.
        for name in ("telegram", "httpx"):
            logging.getLogger(name).setLevel(logging.WARNING)
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
        self._chat_log = ChatLog(redis, keys)

    def routes(self, accept: Accept) -> list[web.RouteDef]:
        self._accept = accept

        async def webhook(request: web.Request) -> web.Response:
            header = request.headers.get(SECRET_HEADER)
            if header is None:
                return web.json_response({"error": "missing secret token"}, status=401)
            # As bytes: compare_digest refuses non-ASCII text, and the header may hold any byte.
            given = header.encode(errors="surrogateescape")
            if self._secret is None or not secrets.compare_digest(given, self._secret.encode()):
                return web.json_response({"error": "wrong secret token"}, status=403)
            try:
                data = loads(await request.read())
                if not isinstance(data, dict):
                    raise ValueError("an update is a JSON object")
                await self._receive(data, accept)
            except ValueError as error:
                return web.json_response({"error": f"malformed update: {error}"}, status=400)
            return web.json_response({"ok": True})

        return [web.post(WEBHOOK_PATH, webhook)]

    async def _receive(self, data: dict[str, Any], accept: Accept) -> None:
        try:
            parsed = parse_update(data, self.bot)
        except NotForUs:
            return
        # PTB builds its types unchecked: fields missing or of another type, and dates no datetime holds
        # (OverflowError, or OSError for a large negative one) surface here.
        except (KeyError, TypeError, AttributeError, OverflowError, OSError) as error:
            raise ValueError(type(error).__name__) from error
        if parsed.callback_query_id is not None:
            self._spawn(self._answer_callback(parsed.callback_query_id))
        if parsed.own_message is not None:  # a pressed button's message is ours, recorded when sent
            await self._record(parsed.message.sender, parsed.own_message)
        await accept(parsed.message)

    async def _record(self, chat_id: str, message: Message) -> None:
        """Keep the id for quick exit; Telegram has the message already, so wait out a Redis restart."""
        sent_at = message.date.timestamp()
        await outlasting_outages(partial(self._chat_log.record, chat_id, message.message_id, sent_at))

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
            raise TransientSendError("telegram 429", retry_after=_seconds(error.retry_after)) from error
        except BadRequest as error:  # a NetworkError subclass in PTB: check it first
            raise PermanentSendError(f"telegram refused: {error.message}") from error
        except Forbidden as error:
            raise PermanentSendError("telegram: the person blocked the bot") from error
        except (TimedOut, NetworkError) as error:  # timeouts, connection errors and 5xx
            raise TransientSendError(f"telegram unavailable: {type(error).__name__}") from error
        except TelegramError as error:
            raise PermanentSendError(f"telegram refused: {error.message}") from error
        await self._record(recipient, sent)
        return str(sent.message_id)

    async def wipe(self, recipient: str) -> bool:
        """Delete the last 48 hours of this chat, both sides, newest first; True if any of it went.

        False when nothing could be deleted (no ids on record, or every call refused or failed):
        older messages may still be there, so the gateway's neutral line should be the last one.
        The log is emptied either way; Telegram errors are logged by class and never raised.
        """
        ids = await self._chat_log.take(recipient)
        deleted = False
        for start in range(0, len(ids), DELETE_LIMIT):
            deleted |= await self._delete(int(recipient), ids[start : start + DELETE_LIMIT])
        return deleted

    async def opted_out(self, recipient: str) -> bool:
        """A blocked bot fails its sends; there is no opt-out word to keep."""
        return False

    async def forget(self, recipient: str) -> None:
        """The message ids go; the messages stay on her phone (quick exit is what deletes them)."""
        await self._chat_log.forget(recipient)

    async def _delete(self, chat_id: int, ids: Sequence[int]) -> bool:
        """One deleteMessages call; a timeout, 5xx or short 429 is tried again, a refusal is not."""
        for attempt in range(1, WIPE_ATTEMPTS + 1):
            try:
                return await self.bot.delete_messages(chat_id, ids)
            except RetryAfter as error:
                delay = _seconds(error.retry_after)
                if delay > WIPE_MAX_WAIT_SECONDS:
                    break
            except TelegramError as error:
                # Timeouts, connection errors and 5xx are NetworkErrors, and so, in PTB, is BadRequest
                # (too old, already gone); it and the rest (blocked, bad token) won't change on a retry.
                if isinstance(error, BadRequest) or not isinstance(error, NetworkError):
                    log.info("telegram.wipe_refused error=%s", type(error).__name__)
                    return False
                log.info("telegram.wipe_unavailable error=%s attempt=%d", type(error).__name__, attempt)
                delay = WIPE_BACKOFF_SECONDS * 2 ** (attempt - 1)
            if attempt < WIPE_ATTEMPTS:
                await asyncio.sleep(delay)
        log.warning("telegram.wipe_gave_up")
        return False

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


def _seconds(retry_after: int | timedelta) -> float:
    """PTB gives `retry_after` as int seconds or, when configured to, as a timedelta."""
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
