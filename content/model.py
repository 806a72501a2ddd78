"""Typed, validated view of the content files.

Loading fails loudly on a malformed item: a playbook step without a source or a phone number
without a
check date must never reach a survivor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import yaml

CONTENT_DIR = Path(__file__).parent
PLATFORMS = (
    "facebook", "instagram", "whatsapp", "telegram", "x",
    "tiktok", "google", "apple", "snapchat", "other",
)  # fmt: skip


class ContentError(ValueError):
    """A content file breaks the schema in docs/content.md."""


class Status(StrEnum):
    VERIFIED = "verified"
    UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True, kw_only=True)
class Source:
    url: str
    checked: dt.date | None
    status: Status
    note: str = ""

    @property
    def verified(self) -> bool:
        return self.status is Status.VERIFIED


@dataclass(frozen=True, slots=True, kw_only=True)
class StepText:
    """What one step says, generic or for one platform."""

    text: str
    more: str
    source: Source
    link: str | None = None
    sms: str | None = None  # a shorter `text` for SMS, where every segment costs


@dataclass(frozen=True, slots=True, kw_only=True)
class Fact:
    """One sourced sentence about an app ("the person you report is not notified")."""

    text: str
    source: Source


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    id: str
    generic: StepText
    caution: str | None = None
    variants: Mapping[str, StepText] = field(default_factory=dict)
    minors: StepText | None = None  # the wording for someone under 18: never capture or keep an image
    in_app: str | None = None  # where this step's option sits in any app (IN_APP), for a named platform

    def variant_for(self, platform: str | None, *, show_unverified: bool) -> StepText | None:
        """The platform's own wording, when there is one we may show."""
        variant = self.variants.get(platform or "")
        if variant is not None and (variant.source.verified or show_unverified):
            return variant
        return None

    def for_platform(self, platform: str | None, *, show_unverified: bool, minor: bool = False) -> StepText:
        """The minors' wording for a minor; else the platform's variant when there is one we may show,
        else the generic step."""
        if minor and self.minors is not None:
            return self.minors
        return self.variant_for(platform, show_unverified=show_unverified) or self.generic

    def in_app_pointer(self, platform: str | None, *, show_unverified: bool) -> str | None:
        """The kind of in-app pointer to add for a named platform whose own wording we may not show.

        Without it a survivor who named her app would get no hint where its form is; with a shown
        variant the platform's checked wording says it better.
        """
        if self.in_app is None or platform in (None, "other"):
            return None
        if self.variant_for(platform, show_unverified=show_unverified) is not None:
            return None
        return self.in_app


@dataclass(frozen=True, slots=True, kw_only=True)
class Playbook:
    name: str
    title: str
    asks_platform: bool
    recap: str
    steps: Sequence[Step]


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    type: str
    value: str


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True, kw_only=True)
class Hours:
    """When a service answers: always, or on some weekdays between two times (local to `timezone`)."""

    always: bool = False
    days: tuple[int, ...] = ()  # 0 = Monday, as babel and datetime count
    opens: dt.time | None = None
    closes: dt.time | None = None
    timezone: str | None = None  # when the hours are not the country's own time


