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

from bot.language.countries import country_in, country_name
from bot.language.normalize import normalize
from bot.pipeline.preferences import Asked, PreferenceStore
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.rasa.engine import Engine
from bot.rasa.payloads import button_payload, parse_payload

ADULT_AGE = 18
ASKED_AGAIN = frozenset({"consent", "age"})  # worth asking again after answering something else
# "ok" answers neither "would you like a person?" nor "are you under 18?": asked again, plainly.
UNCLEAR = {"consent": "consent_unclear", "age": "age_unclear"}
MAX_ASKS = 2
SHORT_MESSAGE_WORDS = 6  # a country or an age in a message this short is about her
MENTION_WORDS = 12  # while we don't know where she is, a country named in a message this short counts
# A country named in a message this short is where she is, even where her phone's country said
# otherwise ("je suis au senegal", "jsuis aux etats unis a miami"): she is told which country's help
# she will get, so a wrong reading is seen and corrected.
MOVED_WORDS = 7
PLACE_WORDS = 4  # "estoy en bogota colombia": a message this short that names a country says only that
# She moved on (or said goodbye: "تمام شكرا" is not asked "would you like a person?" once more).
NEW_DIRECTION = frozenset(
    {"step", "playbook_intro", "menu", "emergency", "self_harm", "quick_exit", "goodbye"}
)
NOT_UNDERSTOOD = frozenset({"did_you_mean", "not_understood"})  # asking again on top would be noise
# The help in danger answers nothing that was asked ("I already called 911" read as danger again):
# the question asked before it (would she like a person?) stays open.
HELP_IN_DANGER = frozenset({"emergency", "emergency_again", "self_harm"})
# What the model makes of a message that only says where she is ("je suis au senegal").
ONLY_A_PLACE = frozenset({"nlu_fallback", "out_of_scope", "greet", "goodbye", "affirm", "deny", "menu"})
_NUMBER = re.compile(r"(?<!\d)(\d{1,2})(?!\d)")


async def note_country(turn: TurnState, engine: Engine, preferences: PreferenceStore) -> str | None:
    """The country she says she is in, remembered: when she was asked, named in a short message while
    we don't know where she is ("im in kenya", "estoy en bogota colombia"), or named in a very short
    one whatever we thought ("je suis au senegal" from a French number)."""
    asked = any(a.question == "country" for a in turn.prefs.asked)
    if turn.prefs.country is None and turn.message.country_hint is not None:
        # What the channel said (a phone number's country) holds until she says otherwise.
        await preferences.update(turn.conversation, country=turn.message.country_hint)
    if parse_payload(turn.text) is not None:
        return None
    if not asked and len(turn.text.split()) > (MENTION_WORDS if turn.country is None else MOVED_WORDS):
        return None
    country = country_in(turn.text, engine.languages)
    if country is not None and country != turn.country:
        turn.country = country
        await preferences.update(turn.conversation, country=country)
    return country


def yes_or_no(engine: Engine, turn: TurnState, *, accept_ok: bool = False) -> bool | None:
    """True for yes, False for no, None for anything else, in any language (the keywords, no model).
    A button's payload counts too."""
    payload = parse_payload(turn.text)
    if payload is not None:
        return {"affirm": True, "deny": False}.get(payload[0])
    for meaning in engine.meanings(turn.text, turn.language):
        if meaning == "affirm" or (accept_ok and meaning == "ok"):
            return True
        if meaning == "deny":
            return False
    return None


class QuestionMemory:
    """Remembers which questions this turn's replies asked (outermost, so every stage's replies count)."""

    def __init__(self, preferences: PreferenceStore) -> None:
        self._preferences = preferences

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        replies = await proceed(turn)
        asked = tuple(Asked(question=r.asks, key=r.key or "") for r in replies if r.asks)
        if not asked and (turn.urgent or any(r.key in HELP_IN_DANGER for r in replies)):
            return replies
        if asked or turn.prefs.asked:
            again = {a.question for a in asked} & {a.question for a in turn.prefs.asked}  # consent, twice
            times = turn.prefs.asked_times + 1 if again else 1
            await self._preferences.remember_questions(turn.conversation, asked, times)
        return replies


