"""`python -m bot evaluate`: held-out NLU accuracy, or the conversation corpus, into reports/."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from bot.cli import conversation_eval, corpus
from bot.ops.app import build_gateway
from bot.ops.settings import ROOT, Settings
from bot.rasa.action_server import running_action_server
from bot.rasa.engine import Engine
from bot.rasa.nlu_eval import evaluate, heldout_languages, write_report
from bot.storage.connection import connect_redis


async def _evaluate(engine: Engine, languages: list[str]) -> None:
    for language in languages:
        evaluation = await evaluate(engine, language)
        path = write_report(evaluation)
        print(
            f"{language}: accuracy {evaluation.accuracy:.3f}, macro-F1 {evaluation.macro_f1:.3f} "
            f"on {evaluation.total} held-out examples -> {path.relative_to(ROOT)}"
        )


async def _evaluate_conversations(
    settings: Settings, engine: Engine, languages: list[str] | None, folder: Path, out: Path | None
) -> None:
    gateway = build_gateway(settings, engine, connect_redis(settings))
    scripts = corpus.load_scripts(languages, folder)
    outcomes = [await conversation_eval.run_script(gateway, engine, script) for script in scripts]
    if out is None:
        path = conversation_eval.write_report(outcomes)
    else:
        path = conversation_eval.write_report(outcomes, out / "conversations.md", out / "conversations")
    summary = conversation_eval.rates(outcomes)
    for language in sorted(summary.counts):
        cells = [
            f"{prop} {rate:.0%}"
            for prop in conversation_eval.PROPERTIES
            if (rate := summary.rate(language, prop)) is not None
        ]
        print(f"{language}: {', '.join(cells)}")
    print(f"{len(outcomes)} conversations -> {path}")


def heldout(settings: Settings, language: str | None) -> None:
    engine = Engine.load(settings)
    languages = [language] if language else heldout_languages()
    asyncio.run(_evaluate(engine, [lang for lang in languages if lang in engine.languages]))


def conversations(
    settings: Settings, language: str | None, folder: Path | None = None, out: Path | None = None
) -> None:
    """The corpus, or a reviewer's own folder of conversations (its report beside them, or in `out`)."""
    # Where she is comes from her channel and her words only, as on the web chat.
    settings = replace(settings, default_country=None)
    engine = Engine.load(settings)
    languages = [language] if language else None
    if folder is not None:
        out = out or folder
    with running_action_server(settings.action_server_url):
        asyncio.run(_evaluate_conversations(settings, engine, languages, folder or corpus.CORPUS, out))
