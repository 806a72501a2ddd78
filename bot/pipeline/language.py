"""The language of the reply: remembered once her words settle it, and switched at once when she
asks ("reply in English", "بالعربي", "en español por favor")."""

from __future__ import annotations

from dataclasses import replace

from bot.engine import Engine
from bot.language import language_name, requested_language
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.preferences import PreferenceStore


class Language:
    def __init__(self, engine: Engine, preferences: PreferenceStore) -> None:
        self._engine = engine
        self._preferences = preferences

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        requested = None
        if turn.readable:
            asked = "language_request" in self._engine.meanings(turn.text, turn.language)
            requested = requested_language(turn.text, self._engine.languages, asked=asked)
        if requested is not None and requested != turn.prefs.language:
            await self._preferences.update(turn.conversation, language=requested, language_chosen="1")
            turn.decision = replace(turn.decision, language=requested, settled=True)
            name = language_name(requested)
            confirmed = self._engine.render("language_set", requested, turn.country, {"language_name": name})
            turn.text, turn.parse = "/menu", None  # carry on where she was, in her language
            return [confirmed, *await proceed(turn)]
        if turn.decision.settled and turn.prefs.language != turn.language:
            await self._preferences.update(turn.conversation, language=turn.language)
        return await proceed(turn)
