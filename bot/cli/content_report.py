"""`python -m bot content report`: every item the assistant may show, with its source and status.

An item is *shown* when it is verified, *withheld* when it is not (unless the deployment allows
unverified items), and *stale* when it was verified more than STALE_AFTER ago and needs checking again.
Generic playbook steps are our own summaries and always shown: unverified ones are reported as
*shown-unverified* so that someone checks their source.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

from content.model import Library, Source, load_library

STALE_AFTER = dt.timedelta(days=180)


def items(library: Library) -> Iterator[tuple[str, Source, bool]]:
    """(name, source, always shown) for every step, platform variant and resource."""
    for playbook in library.playbooks.values():
        for step in playbook.steps:
            yield f"playbook {playbook.name}/{step.id}", step.generic.source, True
            for platform, variant in step.variants.items():
                yield f"playbook {playbook.name}/{step.id}[{platform}]", variant.source, False
    for resource in library.resources:
        numbers = ", ".join(c.value for c in resource.contacts)
        yield f"resource {resource.country} {resource.id} ({numbers})", resource.source, False


def status(source: Source, today: dt.date, show_unverified: bool, always_shown: bool = False) -> str:
    if not source.verified:
        return "shown-unverified" if show_unverified or always_shown else "withheld"
    if source.checked is not None and today - source.checked > STALE_AFTER:
        return "stale"
    return "shown"


def report(show_unverified: bool, today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    counts: Counter[str] = Counter()
    for name, source, always_shown in items(load_library()):
        state = status(source, today, show_unverified, always_shown)
        counts[state] += 1
        checked = source.checked.isoformat() if source.checked else "never"
        print(f"{state:17} {checked:10} {name}\n{'':28} {source.url}")
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    print(f"\n{sum(counts.values())} items: {summary}")
    return 0
