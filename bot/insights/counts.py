"""Each closed ticket, and each situation a conversation starts, adds one to counts, and nothing else
is kept about either.

Two units, each counted in tables of its own: closed helpline tickets (at close, bot/handoff/desk.py),
and conversations by situation (when the steps of a playbook, or the help in danger or for self-harm,
start: bot/pipeline/stages/counting.py), so conversations that never reach the helpline count too.
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
from redis.asyncio.client import Pipeline

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
TICKETS = "tickets"
CONVERSATIONS = "conversations"
# The help in danger and for self-harm start a situation too: counted beside the playbooks.
URGENT_SITUATIONS = ("danger", "self_harm")
STARTED_RISKS = ("danger", "self_harm", "minor")
# What a conversation is counted by when a situation starts, each against the country.
CONVERSATION_DIMENSIONS = (
    "language",
    "channel",
    "situation",
    "platform",
    *(f"risk_{risk}" for risk in STARTED_RISKS),
)
UNITS = {TICKETS: DIMENSIONS, CONVERSATIONS: CONVERSATION_DIMENSIONS}


def _known(label: str | None, known: frozenset[str]) -> str:
    if not label:
        return UNKNOWN
    return label if label in known else OTHER


def month_key(month: str, unit: str = TICKETS) -> str:
    """The hash of one month's cells (`YYYY-MM`) of one unit."""
    return f"{PREFIX}:insights:{unit}:{month}"


def _month(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m")


def _country(country: str | None) -> str:
    return country.upper() if country else UNKNOWN


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """What one closed ticket (or one situation a conversation started) is counted as: a value for
    each dimension of its unit, and the country."""

    month: str
    country: str
    values: dict[str, str]
    unit: str = TICKETS

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
        return cls(month=_month(closed_at), country=_country(summary.country), values=values)

    @classmethod
    def started(
        cls,
        situation: str,
        *,
        platform: str | None,
        risks: set[str],
        language: str,
        channel: str,
        country: str | None,
        at: float,
    ) -> Facts:
        """A situation a conversation started (a playbook, or `danger` / `self_harm` help)."""
        values = {
            "language": language or UNKNOWN,
            "channel": channel or UNKNOWN,
            "situation": _known(situation, SITUATIONS | frozenset(URGENT_SITUATIONS)),
            "platform": _known(platform, frozenset(PLATFORMS)),
            **{f"risk_{risk}": "yes" if risk in risks else "no" for risk in STARTED_RISKS},
        }
        return cls(month=_month(at), country=_country(country), values=values, unit=CONVERSATIONS)

    def cells(self) -> list[str]:
        return [SEPARATOR.join((name, self.values[name], self.country)) for name in UNITS[self.unit]]


class InsightCounts:
    """The monthly counts in Redis: added to at every close and situation started, read by reports."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def add(self, facts: Facts) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            self.queue(pipe, facts)
            await pipe.execute()

    @staticmethod
    def queue(pipe: Pipeline, facts: Facts) -> None:
        """Add `facts` in a pipeline a caller runs anyway (no round trip of its own)."""
        for cell in facts.cells():
            pipe.hincrby(month_key(facts.month, facts.unit), cell, 1)

    async def month(self, month: str, unit: str = TICKETS) -> dict[tuple[str, str, str], int]:
        """One month's cells of one unit: (dimension, value, country) -> count."""
        raw = await self._redis.hgetall(month_key(month, unit))
        cells: dict[tuple[str, str, str], int] = {}
        for name, count in raw.items():
            dimension, value, country = name.decode().split(SEPARATOR)
            cells[(dimension, value, country)] = int(count)
        return cells
