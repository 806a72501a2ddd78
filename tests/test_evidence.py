"""Her record (docs/evidence.md) through the gateway's stages, with the real models and Redis: a
guided entry from free text with a relative date in every language; list, correct, delete;
screenshots noted, never kept; safety still first; erase leaves nothing; the reminder before expiry."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import re
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from cryptography.fernet import Fernet
from pypdf import PdfReader
from redis.asyncio import Redis

from bot.evidence.links import OneTimeLinks
from bot.evidence.store import REMINDERS
from bot.handoff.console_auth import SESSION_COOKIE
from bot.handoff.sessions import SessionStore
from bot.handoff.staff import Role, StaffStore
from bot.ops.app import GATEWAY, build_gateway, create_app
from bot.ops.settings import Settings, TelegramSettings
from bot.pipeline.gateway import Gateway
from bot.pipeline.messages import InboundKind, InboundMessage, OutboundMessage
from bot.rasa.engine import Engine
from bot.storage.sealing import Sealer

from .fakes import serving
from .fakes.telegram import FakeTelegram
from .fakes.whatsapp import FakeGraph
from .support.redis_dbs import emptied, redis_url
from .support.settle import settled
from .test_telegram import SECRET, TOKEN, chat, fake, payload, post
from .test_whatsapp import PHONE_NUMBER_ID, text_message, whatsapp_settings
from .test_whatsapp import TOKEN as WA_TOKEN
from .test_whatsapp import post as wa_post

__all__ = ["chat", "fake"]  # fixtures used by name below

EVIDENCE_REDIS_URL = redis_url("evidence")
WEBHOOK = "/webhooks/rest/webhook"

# What a person writes, in her language: start, when, where, who, what, links, screenshots (yes).
ENTRIES: dict[str, dict[str, str]] = {
    "en": {"start": "I want to keep a record", "when": "last night around 11", "where": "on insta",
           "who": "@fake.amina.22", "what": "he posted my address and my photo in a comment",
           "links": "https://instagram.com/p/abc123", "yes": "yes", "list": "my record"},
    "es": {"start": "quiero llevar un registro", "when": "anoche como a las 11", "where": "en instagram",
           "who": "@falsa.ana", "what": "publicó mi dirección y una foto mía en un comentario",
           "links": "https://instagram.com/p/abc123", "yes": "sí", "list": "mi registro"},
    "pt": {"start": "quero manter um registro", "when": "ontem à noite", "where": "no instagram",
           "who": "@perfil.falso", "what": "ele postou meu endereço e uma foto minha num comentário",
           "links": "https://instagram.com/p/abc123", "yes": "sim", "list": "meu registro"},
    "fr": {"start": "je veux garder une trace", "when": "hier soir vers 23h", "where": "sur instagram",
           "who": "@faux.compte", "what": "il a publié mon adresse et ma photo dans un commentaire",
           "links": "https://instagram.com/p/abc123", "yes": "oui", "list": "mon journal"},
    "sw": {"start": "nataka kuweka kumbukumbu", "when": "jana usiku", "where": "kwenye instagram",
           "who": "@akaunti.feki", "what": "aliweka anwani yangu na picha yangu kwenye komenti",
           "links": "https://instagram.com/p/abc123", "yes": "ndiyo", "list": "kumbukumbu yangu"},
    "hi": {"start": "मुझे रिकॉर्ड रखना है", "when": "कल रात", "where": "instagram पर",
           "who": "@nakli.id", "what": "उसने मेरा पता और मेरी फोटो कमेंट में डाल दी",
           "links": "https://instagram.com/p/abc123", "yes": "हाँ", "list": "मेरा रिकॉर्ड"},
    "ar": {"start": "أريد أن أحتفظ بسجل", "when": "امبارح بالليل", "where": "على انستغرام",
           "who": "@حساب.مزيف", "what": "نشر عنواني وصورتي في تعليق",
           "links": "https://instagram.com/p/abc123", "yes": "نعم", "list": "سجلي"},
}  # fmt: skip


@pytest.fixture
async def evidence_redis() -> AsyncIterator[Redis]:
    async with emptied(EVIDENCE_REDIS_URL) as client:
        yield client


@pytest.fixture
async def gateway(settings: Settings, engine: Engine, evidence_redis: Redis) -> Gateway:
    return build_gateway(replace(settings, record_max_days=365), engine, evidence_redis)


class Person:
    """One person writing on one channel, through every stage of the turn."""

    def __init__(self, gateway: Gateway, language: str, channel: str = "rest") -> None:
        self.gateway = gateway
        self.language = language
        self.channel = channel
        self.sender = uuid.uuid4().hex
        self.replies: list[OutboundMessage] = []
        self._count = 0

    @property
    def conversation(self) -> str:
        return f"{self.channel}:{self.sender}"

    async def send(
        self, text: str = "", kind: InboundKind = InboundKind.TEXT, **extra: Any
    ) -> list[str | None]:
        self._count += 1
        message = InboundMessage(
            channel=self.channel,
            provider_id=f"{self.sender}-{self._count}",
            sender=self.sender,
            kind=kind,
            text=text,
            language_hint=self.language,
            **extra,
        )
        self.replies = await self.gateway.turn(message)
        return [reply.key for reply in self.replies]

    async def press(self, title: str) -> list[str | None]:
        for reply in self.replies:
            for choice in reply.choices:
                if choice.title == title:
                    return await self.send(choice.payload, kind=InboundKind.CHOICE)
        raise AssertionError(f"no button {title!r} in {[[c.title for c in r.choices] for r in self.replies]}")

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.replies)


def yesterday() -> str:
    return (dt.date.today() - dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize("language", sorted(ENTRIES))
async def test_an_entry_from_free_text_with_a_relative_date_in_every_language(
    gateway: Gateway, language: str
) -> None:
    words = ENTRIES[language]
    person = Person(gateway, language)
    assert await person.send(words["start"]) == ["record_start", "record_ask_when"]
    assert await person.send(words["when"]) == ["record_ask_where"]
    assert await person.send(words["where"]) == ["record_ask_who"]
    assert await person.send(words["who"]) == ["record_ask_what"]
    assert await person.send(words["what"]) == ["record_ask_links"]
    assert await person.send(words["links"]) == ["record_ask_screenshots"]
    assert await person.send(words["yes"]) == ["record_saved"]

    [entry] = await gateway.journal.store.entries(person.conversation)
    assert entry.number == 1
    assert entry.when_text == words["when"] and entry.when_date == yesterday()
    assert entry.platform == "instagram"
    assert entry.who == words["who"] and entry.what == words["what"]
    assert entry.links == ("https://instagram.com/p/abc123",)
    assert entry.kept_screenshots is True

    assert await person.send(words["list"]) == ["record_list"]
    assert words["what"] in person.text
    assert f"1. {gateway.journal.when(entry, language)}" in person.text


async def write_entry(person: Person, what: str, when: str = "yesterday") -> None:
    await person.send("I want to keep a record")
    for answer in (when, "on facebook", "@someone", what, "https://facebook.com/x/1"):
        await person.send(answer)
    assert await person.press("No") == ["record_saved"]


async def test_entries_are_listed_corrected_and_deleted(gateway: Gateway) -> None:
    person = Person(gateway, "en")
    await write_entry(person, "first thing he did")
    await write_entry(person, "second thing he did", when="3 days ago")
    assert await person.send("my record") == ["record_list"]
    assert (
        "1. " in person.text and "first thing he did" in person.text and "second thing he did" in person.text
    )

    assert await person.press("Correct an entry") == ["record_which"]
    assert [c.title for c in person.replies[0].choices] == ["1", "2"]
    assert await person.send("2") == ["record_which_part"]
    assert await person.press("What happened") == ["record_ask_what"]
    assert await person.send("he sent my photo to my boss") == ["record_saved"]
    second = await gateway.journal.store.entry(person.conversation, 2)
    assert second is not None and second.what == "he sent my photo to my boss"
    assert second.when_date == (dt.date.today() - dt.timedelta(days=3)).isoformat()  # the rest kept

    await person.send("my record")
    assert await person.press("Delete an entry") == ["record_which"]
    assert await person.press("1") == ["record_delete_confirm"]
    assert await person.press("No") == ["record_not_deleted"]
    assert [e.number for e in await gateway.journal.store.entries(person.conversation)] == [1, 2]
    await person.send("my record")
    await person.press("Delete an entry")
    await person.press("1")
    assert await person.press("Yes, delete it") == ["record_deleted"]
    assert [e.number for e in await gateway.journal.store.entries(person.conversation)] == [2]


async def test_a_screenshot_is_noted_with_its_fingerprint_and_never_kept(gateway: Gateway) -> None:
    person = Person(gateway, "en", channel="whatsapp")
    await person.send("I want to keep a record")
    await person.send("yesterday")
    replies = await person.send(kind=InboundKind.IMAGE, media_sha256="3f0a9c")
    assert replies == ["record_screenshot_fingerprinted", "record_ask_where"]  # the question again
    for answer in ("on whatsapp", "his number", "he sent threats", "no links"):
        await person.send(answer)
    assert await person.press("Yes") == ["record_saved"]
    [entry] = await gateway.journal.store.entries(person.conversation)
    assert [s.sha256 for s in entry.screenshots] == ["3f0a9c"] and entry.kept_screenshots is True
    stored = b"".join(
        [v for k in await gateway.store.redis.keys("*") if await gateway.store.redis.type(k) == b"hash"
         for v in (await gateway.store.redis.hgetall(k)).values()]
    )  # fmt: skip
    assert b"he sent threats" not in stored and b"3f0a9c" not in stored  # sealed at rest


async def test_an_image_in_an_intimate_images_conversation_is_not_fingerprinted(gateway: Gateway) -> None:
    person = Person(gateway, "en", channel="whatsapp")
    await person.send("he is sharing my nudes")
    await person.send("I want to keep a record")
    assert await person.send(kind=InboundKind.IMAGE, media_sha256="abcd") == [
        "record_image_intimate",
        "record_ask_when",
    ]
    assert "stopncii.org" in person.text.lower()
    draft = await gateway.journal.store.draft(person.conversation)
    assert draft is not None and draft.entry.screenshots == ()


async def test_danger_and_quick_exit_win_over_the_entrys_question(gateway: Gateway) -> None:
    person = Person(gateway, "en")
    await person.send("I want to keep a record")
    keys = await person.send("he is outside my door right now")
    assert "emergency" in keys or "emergency_where" in keys
    assert "record_ask_where" not in keys
    draft = await gateway.journal.store.draft(person.conversation)
    assert draft is not None and draft.entry.when_text == ""  # danger was not taken as the answer
    assert await gateway.store.redis.zscore(REMINDERS, gateway._pseudonym(person.conversation)) is not None
    await person.send("exit")
    assert await gateway.journal.store.draft(person.conversation) is None  # nothing half-written kept
    # and no reminder will arrive later, on a phone someone may be looking at
    assert await gateway.store.redis.zscore(REMINDERS, gateway._pseudonym(person.conversation)) is None


async def test_stop_pauses_the_entry_and_keep_a_record_carries_on(gateway: Gateway) -> None:
    person = Person(gateway, "es")
    await person.send("quiero llevar un registro")
    await person.send("ayer")
    assert await person.send('/record{"do":"stop"}', kind=InboundKind.CHOICE) == ["record_paused"]
    assert await person.send("quiero llevar un registro") == ["record_resume", "record_ask_where"]


async def test_erase_leaves_no_entry_no_pdf_and_no_link(gateway: Gateway) -> None:
    person = Person(gateway, "en")
    await write_entry(person, "he keeps creating fake accounts")
    await person.send("send me my record")
    await person.press("Yes, make it")
    token = person.text.split("/r/")[1].split()[0]
    redis = gateway.store.redis
    assert await redis.exists(gateway.journal.store.key(person.conversation))
    await person.send("delete my data")
    assert await person.press("Yes, delete it all") == ["erase_done"]
    assert not await redis.exists(gateway.journal.store.key(person.conversation))
    assert await gateway.journal.links.take(token) is None
    assert not await redis.zscore(REMINDERS, gateway._pseudonym(person.conversation))
    assert [k for k in await redis.keys("*record*") if not k.endswith(b"reminders")] == []


async def test_a_reminder_goes_out_before_the_record_expires(gateway: Gateway) -> None:
    person = Person(gateway, "fr")
    await person.send("je veux garder une trace")
    for answer in ("hier soir", "sur facebook", "un faux profil", "il m'insulte", "pas de lien"):
        await person.send(answer)
    await person.press("Non")
    redis = gateway.store.redis
    due_at = await redis.zscore(REMINDERS, gateway._pseudonym(person.conversation))
    expires_in = await redis.ttl(gateway.journal.store.key(person.conversation))
    assert 29 * 86_400 < expires_in <= 30 * 86_400
    assert due_at is not None
    assert await gateway.journal.store.due(now=due_at - 60) == []  # not yet
    [due] = await gateway.journal.store.due(now=due_at + 1)
    assert due.conversation_id == person.conversation and due.language == "fr"
    assert await gateway.journal.store.due(now=due_at + 1) == []  # sent once
    reminder = gateway.journal.reminder(due)
    assert reminder.key == "record_reminder" and "journal" in reminder.text


def pdf_text(pdf: bytes, language: str) -> str:
    """The text read back out of the PDF, with the extractor that reads the script right: pypdf
    gives Arabic in logical order exactly (poppler turns the lam-alef ligature "لا" into "ال");
    poppler's pdftotext gives Devanagari's characters in order (pypdf leaks glyph codes of
    conjuncts)."""
    if language == "hi":
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
        )
        return done.stdout.decode()
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def squashed(text: str) -> str:
    """Without whitespace: pdftotext puts a space after a Devanagari syllable whose vowel sign is drawn
    before its consonant ("लि खे" for "लिखे"); the characters and their order are what count."""
    return "".join(text.split())


def glyphs_of(pdf: bytes) -> tuple[Counter[str], list[str]]:
    """From the embedded fonts' ToUnicode maps: how many glyphs show each character (Arabic's
    joined forms are distinct glyphs), and the glyphs that show several characters (Devanagari's
    conjuncts and vowel signs)."""
    forms: Counter[str] = Counter()
    ligatures: list[str] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            cmap = font.get_object()["/ToUnicode"].get_object().get_data().decode()
            chars = cmap.split("beginbfchar", 1)[-1]
            for _, code in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", chars):
                text = bytes.fromhex(code).decode("utf-16-be")
                forms[text] += 1
                if len(text) > 1:
                    ligatures.append(text)
    return forms, ligatures


@pytest.fixture
async def rest(aiohttp_client: Any, settings: Settings, engine: Engine, evidence_redis: Redis) -> TestClient:
    return await aiohttp_client(create_app(settings, engine, evidence_redis))


async def rest_say(client: TestClient, sender: str, text: str) -> list[dict[str, Any]]:
    response = await client.post(WEBHOOK, json={"sender": sender, "message": text})
    assert response.status == 200
    return list(await response.json())


def button(replies: list[dict[str, Any]], contains: str) -> str:
    return next(b["payload"] for r in replies for b in r.get("buttons") or () if contains in b["payload"])


PDF_ENTRIES = {
    "ar": ("نشر عنواني وصورتي في تعليق وكتب أنه سيأتي", "ملاحظات"),
    "hi": ("उसने मेरा पता और स्क्रीनशॉट कमेंट में डाल दिए", "नोट्स"),
    "en": ("he posted my address and my photo in a comment", "Notes"),
}


@pytest.mark.parametrize("language", sorted(PDF_ENTRIES))
async def test_send_me_my_record_on_rest_warns_then_links_a_shaped_pdf_once(
    rest: TestClient, language: str
) -> None:
    words = ENTRIES[language]
    what, title = PDF_ENTRIES[language]
    sender = uuid.uuid4().hex
    for text in (
        words["start"],
        words["when"],
        words["where"],
        words["who"],
        what,
        words["links"],
        words["yes"],
    ):
        replies = await rest_say(rest, sender, text)
    replies = await rest_say(rest, sender, words["list"])
    warned = await rest_say(rest, sender, button(replies, "send_record"))
    assert "/r/" not in json.dumps(warned)  # the warning first, no file yet
    linked = await rest_say(rest, sender, button(warned, '"yes"'))
    [token] = re.findall(r"/r/([A-Za-z0-9_-]+)", linked[0]["text"])

    response = await rest.get(f"/r/{token}")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    assert "noindex" in response.headers["X-Robots-Tag"]
    today = dt.date.today().isoformat()
    assert response.headers["Content-Disposition"] == f'attachment; filename="notes-{today}.pdf"'
    pdf = await response.read()
    text = pdf_text(pdf, language)
    # neutral: nothing alarming on the first line
    first_line = text.strip().splitlines()[0]
    if language == "hi":
        assert squashed(what) in squashed(text) and squashed(first_line) == title
    else:
        assert what in text and first_line.strip() == title
    # A Latin "@" or link beside Arabic may be read back in either order: its letters, in order, count.
    assert words["who"].lstrip("@") in text and "instagram.com/p/abc123" in text
    forms, ligatures = glyphs_of(pdf)
    if language == "ar":  # right to left and joined: letters shown in more than one form
        assert any(forms[letter] >= 2 for letter in "نعيرو")
    if language == "hi":  # conjuncts and vowel signs shaped: glyphs that stand for several characters
        assert ligatures

    again = await rest.get(f"/r/{token}")
    assert again.status == 404 and "no-store" in again.headers["Cache-Control"]


async def test_a_link_not_used_within_its_time_is_gone(evidence_redis: Redis) -> None:
    links = OneTimeLinks(evidence_redis, Sealer.from_keys([Fernet.generate_key().decode()]), seconds=1)
    token, key = await links.keep(b"%PDF-1.4 test", "notes.pdf")
    assert 0 < await evidence_redis.ttl(key) <= 1
    deadline = time.monotonic() + 5
    while await evidence_redis.exists(key):  # Redis expires it: wait for that state, not a fixed sleep
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert await links.take(token) is None
    assert b"PDF" not in b"".join(await evidence_redis.keys("*"))


async def staff_view(rest: TestClient, ticket_id: str, *, claim: bool) -> dict[str, Any]:
    """What a counsellor's console reads for the ticket (after taking it, when `claim`)."""
    redis = rest.app[GATEWAY].store.redis
    name = f"amina{uuid.uuid4().hex[:6]}"
    await StaffStore(redis).add(name, "a long enough password 1", Role.AGENT)
    session = await SessionStore(redis).create(name)
    headers = {"Cookie": f"{SESSION_COOKIE}={session.id}", "X-CSRF-Token": session.csrf}
    if claim:
        response = await rest.post(f"/console/api/tickets/{ticket_id}/claim", headers=headers)
        assert response.status == 200
    response = await rest.get(f"/console/api/tickets/{ticket_id}", headers=headers)
    assert response.status == 200
    return dict(await response.json())


