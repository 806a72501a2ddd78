"""Her record (docs/evidence.md): the dialogue only names the request; the gateway asks the entry's
questions and keeps the record, as it does for a handoff, so the questions are answered before any
playbook state is looked at and the record never passes through Rasa's tracker."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

REQUESTS = frozenset({"keep_record", "show_record", "send_record"})


class Record(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    def name(self) -> str:
        return "action_record"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = tracker.latest_message["intent"]["name"]
        dispatcher.utter_message(json_message={"record": intent if intent in REQUESTS else "show_record"})
        return []
