"""Handoff to a person: the queue's order, atomic claims, the summary, the person's side in every state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from cryptography.fernet import Fernet
from redis.asyncio import Redis

from bot.handoff.desk import Desk
from bot.handoff.errors import Conflict, DeskError, NotAllowed, NotFound, OutsideSafeTime
from bot.handoff.hours import DAYS, Schedule
from bot.handoff.model import Author, Case, Risk, Summary, TicketState
from bot.handoff.staff import Role, Staff
from bot.language.i18n import N_, Catalogs
from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import Settings
from bot.pipeline.gateway import Gateway
from bot.pipeline.messages import OutboundMessage
from bot.rasa.engine import Engine
from bot.storage.pseudonyms import Pseudonymizer
from bot.storage.sealing import Sealer

from .console_support import render
from .support.events import until_subscribers
from .support.redis_dbs import emptied, redis_url

HANDOFF_REDIS_URL = redis_url("handoff")
WEBHOOK = "/webhooks/rest/webhook"
AMINA = Staff(name="amina", display_name="Amina", role=Role.AGENT)
BEN = Staff(name="ben", display_name="Ben", role=Role.AGENT)
SUPERVISOR = Staff(name="sam", display_name="Sam", role=Role.SUPERVISOR)


@pytest.fixture
async def handoff_redis() -> AsyncIterator[Redis]:
    async with emptied(HANDOFF_REDIS_URL) as client:
        yield client


class Recorder:
    """What the desk would send to people, by conversation."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, OutboundMessage]] = []

    async def __call__(self, conversation_id: str, replies: Sequence[OutboundMessage]) -> None:
        self.sent += [(conversation_id, reply) for reply in replies]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def desk(handoff_redis: Redis, recorder: Recorder) -> Desk:
    return Desk(
        handoff_redis,
        sealer=Sealer.from_keys([Fernet.generate_key().decode()]),
        pseudonym=Pseudonymizer(b"k" * 32),
        render=render,
        deliver=recorder,
        retention_seconds=3600,
    )


async def test_the_queue_serves_danger_first_then_minors_then_images_then_the_rest(desk: Desk) -> None:
    order = [
        ("plain-1", ()),
        ("ncii", (Risk.NCII,)),
        ("danger", (Risk.STALKERWARE, Risk.DANGER)),
        ("plain-2", ()),
        ("minor", (Risk.MINOR, Risk.NCII)),
    ]
    ids = {}
    for name, risks in order:
        ids[(await desk.enqueue(f"rest:{name}", Summary(risks=risks))).id] = name
        await asyncio.sleep(0.01)
    assert [ids[t.id] for t in await desk.tickets.queue()] == [
        "danger",
        "minor",
        "ncii",
        "plain-1",
        "plain-2",
    ]
    first_plain = next(t for t, n in ids.items() if n == "plain-1")
    assert await desk.position(first_plain) == 4


