"""The consent-first inbox (issue 16 §1): after a message the assistant did not understand, once per
conversation, it asks whether the sentence may be kept, with names, numbers and links removed, to
help it understand others. A yes keeps it with no link to her (bot/inbox/store.py); a no, or anything
else, drops it. Yes and no are read by the keywords in every language, as other answers are
(`yes_or_no`), so the NLU needs no retraining.

Never asked: in a turn about danger or self-harm, within an hour of her saying she was in danger,
once the dialogue knows of danger, self-harm or that she is a minor, during a handoff, on SMS (each
question would cost a segment), in a turn that already asks something (a yes must answer one
question), to a button press, and at all unless the helpline turned it on (`INBOX_ASK`; in discreet
mode only with `INBOX_IN_DISCREET_MODE`).
"""

from __future__ import annotations

import time

from bot.channels.twilio.parse import CHANNEL as SMS
from bot.inbox.scrub import scrub
from bot.inbox.store import InboxStore, Waiting
from bot.pipeline.messages import OutboundMessage
from bot.pipeline.preferences import PreferenceStore
from bot.pipeline.stages.questions import NOT_UNDERSTOOD, yes_or_no
from bot.pipeline.stages.safety import DANGER_LINGERS
from bot.pipeline.turn import Proceed, Replies, TurnState
from bot.rasa.engine import Engine, Parse
from bot.rasa.payloads import parse_payload

ASKS = "inbox"
NEVER_WITH = frozenset({"danger", "self_harm", "minor"})  # risks the dialogue noted
SMS_CHANNELS = frozenset({SMS})
UNSURE = "nlu_fallback"


def model_guess(parse: Parse) -> tuple[str, float]:
    """The likeliest intent the model gave that is not its fallback, and its confidence."""
    ranking = [parse.data.get("intent") or {}, *(parse.data.get("intent_ranking") or ())]
    for candidate in ranking:
        if candidate.get("name") and candidate["name"] != UNSURE:
            return str(candidate["name"]), round(float(candidate.get("confidence") or 0.0), 3)
    return UNSURE, 0.0


class InboxConsent:
    def __init__(self, *, engine: Engine, preferences: PreferenceStore, inbox: InboxStore, ask: bool) -> None:
        """`ask`: the helpline allows the question (INBOX_ASK, and discreet mode allows it)."""
        self._engine = engine
        self._preferences = preferences
        self._inbox = inbox
        self._ask = ask

    async def __call__(self, turn: TurnState, proceed: Proceed) -> Replies:
        if any(asked.question == ASKS for asked in turn.prefs.asked):
            return await self._answer(turn, proceed)
        text = turn.text
        replies = await proceed(turn)
        if self._ask and await self._may_ask(turn, text, replies):
            replies.append(await self._ask_about(turn, text))
        return replies

    async def _answer(self, turn: TurnState, proceed: Proceed) -> Replies:
        """Her answer: a yes keeps the sentence; whatever she writes, it no longer waits."""
        waiting = await self._inbox.answered(turn.conversation)
        in_danger = turn.urgent or _danger_lately(turn)
        answer = yes_or_no(self._engine, turn) if turn.readable and not in_danger else None
        if answer is None:
            return await proceed(turn)  # answered as itself; the sentence is dropped
        if answer and waiting is not None:
            await self._inbox.keep(waiting)
            return [self._engine.render("inbox_kept", turn.language, turn.country)]
        return [self._engine.render("inbox_not_kept", turn.language, turn.country)]

    async def _may_ask(self, turn: TurnState, text: str, replies: Replies) -> bool:
        if (
            turn.prefs.inbox_asked
            or not turn.readable
            or parse_payload(text) is not None
            or turn.urgent
            or turn.in_handoff
            or turn.message.channel in SMS_CHANNELS
            or _danger_lately(turn)
            or not any(reply.key in NOT_UNDERSTOOD for reply in replies)
            or any(reply.asks for reply in replies)
        ):
            return False
        risks = (await self._engine.slots(turn.conversation)).get("risks") or ()
        return not NEVER_WITH & set(risks)

    async def _ask_about(self, turn: TurnState, text: str) -> OutboundMessage:
        parse = await self._engine.parse(text, turn.language)
        guess, confidence = model_guess(parse)
        waiting = Waiting(
            text=scrub(text, region=turn.country),
            language=parse.language,
            guess=guess,
            confidence=confidence,
        )
        await self._inbox.ask(turn.conversation, waiting)
        await self._preferences.update(turn.conversation, inbox_asked="1")
        return self._engine.render("inbox_ask", turn.language, turn.country)


def _danger_lately(turn: TurnState) -> bool:
    return turn.prefs.danger_at is not None and time.time() - turn.prefs.danger_at < DANGER_LINGERS
