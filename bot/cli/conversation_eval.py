"""The conversation corpus (tests/conversations/<lang>.yml) through the real gateway, property by property.

Each conversation is typed turn by turn into `Gateway.turn` on the channel and country it names, with
the real NLU and dialogue models, the real action server and Redis. What the assistant answers is
checked against properties a counsellor would check (tests/conversations/README.md), not wordings.
`python -m bot evaluate --conversations` writes the pass rates to reports/conversations.md and every
transcript to reports/conversations/<lang>.md, for reading as a counsellor would.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.cli.corpus import Script
from bot.language.detection import Detector
from bot.ops.settings import ROOT
from bot.pipeline.gateway import Gateway
from bot.pipeline.messages import InboundKind, InboundMessage, OutboundMessage
from bot.rasa.engine import Engine
from content.model import Library, load_library

REPORT = ROOT / "reports" / "conversations.md"
TRANSCRIPTS = ROOT / "reports" / "conversations"
CHANNELS = {"whatsapp": "whatsapp", "telegram": "telegram", "sms": "twilio", "web": "web"}
PLAYBOOKS = frozenset(
    {"secure_account", "doxxing", "report_abuse", "intimate_images", "sextortion", "impersonation",
     "stalking", "document_evidence"}
)  # fmt: skip
PROPERTIES = (
    "recognised", "danger", "language", "consent", "no_loop", "few_replies", "minor_safe", "self_harm",
    "exit", "erase", "answered",
)  # fmt: skip
MAX_REPLIES = 6
HANDOFF_STARTED = frozenset({"handoff_queued", "helpline_closed"})
# The help in danger: the first time, and shortly after ("I'm still here", the numbers again).
EMERGENCY = frozenset({"emergency", "emergency_again"})
_DIGITS = re.compile(r"\D")
# A question asked in the middle (the `asks` mark) and the replies that answer it.
ANSWERS = {
    "fault": {"answer_fault"},
    "trouble": {"answer_trouble", "answer_trouble_minor"},
    "reported": {"answer_reported"},
    "pay": {"answer_pay"},
    "police": {"answer_police", "answer_police_minor", "answer_police_where", "answer_police_where_minor"},
    "noticed": {"caution_stalkerware"},
}


@dataclass(slots=True, kw_only=True)
class Outcome:
    script: Script
    replies: list[list[OutboundMessage]] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=dict)  # property -> what went wrong
    checked: set[str] = field(default_factory=set)

    def check(self, prop: str, ok: bool, why: str) -> None:
        self.checked.add(prop)
        if not ok:
            self.failures.setdefault(prop, []).append(why)


async def run_script(gateway: Gateway, engine: Engine, script: Script, channel: str | None = None) -> Outcome:
    """Type the conversation into the gateway and check every property that applies; on another
    `channel` than the script's if given (the SMS report types every conversation as SMS)."""
    channel = channel or CHANNELS[script.channel]
    sender = f"corpus-{script.id}-{uuid.uuid4().hex[:8]}"
    outcome = Outcome(script=script)
    slots_after: list[dict[str, Any]] = []
    for text in script.turns:
        message = InboundMessage(
            channel=channel,
            provider_id=uuid.uuid4().hex,
            sender=sender,
            kind=InboundKind.TEXT,
            text=text,
            country_hint=script.country if channel != "web" else None,
        )
        outcome.replies.append(await gateway.turn(message))
        slots_after.append(await engine.slots(message.conversation_id))
    _check(outcome, slots_after, engine, load_library())
    return outcome


