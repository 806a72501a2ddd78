"""Held-out NLU evaluation: accuracy, per-intent precision/recall/F1 and confusion pairs.

`python -m bot evaluate [--lang L]` reads tests/nlu/<lang>/heldout.yml (never trained on),
parses every
example through the same path as live messages, and writes reports/nlu-<lang>.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data

from bot.ops.settings import ROOT
from bot.rasa.engine import Engine

HELDOUT_DIR = ROOT / "tests" / "nlu"
REPORTS_DIR = ROOT / "reports"


@dataclass(frozen=True, slots=True, kw_only=True)
class IntentScore:
    intent: str
    support: int
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    language: str
    total: int
    accuracy: float
    macro_f1: float
    per_intent: list[IntentScore]
    confusions: list[tuple[str, str, int]]  # (expected, predicted, count)


def heldout_languages() -> list[str]:
    return sorted(p.parent.name for p in HELDOUT_DIR.glob("*/heldout.yml"))


def heldout_examples(language: str) -> list[tuple[str, str]]:
    data = load_data(str(HELDOUT_DIR / language / "heldout.yml"))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def score(language: str, pairs: list[tuple[str, str]]) -> Evaluation:
    """pairs: (expected, predicted) per example."""
    intents = sorted({expected for expected, _ in pairs})
    per_intent = []
    for intent in intents:
        true_positive = sum(1 for e, p in pairs if e == intent and p == intent)
        predicted = sum(1 for _, p in pairs if p == intent)
        support = sum(1 for e, _ in pairs if e == intent)
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / support
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent.append(
            IntentScore(intent=intent, support=support, precision=precision, recall=recall, f1=f1)
        )
    wrong = Counter((e, p) for e, p in pairs if e != p)
    return Evaluation(
        language=language,
        total=len(pairs),
        accuracy=sum(1 for e, p in pairs if e == p) / len(pairs),
        macro_f1=sum(s.f1 for s in per_intent) / len(per_intent),
        per_intent=per_intent,
        confusions=[(e, p, n) for (e, p), n in wrong.most_common(15)],
    )


async def evaluate(engine: Engine, language: str) -> Evaluation:
    pairs = []
    for text, expected in heldout_examples(language):
        parse = await engine.parse(text, language)
        pairs.append((expected, parse.intent))
    return score(language, pairs)


def markdown(evaluation: Evaluation) -> str:
    lines = [
        f"# Held-out NLU report: {evaluation.language}",
        "",
        f"Examples: {evaluation.total}. Accuracy: {evaluation.accuracy:.3f}. "
        f"Macro-F1: {evaluation.macro_f1:.3f}.",
        "Produced by `python -m bot evaluate` from tests/nlu/"
        f"{evaluation.language}/heldout.yml (never trained on).",
        "",
        "| intent | n | precision | recall | F1 |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {s.intent} | {s.support} | {s.precision:.2f} | {s.recall:.2f} | {s.f1:.2f} |"
        for s in evaluation.per_intent
    ]
    lines += [
        "",
        "## Most frequent confusions",
        "",
        "| expected | predicted | count |",
        "|---|---|---|",
    ]
    lines += [f"| {e} | {p} | {n} |" for e, p, n in evaluation.confusions]
    return "\n".join(lines) + "\n"


def write_report(evaluation: Evaluation, reports_dir: Path = REPORTS_DIR) -> Path:
    reports_dir.mkdir(exist_ok=True)
    path = reports_dir / f"nlu-{evaluation.language}.md"
    path.write_text(markdown(evaluation), encoding="utf-8")
    return path
