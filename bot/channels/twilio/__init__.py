"""Twilio Programmable Messaging: SMS for feature phones, and WhatsApp through Twilio.

Twilio POSTs each incoming message as a form signed with X-Twilio-Signature (HMAC-SHA1, keyed by the
auth token, over the URL Twilio called and the form's parameters); the signature is checked before
anything else. The webhook stores the message and answers an empty TwiML <Response/> at once: replies
always leave through the REST API from the outbox, never as TwiML, so Twilio's 15-second webhook
timeout never matters and a slow turn loses nothing.

Numbered replies: the choices of the last body sent to a number are kept in Redis for a day, so that
"2" in the person's next message means the second of them. Opt-out: a STOP word in any language we
serve marks the number; nothing more is sent to it (each attempt is recorded as a failure) until a
START word. Both keys are named by a keyed pseudonym of the number, never the number itself; the
opt-out lasts the retention period after her last message, like everything else kept about her.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping, Sequence
from functools import partial

import aiohttp
from aiohttp import web
from redis.asyncio import Redis
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.base import Accept, Budget, PermanentSendError, SendError, TransientSendError
from bot.channels.twilio.parse import CHANNEL, Keyword, parse_form
from bot.channels.twilio.render import TwilioMessage, render, sms_budget
from bot.ops.request_body import read_form
from bot.ops.settings import TwilioSettings
from bot.pipeline.delivery import DeliveryStatuses
from bot.pipeline.messages import InboundMessage, OutboundMessage
from bot.pipeline.outages import outlasting_outages
from bot.storage.keys import Keys
from bot.storage.pseudonyms import Pseudonymizer

WEBHOOK_PATH = "/webhooks/twilio/webhook"
STATUS_PATH = "/webhooks/twilio/status"
SIGNATURE_HEADER = "X-Twilio-Signature"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
CHOICES_TTL_SECONDS = 24 * 3600
# twilio's async client sets no timeout of its own.
SEND_TIMEOUT_SECONDS = 15.0
_STATUS = re.compile(r"[a-z_]{1,32}")  # queued, sent, delivered, undelivered, failed, read, …
# What staff see for Twilio's commonest refusals; its own message may quote the phone number.
REFUSALS = {
    21211: "not a valid phone number",
    21610: "the recipient replied STOP to this sender",
    21614: "not a mobile number",
    63016: "outside WhatsApp's 24-hour window",
}


def send_error(error: TwilioRestException) -> SendError:
    """Rate limits and Twilio's own failures are worth retrying; every other refusal is final."""
    if error.status == 429 or error.code == 20429 or error.status >= 500:
        return TransientSendError(f"twilio {error.status} (code {error.code})")
    reason = REFUSALS.get(error.code, f"HTTP {error.status}")
    return PermanentSendError(f"twilio refused (code {error.code}): {reason}")