@pytest.mark.parametrize("choice", ["Yes", "Yes, share my record"])
async def test_staff_see_her_record_only_when_she_chose_to_share_it(rest: TestClient, choice: str) -> None:
    sender = uuid.uuid4().hex
    for text in (
        "I want to keep a record",
        "yesterday",
        "on tiktok",
        "@him",
        "he threatens me daily",
        "none",
    ):
        await rest_say(rest, sender, text)
    await rest_say(rest, sender, "no")
    offer = await rest_say(rest, sender, "talk to a person")
    titles = [b["title"] for r in offer for b in r.get("buttons") or ()]
    assert "Yes, share my record" in titles and titles[-1] == "Not now"
    pressed = next(b["payload"] for r in offer for b in r.get("buttons") or () if b["title"] == choice)
    await rest_say(rest, sender, pressed)
    gateway: Gateway = rest.app[GATEWAY]
    ticket = await gateway.desk.open_ticket(f"rest:{sender}")
    assert ticket is not None

    waiting = await staff_view(rest, ticket.id, claim=False)
    assert waiting["record"] is None  # only the summary before she is taken
    taken = await staff_view(rest, ticket.id, claim=True)
    if choice == "Yes":
        assert taken["record"] is None
        assert "he threatens me daily" not in json.dumps(taken)
        return
    [entry] = taken["record"]
    assert entry["what"] == "he threatens me daily" and entry["number"] == 1
    assert entry["written_at"] <= entry["changed_at"]


