"""A period's tickets as counts, for the supervisors' report charts: volume by day and hour, waits,
people who left before anyone took them, outcomes, situations, risks, languages and each staff
member's load. Counts only: never an address, a name or a word she wrote.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.handoff.model import Ticket, TicketState


def _day(at: float) -> date:
    return datetime.fromtimestamp(at, UTC).date()


def _percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (a value some ticket really had); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


def summary(tickets: Sequence[Ticket], first: date, last: date) -> dict[str, Any]:
    """The tickets opened from `first` to `last` (UTC days, both included) counted for charts."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    opened: Counter[date] = Counter()
    left: Counter[date] = Counter()
    hours = [0] * 24
    waits: list[float] = []
    outcomes: Counter[str] = Counter()
    situations: Counter[str] = Counter()
    risks: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    load: Counter[str] = Counter()
    for ticket in tickets:
        day = _day(ticket.created_at)
        opened[day] += 1
        hours[datetime.fromtimestamp(ticket.created_at, UTC).hour] += 1
        if ticket.claimed_at is not None and ticket.origin is TicketState.QUEUED:
            waits.append(ticket.claimed_at - ticket.created_at)
        if ticket.left is not None and ticket.claimed_at is None and ticket.origin is TicketState.QUEUED:
            left[day] += 1
        if ticket.outcome:
            outcomes[ticket.outcome] += 1
        if ticket.staff and ticket.claimed_at is not None:
            load[ticket.staff] += 1
        if ticket.erased:
            continue
        case = ticket.case
        situation = case.situation if case else ticket.summary.situation
        situations[situation or "not said"] += 1
        risks.update(r.value for r in (case.risks if case else ticket.summary.risks))
        languages[ticket.summary.language] += 1
    live = sum(1 for t in tickets if t.origin is TicketState.QUEUED)
    return {
        "days": [{"day": d.isoformat(), "opened": opened[d], "left": left[d]} for d in days],
        "hours": hours,
        "opened": len(tickets),
        "live": live,
        "left_before_taken": sum(left.values()),
        "waits": {
            "taken": len(waits),
            "median_seconds": statistics.median(waits) if waits else None,
            "p90_seconds": _percentile(waits, 0.9),
        },
        "outcomes": dict(outcomes.most_common()),
        "situations": dict(situations.most_common()),
        "risks": dict(risks.most_common()),
        "languages": dict(languages.most_common()),
        "staff": dict(load.most_common()),
    }
