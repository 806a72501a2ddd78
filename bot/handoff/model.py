"""What a handoff is made of: the summary staff read, the ticket they work on, its log.

A ticket never names the person: staff see a random ticket id, never a phone number or chat id.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any


class Risk(StrEnum):
    """What makes a handoff urgent, most urgent first."""

    DANGER = "danger"
    SELF_HARM = "self_harm"  # thoughts of suicide or self-harm
    MINOR = "minor"
    NCII = "ncii"  # intimate images shared or threatened
    STALKERWARE = "stalkerware"


# Queue priority: 0 is served first. Anything unflagged waits behind every flagged risk.
PRIORITY = {Risk.DANGER: 0, Risk.SELF_HARM: 0, Risk.MINOR: 1, Risk.NCII: 2, Risk.STALKERWARE: 2}
UNFLAGGED = 3


class TicketState(StrEnum):
    QUEUED = "queued"  # waiting for a person
    WITH_STAFF = "with_staff"  # a person is chatting
    FOLLOW_UP = "follow_up"  # a message left out of hours (or instead of waiting)
    CLOSED = "closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """What the person agreed to share, so they never tell their story twice."""

    situation: str | None = None  # a playbook id
    platform: str | None = None
    steps_done: tuple[str, ...] = ()
    steps_skipped: tuple[str, ...] = ()
    risks: tuple[Risk, ...] = ()
    language: str = "en"
    channel: str = ""
    country: str | None = None
    safe_contact: str | None = None  # a safe time/way to reach them, in their words
    transcript_shared: bool = False
    record_shared: bool = False  # her record (bot/evidence/): staff read it, read-only, while it exists

    @property
    def priority(self) -> int:
        return min((PRIORITY[risk] for risk in self.risks), default=UNFLAGGED)

    def with_risk(self, risk: Risk) -> Summary:
        return self if risk in self.risks else replace(self, risks=(*self.risks, risk))

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Summary:
        data: dict[str, Any] = json.loads(raw)
        data["risks"] = tuple(Risk(r) for r in data.get("risks") or ())
        data["steps_done"] = tuple(data.get("steps_done") or ())
        data["steps_skipped"] = tuple(data.get("steps_skipped") or ())
        return cls(**data)


class Author(StrEnum):
    PERSON = "person"
    BOT = "bot"  # the assistant's side of a shared transcript
    STAFF = "staff"
    NOTE = "note"  # internal: never sent to the person
    SYSTEM = "system"  # claimed, transferred, closed, erased …


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntry:
    at: float
    author: Author
    text: str
    staff: str | None = None  # the staff account, for staff messages, notes and system events
    to: str | None = None  # a private message between staff: the colleague it is for

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> LogEntry:
        data = json.loads(raw)
        data["author"] = Author(data["author"])
        return cls(**data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """What staff record at close: the categories (prefilled from the summary, corrected by staff) and
    tags, so reports count what the conversation turned out to be about."""

    situation: str | None = None
    platform: str | None = None
    risks: tuple[Risk, ...] = ()
    tags: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Case:
        data: dict[str, Any] = json.loads(raw)
        return cls(
            situation=data.get("situation"),
            platform=data.get("platform"),
            risks=tuple(Risk(r) for r in data.get("risks") or ()),
            tags=tuple(data.get("tags") or ()),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Ticket:
    id: str
    state: TicketState
    summary: Summary
    created_at: float
    origin: TicketState = TicketState.QUEUED  # how it began: waiting live, or a message left
    staff: str | None = None  # the account holding it
    claimed_at: float | None = None
    closed_at: float | None = None
    outcome: str | None = None
    case: Case | None = None  # recorded at close
    contacted: bool = False  # staff have written to the person (a follow-up is silent until then)
    person_messages: int = 0  # how many messages the person wrote, for unread counts
    follow_up_of: str | None = None  # the ticket whose close asked for this follow-up
    left: str | None = None  # how the person ended it herself: cancelled, left_message, quick_exit
    waiting_messages: int = 0  # what she wrote while waiting in the queue …
    latest: LogEntry | None = None  # … and the latest of it, for staff to triage on before taking
    erased: bool = False  # the person erased their data: only this fact remains
    blocked: bool = False
    joined: tuple[str, ...] = ()  # supervisors who joined a colleague's conversation (else read-only)


# Outcome tags staff close a conversation with.
OUTCOMES = ("resolved", "referred", "follow_up_needed", "no_response", "abusive", "other")
