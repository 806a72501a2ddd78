"""WhatsApp Cloud API webhooks (Graph API JSON) as channel-neutral messages and delivery statuses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.language.phone import country_of_phone
from bot.pipeline.messages import InboundKind, InboundMessage
from bot.rasa.payloads import parse_payload

CHANNEL = "whatsapp"
KINDS = {
    "image": InboundKind.IMAGE,
    "video": InboundKind.VIDEO,
    "audio": InboundKind.AUDIO,  # voice notes too ("voice": true)
    "document": InboundKind.DOCUMENT,
    "sticker": InboundKind.STICKER,
    "location": InboundKind.LOCATION,
    "contacts": InboundKind.CONTACT,
    "reaction": InboundKind.REACTION,
}


class MalformedWebhook(ValueError):
    """A body that is not the webhook WhatsApp documents."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusUpdate:
    """What became of a message we sent (sent, delivered, read, failed)."""

    message_id: str
    status: str
    error: str | None = None  # Graph error codes and titles: never the recipient or the text


def parse_webhook(data: Any, phone_number_id: str) -> tuple[list[InboundMessage], list[StatusUpdate]]:
    """The messages and statuses a webhook carries for our phone number.

    Changes for another number of the same business account, and other fields (account or template
    updates), are not ours to answer. Raises MalformedWebhook.
    """
    if not isinstance(data, dict):
        raise MalformedWebhook("a webhook is a JSON object")
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    if data.get("object") != "whatsapp_business_account":
        return messages, statuses
    try:
        for entry in data["entry"]:
            for change in entry["changes"]:
                if change["field"] != "messages":
                    continue
                value = change["value"]
                if value["metadata"]["phone_number_id"] != phone_number_id:
                    continue
                messages += [_message(raw) for raw in value.get("messages", ())]
                statuses += [_status(raw) for raw in value.get("statuses", ())]
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise MalformedWebhook(type(error).__name__) from error
    return messages, statuses


def _message(raw: dict[str, Any]) -> InboundMessage:
    kind, text = _content(raw)
    return InboundMessage(
        channel=CHANNEL,
        provider_id=str(raw["id"]),
        sender=str(raw["from"]),
        kind=kind,
        text=text,
        received_at=float(raw["timestamp"]),  # when WhatsApp received it: the window starts here
        country_hint=country_of_phone(str(raw["from"])),
    )


def _content(raw: dict[str, Any]) -> tuple[InboundKind, str]:
    match raw["type"]:
        case "text":
            return InboundKind.TEXT, str(raw["text"]["body"])
        case "interactive":
            interactive = raw["interactive"]
            if interactive["type"] not in {"button_reply", "list_reply"}:
                return InboundKind.UNSUPPORTED, ""  # e.g. a Flow's answers
            reply = interactive[interactive["type"]]
            return _choice(str(reply["id"]), str(reply["title"]))
        case "button":  # a quick reply under a template
            return _choice(str(raw["button"]["payload"]), str(raw["button"]["text"]))
        case other:
            return KINDS.get(other, InboundKind.UNSUPPORTED), ""


def _choice(data: str, title: str) -> tuple[InboundKind, str]:
    """Our payload when it is one; otherwise the title the person saw, read as words."""
    if parse_payload(data) is not None:  # ours; a template's quick reply is read as its title
        return InboundKind.CHOICE, data
    return InboundKind.TEXT, title


def _status(raw: dict[str, Any]) -> StatusUpdate:
    errors = [f"{e['code']} {e.get('title', '')}".strip() for e in raw.get("errors", ())]
    return StatusUpdate(message_id=str(raw["id"]), status=str(raw["status"]), error="; ".join(errors) or None)