ALWAYS = Hours(always=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    id: str
    country: str
    kind: str
    name: str
    description: str
    contacts: Sequence[Contact]
    title: str | None = None  # a plain description standing in for a name ("Police"): translated when shown
    hours: Hours | None
    free: bool | None
    languages: Sequence[str]
    source: Source


# minors_ncii: image removal made for images taken before 18 (Take It Down), shown on the minors' route.
RESOURCE_KINDS = frozenset(
    {
        "emergency",
        "gbv_helpline",
        "cyber",
        "child",
        "ncii",
        "minors_ncii",
        "digital_helpline",
        "crisis",
        "police_report",
    }
)
CONTACT_TYPES = frozenset({"voice", "sms", "whatsapp", "ussd", "email", "web"})
CAUTIONS = frozenset({"stalkerware"})
# Where a step's option usually sits in an app: the pointer texts are responses `in_app_<kind>`.
IN_APP = frozenset({"report", "security"})


def _require(raw: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in raw or raw[key] in (None, ""):
        raise ContentError(f"{where}: missing '{key}'")
    return raw[key]


def _source(raw: Any, where: str) -> Source:
    if not isinstance(raw, Mapping):
        raise ContentError(f"{where}: every item needs a source record (url, checked, status)")
    checked = raw.get("checked")
    if checked is not None and not isinstance(checked, dt.date):
        raise ContentError(f"{where}: source.checked must be a date (YYYY-MM-DD) or null")
    try:
        status = Status(_require(raw, "status", where))
    except ValueError as error:
        raise ContentError(f"{where}: source.status must be verified or unverified") from error
    if status is Status.VERIFIED and checked is None:
        raise ContentError(f"{where}: a verified source needs the date it was checked")
    return Source(
        url=str(_require(raw, "url", where)),
        checked=checked,
        status=status,
        note=str(raw.get("note") or ""),
    )


def _step_text(raw: Mapping[str, Any], where: str) -> StepText:
    link = raw.get("link")
    return StepText(
        text=str(_require(raw, "text", where)).strip(),
        more=str(_require(raw, "more", where)).strip(),
        link=str(link) if link else None,
        source=_source(raw.get("source"), where),
        sms=str(raw["sms"]).strip() if raw.get("sms") else None,
    )


def _step(raw: Mapping[str, Any], where: str) -> Step:
    step_id = str(_require(raw, "id", where))
    where = f"{where} step {step_id}"
    caution = raw.get("caution")
    if caution is not None and caution not in CAUTIONS:
        raise ContentError(f"{where}: unknown caution {caution!r}")
    in_app = raw.get("in_app")
    if in_app is not None and in_app not in IN_APP:
        raise ContentError(f"{where}: unknown in_app pointer {in_app!r}")
    variants = {}
    for platform, variant in (raw.get("platforms") or {}).items():
        if platform not in PLATFORMS:
            raise ContentError(f"{where}: unknown platform {platform!r}")
        variants[platform] = _step_text(variant, f"{where} [{platform}]")
    minors = raw.get("minors")
    return Step(
        id=step_id,
        generic=_step_text(raw, where),
        caution=caution,
        variants=variants,
        minors=_step_text(minors, f"{where} [minors]") if minors is not None else None,
        in_app=in_app,
    )


def parse_playbook(raw: Mapping[str, Any], where: str) -> Playbook:
    steps = [_step(step, where) for step in _require(raw, "steps", where)]
    ids = [step.id for step in steps]
    if len(set(ids)) != len(ids):
        raise ContentError(f"{where}: step ids must be unique")
    return Playbook(
        name=str(_require(raw, "playbook", where)),
        title=str(_require(raw, "title", where)),
        asks_platform=bool(raw.get("asks_platform", False)),
        recap=str(_require(raw, "recap", where)).strip(),
        steps=tuple(steps),
    )


def parse_told(raw: Mapping[str, Any], where: str) -> dict[str, Fact]:
    told = {}
    for platform, item in (_require(raw, "told", where) or {}).items():
        place = f"{where}: told.{platform}"
        if platform not in PLATFORMS:
            raise ContentError(f"{place}: unknown platform")
        text = str(_require(item, "text", place)).strip()
        told[platform] = Fact(text=text, source=_source(item.get("source"), place))
    return told


def parse_resources(raw: Mapping[str, Any], where: str) -> list[Resource]:
    country = str(_require(raw, "country", where))
    resources = []
    for item in raw.get("resources") or []:
        item_where = f"{where} {item.get('id', '?')}"
        kind = _require(item, "kind", item_where)
        if kind not in RESOURCE_KINDS:
            raise ContentError(f"{item_where}: unknown kind {kind!r}")
        contacts = []
        for contact in _require(item, "contacts", item_where):
            if contact.get("type") not in CONTACT_TYPES:
                raise ContentError(f"{item_where}: unknown contact type {contact.get('type')!r}")
            contacts.append(Contact(type=contact["type"], value=str(contact["value"])))
        resources.append(
            Resource(
                id=str(_require(item, "id", item_where)),
                country=country,
                kind=kind,
                name=str(_require(item, "name", item_where)),
                title=str(item["title"]) if item.get("title") else None,
                description=str(item.get("description") or ""),
                contacts=tuple(contacts),
                hours=parse_hours(item.get("hours"), item_where),
                free=item.get("free"),
                languages=tuple(item.get("languages") or ()),
                source=_source(item.get("source"), item_where),
            )
        )
    return resources


def _time(raw: Any, where: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(raw))
    except ValueError as error:
        raise ContentError(f"{where}: times are HH:MM, got {raw!r}") from error


def parse_hours(raw: Any, where: str) -> Hours | None:
    """`24/7`, or {days: [mon, ...] | "every day", opens: "09:00", closes: "21:00", timezone: ...}."""
    if raw is None:
        return None
    if raw == "24/7":
        return ALWAYS
    if not isinstance(raw, Mapping):
        raise ContentError(f"{where}: hours must be 24/7 or days with opens and closes")
    days = raw.get("days")
    if days == "every day":
        indexes = tuple(range(7))
    elif isinstance(days, list) and days and all(d in DAYS for d in days):
        indexes = tuple(sorted(DAYS.index(d) for d in days))
    else:
        raise ContentError(f"{where}: hours.days must be 'every day' or a list of {', '.join(DAYS)}")
    return Hours(
        days=indexes,
        opens=_time(raw.get("opens"), where),
        closes=_time(raw.get("closes"), where),
        timezone=raw.get("timezone"),
    )


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@dataclass(frozen=True, slots=True)
class Library:
    """Everything the assistant may say about safety, loaded once per process."""

    playbooks: Mapping[str, Playbook]
    resources: Sequence[Resource]
    told: Mapping[str, Fact]  # per app: whether the reported account is told who reported (reporting.yml)

    def resources_for(
        self, country: str | None, kinds: Sequence[str], *, include_international: bool
    ) -> list[Resource]:
        """Resources of the given kinds for a country in the order of `kinds`, then abroad."""
        countries = [country, "international"] if include_international else [country]
        return [
            r
            for place in countries
            for kind in kinds
            for r in self.resources
            if r.kind == kind and r.country == place
        ]


@cache
def load_library(content_dir: Path = CONTENT_DIR) -> Library:
    playbooks = {}
    for path in sorted((content_dir / "playbooks").glob("*.yml")):
        playbook = parse_playbook(_load_yaml(path), path.name)
        if playbook.name != path.stem:
            raise ContentError(f"{path.name}: playbook name must match the file name")
        playbooks[playbook.name] = playbook
    resources = []
    for path in sorted((content_dir / "resources").glob("*.yml")):
        resources += parse_resources(_load_yaml(path), path.name)
    unchecked = sorted(
        {r.country for r in resources if r.country != "international"}
        - {r.country for r in resources if r.kind == "emergency" and r.source.verified}
    )
    if unchecked:  # a person in danger there would get no number: never ship that
        raise ContentError(f"no checked emergency number for: {', '.join(unchecked)}")
    ids = [r.id for r in resources]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ContentError(f"duplicate resource ids: {', '.join(duplicates)}")
    told = parse_told(_load_yaml(content_dir / "reporting.yml"), "reporting.yml")
    return Library(playbooks=playbooks, resources=tuple(resources), told=told)
