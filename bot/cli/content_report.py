"""`python -m bot content report`: every item the assistant may show, with its source and status.

An item is *shown* when it is verified, *withheld* when it is not (unless the deployment allows
unverified items), and *stale* when it was verified more than STALE_AFTER ago and needs checking again.
Generic playbook steps are our own summaries and always shown: unverified ones are reported as
*shown-unverified* so that someone checks their source. A summary per playbook follows, with the share
of platform variants shown by default (a withheld variant leaves the survivor with the generic step and,
where the step has one, the in-app pointer).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from content.model import Library, Playbook, Source, load_library

STALE_AFTER = dt.timedelta(days=180)
VARIANT_GOAL = 0.8  # share of platform variants shown by default (issue 18)


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


@dataclass(frozen=True, slots=True)
class PlaybookSummary:
    """What one playbook shows by default: every step, and its platform variants whose source is verified."""

    name: str
    steps: int
    steps_verified: int  # generic steps whose own source is verified (all are shown)
    variants: int
    variants_shown: int
    in_app_steps: int  # steps that point to the app's own option when a variant is withheld


def summarise(playbook: Playbook) -> PlaybookSummary:
    variants = [v for step in playbook.steps for v in step.variants.values()]
    return PlaybookSummary(
        name=playbook.name,
        steps=len(playbook.steps),
        steps_verified=sum(step.generic.source.verified for step in playbook.steps),
        variants=len(variants),
        variants_shown=sum(v.source.verified for v in variants),
        in_app_steps=sum(step.in_app is not None for step in playbook.steps),
    )


def variant_share(library: Library) -> tuple[int, int]:
    """(shown by default, all) platform variants across the playbooks."""
    summaries = [summarise(p) for p in library.playbooks.values()]
    return sum(s.variants_shown for s in summaries), sum(s.variants for s in summaries)


def print_summary(library: Library) -> None:
    print(f"\n{'playbook':20} {'steps':>5} {'verified':>8} {'variants':>8} {'shown':>5} {'in-app':>6}")
    for playbook in library.playbooks.values():
        s = summarise(playbook)
        counts = f"{s.steps:5} {s.steps_verified:8} {s.variants:8} {s.variants_shown:5} {s.in_app_steps:6}"
        print(f"{s.name:20} {counts}")
    shown, total = variant_share(library)
    share = shown / total if total else 1.0
    verdict = "meets" if share >= VARIANT_GOAL else "below"
    print(
        f"platform variants shown by default: {shown}/{total} ({share:.0%}); "
        f"{verdict} the goal of {VARIANT_GOAL:.0%}"
    )


def report(show_unverified: bool, today: dt.date | None = None) -> int:
    today = today or dt.date.today()
    counts: Counter[str] = Counter()
    library = load_library()
    for name, source, always_shown in items(library):
        state = status(source, today, show_unverified, always_shown)
        counts[state] += 1
        checked = source.checked.isoformat() if source.checked else "never"
        print(f"{state:17} {checked:10} {name}\n{'':28} {source.url}")
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    print(f"\n{sum(counts.values())} items: {summary}")
    print_summary(library)
    return 0
