"""What every channel provides, and the typed errors its `send` may raise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from bot.pipeline.messages import InboundMessage, OutboundMessage


class SendError(Exception):
    """A send failed. Subclasses say whether trying again can help."""


class TransientSendError(SendError):
    """Rate limited, a 5xx or a timeout: try again, after `retry_after` seconds if the provider said."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentSendError(SendError):
    """The provider refused for good (blocked by the user, bad number, outside a window)."""


@dataclass(frozen=True, slots=True)
class Budget:
    """What one reply turn may send at once where every message costs (SMS); the outbox holds back
    the rest until the person asks for more (bot/channels/text.py `page`)."""

    fits: Callable[[Sequence[OutboundMessage]], bool]  # whether these replies may go out together
    choices: int  # numbered choices one message may show, "more" included


class Accept(Protocol):
    """The gateway's entry point for a parsed, verified inbound message."""

    async def __call__(self, message: InboundMessage) -> bool: ...


class Channel(Protocol):
    name: str
    # Messages per second a provider allows to one recipient, and to all recipients together.
    per_recipient_rate: float
    overall_rate: float
    budget: Budget | None  # None: a turn's replies all go out at once

    def routes(self, accept: Accept) -> Sequence[web.AbstractRouteDef]:
        """Webhook routes; each verifies, parses and hands messages to `accept`."""
        ...

    def render(self, replies: Sequence[OutboundMessage]) -> list[Any]:
        """The provider requests for one turn's replies, within the channel's limits (pure)."""
        ...

    async def send(self, recipient: str, request: Any, reply_to: str) -> str | None:
        """Send one request answering message `reply_to`; return the provider's message id.

        Raises TransientSendError or PermanentSendError; never anything else on purpose.
        """
        ...

    async def wipe(self, recipient: str) -> bool:
        """Delete this person's chat from their device where the provider allows it (quick exit, for
        someone whose phone may be looked at); True if it did, and then nothing more is sent.

        False where it can't: the gateway then sends one neutral line. Never raises a provider error.
        """
        ...

    async def opted_out(self, recipient: str) -> bool:
        """True when she told the channel not to message her (SMS STOP): nothing can reach her, not
        even the question that confirms an erasure, so "delete my data" erases at once and silently."""
        ...

    async def forget(self, recipient: str) -> None:
        """Erase what the channel itself keeps about this person (they asked to erase their data)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