def _leading_phrases(text: str) -> list[str]:
    """The first one, two and three words, and the second word alone ("sawa ndio ...")."""
    words = text.split()
    return [" ".join(words[:count]) for count in (1, 2, 3)] + words[1:2]


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
        if known_country is not None and "country" in asked:
            return known_country  # she answered where she is: the help that needed it, again
        if known_country is not None:
            return known_country + await self._rest_of(turn, proceed)
        if "age" not in asked and (age := self._age_stated(turn)) is not None and age < ADULT_AGE:
            if len(turn.text.split()) <= SHORT_MESSAGE_WORDS:  # "im 15": that is all she said
                turn.text, turn.parse = button_payload("inform_age", {"age": str(age)}), None
            else:  # "im 15 and a boy shared my photo": the situation, with her age known
                parse = turn.parse or await self._engine.parse(turn.text, turn.language)
                turn.parse = parse.with_entity("age", str(age))
            return await proceed(turn)
        if "erase" in asked:
            answer = yes_or_no(self._engine, turn, accept_ok=False)
            if answer is not None:
                return await self._erase_answer(turn, answer)
        if "consent" not in asked and await self._refuses_a_person(turn):
            # "non merci je veux pas parler à quelqu'un" with no offer open: a no to a person all the same
            turn.text, turn.parse = button_payload("deny", {"question": "consent", "offered": "no"}), None
            return await proceed(turn)
        for question in ("consent", "age", "safety", "resume", "platform"):
            if question in asked:
                return await self._dialogue_answer(turn, asked[question], proceed)
        if self._leading_ok(turn) and parse_payload(turn.text) is None:
            # "ok i blocked him": with a step on screen, the dialogue reads it as done
            turn.parse = turn.parse or await self._engine.parse(turn.text, turn.language)
            turn.parse = turn.parse.with_entity("opens_with", "ok")
        return await proceed(turn)

    async def _country(self, turn: TurnState, asked: dict[str, Asked]) -> Replies | None:
        """A country named when asked, or in a short message while we don't know where she is."""
        country = await note_country(turn, self._engine, self._preferences)
        if country is None:
            return None
        if "country" in asked:  # answer again what needed the country (the emergency numbers), and
            # ask again what was asked beside it (would she like a person?)
            return [self._engine.render(a.key, turn.language, country) for a in asked.values()]
        if len(turn.text.split()) <= MOVED_WORDS:
            name = country_name(country, turn.language)
            return [self._engine.render("country_set", turn.language, country, {"country_name": name})]
        return None

    async def _rest_of(self, turn: TurnState, proceed: Proceed) -> Replies:
        """What a short message says beside where she is ("hacked in kenya"): answered too."""
        turn.parse = turn.parse or await self._engine.parse(turn.text, turn.language)
        # "estoy en colombia" half read as danger (the safety stage marked it unsure) is only a place;
        # "he found me, im in kenya" says more, and is asked whether she is safe
        unsure = {"entity": "sure", "value": "no"} in (turn.parse.data.get("entities") or ())
        only_a_place = unsure and len(turn.text.split()) <= PLACE_WORDS
        return [] if turn.parse.intent in ONLY_A_PLACE or only_a_place else await proceed(turn)

    async def _erase_answer(self, turn: TurnState, yes: bool) -> Replies:
        if not yes:
            return [self._engine.render("erase_cancelled", turn.language, turn.country)]
        await self._erase(turn.conversation)
        return [self._engine.render("erase_done", turn.language, turn.country)]

    async def _dialogue_answer(self, turn: TurnState, asked: Asked, proceed: Proceed) -> Replies:
        """Hand the dialogue an explicit answer to its question, or answer the message and ask again."""
        question = asked.question
        answer = await self._answer(turn, question)
        if question == "safety" and answer:  # "yes, I'm safe": what she writes next is not danger
            await self._preferences.update(turn.conversation, danger_at=None)
        if answer is not None:
            turn.text = self._answer_payload(turn.text, question, answer)
            turn.parse = None
            return await proceed(turn)
        if question in UNCLEAR and await self._unclear(turn, question) and turn.prefs.asked_times < MAX_ASKS:
            return [self._engine.render(UNCLEAR[question], turn.language, turn.country)]
        replies = await proceed(turn)
        if question in ASKED_AGAIN and self._asks_again(replies, turn):
            replies.append(self._engine.render(asked.key, turn.language, turn.country))
        return replies

    async def _answer(self, turn: TurnState, question: str) -> bool | None:
        if question == "age":
            age = age_in(self._engine.with_digits(normalize(turn.text)))
            if age is not None:
                return age < ADULT_AGE
            return yes_or_no(self._engine, turn, accept_ok=False)
        answer = yes_or_no(self._engine, turn, accept_ok=question in {"safety", "resume"})
        if answer is None and question == "consent" and parse_payload(turn.text) is None:
            return await self._consent_in_words(turn)
        return answer

    async def _consent_in_words(self, turn: TurnState) -> bool | None:
        """A sentence that says yes or no to a person: "haan theek hai", "oui svp une vraie
        personne", "I don't want to talk to anyone". A refusal is never read as a yes, and a
        question ("yes but what will you tell them?") is answered, not taken as consent."""
        parse = turn.parse or await self._engine.parse(turn.text, turn.language)
        turn.parse = parse
        if turn.text.rstrip().endswith("?"):
            return None  # a question: answered as itself, and consent asked again
        refused = "negation" in self._engine.meanings(turn.text, turn.language)
        leading = self._leading_answer(turn)
        if parse.intent in {"deny", "human_handoff"} and (refused or leading is False):
            return False
        if refused:
            return None
        if leading is True and parse.intent in {"affirm", "human_handoff"}:
            return True
        if parse.intent == "human_handoff" and self._leading_ok(turn):  # "wakha bghit nhdar m3a chi 7ad"
            return True
        if parse.intent == "affirm" and self._yes_among_words(turn):  # "theek hai haan baat karwa do"
            return True
        return None  # "I need a real person": not yet a yes to sharing her summary, asked plainly

    async def _refuses_a_person(self, turn: TurnState) -> bool:
        """ "No, I don't want to talk to anyone" with no offer open: the model hears "talk to someone"."""
        if parse_payload(turn.text) is not None:
            return False
        turn.parse = turn.parse or await self._engine.parse(turn.text, turn.language)
        if turn.parse.intent != "human_handoff":  # "no i didn't block him yet" is about the step
            return False
        refused = "negation" in self._engine.meanings(turn.text, turn.language)
        return refused and self._leading_answer(turn) is False

    def _leading_answer(self, turn: TurnState) -> bool | None:
        """What the first words answer: "haan ...", "sawa ndio ...", "no ..." (True, False, None)."""
        for phrase in _leading_phrases(turn.text):
            meanings = self._engine.meanings(phrase, turn.language)
            if "deny" in meanings:
                return False
            if "affirm" in meanings:
                return True
        return None

    def _yes_among_words(self, turn: TurnState) -> bool:
        """A word of yes in her own language ("haan", "ndio", "oui") in a message the model reads as a
        yes: more than an "ok", which alone is not consent."""
        return any("affirm" in self._engine.own_meanings(word, turn.language) for word in turn.text.split())

    def _leading_ok(self, turn: TurnState) -> bool:
        """ "ok", "sawa", "wakha", "done", "listo" as the first words: with a request for a person, a
        yes to one; with a step on screen, the step done."""
        first_word, first_two = _leading_phrases(turn.text)[:2]
        return any(
            {"ok", "step_done"} & set(self._engine.meanings(phrase, turn.language))
            for phrase in (first_word, first_two)
        )

    def _age_stated(self, turn: TurnState) -> int | None:
        """An age she gives without being asked, in a word or two beside a number: "im 15",
        "tengo 14 años", "meri age 16 hai", "انا عندي 15 سنة وكان في ولد ..."."""
        if parse_payload(turn.text) is not None:
            return None
        tokens = self._engine.with_digits(normalize(turn.text)).split()
        for index, token in enumerate(tokens):
            age = age_in(token)
            if age is None or not token.strip(".,!?;:").isdigit():
                continue
            window = " ".join(tokens[max(0, index - 2) : index + 3])
            if "age_words" in self._engine.meanings(window, turn.language):
                return age
        return None

    async def _unclear(self, turn: TurnState, question: str) -> bool:
        """ "ok" to either question, "hello??" to either (she is waiting for an answer), or asking for a
        person in words instead of saying yes to one."""
        if "ok" in self._engine.meanings(turn.text, turn.language):
            return True
        if len(turn.text.split()) <= 2 and parse_payload(turn.text) is None:
            turn.parse = turn.parse or await self._engine.parse(turn.text, turn.language)
            if turn.parse.intent == "greet":
                return True
        return question == "consent" and turn.parse is not None and turn.parse.intent == "human_handoff"

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
        moved_on = any(r.asks or r.key in NEW_DIRECTION | NOT_UNDERSTOOD for r in replies)
        return bool(replies) and not moved_on and turn.prefs.asked_times < MAX_ASKS
