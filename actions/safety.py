"""Danger and the way to a person: both interrupt whatever the conversation was doing."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import replies
from actions.progress import Progress


class Emergency(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    def name(self) -> str:
        return "action_emergency"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        progress = Progress.of(tracker)
        entities = {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities") or ()}
        if entities.get("sure") == "no":  # the gateway: the model only half thinks it is danger
            return replies.check_safety(dispatcher, tracker, progress).events()
        return replies.emergency(dispatcher, progress).events()


class OfferHandoff(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    def name(self) -> str:
        return "action_offer_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return replies.offer_handoff(dispatcher, Progress.of(tracker)).events()


class SelfHarm(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    def name(self) -> str:
        return "action_self_harm"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return replies.self_harm(dispatcher, Progress.of(tracker)).events()


class EraseRequest(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    """ "Delete my data", when the model read it so: the gateway's own question, asked the same way
    (its next message is read as the answer by the gateway, which erases)."""

    def name(self) -> str:
        return "action_erase_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="erase_confirm")
        return []
