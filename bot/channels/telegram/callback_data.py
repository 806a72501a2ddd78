"""Typed inline-button payloads: packed and unpacked in one place, within Telegram's 64 bytes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.rasa.payloads import button_payload, parse_payload

PREFIX = "c"
LIMIT_BYTES = 64


class CallbackDataError(ValueError):
    """Callback data that we did not make, or a payload that cannot fit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceData:
    intent: str
    entities: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_payload(cls, payload: str) -> ChoiceData:
        parsed = parse_payload(payload)
        if parsed is None:
            raise CallbackDataError(f"not an intent payload: {payload!r}")
        intent, entities = parsed
        return cls(intent=intent, entities=entities)

    def pack(self) -> str:
        fields = [PREFIX, self.intent, *(f"{k}={v}" for k, v in sorted(self.entities.items()))]
        packed = ":".join(fields)
        if len(packed.encode()) > LIMIT_BYTES:
            raise CallbackDataError(f"callback data over {LIMIT_BYTES} bytes: {packed!r}")
        return packed

    @classmethod
    def unpack(cls, data: str) -> ChoiceData:
        prefix, _, rest = data.partition(":")
        if prefix != PREFIX or not rest:
            raise CallbackDataError("unknown callback data")
        intent, *pairs = rest.split(":")
        entities = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
        if not re.fullmatch(r"\w+", intent):
            raise CallbackDataError("unknown callback data")
        return cls(intent=intent, entities=entities)

    def payload(self) -> str:
        return button_payload(self.intent, self.entities)