async def test_two_staff_racing_for_one_conversation_one_wins(desk: Desk, recorder: Recorder) -> None:
    ticket = await desk.enqueue("telegram:42", Summary(language="sw"))
    results = await asyncio.gather(
        desk.claim(ticket.id, AMINA), desk.claim(ticket.id, BEN), return_exceptions=True
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1
    winner = next(r for r in results if not isinstance(r, BaseException))
    assert winner.state is TicketState.WITH_STAFF and winner.staff in {"amina", "ben"}
    assert await desk.tickets.queue() == [] and [t.id for t in await desk.tickets.active()] == [ticket.id]
    assert [(c, m.key) for c, m in recorder.sent] == [("telegram:42", "handoff_joined")]
    joined = recorder.sent[0][1]
    assert joined.language == "sw" and joined.text.startswith(winner.staff.title())  # in her language


async def test_only_the_holder_or_a_supervisor_acts_on_a_conversation(desk: Desk) -> None:
    ticket = await desk.enqueue("telegram:7", Summary())
    await desk.claim(ticket.id, AMINA)
    with pytest.raises(NotAllowed):
        await desk.send(ticket.id, BEN, "hello")
    with pytest.raises(NotAllowed):  # a supervisor only monitors it until she joins it
        await desk.send(ticket.id, SUPERVISOR, "hello from a supervisor")
    await desk.join(ticket.id, SUPERVISOR)
    await desk.send(ticket.id, SUPERVISOR, "hello from a supervisor")
    await desk.transfer(ticket.id, AMINA, BEN)
    with pytest.raises(NotAllowed):
        await desk.note(ticket.id, AMINA, "not mine any more")
    await desk.close(ticket.id, BEN, "resolved")
    closed = await desk.tickets.get(ticket.id)
    assert closed is not None and closed.state is TicketState.CLOSED and closed.outcome == "resolved"
    log = await desk.tickets.log(ticket.id)
    assert [e.author for e in log].count(Author.STAFF) == 1
    assert any(e.text == "transferred:ben" for e in log)
    assert [a.action for a in await desk.audit.entries()][:4] == [
        "close:resolved",
        "transfer:ben",
        "join",
        "claim",
    ]
    assert (await desk.stats.current()).handled_today == 1


async def test_summaries_logs_and_addresses_are_sealed_at_rest(desk: Desk, handoff_redis: Redis) -> None:
    ticket = await desk.enqueue(
        "twilio:+254700111222",
        Summary(situation="doxxing", safe_contact="after 6pm Kilimanjaro"),
        [(Author.PERSON, "my neighbour Zanzibarcode posted my address")],
    )
    await desk.claim(ticket.id, AMINA)
    await desk.note(ticket.id, AMINA, "note Quetzalword")
    dump = await _dump(handoff_redis)
    for secret in ("+254700111222", "Kilimanjaro", "Zanzibarcode", "Quetzalword", "doxxing"):
        assert secret not in dump
    assert next(e.text for e in await desk.tickets.log(ticket.id)).startswith("my neighbour")


async def test_erasing_leaves_only_the_fact(desk: Desk, handoff_redis: Redis) -> None:
    conversation = "telegram:555"
    first = await desk.enqueue(conversation, Summary(situation="stalking"), [(Author.PERSON, "hello")])
    await desk.claim(first.id, AMINA)
    case = Case(situation="stalking", platform="whatsapp", tags=("Quetzaltag",))
    follow_up = await desk.close(first.id, AMINA, "follow_up_needed", case=case, note="Quetzalnote")
    assert follow_up is not None
    ticket = await desk.enqueue(conversation, Summary(situation="stalking"), [(Author.PERSON, "hello")])
    await desk.claim(ticket.id, AMINA)
    assert [past.ticket.id for past in await desk.tickets.previous(ticket)] == [follow_up.id, first.id]
    await desk.erase(conversation)
    for ticket_id in (first.id, follow_up.id, ticket.id):
        erased = await desk.tickets.get(ticket_id)
        assert erased is not None and erased.erased and erased.state is TicketState.CLOSED
        assert erased.summary == Summary() and erased.case is None and await desk.tickets.log(ticket_id) == []
        assert await desk.tickets.previous(erased) == []
    assert await desk.open_ticket(conversation) is None
    pseudonym = Pseudonymizer(b"k" * 32)(conversation)
    dump = await _dump(handoff_redis)
    for trace in (pseudonym, "Quetzaltag", "Quetzalnote"):
        assert trace not in dump


async def test_a_returning_person_s_earlier_tickets_come_with_outcomes_notes_and_case(desk: Desk) -> None:
    first = await desk.enqueue("telegram:77", Summary(situation="doxxing", platform="x"))
    await desk.claim(first.id, AMINA)
    await desk.note(first.id, AMINA, "she moved to her sister's")
    case = Case(situation="threats", platform="instagram", risks=(Risk.DANGER,), tags=("repeat",))
    assert (
        await desk.close(first.id, AMINA, "referred", case=case, note="referred to the police unit") is None
    )
    someone_else = await desk.enqueue("telegram:78", Summary())
    again = await desk.enqueue("telegram:77", Summary(situation="threats"))

    [past] = await desk.tickets.previous(again)
    assert past.ticket.id == first.id and past.ticket.outcome == "referred" and past.ticket.case == case
    assert [note.text for note in past.notes] == ["she moved to her sister's", "referred to the police unit"]
    assert await desk.tickets.previous(someone_else) == [] and await desk.tickets.previous(first) == []
    await desk.claim(again.id, BEN)
    await desk.close(again.id, BEN, "resolved")
    closed = await desk.tickets.get(again.id)
    assert closed is not None and closed.case is None and closed.outcome == "resolved"  # nothing carried over


async def test_follow_up_needed_leaves_a_silent_follow_up_that_waits_for_her_safe_time(
    desk: Desk, recorder: Recorder
) -> None:
    other_day = DAYS[(datetime.now(UTC).weekday() + 3) % 7]
    summary = Summary(situation="ncii", country="KE", safe_contact=f"only on {other_day} evenings")
    ticket = await desk.enqueue("whatsapp:9", summary)
    await desk.claim(ticket.id, AMINA)
    follow_up = await desk.close(ticket.id, AMINA, "follow_up_needed", note="call back about the report")
    assert follow_up is not None and follow_up.state is TicketState.FOLLOW_UP
    assert [t.id for t in await desk.tickets.follow_ups()] == [follow_up.id]
    said = len(recorder.sent)

    await desk.claim(follow_up.id, BEN)  # taking it contacts nobody
    assert len(recorder.sent) == said and await desk.open_ticket("whatsapp:9") is None
    with pytest.raises(
        OutsideSafeTime, match=f"outside the time she said is safe \\({other_day[:3].title()}, 18:00"
    ):
        await desk.send(follow_up.id, BEN, "Hello, it's Ben from the helpline")
    assert len(recorder.sent) == said
    await desk.send(follow_up.id, BEN, "Hello, it's Ben from the helpline", override=True)
    assert [m.key for _, m in recorder.sent[said:]] == ["staff_message"]
    assert "override_safe_time" in [a.action for a in await desk.audit.entries()]
    opened = await desk.open_ticket("whatsapp:9")  # her answers now come to Ben
    assert opened is not None and opened.id == follow_up.id
    await desk.from_person(opened, "yes I can talk")
    await desk.send(follow_up.id, BEN, "Good. Are you safe?")  # she is there: no override needed


async def test_a_follow_up_closed_without_contact_says_nothing_and_keeps_her_newer_ticket(
    desk: Desk, recorder: Recorder
) -> None:
    left = await desk.leave_message("sms:1", Summary(safe_contact="any time"), "please call")
    await desk.claim(left.id, AMINA)
    live = await desk.enqueue("sms:1", Summary())  # meanwhile she asks for a person again
    await desk.close(left.id, AMINA, "no_response")
    assert recorder.sent == []
    still = await desk.open_ticket("sms:1")
    assert still is not None and still.id == live.id


async def test_take_next_serves_the_most_urgent_then_prefers_the_staff_s_languages(desk: Desk) -> None:
    english = await desk.enqueue("sms:en", Summary(language="en"))
    swahili = await desk.enqueue("sms:sw", Summary(language="sw"))
    danger = await desk.enqueue("sms:pt", Summary(language="pt", risks=(Risk.DANGER,)))
    swahili_speaker = replace(AMINA, languages=("sw",))
    assert (await desk.take_next(swahili_speaker)).id == danger.id  # urgency before language
    assert (await desk.take_next(swahili_speaker)).id == swahili.id  # then hers, though newer
    assert (await desk.take_next(BEN)).id == english.id
    with pytest.raises(NotFound, match="Nobody is waiting"):
        await desk.take_next(BEN)


async def test_unread_counts_what_the_person_wrote_since_staff_last_read(desk: Desk) -> None:
    ticket = await desk.enqueue("telegram:3", Summary(), [(Author.PERSON, "hi")])
    ticket = await desk.claim(ticket.id, AMINA)
    assert await desk.reads.unread(AMINA, [ticket]) == {ticket.id: 1}
    await desk.reads.mark_read(AMINA, ticket)
    await desk.from_person(ticket, "he is back")
    await desk.from_person(ticket, "what do I do")
    now = await desk.tickets.get(ticket.id)
    assert now is not None and await desk.reads.unread(AMINA, [now]) == {ticket.id: 2}


async def test_events_reach_every_subscriber(desk: Desk) -> None:
    received: list[dict[str, Any]] = []

    async def listen() -> None:
        async for event in desk.events.stream():
            received.append(event)
            if len(received) == 2:
                return

    listener = asyncio.create_task(listen())
    await until_subscribers(desk.redis, 1)  # listening before anything is published
    ticket = await desk.enqueue("web:1", Summary())
    await desk.claim(ticket.id, AMINA)
    await asyncio.wait_for(listener, 5)
    assert [(e["type"], e["ticket"]) for e in received] == [("queued", ticket.id), ("claimed", ticket.id)]


async def _dump(redis: Redis) -> str:
    """Every key and value in the database, as text."""
    parts = []
    async for key in redis.scan_iter():
        parts.append(key.decode(errors="replace"))
        kind = (await redis.type(key)).decode()
        if kind == "string":
            values = [await redis.get(key)]
        elif kind == "hash":
            values = [v for pair in (await redis.hgetall(key)).items() for v in pair]
        elif kind == "list":
            values = await redis.lrange(key, 0, -1)
        elif kind == "set":
            values = list(await redis.smembers(key))
        else:
            values = [m for m, _ in await redis.zrange(key, 0, -1, withscores=True)]
        parts += [
            v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in values if v is not None
        ]
    return "\n".join(parts)


# --- the person's side, through the REST channel and the real engine ---


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings, engine: Engine, handoff_redis: Redis) -> TestClient:
    return await aiohttp_client(create_app(settings, engine, handoff_redis))


