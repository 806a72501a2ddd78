"""What every soak conversation says, and the check of what its chat received.

A conversation walks the account-takeover playbook: "someone hacked my instagram", then "/step_done"
nine times. Each answer is different (intro and step 1, steps 2 to 8, the recap, then the menu), so a
chat's texts show whether every update was answered once and in order. A turn that failed for good is
answered with the apology and changes nothing, so the update after it gets the answer it would have had.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.channels.telegram.render import render
from bot.language.i18n import Catalogs
from bot.pipeline.messages import OutboundMessage
from bot.rasa.nlg import Renderer
from bot.rasa.turn_context import TurnContext
from content.model import load_library
from content.texts import load_texts

SCRIPT = ("someone hacked my instagram", *["/step_done"] * 9)


class Outcome(StrEnum):
    ANSWERED = "answered"
    APOLOGY = "apology"
    LOST = "lost"  # never came, but the next update's answer did: the turn ran, its reply was not sent
    MISSING = "missing"  # nothing from here on (yet)
    UNVERIFIED = "unverified"  # after the order broke, nothing more can be said


@dataclass(slots=True)
class ChatCheck:
    outcomes: list[Outcome]  # per update of SCRIPT
    last_text: list[int | None]  # per update: the index of its answer's last text
    repeats: list[int]  # per text that came again later: the update after which it did
    resent: list[int]  # per text that came twice in a row: a send in flight when its replica crashed
    broken_at: int | None  # the update whose answer was out of order


@dataclass(frozen=True, slots=True)
class Walk:
    """The answers learned on the healthy system, and the check of one chat against them."""

    answers: tuple[tuple[str, ...], ...]  # to SCRIPT[i] after i answered updates
    not_started: tuple[str, ...]  # to "/step_done" when the first update got the apology
    apology: str

    def check(self, texts: Sequence[str]) -> ChatCheck:
        result = ChatCheck(outcomes=[], last_text=[], repeats=[], resent=[], broken_at=None)
        seen: set[str] = set()
        pos, walked, update = 0, 0, 0
        while update < len(SCRIPT):
            started = update == 0 or walked > 0
            want = self.answers[walked] if started else self.not_started
            if tuple(texts[pos : pos + len(want)]) == want:
                result.outcomes.append(Outcome.ANSWERED)
                seen.update(want)
                pos += len(want)
                walked += started
            elif pos < len(texts) and texts[pos] == self.apology:
                result.outcomes.append(Outcome.APOLOGY)
                pos += 1
            elif started and self._next_answer_at(texts, pos, walked):
                result.outcomes.append(Outcome.LOST)
                result.last_text.append(None)
                walked += 1
                update += 1
                continue
            elif pos >= len(texts):
                result.outcomes += [Outcome.MISSING] * (len(SCRIPT) - update)
                break
            elif texts[pos] in seen:
                self._again(result, texts, pos, update - 1)
                pos += 1
                continue
            else:
                result.broken_at = update
                result.outcomes += [Outcome.UNVERIFIED] * (len(SCRIPT) - update)
                break
            result.last_text.append(pos - 1)
            update += 1
        if result.broken_at is None:  # texts after the last answer
            for extra in range(pos, len(texts)):
                self._again(result, texts, extra, len(SCRIPT) - 1)
        result.last_text += [None] * (len(SCRIPT) - len(result.last_text))
        return result

    @staticmethod
    def _again(result: ChatCheck, texts: Sequence[str], pos: int, update: int) -> None:
        """A text that was sent before: resent if right after itself (the outbox sends at least once:
        a request in flight when its replica died is sent again), else a duplicate answer."""
        resent = pos > 0 and texts[pos] == texts[pos - 1]
        (result.resent if resent else result.repeats).append(max(update, 0))

    def _next_answer_at(self, texts: Sequence[str], pos: int, walked: int) -> bool:
        following = self.answers[walked + 1] if walked + 1 < len(self.answers) else None
        return following is not None and tuple(texts[pos : pos + len(following)]) == following

    def is_distinct(self) -> bool:
        """Every answer's texts differ from every other's and from the apology: the check can tell."""
        texts = [text for answer in self.answers for text in answer]
        return len(set(texts)) == len(texts) and self.apology not in texts


def apology_text() -> str:
    """The reply to a turn that failed for good (bot/pipeline/gateway.py), as Telegram shows it."""
    renderer = Renderer(
        texts=load_texts(), library=load_library(), catalogs=Catalogs(), show_unverified=False, helpline=None
    )
    reply = renderer.render("technical_problem", {}, TurnContext(language="en", country=None, channel="soak"))
    return render([OutboundMessage(text=reply["text"])])[0].text
