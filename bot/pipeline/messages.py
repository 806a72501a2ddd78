"""Channel-neutral messages: what every channel parses into and renders from.

Provider SDK types never leave bot/channels/<name>/; everything else speaks these.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class InboundKind(StrEnum):
    """What arrived. Only TEXT and CHOICE reach the NLU; the rest get a kind reply."""

    TEXT = "text"
    CHOICE = "choice"  # a button press: text holds the payload
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"  # voice notes too
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACT = "contact"
    REACTION = "reaction"
    EDITED = "edited"
    UNSUPPORTED = "unsupported"

    @property
    def is_media(self) -> bool:
        return self in {InboundKind.IMAGE, InboundKind.VIDEO, InboundKind.AUDIO,
                        InboundKind.DOCUMENT}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMessage:
    channel: str  # telegram | whatsapp | twilio | rest | web
    provider_id: str  # update_id, wamid, MessageSid: the dedupe key
    sender: str  # the channel's address of the person (chat id, wa_id, phone); never logged
    kind: InboundKind
    text: str = ""
    language_hint: str | None = None  # e.g. Telegram's language_code
    country_hint: str | None = None  # ISO code, e.g. Twilio's FromCountry
    received_at: float = field(default_factory=time.time)
    # The client's network address where the person reaches us directly (REST, web chat), for rate
    # limits only; None for provider webhooks (their address is the provider's). Never logged.
    address: str | None = None

    @property
    def conversation_id(self) -> str:
        return f"{self.channel}:{self.sender}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> InboundMessage:
        data = json.loads(raw)
        data["kind"] = InboundKind(data["kind"])
        return cls(**data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice:
    title: str
    payload: str
    sms: str | None = None  # the title on SMS when `title` would cost the whole message UCS-2


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundMessage:
    """One reply, before any channel's limits are applied."""

    text: str
    choices: tuple[Choice, ...] = ()
    key: str | None = None  # the response key it was rendered from
    asks: str | None = None  # the question it asks (consent, age, ...): the next message may answer it
    language: str | None = None  # the language it is written in
    # The wording for channels that pay per message (SMS), when the content has a shorter one; "" when
    # another reply's SMS wording already says it.
    sms: str | None = None
