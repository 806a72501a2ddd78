"""WhatsApp Cloud API: signed webhooks in, Graph API messages out, within the 24-hour window.

WhatsApp takes free-form messages only within 24 hours of the person's last message. The time of
each person's last message is kept in Redis (for a little over a day); a reply outside the window,
known from that record or learnt from error 131047 when there is none, is replaced by the deployment's
approved template, which invites the person to write again: at most once until they do, so a long
turn does not become a string of templates. Without a template the reply fails permanently and is
recorded as such.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from functools import partial

import httpx
from aiohttp import web
from redis.asyncio import Redis

from bot.channels.base import Accept, Budget, PermanentSendError, SendError, TransientSendError
from bot.channels.whatsapp.parse import CHANNEL, parse_webhook
from bot.channels.whatsapp.render import TemplateMessage, WhatsAppMessage, render, to_json
from bot.ops.request_body import loads
from bot.ops.settings import WhatsAppSettings
from bot.pipeline.delivery import DeliveryStatuses
from bot.pipeline.messages import InboundMessage, OutboundMessage
from bot.pipeline.outages import outlasting_outages
from bot.storage.keys import WHATSAPP_WINDOW, Keys

WEBHOOK_PATH = "/webhooks/whatsapp/webhook"
SIGNATURE_HEADER = "X-Hub-Signature-256"
WINDOW_SECONDS = 24 * 3600
WINDOW_KEY_SECONDS = WINDOW_SECONDS + 3600
SEND_TIMEOUT_SECONDS = 15.0
OUTSIDE_WINDOW = 131047
# Graph error codes worth another try: throttling, and trouble on Meta's side.
TRANSIENT_CODES = frozenset({4, 80007, 130429, 131056, 2, 131000, 131016})
# For staff reading failures; the Graph message itself may quote the recipient, so it is not kept.
KNOWN_CODES = {
    190: "access token invalid or expired",
    131026: "undeliverable (not on WhatsApp, or an outdated app)",
    131047: "outside the 24-hour window",
    130429: "rate limited",
    131056: "rate limited for this recipient",
}

# KEYS: the person's window hash; ARGV: time of a message, ttl. Keeps the latest time: a webhook
# re-delivered late must not shorten the window.
_RECORD_INBOUND = """
local last = tonumber(redis.call('HGET', KEYS[1], 'inbound') or '0')
if tonumber(ARGV[1]) > last then
  redis.call('HSET', KEYS[1], 'inbound', ARGV[1])
