"""Webhooks as each provider sends them: recorded payloads (tests/payloads/<channel>/) with fresh ids,
signed with the test secrets, posted to the app under test."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient
from twilio.request_validator import RequestValidator

from bot.channels.twilio import WEBHOOK_PATH as TWILIO_WEBHOOK
from bot.ops.settings import TelegramSettings, TwilioSettings, WhatsAppSettings

PAYLOADS = Path(__file__).resolve().parent.parent / "payloads"

# Telegram: the bot's token at the fake Bot API, and the webhook's secret token.
TELEGRAM_TOKEN = "123456:TEST-token-for-the-fake-server-only"
TELEGRAM_SECRET = "test-secret-token"
TELEGRAM_WEBHOOK = "/webhooks/telegram/webhook"
_update_ids = itertools.count(500_000)

# WhatsApp Cloud API: the fake Graph API's token and number; the app secret signs webhooks.
WHATSAPP_TOKEN = "EAAtest-access-token-for-the-fake-only"
PHONE_NUMBER_ID = "106540352242922"  # as in tests/payloads/whatsapp
APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
WHATSAPP_WEBHOOK = "/webhooks/whatsapp/webhook"
_wamids = itertools.count(1)

# Twilio: the auth token signs webhooks over the app's public URL.
ACCOUNT_SID = "AC00000000000000000000000000000001"
SMS_FROM = "+15005550006"  # the helpline's number at the fake Twilio
AUTH_TOKEN = "test-auth-token-for-the-fake-server-only"
_sids = itertools.count(1)


def telegram_update(name: str, chat_id: int | None = None, **changes: Any) -> dict[str, Any]:
    """A recorded update with a fresh update_id, from chat `chat_id`, its message changed by `changes`."""
    data = json.loads((PAYLOADS / "telegram" / f"{name}.json").read_text())
    data["update_id"] = next(_update_ids)
    for key in ("message", "edited_message"):
        if key in data and chat_id is not None:
            data[key]["chat"]["id"] = chat_id
            data[key].update(changes)
    if "callback_query" in data and chat_id is not None:
        data["callback_query"]["message"]["chat"]["id"] = chat_id
        data["callback_query"].update(changes)
    return data


async def post_telegram(
    client: TestClient, update: dict[str, Any], secret: str | None = TELEGRAM_SECRET
) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    response = await client.post(TELEGRAM_WEBHOOK, json=update, headers=headers)
    return response.status


def whatsapp_webhook(name: str, wa_id: str | None = None, *, age: float = 0.0) -> dict[str, Any]:
    """A documented webhook with a fresh wamid, sent `age` seconds ago by `wa_id`."""
    data = json.loads((PAYLOADS / "whatsapp" / f"{name}.json").read_text())
    value = data["entry"][0]["changes"][0]["value"]
    for message in value.get("messages", ()):
        message["id"] = f"wamid.TEST{next(_wamids):08d}"
        message["timestamp"] = str(int(time.time() - age))
        if wa_id is not None:
            message["from"] = value["contacts"][0]["wa_id"] = wa_id
    return data


def whatsapp_text(wa_id: str, text: str, *, age: float = 0.0) -> dict[str, Any]:
    data = whatsapp_webhook("text", wa_id, age=age)
    data["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = text
    return data


def hub_signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post_whatsapp(client: TestClient, data: dict[str, Any]) -> int:
    body = json.dumps(data).encode()
    headers = {"X-Hub-Signature-256": hub_signature(body), "Content-Type": "application/json"}
    response = await client.post(WHATSAPP_WEBHOOK, data=body, headers=headers)
    return response.status


def graph_body(request: dict[str, Any]) -> str:
    """The text of a message the fake Graph API received."""
    if request["type"] == "interactive":
        return str(request["interactive"]["body"]["text"])
    return str(request["text"]["body"])


def twilio_form(name: str, sender: str | None = None, **changes: str) -> dict[str, str]:
    """A recorded Twilio form with a fresh MessageSid, from `sender`, changed by `changes`."""
    form: dict[str, str] = json.loads((PAYLOADS / "twilio" / f"{name}.json").read_text())
    form["MessageSid"] = form["SmsSid"] = form["SmsMessageSid"] = f"SM{next(_sids):032x}"
    if sender is not None:
        form["From"] = sender
    form.update(changes)
    return form


def twilio_signature(client: TestClient, path: str, form: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(str(client.make_url(path)), form)


async def post_twilio(
    client: TestClient, form: dict[str, str], path: str = TWILIO_WEBHOOK, signed: str | None = None
) -> int:
    """POST a form as Twilio does, signed over exactly this form unless another signature is given."""
    header = signed if signed is not None else twilio_signature(client, path, form)
    response = await client.post(path, data=form, headers={"X-Twilio-Signature": header})
    return response.status


def whatsapp_settings(graph_url: str, template: str | None = None) -> WhatsAppSettings:
    """The WhatsApp channel pointed at a fake Graph API serving at `graph_url`, with these credentials."""
    return WhatsAppSettings(
        access_token=WHATSAPP_TOKEN,
        phone_number_id=PHONE_NUMBER_ID,
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        api_url=f"{graph_url}/v21.0",
        template_name=template,
        template_language="en",
    )


def telegram_settings(api_url: str) -> TelegramSettings:
    """The Telegram channel on webhooks, pointed at a fake Bot API serving at `api_url`."""
    return TelegramSettings(
        token=TELEGRAM_TOKEN, secret_token=TELEGRAM_SECRET, api_url=api_url, polling=False
    )


def twilio_settings(api_url: str) -> TwilioSettings:
    """The Twilio channel (SMS from SMS_FROM) pointed at a fake Twilio API serving at `api_url`."""
    return TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sender=SMS_FROM, api_url=api_url)
