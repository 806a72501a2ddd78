"""`python -m bot sms-report`: what the assistant costs on SMS, per language, into reports/sms.md.

First every response and playbook step as an SMS turn of its own carries it (its SMS wording, folded
into GSM-7 where the language allows, choices numbered, paged by the budget as the outbox pages it):
encoding and segments. Then the conversation corpus (tests/conversations/) typed into the real
gateway as SMS, each turn paged as the outbox pages it: segments per reply turn, and their cost at a
price per segment.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from actions.replies import MENU
from bot.channels.gsm7 import Encoding
from bot.channels.twilio.render import TURN_BUDGET, cost
from bot.channels.twilio.render import sms_turn as sent_as_sms
from bot.cli import conversation_eval, corpus
from bot.ops.app import build_gateway
from bot.ops.settings import ROOT, Settings
from bot.pipeline.gateway import Gateway
from bot.pipeline.messages import Choice, OutboundMessage
from bot.pipeline.outbox import MORE
from bot.rasa.action_server import running_action_server
from bot.rasa.engine import Engine
from bot.rasa.nlg import likely_countries
from bot.storage.connection import connect_redis
from content.model import load_library
from content.texts import load_texts

REPORT = ROOT / "reports" / "sms.md"
FRAGMENTS = frozenset({"link_line", "resource_checked"})  # parts of other replies, never sent alone
# Values for the placeholders a reply is filled with at run time (a staff name, a queue position).
SAMPLE: dict[str, Any] = {
    "playbook": "secure_account", "step": 1, "done": ["safe_device"], "skipped": [], "platform": "instagram",
    "staff_name": "Amina", "text": "Hello, I'm here.", "position": 2, "wait": "10 min", "opens": "9:00",
    "language_name": "English", "country_name": "Kenya", "choices": [{"intent": i} for i in MENU],
    "number": 2, "time": "Dec 1, 2026, 9:30 UTC", "link": "https://help.example.org/r/" + "x" * 43,
    "entries": "1. Dec 5, 2026 · Instagram · he posted my address", "duration": "3 months",
}  # fmt: skip
ASKS_CHOICES = frozenset({"menu", "did_you_mean"})  # replies that carry the menu's list when sent


@dataclass(frozen=True, slots=True)
class Sent:
    """One SMS turn as the outbox sends it."""

    name: str
    encoding: Encoding
    segments: int
    held: bool  # the budget held part of it back for "more"


def sms_turn(name: str, replies: Sequence[OutboundMessage], more: str, folded: bool) -> Sent:
    bodies, rest = sent_as_sms(replies, Choice(title=more, payload=MORE), folded=folded)
    encoding, count = cost(bodies)
    return Sent(name=name, encoding=encoding, segments=count, held=bool(rest))


def texts_as_sent(engine: Engine, language: str, country: str | None, folded: bool) -> list[Sent]:
    """Every response, and every playbook step and platform variant, as one SMS turn."""
    more = engine.label("intents", "more", language)
    rows = []
    for key in load_texts().responses:
        if key in FRAGMENTS:
            continue
        params = SAMPLE if key in ASKS_CHOICES else {k: v for k, v in SAMPLE.items() if k != "choices"}
        rows.append(sms_turn(key, [engine.render(key, language, country, dict(params))], more, folded))
    for name, playbook in load_library().playbooks.items():
        for index, step in enumerate(playbook.steps):
            for platform in (None, *step.variants):
                params = {"playbook": name, "step": index, "platform": platform}
                reply = engine.render("step", language, country, params)
                label = f"{name}.{step.id}" + (f" [{platform}]" if platform else "")
                rows.append(sms_turn(label, [reply], more, folded))
    return rows


async def corpus_turns(gateway: Gateway, engine: Engine, language: str, folded: bool) -> list[Sent]:
    """Each reply turn of the language's corpus, every conversation typed as SMS."""
    more = engine.label("intents", "more", language)
    rows = []
    for script in corpus.load_scripts([language]):
        outcome = await conversation_eval.run_script(gateway, engine, script, channel="twilio")
        for turn, replies in enumerate(outcome.replies):
            if replies:
                rows.append(sms_turn(f"{script.id}#{turn}", replies, more, folded))
    return rows


def write_report(
    texts: dict[str, list[Sent]],
    corpus: dict[str, list[Sent]],
    price: float,
    folded: bool,
    path: Path = REPORT,
) -> Path:
    lines = [
        "# SMS: encoding, segments and cost",
        "",
        "Written by `python -m bot sms-report`. Each SMS turn is paged as the outbox pages it: at most "
        f'{TURN_BUDGET["GSM-7"]} GSM-7 or {TURN_BUDGET["UCS-2"]} UCS-2 segments, the rest held for "more". '
        f"Price: {price:g} per segment. SMS_FOLD={'true' if folded else 'false'}.",
        "",
        "| language | texts in GSM-7 | texts over 2 segments | corpus turns | segments per turn (mean) "
        "| most in one turn | turns held back | cost per turn | cost per conversation |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for language in sorted(texts):
        rows, turns = texts[language], corpus.get(language, [])
        gsm = sum(r.encoding == "GSM-7" for r in rows)
        long = sum(r.segments > 2 for r in rows)
        counts = [t.segments for t in turns]
        conversations = len({t.name.partition("#")[0] for t in turns}) or 1
        mean = statistics.mean(counts) if counts else 0.0
        cells = [
            f"{gsm}/{len(rows)}", str(long), str(len(turns)), f"{mean:.2f}", str(max(counts, default=0)),
            str(sum(t.held for t in turns)), f"{mean * price:.4f}",
            f"{sum(counts) * price / conversations:.4f}",
        ]  # fmt: skip
        lines.append(f"| {language} | " + " | ".join(cells) + " |")
    for language in sorted(texts):
        lines += ["", f"## {language}", "", "| text | encoding | segments | held back |", "|---|---|---|---|"]
        lines += [
            f"| {r.name} | {r.encoding} | {r.segments} | {'yes' if r.held else ''} |" for r in texts[language]
        ]
        held = [f"{t.name} ({t.encoding}, {t.segments})" for t in corpus.get(language, []) if t.held]
        if held:
            lines += ["", f'Corpus turns (conversation#turn) held back for "more": {", ".join(held)}.']
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def _report(
    settings: Settings, engine: Engine, languages: list[str], price: float, corpus: bool
) -> Path:
    gateway = build_gateway(settings, engine, connect_redis(settings))
    countries = tuple(sorted({r.country for r in load_library().resources} - {"international"}))
    texts, turns = {}, {}
    for language in languages:
        country = next(iter(likely_countries(language, countries)), settings.default_country)
        texts[language] = texts_as_sent(engine, language, country, settings.sms_fold)
        if corpus:
            turns[language] = await corpus_turns(gateway, engine, language, settings.sms_fold)
    return write_report(texts, turns, price, settings.sms_fold)


def report(settings: Settings, language: str | None, price: float, corpus: bool = True) -> None:
    settings = replace(settings, default_country=None)  # where she is: her phone number's country
    engine = Engine.load(settings)
    languages = [language] if language else engine.languages
    with running_action_server(settings.action_server_url):
        path = asyncio.run(_report(settings, engine, languages, price, corpus))
    print(f"{', '.join(languages)} -> {path.relative_to(ROOT)}")