class TwilioChannel:
    name = CHANNEL
    # A long code sends about one SMS segment a second; Twilio queues the rest. One message a second,
    # to each person and in all, keeps that queue short. A short code or a pool of senders allows more.
    per_recipient_rate = 1.0
    overall_rate = 1.0

    def __init__(
        self,
        settings: TwilioSettings,
        public_url: str,
        redis: Redis,
        *,
        pseudonym: Pseudonymizer,
        retention_seconds: int,
        fold: bool = True,
    ) -> None:
        # twilio-python logs every request (URL with the account SID, headers) at INFO.
        logging.getLogger("twilio").setLevel(logging.WARNING)
        self._settings = settings
        self._public_url = public_url.rstrip("/")
        self._redis = redis
        self._keys = Keys(pseudonym)
        self._retention_seconds = retention_seconds
        self._validator = RequestValidator(settings.auth_token)
        self._statuses = DeliveryStatuses(redis)
        self._sms = not settings.sender.startswith("whatsapp:")
        self._fold = fold
        # Every SMS segment is paid for: a turn's replies beyond the budget wait for "more".
        self.budget: Budget | None = sms_budget(folded=fold) if self._sms else None
        sender_field = "messaging_service_sid" if settings.sender.startswith("MG") else "from_"
        self._sender = {sender_field: settings.sender}
        self._http: AsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    def routes(self, accept: Accept) -> list[web.RouteDef]:
        async def webhook(request: web.Request) -> web.Response:
            form = await self._verified_form(request)
            try:
                message = await self._parse(form)
            except ValueError as error:
                return web.Response(status=400, text=f"malformed webhook: {error}")
            await accept(message)
            return web.Response(text=EMPTY_TWIML, content_type="text/xml")

        async def status(request: web.Request) -> web.Response:
            form = await self._verified_form(request)
            sid, state = form.get("MessageSid", ""), form.get("MessageStatus", "")
            if not sid or not _STATUS.fullmatch(state):
                return web.Response(status=400, text="MessageSid and MessageStatus are required")
            await self._statuses.record(self.name, sid, state, form.get("ErrorCode") or None)
            return web.Response()

        return [web.post(WEBHOOK_PATH, webhook), web.post(STATUS_PATH, status)]

    async def _verified_form(self, request: web.Request) -> dict[str, str]:
        """The form, once its signature shows Twilio sent it to our public URL; else 401, 403, or 400
        for a body that is no urlencoded form."""
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            raise web.HTTPUnauthorized(text=f"missing {SIGNATURE_HEADER}")
        try:
            form = await read_form(request)
        except ValueError as error:
            raise web.HTTPBadRequest(text=f"malformed form: {error}") from None
        url = self._public_url + request.rel_url.raw_path_qs
        if not self._validator.validate(url, form, signature):
            raise web.HTTPForbidden(text=f"bad {SIGNATURE_HEADER}")
        return dict(form.items())

    def choices_key(self, sender: str) -> str:
        return self._keys.unlinked("twilio:choices", f"{CHANNEL}:{sender}")

    def opt_out_key(self, sender: str) -> str:
        """A pseudonym of its own: the opt-out outlives an erasure, and links to nothing else kept."""
        return self._keys.unlinked("twilio:opted_out", f"{CHANNEL}:{sender}")

    async def _parse(self, form: Mapping[str, str]) -> InboundMessage:
        """Parse with the sender's last numbered choices; keep their opt-out state (an opt-out lasts
        the retention period after her last message)."""
        sender = form.get("From", "")
        stored = None
        if sender:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(self.choices_key(sender))
                pipe.expire(self.opt_out_key(sender), self._retention_seconds)
                stored, _ = await pipe.execute()
        message, keyword = parse_form(form, json.loads(stored) if stored else ())
        # Before the message is accepted, so that no reply to it slips out after a STOP.
        if keyword is Keyword.STOP:
            await self._redis.set(self.opt_out_key(sender), "1", ex=self._retention_seconds)
        elif keyword is Keyword.START:
            await self._redis.delete(self.opt_out_key(sender))
        return message

    def render(self, replies: Sequence[OutboundMessage]) -> list[TwilioMessage]:
        return render(replies, sms=self._sms, folded=self._fold)

    async def send(self, recipient: str, request: TwilioMessage, reply_to: str) -> str | None:
        if await self.opted_out(recipient):
            raise PermanentSendError("twilio: the recipient opted out")
        assert self._client is not None, "start() creates the client"
        create = self._client.messages.create_async(
            to=recipient,
            body=request.body,
            status_callback=self._public_url + STATUS_PATH,
            **self._sender,
        )
        try:
            sent = await asyncio.wait_for(create, SEND_TIMEOUT_SECONDS)
        except TwilioRestException as error:
            raise send_error(error) from None  # its message may quote the number: leave it out
        except (TimeoutError, aiohttp.ClientError) as error:
            raise TransientSendError(f"twilio unreachable: {type(error).__name__}") from error
        await outlasting_outages(partial(self._remember_choices, recipient, request.choices))
        return str(sent.sid)

    async def wipe(self, recipient: str) -> bool:
        """Neither an SMS nor a WhatsApp message through Twilio can be taken back from a phone."""
        return False

    async def opted_out(self, recipient: str) -> bool:
        """She sent STOP: nothing may be sent to her until START."""
        return bool(await self._redis.exists(self.opt_out_key(recipient)))

    async def forget(self, recipient: str) -> None:
        """The last numbered choices go; a STOP stays, since it is what keeps us from texting them."""
        await self._redis.delete(self.choices_key(recipient))

    async def _remember_choices(self, recipient: str, choices: tuple[str, ...]) -> None:
        """What "1", "2" … mean in the person's next message: the list of the last body sent."""
        if choices:
            await self._redis.set(self.choices_key(recipient), json.dumps(choices), ex=CHOICES_TTL_SECONDS)
        else:
            await self._redis.delete(self.choices_key(recipient))

    async def start(self) -> None:
        self._http = AsyncTwilioHttpClient()  # its aiohttp session needs the running loop
        self._client = Client(self._settings.account_sid, self._settings.auth_token, http_client=self._http)
        # Every REST call is built from the Api domain's base_url at call time (Domain.absolute_url).
        self._client.api.base_url = self._settings.api_url.rstrip("/")

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
