"""A conversation's place in a playbook, read from and written to slots.

Slots are the only memory the actions have; keeping their names and meaning here means no other
module reads a slot by string.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from content.model import Playbook, load_library


class Awaiting(StrEnum):
    """The yes/no question the assistant asked last, so "yes" and "no" mean the right thing."""

    SAFETY = "safety"
    RESUME = "resume"
    HANDOFF = "handoff"
    PLATFORM = "platform"
    MINOR = "minor"  # are you (or were you, in the images) under 18?


# Risk flags a situation carries into a handoff summary (bot.handoff.model.Risk values).
SITUATION_RISKS = {"intimate_images": "ncii", "sextortion": "ncii", "stalking": "stalkerware"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    playbook: str | None
    step: int
    done: tuple[str, ...]
    skipped: tuple[str, ...]
    platform: str | None
    awaiting: Awaiting | None
    situation: str | None = None  # the last playbook started, kept after it ends (for a handoff)
    risks: tuple[str, ...] = ()  # danger, minor, ncii, stalkerware: what makes a handoff urgent

    @classmethod
    def of(cls, tracker: Tracker) -> Progress:
        awaiting = tracker.get_slot("awaiting")
        playbook = tracker.get_slot("playbook")
        if playbook not in load_library().playbooks:
            playbook = None
        return cls(
            playbook=playbook,
            step=int(tracker.get_slot("step") or 0),
            done=tuple(tracker.get_slot("steps_done") or ()),
            skipped=tuple(tracker.get_slot("steps_skipped") or ()),
            platform=tracker.get_slot("platform"),
            awaiting=Awaiting(awaiting) if awaiting in Awaiting._value2member_map_ else None,
            situation=tracker.get_slot("situation"),
            risks=tuple(tracker.get_slot("risks") or ()),
        )

    @property
    def active(self) -> bool:
        """A playbook is under way and has steps left."""
        return self.playbook is not None and self.step < len(self.current.steps)

    @property
    def current(self) -> Playbook:
        assert self.playbook is not None, "no playbook under way"
        return load_library().playbooks[self.playbook]

    def started(self, playbook: str) -> Progress:
        progress = replace(
            self, playbook=playbook, situation=playbook, step=0, done=(), skipped=(), awaiting=None
        )
        risk = SITUATION_RISKS.get(playbook)
        return progress.with_risk(risk) if risk else progress

    def with_risk(self, risk: str) -> Progress:
        return self if risk in self.risks else replace(self, risks=(*self.risks, risk))

    def finished_step(self, *, skipped: bool) -> Progress:
        step_id = self.current.steps[self.step].id
        done = tuple(s for s in self.done if s != step_id)
        skipped_ids = tuple(s for s in self.skipped if s != step_id)
        if skipped:
            skipped_ids += (step_id,)
        else:
            done += (step_id,)
        return replace(self, step=self.step + 1, done=done, skipped=skipped_ids, awaiting=None)

    def events(self) -> list[dict[str, Any]]:
        return [
            SlotSet("playbook", self.playbook),
            SlotSet("step", float(self.step)),
            SlotSet("steps_done", list(self.done)),
            SlotSet("steps_skipped", list(self.skipped)),
            SlotSet("platform", self.platform),
            SlotSet("awaiting", self.awaiting.value if self.awaiting else None),
            SlotSet("situation", self.situation),
            SlotSet("risks", list(self.risks)),
        ]

    def handoff(self, *, transcript: bool, record: bool = False) -> dict[str, Any]:
        """What the person agreed to share with the helpline; the gateway adds where they wrote from."""
        return {
            "situation": self.situation,
            "platform": self.platform,
            "steps_done": list(self.done),
            "steps_skipped": list(self.skipped),
            "risks": list(self.risks),
            "transcript_shared": transcript,
            "record_shared": record,
        }

    def step_params(self) -> dict[str, Any]:
        """What the NLG needs to render the current step or recap."""
        return {
            "playbook": self.playbook,
            "step": self.step,
            "platform": self.platform,
            "done": list(self.done),
            "skipped": list(self.skipped),
            "minor": "minor" in self.risks,
        }
