"""The held-out accuracy each language must reach, and the accuracy of its last committed report, so
that `python -m bot evaluate` shows a change that hurts (issue 16 §2) and fails below the goal."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bot.ops.settings import ROOT

# The goals of the conversation issue, on phrasings written independently of the training data.
GOALS = {"en": 0.88}
DEFAULT_GOAL = 0.85
_ACCURACY = re.compile(r"Accuracy: (\d+(?:\.\d+)?)")


def goal(language: str) -> float:
    return GOALS.get(language, DEFAULT_GOAL)


def report_accuracy(text: str) -> float | None:
    """The "Accuracy:" of a held-out report (bot/rasa/nlu_eval.py's Markdown), if it has one."""
    found = _ACCURACY.search(text)
    return float(found.group(1)) if found else None


def committed_accuracy(report: Path, root: Path = ROOT) -> float | None:
    """The accuracy in the report as last committed (git's HEAD), not as a run just rewrote it; the
    file on disk when git cannot say (no repository), None when there is no report yet."""
    relative = report.resolve().relative_to(root.resolve()).as_posix()
    git = shutil.which("git")
    if git is not None:
        shown = subprocess.run(  # noqa: S603  # fixed argv, no shell
            [git, "show", f"HEAD:{relative}"], cwd=root, capture_output=True, text=True, check=False
        )
        if shown.returncode == 0:
            return report_accuracy(shown.stdout)
    if report.exists() and not (root / ".git").exists():
        return report_accuracy(report.read_text(encoding="utf-8"))
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    language: str
    before: float | None  # the last committed report's accuracy
    after: float

    @property
    def meets_goal(self) -> bool:
        return self.after >= goal(self.language)

    def describe(self) -> str:
        if self.before is None:
            change = "no committed report to compare with"
        else:
            delta = round(self.after, 3) - self.before  # as precise as the reports are
            change = f"before {self.before:.3f}, change {delta:+.3f}" + (" (worse)" if delta < -5e-4 else "")
        verdict = "meets" if self.meets_goal else "BELOW"
        return f"{change}; {verdict} the goal {goal(self.language):.2f}"
