"""Each closed ticket adds one to counts, and nothing else is kept about it.

What is stored is exactly what a report can publish before suppression: for every month, one hash of
cells "dimension, value, country" (the tables of bot/insights/report.py). No ticket id, pseudonym,
time finer than a month, or word she wrote is in it, and no combination of more than two facts (a
dimension and the country), so a cell never becomes a record of one person. The counts never expire
and erase leaves them: they hold nothing about anyone (docs/privacy.md, docs/insights.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis

from bot.handoff.model import Risk, Ticket
from bot.storage.keys import PREFIX
from content.model import CONTENT_DIR, PLATFORMS

UNKNOWN = "unknown"
OTHER = "other"  # a category staff typed that is not one of ours: free text is never kept
SITUATIONS = frozenset(path.stem for path in (CONTENT_DIR / "playbooks").glob("*.yml"))
SEPARATOR = "\x1f"  # between the parts of a cell's name; no value contains it
RISKS = tuple(risk.value for risk in Risk)
# The dimensions a ticket is counted by, each against the country, in the order reports show them.
DIMENSIONS = (
    "language",
    "channel",
    "situation",
    "platform",
    *(f"risk_{risk}" for risk in RISKS),
    "reached_person",
    "outcome",
)


def _known(label: str | None, known: frozenset[str]) -> str:
    if not label:
        return UNKNOWN
    return label if label in known else OTHER


def month_key(month: str) -> str:
    """The hash of one month's cells (`YYYY-MM`)."""
    return f"{PREFIX}:insights:tickets:{month}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """What one closed ticket is counted as: a value for each dimension, and the country."""

    month: str
    country: str
    values: dict[str, str]

    @classmethod
    def of(cls, ticket: Ticket, closed_at: float) -> Facts:
        """The ticket's facts as staff recorded them at close (the case), else as she shared them."""
        summary, case = ticket.summary, ticket.case
        situation = (case.situation if case else None) or summary.situation
        platform = (case.platform if case else None) or summary.platform
        risks = {r.value for r in (case.risks if case else summary.risks)}
        values = {
            "language": summary.language or UNKNOWN,
            "channel": summary.channel or UNKNOWN,
            "situation": _known(situation, SITUATIONS),
            "platform": _known(platform, frozenset(PLATFORMS)),
            **{f"risk_{risk}": "yes" if risk in risks else "no" for risk in RISKS},
            "reached_person": "yes" if ticket.claimed_at is not None else "no",
            "outcome": ticket.outcome or UNKNOWN,
        }
        return cls(
            month=datetime.fromtimestamp(closed_at, UTC).strftime("%Y-%m"),
            country=summary.country.upper() if summary.country else UNKNOWN,
            values=values,
        )

    def cells(self) -> list[str]:
        return [SEPARATOR.join((name, self.values[name], self.country)) for name in DIMENSIONS]


class InsightCounts:
    """The monthly counts in Redis: added to at every close, read by reports."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def add(self, facts: Facts) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for cell in facts.cells():
                pipe.hincrby(month_key(facts.month), cell, 1)
            await pipe.execute()

    async def month(self, month: str) -> dict[tuple[str, str, str], int]:
        """One month's cells: (dimension, value, country) -> count."""
        raw = await self._redis.hgetall(month_key(month))
        cells: dict[tuple[str, str, str], int] = {}
        for name, count in raw.items():
            dimension, value, country = name.decode().split(SEPARATOR)
            cells[(dimension, value, country)] = int(count)
        return cells
