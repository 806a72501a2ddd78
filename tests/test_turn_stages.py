"""The turn's stages through the REST channel: safety first in every language and state, the open
question answered where it was asked, consent only from a yes, one reply to an unknown command."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bot.handoff.model import Risk, TicketState
from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import Settings
from bot.pipeline.gateway import Gateway
from bot.pipeline.messages import OutboundMessage
from bot.pipeline.stages.reply_cap import ReplyCap
from bot.pipeline.turn import TurnState, chain
from bot.rasa.engine import Engine
from bot.storage.keys import HANDOFF_QUEUE

WEBHOOK = "/webhooks/rest/webhook"


@pytest.fixture
async def client(
    aiohttp_client: Any, placeless_settings: Settings, placeless_engine: Engine, gateway_redis: Redis
) -> TestClient:
    return await aiohttp_client(create_app(placeless_settings, placeless_engine, gateway_redis))


async def say(client: TestClient, sender: str, text: str, **metadata: str) -> list[dict[str, Any]]:
    body = {"sender": sender, "message": text, "metadata": metadata}
    response = await client.post(WEBHOOK, json=body)
    assert response.status == 200
    return list(await response.json())


def texts(replies: list[dict[str, Any]]) -> str:
    return "\n".join(reply["text"] for reply in replies)


def test_the_stages_run_safety_first_and_the_dialogue_last(client: TestClient) -> None:
    gateway: Gateway = client.app[GATEWAY]
    assert [type(stage).__name__ for stage in gateway.stages()] == [
        "ReplyCap", "QuestionMemory", "Blocked", "Safety", "NewConversations", "More",
        "EvidenceLog", "InboxConsent", "OpenQuestion", "HandoffRelay", "Language", "Commands", "Media",
        "SituationCounts", "Dialogue",
    ]  # fmt: skip


async def test_danger_in_english_from_a_kenyan_number_gets_kenyas_numbers_in_english(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    replies = await say(client, conversation_id, "i am in danger", country="KE")
    expected = placeless_engine.render("emergency", "en", "KE").text
    assert replies[0]["text"] == expected and "999" in expected


async def test_danger_with_no_country_asks_where_she_is_and_gives_the_numbers_once_she_says(
    client: TestClient, conversation_id: str
) -> None:
    asked = await say(client, conversation_id, "he is outside my door and he is going to kill me")
    titles = [b["title"] for b in asked[0]["buttons"]]
    assert "United Kingdom" in titles and titles[-1] == "Another country"
    answered = await say(client, conversation_id, "im in kenya")
    assert "999" in answered[0]["text"] and "112" in answered[0]["text"]
    assert answered[-1]["buttons"][0]["payload"] == "/affirm"  # would she like a person? still asked


@pytest.mark.parametrize(
    ("story", "now"),
    [
        ("wameweka anwani ya nyumba yangu kwa facebook", "wanaume wawili wamesimama getini sasa hivi"),
        ("they posted my home address on facebook", "some guy is at my window right now"),
        ("they posted my home address on facebook", "two men came and are standing outside my building"),
    ],
)
async def test_someone_at_her_door_now_or_after_her_address_was_posted_is_danger_mid_playbook(
    client: TestClient, conversation_id: str, story: str, now: str
) -> None:
    started = await say(client, conversation_id, story, country="KE")
    assert "999" not in texts(started)  # a playbook, not yet the emergency help
    replies = await say(client, conversation_id, now)
    assert "999" in replies[0]["text"] and "112" in replies[0]["text"]


async def test_after_danger_someone_at_her_door_is_danger_whatever_else_the_words_say(
    client: TestClient, conversation_id: str
) -> None:
    first = await say(client, conversation_id, "3afak ghadi y9tlni", country="MA")  # Arabizi: he'll kill me
    assert "19" in first[0]["text"]  # Morocco's police
    await say(client, conversation_id, "wakha")
    replies = await say(client, conversation_id, "rah bra f zen9a")  # "he's outside in the street": no model
    assert "19" in replies[0]["text"]  # knows it, but after danger, someone outside is danger


async def test_after_danger_what_she_writes_next_is_answered_as_someone_still_in_danger(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    """ "I already called 911", "I'm so scared": the numbers again with "I'm still here", not the same
    alert word for word, never a menu; the offer of a person stays open and a yes still takes it."""
    first = await say(client, conversation_id, "ayuda mi ex esta afuera de mi casa gritando", country="MX")
    assert first[0]["text"] == placeless_engine.render("emergency", "es", "MX").text
    still = placeless_engine.render("emergency_again", "es", "MX").text
    assert "911" in still and still != first[0]["text"]
    for follow_up in ("ya llame al 911", "tengo mucho miedo"):
        assert texts(await say(client, conversation_id, follow_up)) == still
    unclear = await say(client, conversation_id, "ok")  # not yet a yes to a person: asked plainly
    assert unclear[0]["text"] == placeless_engine.render("consent_unclear", "es", "MX").text
    await say(client, conversation_id, "si")
    ticket = await client.app[GATEWAY].desk.open_ticket(f"rest:{conversation_id}")
    assert ticket is not None and ticket.state is TicketState.QUEUED and Risk.DANGER in ticket.summary.risks


async def test_after_danger_a_hinglish_question_is_answered_in_hindi(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    await say(client, conversation_id, "hi", country="IN")
    await say(
        client, conversation_id, "wo ghar ke bahar khada h chilla rha h darwaza kholo maa ghar pe nhi h"
    )
    replies = await say(client, conversation_id, "police kitni der me aayegi")
    assert replies[0]["text"] == placeless_engine.render("emergency_again", "hi", "IN").text


async def test_fear_the_model_cannot_place_asks_whether_she_is_safe_and_a_no_gets_the_numbers(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    asked = await say(client, conversation_id, "i'm scared", country="GB")
    assert asked[0]["text"] == placeless_engine.render("fear_check", "en", "GB").text
    helped = await say(client, conversation_id, "no")
    assert helped[0]["text"] == placeless_engine.render("emergency", "en", "GB").text


async def test_words_opening_with_ok_while_a_step_is_shown_say_the_step_is_done(
    client: TestClient, conversation_id: str
) -> None:
    first = await say(client, conversation_id, "/doxxing", country="GB", language="en")
    assert "1/" in texts(first)
    after = await say(client, conversation_id, "ok i blocked him")
    assert after[0]["text"].startswith("2/")


async def test_a_first_message_the_model_cannot_place_gets_the_welcome_and_the_safety_question(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    replies = await say(client, conversation_id, "slt svp j'ai un probleme grave", country="MA")
    assert replies[0]["text"] == placeless_engine.render("welcome", "fr", "MA").text
    assert replies[-1]["text"] == placeless_engine.render("safety_check", "fr", "MA").text


async def test_danger_the_model_only_guesses_at_is_asked_about_not_assumed(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    """ "Is this the place for help with pics" is no emergency: who we are, then "are you safe?";
    a "no" gets the numbers at once."""
    replies = await say(client, conversation_id, "hi is this the place for help with pics", country="KE")
    assert "999" not in texts(replies)
    assert replies[-1]["text"] == placeless_engine.render("safety_check", "en", "KE").text
    helped = await say(client, conversation_id, "no")
    assert helped[0]["text"] == placeless_engine.render("emergency", "en", "KE").text


async def test_someone_arriving_and_leaving_in_arabizi_is_a_quick_exit(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    await say(client, conversation_id, "salam, rajli dakhel l facebook dyali w kayqra kolchi", country="MA")
    replies = await say(client, conversation_id, "rah ja, khassni nsed")
    assert texts(replies) == placeless_engine.render("quick_exit", "ar", "MA").text


@pytest.mark.parametrize(
    ("country", "story", "leaving", "language"),
    [
        ("IN", "mera pati mera phone check karta hai har roz", "वो आ गया", "hi"),  # he came: nothing more
        (
            "AO",
            "o meu namorado le todas as minhas mensagens",
            "epa a minha sogra entrou, tenho de bazar",
            "pt",
        ),
        ("GT", "mi esposo me revisa el celular todos los dias", "ya se desperto adios", "es"),
    ],
)
async def test_someone_coming_in_said_the_way_people_say_it_is_a_quick_exit(
    client: TestClient,
    placeless_engine: Engine,
    conversation_id: str,
    country: str,
    story: str,
    leaving: str,
    language: str,
) -> None:
    await say(client, conversation_id, story, country=country)
    replies = await say(client, conversation_id, leaving)
    assert texts(replies) == placeless_engine.render("quick_exit", language, country).text


async def test_he_is_here_read_as_danger_is_no_quick_exit(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    """Someone arriving in a few words is a quick exit, unless the words are read as danger."""
    await say(client, conversation_id, "my ex keeps texting me from new numbers", country="GB")
    replies = await say(client, conversation_id, "he is here")
    assert texts(replies) != placeless_engine.render("quick_exit", "en", "GB").text
    assert replies[0]["text"] == placeless_engine.render("emergency", "en", "GB").text


async def test_intimate_images_and_a_demand_for_money_is_sextortion(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    """The model leans to "intimate images"; 1000 soles or they go up is sextortion, whose steps begin
    with "don't pay"."""
    story = "alguien tiene mis fotos intimas q tenia en el drive y me esta pidiendo 1000 soles sino las sube"
    replies = await say(client, conversation_id, story, country="PE")
    assert (await placeless_engine.parse(story, "es")).intent == "sextortion"
    params = {
        "playbook": "sextortion",
        "step": 0,
        "platform": None,
        "done": [],
        "skipped": [],
        "minor": False,
    }
    assert replies[0]["text"] == placeless_engine.render("playbook_intro", "es", "PE", params).text


async def test_words_the_model_half_reads_as_cannot_call_bring_no_emergency_numbers(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    await say(client, conversation_id, "allo", country="CA", language="fr")
    replies = await say(client, conversation_id, "chu pas sure si c'est la bonne place pour ça")
    emergency = placeless_engine.render("emergency", "fr", "CA").text
    assert emergency not in texts(replies)


async def test_no_thanks_to_a_person_before_one_was_offered_is_taken_as_a_no(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    await say(client, conversation_id, "/report_abuse", country="LB", language="fr")
    replies = await say(
        client, conversation_id, "non merci je veux pas parler a quelqu'un, j'ai peur que ca se sache"
    )
    assert replies[0]["text"] == placeless_engine.render("handoff_declined", "fr", "LB").text


async def test_hello_while_asked_about_a_person_asks_again_plainly(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    offered = await say(client, conversation_id, "/human_handoff", country="BR", language="pt")
    assert offered[-1]["text"] == placeless_engine.render("handoff_offer", "pt", "BR").text
    replies = await say(client, conversation_id, "oi??")
    assert texts(replies) == placeless_engine.render("consent_unclear", "pt", "BR").text


async def test_a_yes_inside_a_sentence_to_the_offer_of_a_person_is_a_yes_and_an_ok_alone_is_not(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    """ "theek hai haan baat karwa do" (ok, yes, connect me) takes the offer; it used to be read as
    "step done". "theek hai" alone is asked about plainly."""
    await say(client, conversation_id, "/report_abuse", country="IN", language="hi")
    await say(client, conversation_id, "/human_handoff")
    unclear = await say(client, conversation_id, "theek hai")
    assert texts(unclear) == placeless_engine.render("consent_unclear", "hi", "IN").text
    await say(client, conversation_id, "theek hai haan baat karwa do")
    ticket = await client.app[GATEWAY].desk.open_ticket(f"rest:{conversation_id}")
    assert ticket is not None and ticket.state is TicketState.QUEUED


async def test_a_place_the_model_half_reads_as_danger_is_only_a_place(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    """ "estoy en colombia" in the middle of the doxxing steps: Colombia's help from now on, and no
    emergency alert nor "are you safe?" for words that say nothing of danger."""
    await say(client, conversation_id, "publicaron mi direccion y mi telefono en un grupo de facebook")
    replies = await say(client, conversation_id, "estoy en colombia")
    name = placeless_engine.render("country_set", "es", "CO", {"country_name": "Colombia"}).text
    assert texts(replies) == name


async def test_a_country_named_in_a_short_message_is_where_she_is_whatever_her_phone_said(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    """A French number, a woman in Dakar: she is told whose help she will get, and danger gets it."""
    told = await say(client, conversation_id, "je suis au senegal", country="FR")
    expected = placeless_engine.render("country_set", "fr", "SN", {"country_name": "Sénégal"}).text
    assert texts(told) == expected
    helped = await say(client, conversation_id, "il est devant ma porte il va me tuer")
    assert helped[0]["text"] == placeless_engine.render("emergency", "fr", "SN").text


async def test_danger_while_queued_gets_the_help_and_moves_her_to_the_front(
    client: TestClient, gateway_redis: Redis, conversation_id: str
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    await say(client, "someone-else", "/human_handoff", country="GB", language="en")
    await say(client, "someone-else", "yes")
    await say(client, conversation_id, "/human_handoff", country="KE", language="en")
    queued = await say(client, conversation_id, "yes")
    assert "number 2 in line" in texts(queued)
    helped = await say(client, conversation_id, "he has a knife he is here")
    assert "999" in helped[0]["text"] and "in line" not in texts(helped)
    ticket = await gateway.desk.open_ticket(f"rest:{conversation_id}")
    assert ticket is not None and ticket.state is TicketState.QUEUED
    assert Risk.DANGER in ticket.summary.risks
    assert (await gateway_redis.zrange(HANDOFF_QUEUE, 0, 0))[0].decode() == ticket.id
    assert [entry.text for entry in await gateway.desk.tickets.log(ticket.id)][
        -1
    ] == "he has a knife he is here"


async def test_a_question_during_consent_is_answered_and_consent_asked_again(
    client: TestClient, conversation_id: str
) -> None:
    sender = conversation_id
    offer = await say(client, sender, "/human_handoff", country="KE", language="en")
    assert offer[-1]["buttons"][0]["payload"] == "/affirm"
    answered = await say(client, sender, "how do i report this to the police")
    assert "999" in texts(answered) and "in line" not in texts(answered)
    assert answered[-1]["text"] == offer[-1]["text"]  # asked again
    queued = await say(client, sender, "ndio")
    assert "in line" in texts(queued)


@pytest.mark.parametrize(
    ("request_in_words", "with_a_leading_ok"),
    [
        ("i really need to talk to a real person please", "ok i want to talk to someone"),
        ("nahitaji kuongea na mtu wa kweli tafadhali", "sawa nahitaji kuongea na mtu"),
    ],
)
async def test_asking_for_a_person_in_words_is_not_yet_consent_to_share_her_summary(
    client: TestClient, conversation_id: str, request_in_words: str, with_a_leading_ok: str
) -> None:
    desk = client.app[GATEWAY].desk
    await say(client, conversation_id, "/human_handoff", country="KE")
    asked = await say(client, conversation_id, request_in_words)
    assert asked[-1]["buttons"][0]["payload"] == "/affirm"  # asked plainly, once
    assert await desk.open_ticket(f"rest:{conversation_id}") is None
    await say(client, conversation_id, with_a_leading_ok)
    ticket = await desk.open_ticket(f"rest:{conversation_id}")
    assert ticket is not None and ticket.state is TicketState.QUEUED


async def test_ok_is_not_consent_she_is_asked_plainly(client: TestClient, conversation_id: str) -> None:
    await say(client, conversation_id, "/human_handoff", country="GB")
    unclear = await say(client, conversation_id, "ok")
    assert "in line" not in texts(unclear) and unclear[0]["buttons"][0]["payload"] == "/affirm"
    assert "in line" in texts(await say(client, conversation_id, "yes please"))


async def test_an_age_is_read_as_the_answer_and_ok_is_not_an_age(client: TestClient) -> None:
    images = '/inform_platform{"platform":"instagram"}'  # after /intimate_images asked which app
    minor = "age-minor"
    await say(client, minor, "/intimate_images", country="GB")
    assert (await say(client, minor, images))[-1]["buttons"][0]["payload"] == "/affirm"  # under 18?
    route = await say(client, minor, "yes im 15")
    assert "Report Remove" in texts(route) and "Take It Down" in texts(route)
    adult = "age-adult"
    await say(client, adult, "/intimate_images", country="GB")
    await say(client, adult, images)
    unclear = await say(client, adult, "ok")
    assert unclear[0]["buttons"][0]["title"] == "Under 18"  # asked again, not taken as an age
    step = await say(client, adult, "no, I'm 25")
    assert step[-1]["text"].startswith("1/8. ") and "Report Remove" not in texts(step)
    after = await say(client, adult, "ok")
    assert after[-1]["text"].startswith("2/8. ")


async def test_an_age_given_unasked_routes_a_minor_and_her_steps_never_ask_to_capture_an_image(
    client: TestClient, placeless_engine: Engine
) -> None:
    sender = "age-unasked"
    await say(client, sender, "my boyfriend shared my nudes with his friends", country="US")
    told = await say(client, sender, "im 15")
    assert "Take It Down" in texts(told)
    adult_wording = placeless_engine.render(
        "step", "en", "US", {"playbook": "intimate_images", "step": 1, "minor": False}
    ).text
    seen = [r["text"] for r in await say(client, sender, "instagram")]  # the app: the steps start
    for _ in range(3):
        seen += [r["text"] for r in await say(client, sender, "done")]
    assert adult_wording not in seen and any("Don't screenshot" in text for text in seen)


async def test_a_minor_asking_how_to_report_to_the_police_is_never_told_to_screenshot(
    client: TestClient, conversation_id: str
) -> None:
    await say(client, conversation_id, "im 15 and a boy from school posted my nudes", country="GB")
    answered = texts(await say(client, conversation_id, "how do i report this to the police"))
    assert "999" in answered and "link" in answered  # the numbers, and what to give instead of images
    told = answered.replace("’", "'")
    assert "don't screenshot" in told and "screenshot" not in told.replace("don't screenshot", "")


async def test_every_quick_exit_is_the_same_quick_exit(
    client: TestClient, placeless_engine: Engine, conversation_id: str
) -> None:
    neutral = placeless_engine.render("quick_exit", "en").text
    for leaving in ("exit", "exit please", "he is looking at my phone"):
        sender = f"{conversation_id}-{len(leaving)}"
        await say(client, sender, "/doxxing", country="GB")
        assert texts(await say(client, sender, leaving)) == neutral, leaving
        assert len(await say(client, sender, "hello")) == 5  # started afresh: the welcome again


async def test_delete_my_data_in_words_asks_and_a_typed_yes_erases(
    client: TestClient, conversation_id: str
) -> None:
    await say(client, conversation_id, "/doxxing", country="GB")
    asked = await say(client, conversation_id, "delete my data please")
    assert asked[0]["buttons"][0]["payload"] == "/erase_confirmed"
    done = await say(client, conversation_id, "yes")
    assert done[0]["text"].startswith("Done: everything kept")
    assert len(await say(client, conversation_id, "hello")) == 5  # nothing left to resume


@pytest.mark.parametrize("command", ["/help", "/foo", '/set_country{"country":"ZZ"}', "/cancel me"])
async def test_an_unknown_command_gets_one_short_reply(client: TestClient, command: str) -> None:
    replies = await say(client, f"unknown-{command}", command)
    assert len(replies) == 1 and replies[0]["buttons"][0]["payload"] == "/menu"


async def test_the_reply_cap_keeps_the_first_replies_and_the_last_question() -> None:
    from bot.ops.metrics import Metrics

    many = [OutboundMessage(text=str(n)) for n in range(10)]

    async def flood(turn: TurnState) -> list[OutboundMessage]:
        return list(many)

    capped = await chain([ReplyCap(Metrics())], flood)(_turn())
    assert [r.text for r in capped] == ["0", "1", "2", "3", "4", "9"]


def _turn() -> TurnState:
    from bot.language.detection import Decision
    from bot.pipeline.messages import InboundKind, InboundMessage
    from bot.pipeline.preferences import Preferences

    message = InboundMessage(channel="rest", provider_id="1", sender="s", kind=InboundKind.TEXT, text="hi")
    return TurnState(message=message, prefs=Preferences(), decision=Decision(language="en", settled=True),
                     ticket_id=None)  # fmt: skip


async def test_an_age_inside_her_story_puts_the_minors_routes_first(client: TestClient) -> None:
    sender = "age-in-story"
    replies = await say(
        client, sender, "im 15 and my boyfriend sent my nudes to his friends on snapchat", country="GB"
    )
    keys_text = texts(replies)
    assert "Report Remove" in keys_text and "Take It Down" in keys_text
    assert "are you under 18" not in keys_text  # never asked what she already said
