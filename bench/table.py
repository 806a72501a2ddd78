"""One row per measured metric: ours against its baseline, the ratio, the goal and whether it is met."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

Op = Literal["<=", ">=", "<"]
COMPARE: dict[Op, Callable[[float, float], bool]] = {"<=": operator.le, ">=": operator.ge, "<": operator.lt}


@dataclass(frozen=True, slots=True, kw_only=True)
class Goal:
    """A bound on the ratio ours / baseline, e.g. Goal("<=", 1.15)."""

    op: Op
    limit: float

    def met(self, ratio: float) -> bool:
        return COMPARE[self.op](ratio, self.limit)

    def __str__(self) -> str:
        return f"{self.op}{self.limit:g}x"


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    metric: str
    ours: float
    baseline: float | None = None  # what `ours` is compared with; None when nothing compares
    goal: Goal | None = None

    @property
    def ratio(self) -> float | None:
        return self.ours / self.baseline if self.baseline else None


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def render(rows: Sequence[Row]) -> str:
    header = ("metric", "ours", "baseline", "ratio", "goal", "met?")
    lines = [header]
    for row in rows:
        ratio = row.ratio
        met = "-" if row.goal is None or ratio is None else "yes" if row.goal.met(ratio) else "NO"
        ratio_text = "-" if ratio is None else f"{ratio:.2f}x"
        lines.append(
            (row.metric, _number(row.ours), _number(row.baseline), ratio_text, str(row.goal or "-"), met)
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )
