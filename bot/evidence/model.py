"""Her record: entries she wrote down in the chat, and the one she is writing now."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from enum import Enum
from typing import Any


class Part(str, Enum):
    """An entry's parts, in the order the guided entry asks for them."""

    WHEN = "when"
    WHERE = "where"
    WHO = "who"
    WHAT = "what"
    LINKS = "links"
    SCREENSHOTS = "screenshots"


PARTS = tuple(Part)


@dataclass(frozen=True, slots=True, kw_only=True)
class Screenshot:
    """A screenshot she sent while writing the entry: never kept, only that it exists."""

    at: float  # when it reached us (epoch seconds)
    sha256: str | None = None  # its fingerprint, where the channel hands one over


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    number: int  # shown to her ("entry 2"); never reused within her record
    written_at: float
    changed_at: float
    when_text: str = ""  # her words
    when_date: str | None = None  # ISO date read from them, if any
    platform: str | None = None  # the platform entity, if the NLU found one
    where: str = ""
    who: str = ""
    what: str = ""
    links: tuple[str, ...] = ()
    kept_screenshots: bool | None = None  # her answer; None: not said
    screenshots: tuple[Screenshot, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Entry:
        data: dict[str, Any] = json.loads(raw)
        data["links"] = tuple(data.get("links") or ())
        data["screenshots"] = tuple(Screenshot(**s) for s in data.get("screenshots") or ())
        return cls(**data)

    def with_screenshot(self, shot: Screenshot) -> Entry:
        return replace(self, screenshots=(*self.screenshots, shot), kept_screenshots=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """The entry she is writing or correcting, and which part was asked last."""

    entry: Entry
    asking: Part
    correcting: bool = False  # one part of a saved entry: saved again right after its answer
    asked_at: float = 0.0  # danger written after this pauses the entry

    def to_json(self) -> str:
        data = asdict(self)
        data["entry"] = json.loads(self.entry.to_json())
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Draft:
        data: dict[str, Any] = json.loads(raw)
        data["entry"] = Entry.from_json(json.dumps(data["entry"]))
        data["asking"] = Part(data["asking"])
        return cls(**data)
