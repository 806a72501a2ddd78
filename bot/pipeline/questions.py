"""The questions a turn asked, remembered for the next message; and that message read as the answer.

"Yes" belongs to the question asked last — the gateway's own (erase, country) and the dialogue's
(are you safe, continue, talk to a person, are you under 18). A yes or no typed in any language, an
age, or a country name answers the open question; anything else is answered as itself, and consent
or age is asked again once. Consent to a handoff is only ever a yes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable

from bot.countries import country_in, country_name
from bot.engine import Engine
from bot.nlg import button_payload, parse_payload
from bot.normalize import normalize
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.preferences import Asked, PreferenceStore

ADULT_AGE = 18
ASKED_AGAIN = frozenset({"consent", "age"})  # worth asking again after answering something else
MAX_ASKS = 2
SHORT_MESSAGE_WORDS = 6  # a country or an age in a message this short is about her
NEW_DIRECTION = frozenset({"step", "playbook_intro", "menu", "emergency", "self_harm", "quick_exit"})
DIALOGUE_QUESTIONS = frozenset({"safety", "resume", "consent", "age", "platform"})
_NUMBER = re.compile(r"(?<!\d)(\d{1,2})(?!\d)")


class QuestionMemory:
    """Remembers which questions this turn's replies asked (outermost, so every stage's replies count)."""

    def __init__(self, preferences: PreferenceStore) -> None:
        self._preferences = preferences

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        replies = await proceed(turn)
        asked = tuple(Asked(question=r.asks, key=r.key or "") for r in replies if r.asks)
        if asked or turn.prefs.asked:
            times = turn.prefs.asked_times + 1 if asked and asked == turn.prefs.asked else 1
            await self._preferences.remember_questions(turn.conversation, asked, times)
        return replies


def age_in(text: str) -> int | None:
    """An age written with digits of any script: "15", "i am 16", "tengo 14 años", "عندي ١٥ سنة"."""
    ascii_digits = "".join(str(unicodedata.digit(c, c)) if c.isdigit() else c for c in text)
    plausible = [n for n in map(int, _NUMBER.findall(ascii_digits)) if 5 <= n <= 99]
    return plausible[0] if plausible else None


class OpenQuestion:
    def __init__(
        self,
        *,
        engine: Engine,
        preferences: PreferenceStore,
        erase: Callable[[str], Awaitable[None]],
    ) -> None:
        self._engine = engine
        self._preferences = preferences
        self._erase = erase

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        if not turn.readable:
            return await proceed(turn)
        asked = {a.question: a for a in turn.prefs.asked}
        known_country = await self._country(turn, asked)  # first: the help she gets depends on it
        if turn.urgent:
            return await proceed(turn)
        if known_country is not None:
            return known_country
        if "age" not in asked and (age := self._age_stated(turn)) is not None and age < ADULT_AGE:
            turn.text, turn.parse = button_payload("inform_age", {"age": str(age)}), None
            return await proceed(turn)
        if "erase" in asked:
            answer = self._yes_no(turn, accept_ok=False)
            if answer is not None:
                return await self._erase_answer(turn, answer)
        for question in ("consent", "age", "safety", "resume", "platform"):
            if question in asked:
                return await self._dialogue_answer(turn, asked[question], proceed)
        return await proceed(turn)

    async def _country(self, turn: TurnState, asked: dict[str, Asked]) -> Replies | None:
        """A country named when asked, or in a short message while we don't know where she is."""
        short = len(turn.text.split()) <= SHORT_MESSAGE_WORDS
        if parse_payload(turn.text) is not None or not (
            "country" in asked or (short and turn.country is None)
        ):
            return None
        country = country_in(turn.text, self._engine.languages)
        if country is None:
            return None
        turn.country = country
        await self._preferences.update(turn.conversation, country=country)
        if "country" in asked:  # answer again what needed the country (the emergency numbers), and
            # ask again what was asked beside it (would she like a person?)
            return [self._engine.render(a.key, turn.language, country) for a in asked.values()]
        if short:
            name = country_name(country, turn.language)
            return [self._engine.render("country_set", turn.language, country, {"country_name": name})]
        return None

    def _yes_no(self, turn: TurnState, *, accept_ok: bool) -> bool | None:
        """True for yes, False for no, None for anything else. A button's payload counts too."""
        payload = parse_payload(turn.text)
        if payload is not None:
            return {"affirm": True, "deny": False}.get(payload[0])
        meanings = self._engine.meanings(turn.text, turn.language)
        for meaning in meanings:
            if meaning == "affirm" or (accept_ok and meaning == "ok"):
                return True
            if meaning == "deny":
                return False
        return None

    async def _erase_answer(self, turn: TurnState, yes: bool) -> Replies:
        if not yes:
            return [self._engine.render("erase_cancelled", turn.language, turn.country)]
        await self._erase(turn.conversation)
        return [self._engine.render("erase_done", turn.language, turn.country)]

    async def _dialogue_answer(self, turn: TurnState, asked: Asked, proceed: Proceed) -> Replies:
        """Hand the dialogue an explicit answer to its question, or answer the message and ask again."""
        question = asked.question
        answer = await self._answer(turn, question)
        if answer is not None:
            turn.text = self._answer_payload(turn.text, question, answer)
            turn.parse = None
            return await proceed(turn)
        if question == "age" and self._is_ok(turn) and turn.prefs.asked_times < MAX_ASKS:
            return [self._engine.render("age_unclear", turn.language, turn.country)]
        replies = await proceed(turn)
        if question in ASKED_AGAIN and self._asks_again(replies, turn):
            replies.append(self._engine.render(asked.key, turn.language, turn.country))
        return replies

    async def _answer(self, turn: TurnState, question: str) -> bool | None:
        if question == "age":
            age = age_in(normalize(turn.text))
            if age is not None:
                return age < ADULT_AGE
            return self._yes_no(turn, accept_ok=False)
        answer = self._yes_no(turn, accept_ok=question in {"safety", "resume"})
        if answer is None and question == "consent" and parse_payload(turn.text) is None:
            parse = turn.parse or await self._engine.parse(turn.text, turn.language)
            turn.parse = parse
            if parse.intent == "human_handoff":
                return True  # "yes I want to talk to someone"
        return answer

    def _age_stated(self, turn: TurnState) -> int | None:
        """An age she gives without being asked: "im 15", "tengo 14 años", "meri age 16 hai"."""
        if len(turn.text.split()) > SHORT_MESSAGE_WORDS or parse_payload(turn.text) is not None:
            return None
        if "age_words" not in self._engine.meanings(turn.text, turn.language):
            return None
        return age_in(normalize(turn.text))

    def _is_ok(self, turn: TurnState) -> bool:
        return "ok" in self._engine.meanings(turn.text, turn.language)

    @staticmethod
    def _answer_payload(text: str, question: str, yes: bool) -> str:
        """`/affirm{"question": ...}`: the dialogue's answer action reads which question it answers;
        a button's own entities (share=chat) are kept."""
        payload = parse_payload(text)
        entities = dict(payload[1]) if payload is not None else {}
        entities["question"] = question
        return button_payload("affirm" if yes else "deny", entities)

    @staticmethod
    def _asks_again(replies: Replies, turn: TurnState) -> bool:
        """Ask again after answering a side question, not when she moved on or was already asked."""
        moved_on = any(r.asks or r.key in NEW_DIRECTION for r in replies)
        return bool(replies) and not moved_on and turn.prefs.asked_times < MAX_ASKS
