"""Language and country choices, handled by the gateway whatever state the conversation is in."""

from __future__ import annotations

from dataclasses import replace

from babel import Locale

from bot.engine import Engine
from bot.language import display_name
from bot.messages import Choice, OutboundMessage
from bot.nlg import button_payload, parse_payload
from bot.preferences import PreferenceStore
from content.model import load_library

LANGUAGE_MENU = frozenset({"language", "change_language"})


def country_name(country: str, language: str) -> str:
    return str(Locale.parse(language).territories.get(country, country))


class Commands:
    def __init__(self, engine: Engine, preferences: PreferenceStore) -> None:
        self._engine = engine
        self._preferences = preferences
        self._countries = sorted(
            {r.country for r in load_library().resources if r.country != "international"}
        )

    def language_menu(self, language: str) -> OutboundMessage:
        choices = tuple(
            Choice(title=display_name(lang), payload=button_payload("set_language", {"language": lang}))
            for lang in self._engine.languages
        )
        country = Choice(
            title=self._engine.label("intents", "change_country", language),
            payload=button_payload("change_country", {}),
        )
        menu = self._engine.render("choose_language", language)
        return replace(menu, choices=(*choices, country))

    def switch_offer(self, offered: str, current: str) -> OutboundMessage:
        """Asked in the language we think the person is writing; both answers in their own names."""
        offer = self._engine.render(
            "language_offer", offered, params={"language_name": display_name(offered)}
        )
        choices = tuple(
            Choice(title=display_name(lang), payload=button_payload("set_language", {"language": lang}))
            for lang in (offered, current)
        )
        return replace(offer, choices=choices)

    def country_menu(self, language: str) -> OutboundMessage:
        choices = tuple(
            Choice(
                title=country_name(code, language),
                payload=button_payload("set_country", {"country": code}),
            )
            for code in sorted(self._countries, key=lambda code: country_name(code, language))
        )
        return replace(self._engine.render("choose_country", language), choices=choices)

    async def handle(
        self, conversation_id: str, text: str, language: str
    ) -> tuple[list[OutboundMessage], str | None] | None:
        """Replies for a language or country command, and the language to carry on in; else None."""
        if self._engine.asks_for_language_menu(text):
            return [self.language_menu(language)], None
        parsed = parse_payload(text)
        if parsed is None:
            return None
        intent, entities = parsed
        if intent in LANGUAGE_MENU:
            return [self.language_menu(language)], None
        if intent == "change_country":
            return [self.country_menu(language)], None
        if intent == "set_language" and entities.get("language") in self._engine.languages:
            chosen = entities["language"]
            await self._preferences.update(conversation_id, language=chosen, language_chosen="1")
            name = display_name(chosen)
            return [self._engine.render("language_set", chosen, params={"language_name": name})], chosen
        if intent == "set_country" and entities.get("country") in self._countries:
            country = entities["country"]
            await self._preferences.update(conversation_id, country=country)
            name = country_name(country, language)
            return [self._engine.render("country_set", language, params={"country_name": name})], None
        return None
