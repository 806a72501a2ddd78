"""What one message's stages share, and how they are chained.

A stage is called with the turn and the rest of the chain: it answers (returns replies), or calls
`proceed(turn)` and may look at what the later stages answered (the reply cap does; the open-question
stage asks its question again after an answer to something else).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.evidence.record import Draft
from bot.language.detection import Decision
from bot.pipeline.messages import InboundKind, InboundMessage, OutboundMessage
from bot.pipeline.preferences import Preferences
from bot.rasa.engine import Parse

Replies = list[OutboundMessage]
Proceed = Callable[["TurnState"], Awaitable[Replies]]


@dataclass(slots=True, kw_only=True)
class TurnState:
    """One message on its way through the stages."""

    message: InboundMessage
    prefs: Preferences
    decision: Decision  # the language to answer in, decided from her words first
    ticket_id: bytes | None  # the open handoff ticket the conversation's key names, if any
    blocked: bool = False  # the helpline blocked this sender
    staged: dict[bytes, bytes] = field(default_factory=dict)  # a half-written message for the helpline
    recovering: bool = False  # the turn may have run before its replica died
    country: str | None = None  # where she is: what she said, else what the channel tells
    parse: Parse | None = None  # the NLU's reading of `text`, once a stage needed it
    text: str = ""  # what the dialogue is given: her words, or the answer they were read as
    urgent: bool = False  # danger or self-harm: nothing may stand between her and the help
    draft: Draft | None = None  # the entry of her record she is writing (bot/evidence/), if any

    def __post_init__(self) -> None:
        self.text = self.text or self.message.text

    @property
    def conversation(self) -> str:
        return self.message.conversation_id

    @property
    def language(self) -> str:
        return self.decision.language

    @property
    def readable(self) -> bool:
        """Words or a button: what the keywords and the NLU can read."""
        return self.message.kind in {InboundKind.TEXT, InboundKind.CHOICE}

    @property
    def in_handoff(self) -> bool:
        return self.ticket_id is not None or bool(self.staged)


class Stage(Protocol):
    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies: ...


def chain(stages: Sequence[Stage], last: Proceed) -> Proceed:
    """One callable running `stages` in order, ending in `last`."""
    proceed = last
    for stage in reversed(stages):
        proceed = _link(stage, proceed)
    return proceed


def _link(stage: Stage, proceed: Proceed) -> Proceed:
    async def run(turn: TurnState) -> Replies:
        return await stage(turn, proceed)

    return run
