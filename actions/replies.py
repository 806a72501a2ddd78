"""Replies shared by several actions, composed from response keys.

Each function sends messages and returns the progress the conversation is left in; the calling
action turns that into slot events.
"""

from __future__ import annotations

from dataclasses import replace

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.progress import Awaiting, Progress
from content.menu import situations_by_use
from content.model import PLATFORMS

SITUATIONS = (
    "secure_account", "doxxing", "report_abuse", "intimate_images", "sextortion",
    "impersonation", "stalking", "document_evidence",
)  # fmt: skip
# Situations where the minors' route (Take It Down, a child helpline) may apply.
ASKS_AGE = frozenset({"intimate_images", "sextortion"})
# Playbooks after which keeping a record of what happened helps most: their end says how to start one
# (a line, not a question: nothing to answer, nothing asked again). See docs/evidence.md.
OFFER_RECORD = frozenset(
    {"document_evidence", "report_abuse", "doxxing", "impersonation", "sextortion", "stalking"}
)
ADULT_AGE = 18
# Ten entries: WhatsApp lists hold ten rows. The language entry is handled by the gateway. Situations
# come in the order people bring them most, counted by `python -m bot menu-order` (content/menu.py):
# an SMS shows only the first five, then "more".
MENU = (*situations_by_use(SITUATIONS), "human_handoff", "change_language")


# A message this long is a person telling her story: it is acknowledged before any step.
LONG_MESSAGE = 200
FIRST_CONTACT = ("welcome", "limits", "privacy", "leave_quickly", "safety_check")


def first_message(tracker: Tracker) -> bool:
    """Her first message in this conversation (since it began or was erased)."""
    return sum(1 for event in tracker.events if event.get("event") == "user") <= 1


def first_contact(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    """Who we are, what we are not, how to leave; then: is she safe right now?"""
    for key in FIRST_CONTACT:
        dispatcher.utter_message(response=key)
    return replace(progress, awaiting=Awaiting.SAFETY)


def check_safety(dispatcher: CollectingDispatcher, tracker: Tracker, progress: Progress) -> Progress:
    """Words that might mean danger, the model unsure ("is this the place for help with pics"):
    a first message gets who we are and "are you safe?"; later, the numbers in case, and the question
    (a "no" gets the rest of the help in danger)."""
    if first_message(tracker):
        return first_contact(dispatcher, progress)
    dispatcher.utter_message(response="emergency")
    dispatcher.utter_message(response="safety_check")
    return replace(progress, awaiting=Awaiting.SAFETY)


def acknowledge_long(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    if len(tracker.latest_message.get("text") or "") >= LONG_MESSAGE:
        dispatcher.utter_message(response="acknowledge")


def carry_on(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    """Back to the step on screen, or the menu when no steps are under way."""
    if progress.active:
        return show_step(dispatcher, progress)
    return show_menu(dispatcher, progress)


def back_to_place(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    """After answering something else: the steps, never "step 1 of 8" before step 1 was shown. A
    platform question she let pass is not pressed (the steps begin in their general wording); the age
    question is asked again by the gateway, at most twice."""
    if progress.awaiting is Awaiting.PLATFORM:
        return past_platform_question(dispatcher, progress)
    if progress.active and progress.awaiting is not Awaiting.MINOR:
        dispatcher.utter_message(response="carry_on", **progress.step_params())
    return progress


def past_platform_question(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    """ "ok", "next", "skip" to "which app is it?": the steps, in their general wording."""
    return start(dispatcher, replace(progress, platform=progress.platform or "other"))


def intent_choices(intents: tuple[str, ...] | list[str]) -> list[dict[str, object]]:
    return [{"intent": intent} for intent in intents]


def show_menu(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    dispatcher.utter_message(response="menu", choices=intent_choices(MENU))
    return replace(progress, awaiting=None)


def ask_platform(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    choices = [{"intent": "inform_platform", "entities": {"platform": p}} for p in PLATFORMS]
    dispatcher.utter_message(response="ask_platform", choices=choices)
    return replace(progress, awaiting=Awaiting.PLATFORM)


def show_step(
    dispatcher: CollectingDispatcher, progress: Progress, *, returning: bool = False, again: bool = False
) -> Progress:
    """The current step; or the recap and the helpline offer at the end.

    The stalkerware caution comes before the first of a run of steps that could alert an abuser, and
    again when someone returns to such a step after a pause, but not before every one of them, nor
    when the same step is shown `again` in another wording.
    """
    if not progress.active:
        return finish(dispatcher, progress)
    steps = progress.current.steps
    caution = steps[progress.step].caution
    previous = steps[progress.step - 1].caution if progress.step > 0 else None
    if caution == "stalkerware" and not again and (returning or previous != caution):
        dispatcher.utter_message(response="caution_stalkerware")
        progress = progress.with_risk("stalkerware")
    dispatcher.utter_message(response="step", **progress.step_params())
    return replace(progress, awaiting=None)


def start(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    """The intro, then the first step; where images are involved, first whether a minor is."""
    dispatcher.utter_message(response="playbook_intro", **progress.step_params())
    if progress.playbook in ASKS_AGE and "minor" not in progress.risks:
        dispatcher.utter_message(response="age_check")
        return replace(progress, awaiting=Awaiting.MINOR)
    return show_step(dispatcher, progress)


def minors_route(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    """Under 18: the routes made for minors come before the general steps, which from now on are
    shown in their minors' wording (never capture or keep an image)."""
    dispatcher.utter_message(response="minors_route")
    return show_step(dispatcher, progress.with_risk("minor"))


def finish(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    dispatcher.utter_message(response="recap", **progress.step_params())
    if progress.playbook in OFFER_RECORD:
        dispatcher.utter_message(response="record_offer")
    progress = offer_handoff(dispatcher, progress)
    return replace(progress, playbook=None, step=0)


def offer_handoff(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    dispatcher.utter_message(response="handoff_offer")
    return replace(progress, awaiting=Awaiting.HANDOFF)


def emergency(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    """Danger first: the emergency number, then a person (unless that was just offered and is still
    open: asking again every message is noise). Playbook progress is kept for later."""
    dispatcher.utter_message(response="emergency")
    if progress.awaiting is Awaiting.HANDOFF:
        return progress.with_risk("danger")
    return offer_handoff(dispatcher, progress.with_risk("danger"))


def self_harm(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    """Thoughts of suicide or self-harm: care, a line that listens, and a person."""
    dispatcher.utter_message(response="self_harm")
    return offer_handoff(dispatcher, progress.with_risk("self_harm"))


def offer_resume(dispatcher: CollectingDispatcher, progress: Progress) -> Progress:
    dispatcher.utter_message(response="resume_offer", **progress.step_params())
    return replace(progress, awaiting=Awaiting.RESUME)