async def say(client: TestClient, sender: str, text: str) -> list[dict[str, Any]]:
    metadata = {"country": "KE", "language": "en"}
    response = await client.post(WEBHOOK, json={"sender": sender, "message": text, "metadata": metadata})
    assert response.status == 200
    body: list[dict[str, Any]] = await response.json()
    return body


def button(replies: list[dict[str, Any]], title: str) -> str:
    for reply in replies:
        for choice in reply["buttons"]:
            if choice["title"] == title:
                return str(choice["payload"])
    raise AssertionError(f"no button {title!r}")


async def test_a_person_who_agrees_is_queued_with_the_summary_they_agreed_to(client: TestClient) -> None:
    gateway: Gateway = client.app[GATEWAY]
    sender = "person-summary"
    replies = await say(client, sender, "/intimate_images")
    replies = await say(client, sender, '/inform_platform{"platform": "instagram"}')
    assert replies[-1]["text"].startswith("One question first")
    replies = await say(client, sender, button(replies, "Yes"))  # under 18
    assert any("Take It Down" in r["text"] for r in replies)
    replies = await say(client, sender, button(replies, "Done"))
    replies = await say(client, sender, button(replies, "Skip"))
    replies = await say(client, sender, "I want to talk to a real person")
    replies = await say(client, sender, button(replies, "Yes, share this chat"))
    assert replies[-1]["text"].startswith("You're number 1 in line")
    [ticket] = await gateway.desk.tickets.queue()
    summary = ticket.summary
    assert summary.situation == "intimate_images" and summary.channel == "rest" and summary.country == "KE"
    assert set(summary.risks) == {Risk.NCII, Risk.MINOR} and summary.transcript_shared
    assert len(summary.steps_done) == 1 and len(summary.steps_skipped) == 1
    log = await gateway.desk.tickets.log(ticket.id)
    assert (Author.PERSON, "I want to talk to a real person") in [(e.author, e.text) for e in log]


