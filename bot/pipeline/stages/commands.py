"""Language and country choices, and commands nobody knows: answered by the gateway in any state.

An unknown command or button payload ("/help", "/foo", a stale button) gets one short reply; handed
to the dialogue model it made the fallback and the handoff offer alternate about twenty times.
"""

from __future__ import annotations

from dataclasses import replace

from bot.language.countries import country_name
from bot.language.detection import display_name, language_name_in
from bot.pipeline.messages import Choice, OutboundMessage
from bot.pipeline.preferences import PreferenceStore
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.rasa.engine import Engine
from bot.rasa.payloads import button_payload, parse_payload
from content.model import load_library

LANGUAGE_MENU = frozenset({"language", "change_language"})
GATEWAY_COMMANDS = frozenset({*LANGUAGE_MENU, "change_country", "set_country"})  # set_language: Language


class Commands:
    def __init__(self, engine: Engine, preferences: PreferenceStore) -> None:
        self._engine = engine
        self._preferences = preferences
        self._countries = sorted(
            {r.country for r in load_library().resources if r.country != "international"}
        )

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        if not turn.readable:
            return await proceed(turn)
        if "change_language" in self._engine.meanings(turn.text, turn.language):
            return [self.language_menu(turn.language)]
        parsed = parse_payload(turn.text)
        if parsed is None:
            if turn.text.lstrip().startswith("/"):
                return [self._engine.render("unknown_command", turn.language, turn.country)]
            return await proceed(turn)
        intent, entities = parsed
        if intent not in GATEWAY_COMMANDS:
            if intent in self._engine.intents:
                return await proceed(turn)
            return [self._engine.render("unknown_command", turn.language, turn.country)]
        if intent in LANGUAGE_MENU:
            return [self.language_menu(turn.language)]
        if intent == "change_country":
            return [self.country_menu(turn.language)]
        if intent == "set_country" and entities.get("country") in self._countries:
            country = entities["country"]
            turn.country = country
            await self._preferences.update(turn.conversation, country=country)
            name = country_name(country, turn.language)
            return [self._engine.render("country_set", turn.language, country, {"country_name": name})]
        return [self._engine.render("unknown_command", turn.language, turn.country)]

    def language_menu(self, language: str) -> OutboundMessage:
        # On SMS each language is named in hers: a name in another script would make the whole
        # message UCS-2 (and many feature phones show no Devanagari or Arabic anyway).
        choices = tuple(
            Choice(
                title=display_name(lang),
                payload=button_payload("set_language", {"language": lang}),
                sms=language_name_in(lang, language),
            )
            for lang in self._engine.languages
        )
        country = Choice(
            title=self._engine.label("intents", "change_country", language),
            payload=button_payload("change_country", {}),
        )
        menu = self._engine.render("choose_language", language)
        return replace(menu, choices=(*choices, country))

    def country_menu(self, language: str) -> OutboundMessage:
        choices = tuple(
            Choice(
                title=country_name(code, language),
                payload=button_payload("set_country", {"country": code}),
            )
            for code in sorted(self._countries, key=lambda code: country_name(code, language))
        )
        return replace(self._engine.render("choose_country", language), choices=choices)