@pytest.fixture
async def telegram_app(
    aiohttp_client: Any, settings: Settings, engine: Engine, evidence_redis: Redis, fake: FakeTelegram
) -> TestClient:
    telegram = TelegramSettings(token=TOKEN, secret_token=SECRET, api_url=fake.url, polling=False)
    return await aiohttp_client(create_app(replace(settings, telegram=telegram), engine, evidence_redis))


async def test_on_telegram_her_record_comes_as_a_document_after_the_warning(
    telegram_app: TestClient, fake: FakeTelegram, chat: int
) -> None:
    async def says(text: str) -> list[dict[str, Any]]:
        before = len(fake.sent())
        assert (
            await post(telegram_app, payload("text_message", chat, text=text, date=int(time.time()))) == 200
        )
        return (await fake.wait_for(before + 1))[before:]

    for text in ("I want to keep a record", "yesterday", "on x", "@troll", "he posted lies about me", "none"):
        await says(text)
    await says("no")
    warning = await says("send me my record")
    assert "on this phone" in warning[-1]["text"] and fake.sent("sendDocument") == []
    assert await post(telegram_app, payload("text_message", chat, text="yes", date=int(time.time()))) == 200
    [document] = await fake.wait_for(1, "sendDocument")
    gateway: Gateway = telegram_app.app[GATEWAY]
    await settled(gateway)
    assert document["document_name"] == f"notes-{dt.date.today().isoformat()}.pdf"
    assert "he posted lies about me" in pdf_text(document["document"], "en")
    assert "/r/" not in json.dumps([m.get("text", "") for m in fake.sent()])  # no link on Telegram
    assert [k for k in await gateway.store.redis.keys("*record:file:*")] == []  # sent: not kept


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with serving(FakeGraph(token=WA_TOKEN, phone_number_id=PHONE_NUMBER_ID)) as fake_graph:
        yield fake_graph