async def test_while_queued_messages_go_to_staff_not_to_the_bot(client: TestClient) -> None:
    gateway: Gateway = client.app[GATEWAY]
    sender = "person-queued"
    replies = await say(client, sender, "talk to a person")
    replies = await say(client, sender, button(replies, "Yes"))
    [ticket] = await gateway.desk.tickets.queue()
    assert not ticket.summary.transcript_shared and await gateway.desk.tickets.log(ticket.id) == []
    replies = await say(client, sender, "menu")  # would open the menu; here it is for the helpline
    assert [r["text"] for r in replies] == [  # nobody from the helpline has a console open
        "Saved for the helpline. You're number 1 in line. Nobody is available right now: "
        "you can keep waiting, or leave a message."
    ]
    await gateway.desk.presence.seen("amina")  # a counsellor at the console: a wait can be estimated
    replies = await say(client, sender, "hello?")
    assert [r["text"] for r in replies] == [
        "Saved for the helpline. You're number 1 in line (about 5 minutes)."
    ]
    assert [e.text for e in await gateway.desk.tickets.log(ticket.id)] == ["menu", "hello?"]
    replies = await say(client, sender, button(replies, "Cancel"))
    assert replies[0]["text"].startswith("Okay, you've left the line")
    assert await gateway.desk.tickets.queue() == []
    replies = await say(client, sender, "menu")
    assert replies[-1]["text"].startswith("What is happening?")


