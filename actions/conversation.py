"""Greeting, menu, yes/no answers, not-understood, out of scope, goodbye and quick exit."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import Restarted
from rasa_sdk.executor import CollectingDispatcher

from actions import replies
from actions.progress import Awaiting, Progress

SUGGESTIBLE = frozenset({*replies.SITUATIONS, "human_handoff", "immediate_danger"})
SUGGESTIONS = 3


class Welcome(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    """First contact introduces the assistant and asks about safety; a return offers to resume."""

    def name(self) -> str:
        return "action_welcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        progress = Progress.of(tracker)
        if progress.active:
            return replies.offer_resume(dispatcher, progress).events()
        return replies.first_contact(dispatcher, progress).events()


class ShowMenu(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    def name(self) -> str:
        return "action_show_menu"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        progress = Progress.of(tracker)
        if progress.active:
            return replies.offer_resume(dispatcher, progress).events()
        return replies.show_menu(dispatcher, progress).events()


class Answer(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    """ "Yes" and "no" answer the question the gateway says was asked last (the `question` entity);
    with no question open, "ok" means done with the step on screen."""

    def name(self) -> str:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        yes = tracker.latest_message["intent"]["name"] == "affirm"
        entities = {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities") or ()}
        progress = Progress.of(tracker)
        match entities.get("question"), yes:
            case "safety", True:
                dispatcher.utter_message(response="danger_cleared")
                progress = replies.show_menu(dispatcher, progress)
            case "safety", False:
                progress = replies.emergency(dispatcher, progress)
            case "resume", True:
                progress = replies.show_step(dispatcher, progress, returning=True)
            case "resume", False:
                progress = replies.show_menu(dispatcher, progress)
            case "consent", True:
                # The gateway takes it from here: queue, opening hours, the person's place in line.
                progress = replace(progress, awaiting=None)
                share = entities.get("share")
                summary = progress.handoff(transcript=share == "chat", record=share == "record")
                dispatcher.utter_message(json_message={"handoff": summary})
            case "consent", False:
                dispatcher.utter_message(response="handoff_declined")
                dispatcher.utter_message(response="other_help")
                if entities.get("offered") == "no" and progress.active:  # "no thanks" with a step on
                    progress = replies.back_to_place(dispatcher, progress)  # screen: not the step again
                else:
                    progress = replies.carry_on(dispatcher, progress)
            case "age", True:
                progress = replies.minors_route(dispatcher, progress)
            case "age", False:
                progress = replies.show_step(dispatcher, progress)
            case "platform", False:
                progress = replies.start(dispatcher, replace(progress, platform="other"))
            case "platform", True:
                progress = replies.ask_platform(dispatcher, progress)
            case _, True if progress.awaiting is Awaiting.PLATFORM:  # "ok" to "which app?": go on
                progress = replies.past_platform_question(dispatcher, progress)
            case _, True if progress.active:  # "ok", "sawa", "haan", "تمام" after a step: done
                progress = replies.show_step(dispatcher, progress.finished_step(skipped=False))
            case _, False if progress.active:
                dispatcher.utter_message(response="step_options")
            case _ if "danger" in progress.risks:  # "ok" after the help in danger: no menu, her being there
                dispatcher.utter_message(response="emergency_again")
            case _:
                progress = replies.show_menu(dispatcher, progress)
        return progress.events()


SIDE_ANSWERS = {
    "ask_pay": "answer_pay",
    "ask_police": "answer_police",
    "ask_noticed": "caution_stalkerware",
    "ask_share": "answer_share",
    "ask_fault": "answer_fault",
    "ask_trouble": "answer_trouble",
    "ask_reported": "answer_reported",
    "cannot_call": "answer_cannot_call",
}
# Under 18, evidence is never an image she captures or keeps (a sexual image of a child is abuse material),
# and "will I get in trouble?" is answered with a child helpline.
MINORS_ANSWERS = {"ask_police": "answer_police_minor", "ask_trouble": "answer_trouble_minor"}


def stated_minor(tracker: Tracker) -> bool:
    """The message gave an age under 18 ("im 15", "tengo 14 años, es delito?"). The gateway sends the
    number it read; the model's guess alone, or an adult's age, changes nothing."""
    entities = {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities") or ()}
    age = str(entities.get("age") or "")
    return age.isdigit() and int(age) < replies.ADULT_AGE


class InformAge(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    """She said she is under 18 before anyone asked: the minors' routes now, the age question never,
    and the steps in their minors' wording."""

    def name(self) -> str:
        return "action_inform_age"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        progress = Progress.of(tracker)
        minor = stated_minor(tracker)
        if minor:
            progress = progress.with_risk("minor")
            dispatcher.utter_message(response="minors_route")
        if progress.awaiting is not Awaiting.PLATFORM and (minor or not progress.active):
            return replies.carry_on(dispatcher, progress).events()
        return replies.back_to_place(dispatcher, progress).events()  # not the step again


