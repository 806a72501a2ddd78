"""The language of the reply: remembered once her words settle it, and switched at once when she
asks ("reply in English", "بالعربي", "en español por favor") or picks one in the language menu."""

from __future__ import annotations

from dataclasses import replace

from bot.language.detection import language_name, requested_language
from bot.pipeline.preferences import PreferenceStore
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.rasa.engine import Engine
from bot.rasa.payloads import parse_payload


class Language:
    def __init__(self, engine: Engine, preferences: PreferenceStore) -> None:
        self._engine = engine
        self._preferences = preferences

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        requested = self._requested(turn)
        picked = parse_payload(turn.text) is not None  # the menu's button: confirmed even if unchanged
        if requested is not None and (picked or requested != turn.prefs.language):
            await self._preferences.update(turn.conversation, language=requested, language_chosen="1")
            turn.decision = replace(turn.decision, language=requested, settled=True)
            name = language_name(requested)
            confirmed = self._engine.render("language_set", requested, turn.country, {"language_name": name})
            turn.text, turn.parse = "/menu", None  # carry on where she was, in her language
            return [confirmed, *await proceed(turn)]
        if turn.decision.settled and turn.prefs.language != turn.language:
            await self._preferences.update(turn.conversation, language=turn.language)
        return await proceed(turn)

    def _requested(self, turn: TurnState) -> str | None:
        """The language she asked for in words, or picked with the menu's button."""
        if not turn.readable:
            return None
        payload = parse_payload(turn.text)
        if payload is not None:
            chosen = payload[1].get("language") if payload[0] == "set_language" else None
            return chosen if chosen in self._engine.languages else None
        asked = "language_request" in self._engine.meanings(turn.text, turn.language)
        return requested_language(turn.text, self._engine.languages, asked=asked)