async def test_out_of_hours_the_person_may_leave_a_message_with_a_safe_time(
    aiohttp_client: Any, settings: Settings, engine: Engine, handoff_redis: Redis, tmp_path: Path
) -> None:
    hours = tmp_path / "hours.yml"
    other_day = DAYS[(datetime.now(UTC).weekday() + 3) % 7]  # open three days from now only
    hours.write_text(f'timezone: UTC\nweekly:\n  {other_day}: ["09:00-17:00"]\n')
    assert not Schedule.load(hours).is_open(datetime.now(UTC))
    client = await aiohttp_client(create_app(replace(settings, handoff_hours=hours), engine, handoff_redis))
    gateway: Gateway = client.app[GATEWAY]
    sender = "person-night"
    replies = await say(client, sender, "talk to a person")
    replies = await say(client, sender, button(replies, "Yes"))
    assert replies[-1]["text"].startswith("The helpline is closed right now.")
    replies = await say(client, sender, button(replies, "Leave a message"))
    replies = await say(client, sender, "Please call me about the fake profile")
    assert replies[-1]["text"].startswith("When and how is it safe")
    replies = await say(client, sender, "weekdays after 6pm, in this chat")
    assert replies[-1]["text"].startswith("Thank you. Your message is saved")
    [task] = await gateway.desk.tickets.follow_ups()
    assert task.summary.safe_contact == "weekdays after 6pm, in this chat"
    assert [e.text for e in await gateway.desk.tickets.log(task.id)] == [
        "Please call me about the fake profile"
    ]
    assert await gateway.desk.tickets.queue() == []


async def test_without_redis_the_console_works_in_memory_with_a_demo_login(
    aiohttp_client: Any, settings: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    client = await aiohttp_client(create_app(settings, engine))  # no Redis: the embedded default
    printed = capsys.readouterr().out
    password = printed.split("demo staff login for /console (shown once): demo / ")[1].split()[0]
    form = await (await client.get("/console")).text()
    csrf = form.split('name="csrf" value="')[1].split('"')[0]
    signed_in = await client.post(
        "/console/login", data={"csrf": csrf, "name": "demo", "password": password}, allow_redirects=False
    )
    assert signed_in.status == 303
    events = await client.get("/console/events")
    replies = await say(client, "embedded-person", "talk to a person")
    await say(client, "embedded-person", button(replies, "Yes"))

    async def queued_event() -> None:
        while b'"type": "queued"' not in (line := await events.content.readline()):
            assert line, "the event stream ended"

    await asyncio.wait_for(queued_event(), 5)  # pub/sub works in memory too
    board = await (await client.get("/console/api/board")).json()
    assert len(board["queue"]) == 1


def test_a_desk_error_is_translated_first_and_filled_in_after() -> None:
    french = partial(Catalogs().gettext, "fr")
    problem = DeskError(N_("At most {count} tags."), count=20)
    assert str(problem) == "At most 20 tags."
    assert problem.translated(french, "fr") == "20 étiquettes au maximum."
    braces = DeskError("No placeholders here: {not one}")  # never formatted without parameters
    assert str(braces) == braces.translated(french, "fr") == "No placeholders here: {not one}"
