"""The referral directory in the console: the content's resources for the person's country (and the
international ones), for staff to search and insert into a reply.

Everything comes from content/resources/ with its official source and the date it was checked; only
verified items are listed (as the assistant shows them), and one checked long ago is marked so staff
confirm it before relying on it. Nothing here is typed by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.cli.content_report import STALE_AFTER
from content.model import DAYS, Hours, Resource, load_library

INTERNATIONAL = "international"


def _hours(hours: Hours | None) -> str:
    if hours is None:
        return ""
    if hours.always:
        return "24/7"
    days = ", ".join(DAYS[d] for d in hours.days)
    span = f" {hours.opens:%H:%M}-{hours.closes:%H:%M}" if hours.opens and hours.closes else ""
    return f"{days}{span}" + (f" ({hours.timezone})" if hours.timezone else "")


def _line(resource: Resource) -> str:
    """What staff insert into a reply: the name and how to reach it."""
    return f"{resource.name}: {', '.join(contact.value for contact in resource.contacts)}"


def _searchable(resource: Resource) -> str:
    contacts = " ".join(f"{c.type} {c.value}" for c in resource.contacts)
    return f"{resource.name} {resource.description} {resource.kind} {contacts}".lower()


def resources_json(country: str | None, query: str, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Verified resources for `country` then international ones, matching every word of `query`."""
    today = today or dt.date.today()
    words = query.lower().split()
    places = [country, INTERNATIONAL] if country else [INTERNATIONAL]
    found = []
    for place in places:
        for resource in load_library().resources:
            if resource.country != place or not resource.source.verified:
                continue
            if not all(word in _searchable(resource) for word in words):
                continue
            checked = resource.source.checked
            found.append(
                {
                    "id": resource.id,
                    "country": resource.country,
                    "kind": resource.kind,
                    "name": resource.name,
                    "description": resource.description,
                    "contacts": [{"type": c.type, "value": c.value} for c in resource.contacts],
                    "hours": _hours(resource.hours),
                    "free": resource.free,
                    "languages": list(resource.languages),
                    "source": resource.source.url,
                    "checked": checked.isoformat() if checked else None,
                    "stale": checked is not None and today - checked > STALE_AFTER,
                    "line": _line(resource),
                }
            )
    return found
