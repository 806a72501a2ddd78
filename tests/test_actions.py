"""The custom actions on their own: rasa-sdk trackers in, response keys and slot events out."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import Answer, Fallback, SideQuestion, consecutive_fallbacks
from actions.playbook import StartPlaybook, WalkPlaybook


def tracker(intent: str, slots: dict[str, Any] | None = None, **extra: Any) -> Tracker:
    latest = {"intent": {"name": intent, "confidence": 1.0}, "entities": extra.get("entities", []),
              "intent_ranking": extra.get("ranking", [])}  # fmt: skip
    return Tracker("t", slots or {}, latest, extra.get("events", []), False, None, {}, "")


async def run(action: Any, current: Tracker) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, current, {})
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return dispatcher.messages, slots


def keys(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages]


async def test_a_playbook_that_needs_the_platform_asks_for_it() -> None:
    messages, slots = await run(StartPlaybook(), tracker("secure_account"))
    assert keys(messages) == ["ask_platform"]
    assert [c["entities"]["platform"] for c in messages[0]["choices"]][:3] == [
        "facebook",
        "instagram",
        "whatsapp",
    ]
    assert slots["awaiting"] == "platform" and slots["playbook"] == "secure_account"


async def test_a_platform_named_in_the_message_starts_at_once() -> None:
    entities = [{"entity": "platform", "value": "instagram"}]
    messages, slots = await run(StartPlaybook(), tracker("secure_account", entities=entities))
    assert keys(messages) == ["playbook_intro", "step"]
    assert messages[1]["platform"] == "instagram" and messages[1]["step"] == 0
    assert slots["step"] == 0.0 and slots["awaiting"] is None


async def test_done_and_skip_are_remembered_separately() -> None:
    slots = {"playbook": "doxxing", "step": 1.0, "steps_done": ["danger_now"], "steps_skipped": []}
    _, after_skip = await run(WalkPlaybook(), tracker("step_skip", slots))
    assert after_skip["step"] == 2.0 and after_skip["steps_skipped"] == ["safe_place"]
    _, after_done = await run(WalkPlaybook(), tracker("step_done", {**slots, **after_skip}))
    assert after_done["steps_done"] == ["danger_now", "save_proof"]


async def test_the_last_step_ends_with_a_recap_and_the_helpline_offer() -> None:
    slots = {"playbook": "secure_account", "step": 9.0, "steps_done": [], "steps_skipped": []}
    messages, after = await run(WalkPlaybook(), tracker("step_done", slots))
    assert keys(messages) == ["recap", "handoff_offer"]
    assert after["playbook"] is None and after["awaiting"] == "handoff"


async def test_where_a_record_helps_the_last_step_says_how_to_keep_one_without_asking() -> None:
    slots = {"playbook": "doxxing", "step": 7.0, "steps_done": [], "steps_skipped": []}
    messages, after = await run(WalkPlaybook(), tracker("step_done", slots))
    assert keys(messages) == ["recap", "record_offer", "handoff_offer"]
    assert after["awaiting"] == "handoff"  # the one question open is the helpline's


def about(question: str, **more: str) -> list[dict[str, str]]:
    """The entities the gateway puts on a yes or no: which question it answers."""
    return [{"entity": name, "value": value} for name, value in {"question": question, **more}.items()]


async def test_yes_means_the_question_the_gateway_says_was_asked_last() -> None:
    messages, _ = await run(Answer(), tracker("affirm", entities=about("safety")))
    assert keys(messages) == ["danger_cleared", "menu"]
    messages, _ = await run(Answer(), tracker("deny", entities=about("safety")))
    assert keys(messages) == ["emergency", "handoff_offer"]
    sextortion = {"playbook": "sextortion", "awaiting": "handoff"}  # a stale slot changes nothing
    messages, slots = await run(Answer(), tracker("affirm", sextortion, entities=about("age")))
    assert keys(messages) == ["minors_route", "step"] and "minor" in slots["risks"]
    messages, slots = await run(Answer(), tracker("deny", sextortion, entities=about("age")))
    assert keys(messages) == ["step"] and "minor" not in slots["risks"]


async def test_with_no_question_open_ok_finishes_the_step_and_no_offers_the_ways_on() -> None:
    doxxing = {"playbook": "doxxing", "step": 1.0, "awaiting": "minor"}
    messages, slots = await run(Answer(), tracker("affirm", doxxing))
    assert keys(messages) == ["step"] and slots["step"] == 2.0
    messages, slots = await run(Answer(), tracker("deny", doxxing))
    assert keys(messages) == ["step_options"] and slots["step"] == 1.0
    messages, _ = await run(Answer(), tracker("affirm"))
    assert keys(messages) == ["menu"]


async def test_yes_to_a_person_hands_the_gateway_only_what_was_agreed() -> None:
    slots = {"awaiting": "handoff", "situation": "doxxing", "steps_done": ["save_proof"], "risks": ["danger"]}
    messages, after = await run(Answer(), tracker("affirm", slots, entities=about("consent")))
    [request] = messages
    assert request["response"] is None and after["awaiting"] is None
    assert request["custom"]["handoff"] == {
        "situation": "doxxing",
        "platform": None,
        "steps_done": ["save_proof"],
        "steps_skipped": [],
        "risks": ["danger"],
        "transcript_shared": False,
        "record_shared": False,
    }
    messages, _ = await run(Answer(), tracker("affirm", slots, entities=about("consent", share="chat")))
    assert messages[0]["custom"]["handoff"]["transcript_shared"] is True
    messages, _ = await run(Answer(), tracker("affirm", slots, entities=about("consent", share="record")))
    assert messages[0]["custom"]["handoff"]["record_shared"] is True


async def test_situations_carry_their_risks_and_images_ask_about_age_first() -> None:
    messages, slots = await run(StartPlaybook(), tracker("sextortion", entities=[]))
    assert slots["situation"] == "sextortion" and slots["risks"] == ["ncii"]
    danger = {"playbook": "sextortion", "risks": ["danger"]}
    _, slots = await run(StartPlaybook(), tracker("stalking", danger))
    assert slots["risks"] == ["danger", "stalkerware"]
    platform = [{"entity": "platform", "value": "instagram"}]
    messages, slots = await run(StartPlaybook(), tracker("intimate_images", entities=platform))
    assert keys(messages) == ["playbook_intro", "age_check"] and slots["awaiting"] == "minor"


def fallback_event() -> dict[str, Any]:
    return {"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}}


async def test_a_first_message_not_understood_gets_the_welcome_and_is_she_safe() -> None:
    messages, slots = await run(Fallback(), tracker("nlu_fallback", events=[fallback_event()]))
    assert keys(messages) == ["welcome", "limits", "privacy", "leave_quickly", "safety_check"]
    assert slots["awaiting"] == "safety"


async def test_the_fallback_suggests_first_then_offers_a_person() -> None:
    ranking = [{"name": "nlu_fallback"}, {"name": "doxxing"}, {"name": "step_done"}, {"name": "stalking"}]
    earlier = [{"event": "user", "parse_data": {"intent": {"name": "doxxing"}}}, {"event": "bot"}]
    first = tracker("nlu_fallback", ranking=ranking, events=[*earlier, fallback_event()])
    messages, _ = await run(Fallback(), first)
    assert keys(messages) == ["did_you_mean"]
    assert [c["intent"] for c in messages[0]["choices"]] == ["doxxing", "stalking"]
    second = tracker("nlu_fallback", events=[fallback_event(), {"event": "bot"}, fallback_event()])
    assert consecutive_fallbacks(second) == 2
    messages, _ = await run(Fallback(), second)
    assert keys(messages) == ["not_understood", "handoff_offer"]


PLATFORM_ASKED = {"playbook": "secure_account", "step": 0.0, "awaiting": "platform"}


async def test_ok_or_next_to_which_app_begins_the_steps_at_the_first() -> None:
    for current in (tracker("affirm", PLATFORM_ASKED), tracker("step_done", PLATFORM_ASKED)):
        action = Answer() if current.latest_message["intent"]["name"] == "affirm" else WalkPlaybook()
        messages, slots = await run(action, current)
        assert keys(messages) == ["playbook_intro", "step"] and messages[1]["step"] == 0
        assert slots["step"] == 0.0 and slots["platform"] == "other" and slots["awaiting"] is None
    opens_with_ok = tracker(
        "nlu_fallback", PLATFORM_ASKED, entities=[{"entity": "opens_with", "value": "ok"}]
    )
    messages, slots = await run(Fallback(), opens_with_ok)
    assert keys(messages)[-1] == "step" and slots["step"] == 0.0


async def test_a_side_question_before_any_step_is_answered_and_the_steps_begin() -> None:
    messages, slots = await run(SideQuestion(), tracker("ask_pay", PLATFORM_ASKED))
    assert keys(messages) == ["answer_pay", "playbook_intro", "step"] and messages[2]["step"] == 0
    assert slots["awaiting"] is None and slots["platform"] == "other"
    age_asked = {"playbook": "sextortion", "step": 0.0, "awaiting": "minor"}  # the gateway asks it again
    messages, slots = await run(SideQuestion(), tracker("ask_police", age_asked))
    assert keys(messages) == ["answer_police"] and slots["awaiting"] == "minor"
    on_step = {"playbook": "sextortion", "step": 2.0}
    messages, _ = await run(SideQuestion(), tracker("ask_pay", on_step))
    assert keys(messages) == ["answer_pay", "carry_on"]


async def test_will_i_get_in_trouble_is_answered_for_her_age_and_will_he_know_for_her_app() -> None:
    on_step = {"playbook": "intimate_images", "step": 2.0, "platform": "snapchat"}
    messages, _ = await run(SideQuestion(), tracker("ask_trouble", on_step))
    assert keys(messages) == ["answer_trouble", "carry_on"]
    minor = {**on_step, "risks": ["minor"]}
    messages, _ = await run(SideQuestion(), tracker("ask_trouble", minor))
    assert keys(messages) == ["answer_trouble_minor", "carry_on"] and messages[0]["minor"] is True
    age_given = [{"entity": "age", "value": "15"}]  # "j'ai 15 ans c'est illégal ce que j'ai fait?"
    messages, slots = await run(SideQuestion(), tracker("ask_trouble", on_step, entities=age_given))
    assert keys(messages) == ["answer_trouble_minor", "carry_on"] and "minor" in slots["risks"]
    messages, _ = await run(SideQuestion(), tracker("ask_reported", on_step))
    assert keys(messages) == ["answer_reported", "carry_on"] and messages[0]["platform"] == "snapchat"
    messages, _ = await run(SideQuestion(), tracker("ask_fault", {}))
    assert keys(messages) == ["answer_fault"]


async def test_an_age_under_18_in_words_the_model_cannot_place_still_marks_her_a_minor() -> None:
    """ "tengo 15 años y ..." read as nothing: not understood, and from now on a minor (no inbox
    question, the minors' wording of every step)."""
    age_given = [{"entity": "age", "value": "15"}]
    _, slots = await run(
        Fallback(), tracker("nlu_fallback", {"playbook": "sextortion", "step": 1.0}, entities=age_given)
    )
    assert "minor" in slots["risks"]


async def test_done_with_no_steps_after_the_help_in_danger_is_met_with_her_being_there() -> None:
    messages, _ = await run(WalkPlaybook(), tracker("step_done", {"risks": ["danger"]}))  # "ja liguei"
    assert keys(messages) == ["emergency_again"]
    messages, _ = await run(WalkPlaybook(), tracker("step_done"))
    assert keys(messages) == ["menu"]


async def test_no_to_a_person_nobody_offered_leads_back_to_the_step_without_showing_it_again() -> None:
    on_step = {"playbook": "report_abuse", "step": 1.0, "steps_done": ["danger_now"]}
    unasked = about("consent", offered="no")
    messages, _ = await run(Answer(), tracker("deny", on_step, entities=unasked))
    assert keys(messages) == ["handoff_declined", "other_help", "carry_on"]
    messages, _ = await run(Answer(), tracker("deny", on_step, entities=about("consent")))
    assert keys(messages) == ["handoff_declined", "other_help", "step"]
