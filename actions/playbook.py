"""Start a playbook and walk it: done, tell me more, skip, back, stop, and naming the platform."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import replies
from actions.progress import Awaiting, Progress


def platform_in_message(tracker: Tracker) -> str | None:
    for entity in tracker.latest_message.get("entities") or ():
        if entity.get("entity") == "platform":
            return str(entity.get("value"))
    return None


# Leaving steps under way for another situation takes a model this sure (or a button, at 1.0).
SWITCH_CONFIDENCE = 0.6


class StartPlaybook(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    def name(self) -> str:
        return "action_start_playbook"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        situation = tracker.latest_message["intent"]["name"]
        progress = Progress.of(tracker)
        replies.acknowledge_long(dispatcher, tracker)
        confidence = float(tracker.latest_message["intent"].get("confidence") or 0.0)
        if progress.active and (progress.playbook == situation or confidence < SWITCH_CONFIDENCE):
            # She said it again, or the model only half thinks it is something else: carry on.
            return replies.back_to_place(dispatcher, progress).events()
        progress = replace(progress, platform=platform_in_message(tracker))
        progress = progress.started(situation)
        age = next((str(e.get("value")) for e in tracker.latest_message.get("entities") or ()
                    if e.get("entity") == "age"), "")  # fmt: skip
        if age.isdigit() and int(age) < replies.ADULT_AGE:  # she said so in the same message:
            progress = progress.with_risk("minor")  # the routes made for her first, never the question
            dispatcher.utter_message(response="minors_route")
        if progress.current.asks_platform and progress.platform is None:
            progress = replies.ask_platform(dispatcher, progress)
        else:
            progress = replies.start(dispatcher, progress)
        return progress.events()


class WalkPlaybook(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    def name(self) -> str:
        return "action_walk_playbook"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = tracker.latest_message["intent"]["name"]
        progress = Progress.of(tracker)
        if intent == "inform_platform":
            progress = self._platform_named(dispatcher, tracker, progress)
        elif progress.awaiting is Awaiting.PLATFORM and intent in {"step_done", "step_skip"}:
            progress = replies.past_platform_question(dispatcher, progress)  # "next" to "which app?"
        elif progress.awaiting is Awaiting.PLATFORM and intent != "step_stop":
            progress = replies.ask_platform(dispatcher, progress)  # no step was shown to go back to
        elif not progress.active and "danger" in progress.risks:  # "ja liguei" after the help in danger
            dispatcher.utter_message(response="emergency_again")
        elif not progress.active:  # "no se", "stop", "more" with no steps under way: what is happening?
            progress = replies.show_menu(dispatcher, progress)
        else:
            progress = self._navigate(dispatcher, intent, progress)
        return progress.events()

    @staticmethod
    def _platform_named(dispatcher: CollectingDispatcher, tracker: Tracker, progress: Progress) -> Progress:
        platform = platform_in_message(tracker) or progress.platform or "other"
        progress = replace(progress, platform=platform)
        if progress.awaiting is Awaiting.PLATFORM and progress.active:
            return replies.start(dispatcher, progress)
        dispatcher.utter_message(response="platform_noted", platform=platform)
        if progress.active and platform in progress.current.steps[progress.step].variants:
            return replies.show_step(dispatcher, progress, again=True)  # it reads differently there
        if progress.active:  # the same words as before: no need to show them again
            dispatcher.utter_message(response="carry_on", **progress.step_params())
            return progress
        return replies.show_menu(dispatcher, progress)

    @staticmethod
    def _navigate(dispatcher: CollectingDispatcher, intent: str, progress: Progress) -> Progress:
        match intent:
            case "step_done" | "step_skip":
                progress = progress.finished_step(skipped=intent == "step_skip")
                return replies.show_step(dispatcher, progress)
            case "step_more":
                dispatcher.utter_message(response="step_more", **progress.step_params())
                return replace(progress, awaiting=None)
            case "step_back":
                if progress.step == 0:
                    dispatcher.utter_message(response="first_step_already")
                progress = replace(progress, step=max(progress.step - 1, 0))
                return replies.show_step(dispatcher, progress)
            case _:  # step_stop
                dispatcher.utter_message(response="paused")
                return replace(progress, awaiting=None)
