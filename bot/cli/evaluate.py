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
from bot.rasa.nlu_eval import REPORTS_DIR, evaluate, heldout_languages, write_report
from bot.rasa.nlu_goals import Change, committed_accuracy
from bot.storage.connection import connect_redis


async def evaluate_heldout(
    engine: Engine, languages: list[str], reports_dir: Path = REPORTS_DIR, root: Path = ROOT
) -> list[Change]:
    """Each language's report, and its accuracy beside the last committed report's."""
    changes = []
    for language in languages:
        evaluation = await evaluate(engine, language)
        before = committed_accuracy(reports_dir / f"nlu-{language}.md", root)
        path = write_report(evaluation, reports_dir)
        change = Change(language=language, before=before, after=evaluation.accuracy)
        changes.append(change)
        print(
            f"{language}: accuracy {evaluation.accuracy:.3f} ({change.describe()}), macro-F1 "
            f"{evaluation.macro_f1:.3f} on {evaluation.total} held-out examples -> {path.relative_to(root)}"
        )
    return changes


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


def heldout(settings: Settings, language: str | None) -> int:
    """0 when every language meets its goal (bot/rasa/nlu_goals.py), else 1."""
    engine = Engine.load(settings)
    languages = [language] if language else heldout_languages()
    changes = asyncio.run(evaluate_heldout(engine, [lang for lang in languages if lang in engine.languages]))
    missed = [change.language for change in changes if not change.meets_goal]
    if missed:
        print(f"below the held-out goal: {', '.join(missed)}")
    return 1 if missed else 0


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
