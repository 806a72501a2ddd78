"""Safety first, in every state and every language: danger, self-harm, quick exit and erase.

Looked for on every readable message before anything else reads it — while the person works through
steps, answers a question, waits in the helpline queue or talks to staff — by button, by the keyword
phrases of every language, and by the NLU model of the language she writes in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from bot.channels.base import Channel
from bot.handoff.desk import Desk
from bot.handoff.flow import HandoffFlow
from bot.handoff.model import Risk
from bot.language.keywords import RECORD_REQUESTS, SAFETY
from bot.pipeline.preferences import PreferenceStore
from bot.pipeline.stages.questions import note_country
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.rasa.action_endpoint import ActionServerUnavailable
from bot.rasa.engine import DECISIVE_CONFIDENCE, Engine, StorageUnavailable
from bot.rasa.payloads import parse_payload

log = logging.getLogger(__name__)

# The model's reading counts for these when it is this sure (a keyword or a button always counts).
MODEL_CONFIDENCE = {"immediate_danger": 0.5, **DECISIVE_CONFIDENCE}
# Below this, the model's "danger" is a guess: she is asked whether she is safe rather than told to call
# the emergency services (a keyword, a button or a surer model still gives the numbers at once).
UNSURE_DANGER = MODEL_CONFIDENCE["immediate_danger"]
BUTTONS = frozenset({*SAFETY, "erase_confirmed", "erase_cancelled"})
URGENT = {
    "immediate_danger": (Risk.DANGER, "emergency"),
    "danger_again": (Risk.DANGER, "emergency_again"),
    "self_harm": (Risk.SELF_HARM, "self_harm"),
}
# Physical danger: stalking happening now ("he is following me right now"); someone at her door,
# gate or window now, or after stalking or her address being posted ("men came to my gate").
PHYSICAL = frozenset({"stalking"})
PRESENCE = frozenset({"stalking", "doxxing"})
# After she said she was in danger, someone at her door is danger whatever else the words say
# ("rah bra": he's outside), for this long.
DANGER_LINGERS = 3600.0
# Shortly after she said she was in danger, what she writes next is about that danger: "ya llamé al
# 911", "dar lag rha h", "when will the police come", a message the model cannot place.
# It is answered as someone still in danger ("I'm still here", the numbers again), never with a menu
# or "did you mean".
DANGER_FOLLOW_UP = 900.0
# "He's here" and nothing more: someone came in, and she has no time to say she is leaving.
ARRIVAL_WORDS = 4
FOLLOWS_DANGER = frozenset({"immediate_danger", "nlu_fallback", "ask_police"})


class Safety:
    def __init__(
        self,
        *,
        engine: Engine,
        desk: Desk,
        handoff: HandoffFlow,
        preferences: PreferenceStore,
        channels: Mapping[str, Channel],
        erase: Callable[[str], Awaitable[None]],
        drop_draft: Callable[[str], Awaitable[None]],
    ) -> None:
        """`drop_draft`: forget the record entry she was writing (quick exit keeps nothing half-written)."""
        self._engine = engine
        self._desk = desk
        self._handoff = handoff
        self._preferences = preferences
        self._channels = channels
        self._erase = erase
        self._drop_draft = drop_draft

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        signal = await self._signal(turn) if turn.readable else None
        language, country = turn.language, turn.country
        match signal:
            case None:
                return await proceed(turn)
            case "quick_exit":
                return await self._quick_exit(turn)
            case "erase_data":
                if await self._unreachable(turn):  # the question could not reach her: erase at once
                    await self._erase(turn.conversation)
                    return []
                return [self._engine.render("erase_confirm", language, country)]
            case "erase_cancelled":
                return [self._engine.render("erase_cancelled", language, country)]
            case "erase_confirmed":
                await self._erase(turn.conversation)
                return [self._engine.render("erase_done", language, country)]
            case "fear":  # "I'm so scared", and nothing else the model can place: is she safe?
                await note_country(turn, self._engine, self._preferences)  # for the numbers if not
                return [self._engine.render("fear_check", language, turn.country)]
        risk, reply = URGENT[signal]
        turn.urgent = True
        if risk is Risk.DANGER:
            await self._preferences.update(turn.conversation, danger_at=str(time.time()))
        await note_country(turn, self._engine, self._preferences)  # "he's here, I'm in Kenya"
        country = turn.country
        if not turn.in_handoff and signal == "danger_again":
            return self._still_in_danger(turn)
        if not turn.in_handoff:
            return await proceed(turn)  # the dialogue answers: the help, then the offer of a person
        ticket = await self._desk.ticket_if_open(turn.conversation, turn.ticket_id)
        if ticket is not None:  # she wrote it to the helpline too: they must see it, and hurry
            await self._desk.from_person(ticket, turn.message.text)
            await self._desk.raise_risk(ticket, risk)
        return [self._engine.render(reply, language, country)]

    def _still_in_danger(self, turn: TurnState) -> Replies:
        """The numbers again with "I'm still here", and the offer of a person unless it is open."""
        replies = [self._engine.render("emergency_again", turn.language, turn.country)]
        if not any(a.question == "consent" for a in turn.prefs.asked):
            replies.append(self._engine.render("handoff_offer", turn.language, turn.country))
        return replies

    async def _signal(self, turn: TurnState) -> str | None:
        """What the message asks of this stage: a safety meaning, danger again shortly after danger,
        fear the model cannot place ("is she safe?"), or None."""
        signal = await self._read(turn)
        if signal not in {None, "immediate_danger"}:
            return signal
        if self._danger_within(turn, DANGER_FOLLOW_UP):
            return "danger_again" if signal or self._follows_danger(turn) else None
        if signal is None and self._scared(turn):
            return "fear"
        return signal

    def _scared(self, turn: TurnState) -> bool:
        """ "I'm so scared" and nothing the model can place; not to the helpline, who read it as it is."""
        if turn.in_handoff or turn.parse is None or turn.parse.intent != "nlu_fallback":
            return False
        return "fear" in self._engine.meanings(turn.text, turn.language)

    @staticmethod
    def _danger_within(turn: TurnState, seconds: float) -> bool:
        return turn.prefs.danger_at is not None and time.time() - turn.prefs.danger_at < seconds

    def _follows_danger(self, turn: TurnState) -> bool:
        """Fear, or what the model cannot place or reads as danger or the police, said shortly after the
        danger (not a button: it says what it means; not to the helpline: staff read it as it is)."""
        if turn.in_handoff or parse_payload(turn.text) is not None or turn.parse is None:
            return False
        if any(a.question == "country" for a in turn.prefs.asked):
            return False  # she is saying where she is: the numbers there come with the answer
        meanings = self._engine.meanings(turn.text, turn.language)
        return "fear" in meanings or turn.parse.intent in FOLLOWS_DANGER

    async def _read(self, turn: TurnState) -> str | None:
        payload = parse_payload(turn.text)
        if payload is not None and payload[0] in BUTTONS:
            return payload[0]
        meanings = self._engine.meanings(turn.text, turn.language)
        found = [m for m in meanings if m in SAFETY]
        if found:
            return found[0]
        if payload is not None:  # another button: the stages below answer it
            return None
        if set(RECORD_REQUESTS) & set(meanings):  # "nataka kuweka kumbukumbu", the whole message: a
            return None  # request about her record, which the model was never trained on
        if "arriving" in meanings and "leaving" in meanings:  # "mum is coming, I have to go"
            return "quick_exit"
        turn.parse = turn.parse or await self._engine.parse(turn.text, turn.language)
        intent = turn.parse.intent
        recent_danger = self._danger_within(turn, DANGER_LINGERS)
        if self._only_someone_arriving(turn, meanings) and not recent_danger:
            return "quick_exit"  # "वो आ गया", "he's back": the screen must be clean
        near = intent in PRESENCE or intent == "immediate_danger" or recent_danger  # however unsure
        if "nearby" in meanings and ("urgency" in meanings or near):
            turn.parse = turn.parse.forced("immediate_danger")
            return "immediate_danger"
        if intent in PHYSICAL and "urgency" in meanings:  # "he is following me right now"
            turn.parse = turn.parse.forced("immediate_danger")
            return "immediate_danger"
        if turn.parse.intent == "goodbye" and "arriving" in meanings:  # "my mum is coming, bye"
            return "quick_exit"
        if turn.parse.intent == "immediate_danger" and turn.parse.confidence < UNSURE_DANGER:
            if any(a.question == "safety" for a in turn.prefs.asked):  # asked just now: not again
                turn.parse = turn.parse.second_guess()
            else:  # "hi is this the place for help with pics": the dialogue asks whether she is safe
                turn.parse = turn.parse.with_entity("sure", "no")
        threshold = MODEL_CONFIDENCE.get(turn.parse.intent)
        return turn.parse.intent if threshold is not None and turn.parse.confidence >= threshold else None

    @staticmethod
    def _only_someone_arriving(turn: TurnState, meanings: list[str]) -> bool:
        """A few words saying someone came in, and nothing of danger ("help he is here" is not leaving)."""
        if "arriving" not in meanings or len(turn.text.split()) > ARRIVAL_WORDS:
            return False
        alarmed = {"urgency", "nearby", "fear"} & set(meanings)
        return not alarmed and turn.parse is not None and turn.parse.intent != "immediate_danger"

    async def _unreachable(self, turn: TurnState) -> bool:
        """She opted out of messages on her channel (SMS STOP): nothing we send reaches her."""
        channel = self._channels.get(turn.message.channel)
        return channel is not None and await channel.opted_out(turn.message.sender)

    async def _quick_exit(self, turn: TurnState) -> Replies:
        """The same quick exit whatever asked for it: the ticket closed, nothing half-written kept,
        the dialogue started afresh, and the chat wiped where the channel can (else one neutral line)."""
        conversation = turn.conversation
        await self._desk.cancel(conversation, "quick_exit")
        await self._handoff.forget(conversation)
        await self._drop_draft(conversation)
        try:
            await self._engine.handle(
                conversation, "/quick_exit", language=turn.language, channel=turn.message.channel
            )
        except (ActionServerUnavailable, StorageUnavailable):  # leaving must not wait: the chat still goes
            log.warning("gateway.quick_exit_without_rasa")
        channel = self._channels.get(turn.message.channel)
        if channel is not None and await channel.wipe(turn.message.sender):
            return []  # the chat is gone from their phone: say nothing more
        return [self._engine.render("quick_exit", turn.language, turn.country)]