end
return redis.call('EXPIRE', KEYS[1], ARGV[2])
"""


class OutsideWindow(PermanentSendError):
    """WhatsApp refused a free-form message: 24 hours have passed since the person wrote."""


class WhatsAppChannel:
    name = CHANNEL
    # Meta's pair rate is one message per 6 s to a person, with bursts tolerated: a turn's two or three
    # messages go out at once; going over answers 131056, which the outbox retries with backoff.
    # Throughput is 80 per second for a phone number.
    per_recipient_rate = 3.0
    overall_rate = 80.0
    budget: Budget | None = None  # no cost per message: a turn goes out whole

    def __init__(self, settings: WhatsAppSettings, redis: Redis, keys: Keys) -> None:
        self._settings = settings
        self._redis = redis
        self._keys = keys
        self._statuses = DeliveryStatuses(redis)
        self._messages_url = f"{settings.api_url.rstrip('/')}/{settings.phone_number_id}/messages"
        self._client: httpx.AsyncClient | None = None

    def window_key(self, wa_id: str) -> str:
        return self._keys.person(WHATSAPP_WINDOW, f"{CHANNEL}:{wa_id}")

    def routes(self, accept: Accept) -> list[web.RouteDef]:
        async def verify(request: web.Request) -> web.Response:
            """Meta's subscription check: echo the challenge to whoever knows the verify token."""
            token = request.query.get("hub.verify_token", "")
            known = secrets.compare_digest(token.encode(), self._settings.verify_token.encode())
            if request.query.get("hub.mode") == "subscribe" and known:
                return web.Response(text=request.query.get("hub.challenge", ""))
            return web.json_response({"error": "verification failed"}, status=403)

        async def webhook(request: web.Request) -> web.Response:
            body = await request.read()
            signature = request.headers.get(SIGNATURE_HEADER)
            if signature is None:
                return web.json_response({"error": "missing signature"}, status=401)
            given = signature.encode(errors="surrogateescape")  # a header may hold any byte
            if not hmac.compare_digest(given, self._signature(body).encode()):
                return web.json_response({"error": "bad signature"}, status=403)
            try:
                messages, statuses = parse_webhook(loads(body), self._settings.phone_number_id)
            except ValueError as error:
                return web.json_response({"error": f"malformed webhook: {error}"}, status=400)
            for status in statuses:
                await self._statuses.record(CHANNEL, status.message_id, status.status, status.error)
            for message in messages:
                await self._record_inbound(message)
                await accept(message)
            return web.json_response({"ok": True})

        return [web.get(WEBHOOK_PATH, verify), web.post(WEBHOOK_PATH, webhook)]

    def _signature(self, body: bytes) -> str:
        digest = hmac.new(self._settings.app_secret.encode(), body, hashlib.sha256).hexdigest()
        return f"sha256={digest}"

    async def _record_inbound(self, message: InboundMessage) -> None:
        await self._redis.eval(
            _RECORD_INBOUND, 1, self.window_key(message.sender), message.received_at, WINDOW_KEY_SECONDS
        )

    def render(self, replies: Sequence[OutboundMessage]) -> list[WhatsAppMessage]:
        return render(replies)

    async def send(self, recipient: str, request: WhatsAppMessage, reply_to: str) -> str | None:
        raw_inbound, raw_template = await self._redis.hmget(
            self.window_key(recipient), ["inbound", "template"]
        )
        inbound, template = float(raw_inbound or 0), float(raw_template or 0)
        if raw_inbound is None or time.time() - inbound < WINDOW_SECONDS:
            try:
                return await self._post(recipient, request)
            except OutsideWindow:
                pass  # no record, or ours and WhatsApp's disagree: WhatsApp decides
        return await self._reengage(recipient, template_sent_since=template > inbound)

    async def wipe(self, recipient: str) -> bool:
        """The Cloud API cannot delete a message from the person's phone."""
        return False

    async def opted_out(self, recipient: str) -> bool:
        """Meta keeps opt-outs (blocking the number) itself; nothing to keep here."""
        return False

    async def forget(self, recipient: str) -> None:
        """Without the 24-hour window record the next send is tried as-is, and WhatsApp decides."""
        await self._redis.delete(self.window_key(recipient))

    async def _reengage(self, recipient: str, *, template_sent_since: bool) -> str:
        """Send the template in place of a reply, unless it went out since the person last wrote."""
        if self._settings.template_name is None:
            raise PermanentSendError("outside the 24-hour window; no template configured")
        if template_sent_since:
            raise PermanentSendError("outside the 24-hour window; the template was already sent")
        template_message = TemplateMessage(
            name=self._settings.template_name, language=self._settings.template_language
        )
        message_id = await self._post(recipient, template_message)
        sent_at = time.time()
        await outlasting_outages(partial(self._record_template, recipient, sent_at))
        return message_id

    async def _record_template(self, recipient: str, sent_at: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.window_key(recipient), "template", sent_at)
            pipe.expire(self.window_key(recipient), WINDOW_KEY_SECONDS)
            await pipe.execute()

    async def _post(self, recipient: str, message: WhatsAppMessage) -> str:
        assert self._client is not None, "start() opens the HTTP client"
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": recipient}
        try:
            response = await self._client.post(self._messages_url, json=body | to_json(message))
        except httpx.TransportError as error:  # timeouts and connection errors
            raise TransientSendError(f"whatsapp unavailable: {type(error).__name__}") from error
        if response.is_success:
            return str(response.json()["messages"][0]["id"])
        raise _send_error(response)

    async def start(self) -> None:
        self._client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {self._settings.access_token}"},
            timeout=SEND_TIMEOUT_SECONDS,
        )

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _send_error(response: httpx.Response) -> SendError:
    """The typed error for a refused send, naming the HTTP status and Graph error code only."""
    code, subcode = _graph_error(response)
    reason = f"whatsapp HTTP {response.status_code}"
    if code is not None:
        reason += f", Graph error {code}" + (f"/{subcode}" if subcode is not None else "")
        reason += f" ({KNOWN_CODES[code]})" if code in KNOWN_CODES else ""
    if code == OUTSIDE_WINDOW:
        return OutsideWindow(reason)
    if response.status_code == 429 or response.status_code >= 500 or code in TRANSIENT_CODES:
        return TransientSendError(reason, retry_after=_retry_after(response))
    return PermanentSendError(reason)


def _graph_error(response: httpx.Response) -> tuple[int | None, int | None]:
    """The Graph API's `{"error": {"code", "error_subcode", ...}}`, if the body is one."""
    try:
        error = response.json().get("error")
        code, subcode = error.get("code"), error.get("error_subcode")
    except (ValueError, AttributeError):  # not JSON, or not the Graph error shape
        return None, None
    return (
        code if isinstance(code, int) else None,
        subcode if isinstance(subcode, int) else None,
    )


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After", "")
    return float(raw) if raw.isdigit() else None
