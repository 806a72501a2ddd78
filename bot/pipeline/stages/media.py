"""What a person gets for something the assistant cannot read. Media is never stored."""

from __future__ import annotations

from bot.pipeline.messages import InboundKind, InboundMessage
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.rasa.engine import Engine

KIND_REPLIES = {
    InboundKind.IMAGE: "media_not_stored",
    InboundKind.VIDEO: "media_not_stored",
    InboundKind.AUDIO: "audio_not_understood",
    InboundKind.DOCUMENT: "media_not_stored",
    InboundKind.STICKER: "words_only",
    InboundKind.REACTION: "words_only",
    InboundKind.UNSUPPORTED: "words_only",
    InboundKind.LOCATION: "location_not_stored",
    InboundKind.CONTACT: "contact_not_stored",
    InboundKind.EDITED: "edit_not_read",
}


def is_wordless(text: str) -> bool:
    """Empty, or only emoji and punctuation: nothing the NLU could read."""
    return not any(ch.isalnum() for ch in text)


def kind_reply(message: InboundMessage) -> str | None:
    """The reply key for a message without words to read, or None."""
    reply = KIND_REPLIES.get(message.kind)
    if reply is None and is_wordless(message.text):
        return "words_only"
    return reply


class Media:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        reply = kind_reply(turn.message)
        if reply is None:
            return await proceed(turn)
        return [self._engine.render(reply, turn.language, turn.country)]