async def test_on_whatsapp_her_record_is_uploaded_and_sent_as_a_document(
    aiohttp_client: Any, settings: Settings, engine: Engine, evidence_redis: Redis, graph: FakeGraph
) -> None:
    app = create_app(replace(settings, whatsapp=whatsapp_settings(graph)), engine, evidence_redis)
    client = await aiohttp_client(app)
    wa_id = "254700" + str(uuid.uuid4().int)[:6]
    for text in ("I want to keep a record", "yesterday", "whatsapp", "+254 700 000000", "he threatens me"):
        before = len(graph.requests)
        assert await wa_post(client, text_message(wa_id, text)) == 200
        await graph.wait_for(before + 1)
    for text in ("none", "no", "send me my record", "yes"):
        before = len(graph.requests)
        assert await wa_post(client, text_message(wa_id, text)) == 200
        await graph.wait_for(before + 1)
    [document] = graph.sent("document")
    name, pdf = graph.media[document["document"]["id"]]
    assert name == document["document"]["filename"] == f"notes-{dt.date.today().isoformat()}.pdf"
    assert "he threatens me" in pdf_text(pdf, "en")
    await settled(app[GATEWAY])
    assert await evidence_redis.keys("*record:file:*") == []  # sent: nothing of it kept


async def test_the_reminder_before_expiry_reaches_her_chat_and_is_sent_once(
    telegram_app: TestClient, fake: FakeTelegram, chat: int
) -> None:
    for text in ("I want to keep a record", "yesterday", "on x", "@troll", "fake profile", "none", "no"):
        before = len(fake.sent())
        assert (
            await post(telegram_app, payload("text_message", chat, text=text, date=int(time.time()))) == 200
        )
        await fake.wait_for(before + 1)
    gateway: Gateway = telegram_app.app[GATEWAY]
    await settled(gateway)
    before = len(fake.sent())
    await gateway.remind(now=time.time() + 29 * 86_400)  # three days before the 30 are up, and more
    [reminder] = (await fake.wait_for(before + 1))[before:]
    expires = dt.date.today() + dt.timedelta(days=30)
    assert (
        reminder["text"].startswith("Your record will be deleted on") and str(expires.day) in reminder["text"]
    )
    await gateway.remind(now=time.time() + 29 * 86_400)
    await settled(gateway)
    assert len(fake.sent()) == before + 1  # once


async def test_asking_for_a_person_mid_entry_is_answered_and_the_entry_waits(gateway: Gateway) -> None:
    person = Person(gateway, "en")
    await person.send("I want to keep a record")
    await person.send("yesterday")
    keys = await person.send("talk to a person")
    assert "handoff_offer" in keys and "record_ask_who" not in keys
    draft = await gateway.journal.store.draft(person.conversation)
    assert draft is not None and draft.entry.where == ""  # not taken as where it happened
    assert await person.send("new entry") == ["record_resume", "record_ask_where"]