def _check(outcome: Outcome, slots: list[dict[str, Any]], engine: Engine, library: Library) -> None:
    script, replies = outcome.script, outcome.replies
    _recognised(outcome, slots)
    for turn in script.turns_marked("danger"):
        _danger(outcome, turn, library)
    detector = Detector(engine.vocabularies)
    shown_her_language = False
    for turn, turn_replies in enumerate(replies):
        # Until a message shows her language, there is none to match: "hi", "salam", "sasa" open
        # conversations in several languages, and the channel's country can only guess.
        shown_her_language = shown_her_language or detector.confident(script.turns[turn]) is not None
        expected = script.language_at(turn)
        wrong = {r.language for r in turn_replies if r.language is not None and r.language != expected}
        if shown_her_language:
            outcome.check("language", not wrong, f"turn {turn}: answered in {sorted(wrong)}, not {expected}")
        outcome.check(
            "few_replies", len(turn_replies) <= MAX_REPLIES, f"turn {turn}: {len(turn_replies)} replies"
        )
    consent = set(script.turns_marked("consent"))
    refused = set(script.turns_marked("no_consent"))
    for turn, turn_replies in enumerate(replies):
        started = any(r.key in HANDOFF_STARTED for r in turn_replies)
        if started:
            said_yes = turn in consent or _plain_yes(engine, script.turns[turn], script.language_at(turn))
            ok = turn not in refused and said_yes
            outcome.check("consent", ok, f"turn {turn}: a handoff started without a yes")
        elif turn in consent or turn in refused:
            outcome.check("consent", True, "")
    _no_loop(outcome)
    if script.marks.get("minor"):
        _minor_safe(outcome, slots, engine)
    for turn in script.turns_marked("self_harm"):
        keys = [r.key for r in replies[turn]]
        outcome.check("self_harm", "self_harm" in keys, f"turn {turn}: {keys}")
    for turn in script.turns_marked("exit"):
        keys = [r.key for r in replies[turn]]
        outcome.check("exit", keys in ([], ["quick_exit"]), f"turn {turn}: {keys}")
    for turn, kind in (script.marks.get("asks") or {}).items():
        keys = [r.key for r in replies[int(turn)]]
        outcome.check("answered", bool(ANSWERS[kind] & set(keys)), f"turn {turn}: {kind} got {keys}")
    for turn in script.turns_marked("erase"):
        asks = [r.asks for r in replies[turn]]
        outcome.check("erase", "erase" in asks, f"turn {turn}: {[r.key for r in replies[turn]]}")


def _plain_yes(engine: Engine, text: str, language: str) -> bool:
    """A whole message that is a yes ("yes", "si", "ndio", "हाँ", "نعم"), as the writer answered a
    question she could not foresee: it consents to the question asked last."""
    return "affirm" in engine.meanings(text, language) and "negation" not in engine.meanings(text, language)


def _recognised(outcome: Outcome, slots: list[dict[str, Any]]) -> None:
    script, replies = outcome.script, outcome.replies
    start = int(script.marks.get("situation_turn") or 0)
    window = _two_turns(replies, start, skip_safety=script.situation != "danger")
    if script.situation == "danger":
        found = any(r.key in EMERGENCY for t in window for r in replies[t])
    elif script.situation == "human_handoff":
        wanted = {"handoff_offer", *HANDOFF_STARTED}
        found = any(r.key in wanted for t in window for r in replies[t])
    elif script.situation in PLAYBOOKS:
        found = any(slots[t].get("situation") == script.situation for t in window)
    else:
        return
    outcome.check("recognised", found, f"turns {list(window)}: {script.situation} not recognised")


def _two_turns(replies: Sequence[Sequence[OutboundMessage]], start: int, *, skip_safety: bool) -> range:
    """Two turns from `start`; danger and thoughts of suicide come first, so a turn answered with that
    help does not count against the two the situation has to be recognised in."""
    end, counted = start, 0
    while end < len(replies) and counted < 2:
        first = replies[end][0].key if replies[end] else None
        counted += 0 if skip_safety and first in EMERGENCY | {"self_harm"} else 1
        end += 1
    return range(start, end)


def _danger(outcome: Outcome, turn: int, library: Library) -> None:
    """The first reply is the emergency reply: with a number of the country she is in, or the
    question where she is."""
    replies = outcome.replies[turn]
    first = replies[0] if replies else None
    if first is None or first.key not in EMERGENCY:
        outcome.check("danger", False, f"turn {turn}: first reply {first.key if first else None}")
        return
    if first.asks == "country":
        outcome.check("danger", True, "")
        return
    country = outcome.script.country_at(turn)
    numbers = {
        _DIGITS.sub("", contact.value)
        for resource in library.resources
        if resource.country == country and resource.kind == "emergency" and resource.source.verified
        for contact in resource.contacts
        if contact.type == "voice"
    }
    shown = _DIGITS.sub(" ", first.text).split()
    outcome.check("danger", bool(numbers & set(shown)), f"turn {turn}: no number for {country}")