class SideQuestion(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    """A question asked in the middle of the steps ("should I pay?", "how do I tell the police?"):
    answered, and the place kept."""

    def name(self) -> str:
        return "action_side_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        intent = tracker.latest_message["intent"]["name"]
        progress = Progress.of(tracker)
        if stated_minor(tracker):  # "j'ai 15 ans c'est illégal ce que j'ai fait?": answered as to a minor
            progress = progress.with_risk("minor")
        if intent == "cannot_call":  # often said in danger: the numbers first, some take texts
            dispatcher.utter_message(response="emergency")
        if "minor" in progress.risks and intent in MINORS_ANSWERS:  # never "screenshot it" to a child
            dispatcher.utter_message(response=MINORS_ANSWERS[intent], minor=True)
        else:
            dispatcher.utter_message(response=SIDE_ANSWERS[intent], platform=progress.platform)
        if progress.active:
            progress = replies.back_to_place(dispatcher, progress)
        elif intent == "ask_pay":  # "should I just pay him": this is sextortion
            progress = replies.start(dispatcher, progress.started("sextortion"))
        return progress.events()


class Fallback(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    """Two stages: first "did you mean …" with the likeliest intents, then the offer of a person.
    With a step on screen, words the model cannot place that open with "ok" ("ok i blocked him",
    "sawa nimeiona") say the step is done."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        progress = Progress.of(tracker)
        if stated_minor(tracker):  # "tengo 15 años y ..." not understood: still a minor from now on
            progress = progress.with_risk("minor")
        entities = {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities") or ()}
        if progress.active and entities.get("opens_with") == "ok":  # "ok i blocked him": done, next
            if progress.awaiting is Awaiting.PLATFORM:  # no step shown yet: the steps begin
                return replies.past_platform_question(dispatcher, progress).events()
            return replies.show_step(dispatcher, progress.finished_step(skipped=False)).events()
        replies.acknowledge_long(dispatcher, tracker)
        if replies.first_message(tracker):  # "slt svp j'ai un probleme grave": who we are, is she safe
            return replies.first_contact(dispatcher, progress).events()
        if consecutive_fallbacks(tracker) % 2 == 1:
            ranking = tracker.latest_message.get("intent_ranking") or []
            likely = [r["name"] for r in ranking if r.get("name") in SUGGESTIBLE][:SUGGESTIONS]
            dispatcher.utter_message(response="did_you_mean", choices=replies.intent_choices(likely))
            return progress.events()
        dispatcher.utter_message(response="not_understood")
        return replies.offer_handoff(dispatcher, progress).events()


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the latest user messages in a row were not understood."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if (event.get("parse_data") or {}).get("intent", {}).get("name") != "nlu_fallback":
            break
        count += 1
    return count


class OutOfScope(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        progress = Progress.of(tracker)
        if progress.active:  # in the middle of the steps it is more likely a misreading: where we are
            dispatcher.utter_message(response="carry_on", **progress.step_params())
            return progress.events()
        dispatcher.utter_message(response="out_of_scope")
        return replies.show_menu(dispatcher, progress).events()


class Goodbye(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    def name(self) -> str:
        return "action_goodbye"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="goodbye")
        return replace(Progress.of(tracker), awaiting=None).events()


class QuickExit(Action):  # type: ignore[misc]  # rasa-sdk ships no types
    """Leave at once: the conversation starts afresh next time. The gateway says the one neutral line
    (or wipes the chat where the channel can), so nothing here speaks."""

    def name(self) -> str:
        return "action_quick_exit"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return [Restarted()]