def _no_loop(outcome: Outcome) -> None:
    """No step shown again on the next turn, no question asked three turns running."""
    previous_steps: set[str] = set()
    asked_run: list[str | None] = []
    for turn, turn_replies in enumerate(outcome.replies):
        steps = {r.text for r in turn_replies if r.key == "step"}
        repeated = steps & previous_steps
        outcome.check("no_loop", not repeated, f"turn {turn}: the same step again")
        previous_steps = steps
        asked = next((r.asks for r in reversed(turn_replies) if r.asks), None)
        asked_run.append(asked)
        run = asked_run[-3:]
        looping = len(run) == 3 and run[0] is not None and len(set(run)) == 1
        outcome.check("no_loop", not looping, f"turn {turn}: '{asked}' asked three turns running")


def _minor_safe(outcome: Outcome, slots: list[dict[str, Any]], engine: Engine) -> None:
    """A minor is never shown a step's adult wording that asks to capture or keep an image."""
    adult_texts = set()  # a step with a minors' wording is one whose adult wording captures or keeps
    for language in engine.languages:
        for name, playbook in load_library().playbooks.items():
            for index, step in enumerate(playbook.steps):
                if step.minors is not None:
                    params = {"playbook": name, "step": index, "minor": False}
                    adult_texts.add(engine.render("step", language, params=params).text)
    for turn, turn_replies in enumerate(outcome.replies):
        shown = [r for r in turn_replies if r.key == "step" and r.text in adult_texts]
        outcome.check("minor_safe", not shown, f"turn {turn}: an adult capture step shown to a minor")
    known = any("minor" in (s.get("risks") or ()) for s in slots)
    outcome.check("minor_safe", known or not _reached_capture(outcome), "never learnt she is a minor")


def _reached_capture(outcome: Outcome) -> bool:
    return any(r.key == "step" for turn in outcome.replies for r in turn)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rates:
    """Pass rates per language and property: (passed, applicable) conversations."""

    counts: Mapping[str, Mapping[str, tuple[int, int]]]

    def rate(self, language: str, prop: str) -> float | None:
        passed, total = self.counts[language].get(prop, (0, 0))
        return passed / total if total else None


def rates(outcomes: Sequence[Outcome]) -> Rates:
    counts: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
    for outcome in outcomes:
        language = outcome.script.language
        for prop in outcome.checked:
            passed, total = counts[language].get(prop, (0, 0))
            counts[language][prop] = (passed + (prop not in outcome.failures), total + 1)
    return Rates(counts=dict(counts))


def write_report(outcomes: Sequence[Outcome], path: Path = REPORT, transcripts: Path = TRANSCRIPTS) -> Path:
    summary = rates(outcomes)
    languages = sorted(summary.counts)
    lines = [
        "# Conversation corpus: pass rates",
        "",
        "Written by `python -m bot evaluate --conversations`; properties in tests/conversations/README.md.",
        "Each cell: share of the conversations where the property applies that pass it (passed/total).",
        "",
        "| property | " + " | ".join(languages) + " |",
        "|---|" + "---|" * len(languages),
    ]
    for prop in PROPERTIES:
        cells = []
        for language in languages:
            passed, total = summary.counts[language].get(prop, (0, 0))
            cells.append(f"{passed / total:.0%} ({passed}/{total})" if total else "–")
        lines.append(f"| {prop} | " + " | ".join(cells) + " |")
    lines += ["", "## Failures", ""]
    for outcome in outcomes:
        for prop, whys in sorted(outcome.failures.items()):
            lines.append(f"- {outcome.script.id} **{prop}**: {'; '.join(whys)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    transcripts.mkdir(parents=True, exist_ok=True)
    for language in languages:
        mine = [o for o in outcomes if o.script.language == language]
        (transcripts / f"{language}.md").write_text(_transcripts(mine), encoding="utf-8")
    return path


def _transcripts(outcomes: Sequence[Outcome]) -> str:
    parts = []
    for outcome in outcomes:
        script = outcome.script
        failed = ", ".join(sorted(outcome.failures)) or "none"
        where = script.country or "no country"
        parts.append(f"## {script.id} ({script.channel}, {where}) — failed: {failed}")
        parts.append(f"_{script.persona}_\n")
        for text, turn_replies in zip(script.turns, outcome.replies, strict=True):
            parts.append(f"**she:** {text}")
            for reply in turn_replies:
                buttons = f" [{' | '.join(c.title for c in reply.choices)}]" if reply.choices else ""
                body = reply.text.replace("\n", " / ")
                parts.append(f"> `{reply.key}` {body}{buttons}")
            parts.append("")
    return "\n".join(parts)
