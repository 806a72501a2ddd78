"""Her record through the real gateway (REST channel, real models, real Redis): a guided entry in
every language from free text with a relative date, listed, corrected and deleted; quick exit and
erase keep nothing of it; what is stored is sealed; a file sent meanwhile is noted, never kept."""

from __future__ import annotations

import asyncio
import io
import logging
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, make_mocked_request
from babel.dates import format_date
from pypdf import PdfReader
from redis.asyncio import Redis

from bot.evidence.exports import Export, Exports
from bot.ops.app import GATEWAY, create_app
from bot.ops.logs import AccessLog
from bot.ops.settings import Settings
from bot.pipeline.gateway import Gateway
from bot.pipeline.messages import InboundKind, InboundMessage
from bot.rasa.engine import Engine
from bot.storage.keys import RECORD, RECORD_DRAFT, export_key

WEBHOOK = "/webhooks/rest/webhook"

# Per language: hello, the request, when (a relative date: days back), where, who, what, links,
# screenshots, and the phrases to list, change and delete, as the replies name them.
LANGUAGES: dict[str, dict[str, Any]] = {
    "en": {
        "hello": "hello", "start": "I want to keep a record", "when": ("the day before yesterday", 2),
        "where": "on instagram", "who": "@darkfan_77", "what": "he posted my address under my photo",
        "links": "https://instagram.com/p/abc123", "shots": "yes",
        "list": "my record", "change": "change entry 1", "delete": "delete entry 1",
    },
    "es": {
        "hello": "hola", "start": "quiero llevar un registro", "when": ("hace 3 días", 3),
        "where": "en instagram", "who": "@darkfan_77", "what": "publicó mi dirección debajo de mi foto",
        "links": "https://instagram.com/p/abc123", "shots": "sí",
        "list": "mi registro", "change": "cambiar entrada 1", "delete": "borrar entrada 1",
    },
    "fr": {
        "hello": "bonjour", "start": "je veux garder une trace", "when": ("avant-hier", 2),
        "where": "sur instagram", "who": "@darkfan_77", "what": "il a publié mon adresse sous ma photo",
        "links": "https://instagram.com/p/abc123", "shots": "oui",
        "list": "mon registre", "change": "modifier entrée 1", "delete": "supprimer entrée 1",
    },
    "pt": {
        "hello": "olá", "start": "quero manter um registro", "when": ("há 4 dias", 4),
        "where": "no instagram", "who": "@darkfan_77", "what": "ele publicou meu endereço na minha foto",
        "links": "https://instagram.com/p/abc123", "shots": "sim",
        "list": "meu registro", "change": "mudar entrada 1", "delete": "apagar entrada 1",
    },
    "sw": {
        "hello": "habari", "start": "nataka kuweka kumbukumbu", "when": ("jana usiku", 1),
        "where": "instagram", "who": "@darkfan_77", "what": "aliweka anwani yangu chini ya picha yangu",
        "links": "https://instagram.com/p/abc123", "shots": "ndiyo",
        "list": "kumbukumbu zangu", "change": "badilisha kumbukumbu 1", "delete": "futa kumbukumbu 1",
    },
    "ar": {
        "hello": "مرحبا", "start": "أريد أن أحتفظ بسجل", "when": ("منذ ٣ أيام", 3),
        "where": "انستغرام", "who": "@darkfan_77", "what": "نشر عنواني تحت صورتي",
        "links": "https://instagram.com/p/abc123", "shots": "نعم",
        "list": "سجلي", "change": "عدل الحادثة 1", "delete": "احذف الحادثة 1",
    },
    "hi": {
        "hello": "नमस्ते", "start": "मुझे रिकॉर्ड रखना है", "when": ("परसों", 2),
        "where": "इंस्टाग्राम पर", "who": "@darkfan_77", "what": "उसने मेरी फोटो के नीचे मेरा पता डाल दिया",
        "links": "https://instagram.com/p/abc123", "shots": "हाँ",
        "list": "मेरा रिकॉर्ड", "change": "एंट्री 1 बदलो", "delete": "एंट्री 1 हटाओ",
    },
}  # fmt: skip


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis) -> TestClient:
    return await aiohttp_client(create_app(settings, engine, gateway_redis))


async def say(client: TestClient, sender: str, text: str, language: str) -> list[dict[str, Any]]:
    body = {"sender": sender, "message": text, "metadata": {"language": language}}
    response = await client.post(WEBHOOK, json=body)
    assert response.status == 200
    return list(await response.json())


def said(engine: Engine, key: str, language: str, **params: Any) -> str:
    return engine.render(key, language, None, params).text


async def record_keys(redis: Redis) -> list[bytes]:
    return [key async for key in redis.scan_iter(match=f"safespaces:{RECORD}:*")]


async def write_entry(client: TestClient, sender: str, lang: str) -> list[list[dict[str, Any]]]:
    words = LANGUAGES[lang]
    turns = []
    for text in (
        words["start"],
        words["when"][0],
        words["where"],
        words["who"],
        words["what"],
        words["links"],
    ):
        turns.append(await say(client, sender, text, lang))
    turns.append(await say(client, sender, words["shots"], lang))
    return turns


@pytest.mark.parametrize("lang", list(LANGUAGES))
async def test_an_entry_from_free_text_is_kept_listed_corrected_and_deleted(
    client: TestClient, engine: Engine, gateway_redis: Redis, conversation_id: str, lang: str
) -> None:
    words = LANGUAGES[lang]
    await say(client, conversation_id, words["hello"], lang)
    turns = await write_entry(client, conversation_id, lang)
    asked = [[r["text"] for r in replies] for replies in turns]
    assert asked == [
        [said(engine, "record_start", lang)],
        [said(engine, "record_ask_where", lang)],
        [said(engine, "record_ask_who", lang)],
        [said(engine, "record_ask_what", lang)],
        [said(engine, "record_ask_links", lang)],
        [said(engine, "record_ask_screenshots", lang)],
        [said(engine, "record_saved", lang, number=1), said(engine, "record_keep_ask", lang)],
    ]
    day = datetime.now(UTC).date() - timedelta(days=words["when"][1])
    gateway: Gateway = client.app[GATEWAY]
    (entry,) = await gateway.records.entries(f"rest:{conversation_id}")
    assert (entry.day, entry.platform, entry.who, entry.what) == (
        day.isoformat(),
        "instagram",
        "@darkfan_77",
        words["what"],
    )
    assert (entry.links, entry.screenshots) == (("https://instagram.com/p/abc123",), True)

    listed = await say(client, conversation_id, words["list"], lang)
    line = f"1. {format_date(day, 'medium', locale=lang)} · Instagram · {words['what']}"
    assert [r["text"] for r in listed] == [said(engine, "record_list", lang, entries=line)]

    # Corrected: every answer skipped keeps what was there, the new one replaces it.
    skip = said(engine, "record_change", lang, number=1).split('"')[1]
    assert (await say(client, conversation_id, words["change"], lang))[0]["text"] == said(
        engine, "record_change", lang, number=1
    )
    for text in (skip, skip, "@other_account", skip, skip, skip):
        replies = await say(client, conversation_id, text, lang)
    assert [r["text"] for r in replies] == [said(engine, "record_saved", lang, number=1)]
    (corrected,) = await gateway.records.entries(f"rest:{conversation_id}")
    assert (corrected.who, corrected.what, corrected.day) == (
        "@other_account",
        words["what"],
        day.isoformat(),
    )

    deleted = await say(client, conversation_id, words["delete"], lang)
    assert [r["text"] for r in deleted] == [said(engine, "record_deleted", lang, number=1)]
    assert await gateway.records.entries(f"rest:{conversation_id}") == []
    assert [r["text"] for r in await say(client, conversation_id, words["list"], lang)] == [
        said(engine, "record_empty", lang)
    ]
    assert await record_keys(gateway_redis) == []


async def test_what_is_stored_is_sealed(
    client: TestClient, gateway_redis: Redis, conversation_id: str
) -> None:
    await write_entry(client, conversation_id, "en")
    (key,) = await record_keys(gateway_redis)
    stored = await gateway_redis.get(key)
    assert stored is not None
    assert b"darkfan" not in stored and b"address" not in stored
    assert conversation_id.encode() not in key
    assert 0 < await gateway_redis.ttl(key) <= 30 * 24 * 3600


async def test_an_entry_left_half_written_is_dropped_within_the_hour(
    client: TestClient, gateway_redis: Redis, conversation_id: str
) -> None:
    await say(client, conversation_id, "keep a record", "en")
    await say(client, conversation_id, "yesterday", "en")
    (draft,) = await record_keys(gateway_redis)
    assert draft.startswith(f"safespaces:{RECORD_DRAFT}:".encode())
    assert 3590 < await gateway_redis.ttl(draft) <= 3600


async def test_erase_leaves_no_entry_and_no_draft(
    client: TestClient, engine: Engine, gateway_redis: Redis, conversation_id: str
) -> None:
    await write_entry(client, conversation_id, "en")
    await say(client, conversation_id, "keep a record", "en")  # a second entry, half written
    assert len(await record_keys(gateway_redis)) == 2
    confirm = await say(client, conversation_id, "delete my data", "en")
    assert confirm[0]["text"] == said(engine, "erase_confirm", "en")
    await say(client, conversation_id, confirm[0]["buttons"][0]["payload"], "en")
    assert await record_keys(gateway_redis) == []


async def test_quick_exit_drops_the_entry_being_written(
    client: TestClient, engine: Engine, gateway_redis: Redis, conversation_id: str
) -> None:
    await say(client, conversation_id, "keep a record", "en")
    await say(client, conversation_id, "yesterday", "en")
    await say(client, conversation_id, "exit", "en")
    assert await record_keys(gateway_redis) == []
    replies = await say(client, conversation_id, "instagram", "en")
    assert said(engine, "record_ask_who", "en") not in [r["text"] for r in replies]


async def test_stop_ends_the_entry_unsaved(
    client: TestClient, engine: Engine, gateway_redis: Redis, conversation_id: str
) -> None:
    await say(client, conversation_id, "keep a record", "en")
    await say(client, conversation_id, "yesterday", "en")
    replies = await say(client, conversation_id, "stop", "en")
    assert [r["text"] for r in replies] == [said(engine, "record_stopped", "en")]
    assert await record_keys(gateway_redis) == []


async def test_asking_for_something_else_gets_it_and_the_question_is_not_asked_again(
    client: TestClient, engine: Engine, gateway_redis: Redis, conversation_id: str
) -> None:
    await say(client, conversation_id, "keep a record", "en")
    replies = await say(client, conversation_id, "talk to a person", "en")
    texts = [r["text"] for r in replies]
    assert said(engine, "record_ask_where", "en") not in texts
    assert said(engine, "record_start", "en") not in texts
    assert await record_keys(gateway_redis) == []


async def test_a_file_sent_while_writing_is_noted_never_kept(
    client: TestClient, engine: Engine, conversation_id: str
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    await say(client, conversation_id, "keep a record", "en")
    photo = InboundMessage(
        channel="rest", provider_id="photo-1", sender=conversation_id, kind=InboundKind.IMAGE,
        received_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC).timestamp(),
    )  # fmt: skip
    (reply,) = await gateway.turn(photo)
    assert reply.key == "record_file_noted"
    assert "Dec 1, 2026 9:30" in reply.text and "StopNCII.org" in reply.text
    draft = await gateway.records.draft(f"rest:{conversation_id}")
    assert draft is not None and [(f.kind, f.at) for f in draft.entry.files] == [("image", photo.received_at)]
    assert draft.asking == "when"  # the question still open, not asked again


SEND = {"en": "send me my record", "ar": "أرسل لي سجلي", "hi": "मेरा रिकॉर्ड भेजो"}
WORD_JOINER = "\u2060"  # the text of a shaped cluster's glyphs after its first (bot/evidence/pdf.py)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as a reader extracts it (pypdf), without the invisible word joiners and with
    runs of spaces (pypdf's guess from glyph positions) as one."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    text = "\n".join(page.extract_text() for page in pages).replace(WORD_JOINER, "")
    return re.sub(" +", " ", text)


def has_line(text: str, expected: str) -> bool:
    """A line holding exactly the expected characters, in whatever order and spacing."""
    return any(
        sorted(line.replace(" ", "")) == sorted(expected.replace(" ", "")) for line in text.split("\n")
    )


async def ask_for_the_file(client: TestClient, engine: Engine, sender: str, lang: str) -> str:
    """Her record's link, after she is warned the file will be on her phone and says yes."""
    (confirm,) = await say(client, sender, SEND[lang], lang)
    assert confirm["text"] == said(engine, "record_export_confirm", lang)
    (answer,) = await say(client, sender, confirm["buttons"][0]["payload"], lang)  # yes
    link = re.search(r"\S*/r/\S+", answer["text"])
    assert link is not None
    assert answer["text"] == said(engine, "record_export_link", lang, link=link.group(0))
    return link.group(0)


@pytest.mark.parametrize("lang", list(SEND))
async def test_send_me_my_record_gives_a_pdf_in_her_language_once(
    client: TestClient, engine: Engine, gateway_redis: Redis, conversation_id: str, lang: str
) -> None:
    words = LANGUAGES[lang]
    await say(client, conversation_id, words["hello"], lang)
    for _ in range(2):
        await write_entry(client, conversation_id, lang)
    link = await ask_for_the_file(client, engine, conversation_id, lang)
    assert link.startswith("/r/")  # PUBLIC_URL unset: a path on this server

    response = await client.get(link)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    today = datetime.now(UTC).date().isoformat()
    assert response.headers["Content-Disposition"] == f'attachment; filename="notes-{today}.pdf"'
    pdf = await response.read()
    text = pdf_text(pdf)
    label = partial(engine.label, "record", language=lang)
    first_line = text.split("\n")[0].strip()
    assert first_line == label(name="title")  # neutral: "Personal notes"
    # in the table and in full, each of the two entries: her words in her script, in their order
    assert text.count(words["what"]) == 4
    # A line mixing digits and Arabic comes out in visual order, its spaces guessed: its letters, then.
    assert has_line(text, label(name="entry").format(number=2))
    assert has_line(text, label(name="page").format(page=3, pages=3))
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 3  # the cover with the table, then one per entry

    again = await client.get(link)
    assert again.status == 404
    assert again.headers["Cache-Control"] == "no-store"
    assert [key async for key in gateway_redis.scan_iter(match="safespaces:export:*")] == []


async def test_the_link_expires_within_the_hour_and_erase_leaves_no_file(
    client: TestClient, engine: Engine, gateway_redis: Redis, conversation_id: str
) -> None:
    await write_entry(client, conversation_id, "en")
    link = await ask_for_the_file(client, engine, conversation_id, "en")
    (key,) = [key async for key in gateway_redis.scan_iter(match="safespaces:export:*")]
    assert link.rpartition("/")[2].encode() not in key  # the token names no key
    assert 3590 < await gateway_redis.ttl(key) <= 3600
    sealed = await gateway_redis.get(key)
    assert sealed is not None and b"%PDF" not in sealed and b"darkfan" not in sealed

    confirm = await say(client, conversation_id, "delete my data", "en")
    await say(client, conversation_id, confirm[0]["buttons"][0]["payload"], "en")
    assert [k async for k in gateway_redis.scan_iter(match="safespaces:export:*")] == []
    assert await record_keys(gateway_redis) == []
    assert (await client.get(link)).status == 404


async def test_a_link_taken_after_its_time_is_gone(
    client: TestClient, gateway_redis: Redis, conversation_id: str
) -> None:
    gateway: Gateway = client.app[GATEWAY]
    exports = Exports(gateway_redis, sealer=gateway.store.sealer, keys=gateway.store.keys, seconds=1)
    token = await exports.create(f"rest:{conversation_id}", Export(name="notes.pdf", pdf=b"%PDF-1.4"))
    while await gateway_redis.exists(export_key(token)):  # Redis expires it after its second
        await asyncio.sleep(0.1)
    response = await client.get(f"/r/{token}")
    assert (response.status, response.headers["Cache-Control"]) == (404, "no-store")


async def test_no_file_without_her_yes(
    client: TestClient, engine: Engine, gateway_redis: Redis, conversation_id: str
) -> None:
    await write_entry(client, conversation_id, "en")
    (confirm,) = await say(client, conversation_id, "send me my record", "en")
    assert confirm["text"] == said(engine, "record_export_confirm", "en")
    (answer,) = await say(client, conversation_id, "no", "en")
    assert answer["text"] == said(engine, "record_export_declined", "en")
    assert [key async for key in gateway_redis.scan_iter(match="safespaces:export:*")] == []


async def test_the_link_carries_public_url_and_the_access_log_never_the_token(
    aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis, conversation_id: str,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    public = replace(settings, public_url="https://help.example.org")
    client = await aiohttp_client(create_app(public, engine, gateway_redis))
    await write_entry(client, conversation_id, "en")
    link = await ask_for_the_file(client, engine, conversation_id, "en")
    assert link.startswith("https://help.example.org/r/")
    path = link.removeprefix("https://help.example.org")
    response = await client.get(path)
    assert response.status == 200
    with caplog.at_level(logging.INFO):
        AccessLog(logging.getLogger("test.access"), "").log(
            make_mocked_request("GET", path), web.Response(status=200), 0.01
        )
    assert [r.getMessage() for r in caplog.records if r.name == "test.access"] == ["GET /r/… 200 0.010s"]


DAY = 24 * 3600


async def record_ttl(redis: Redis) -> int:
    (key,) = await record_keys(redis)
    assert key.startswith(f"safespaces:{RECORD}:".encode()) and not key.startswith(
        f"safespaces:{RECORD_DRAFT}:".encode()
    )
    return int(await redis.ttl(key))


def kept_for(engine: Engine, lang: str, title: str) -> list[str]:
    return [said(engine, "record_kept", lang, duration=title)]


@pytest.mark.parametrize(
    ("lang", "answer", "days", "choice"),
    [
        ("en", "3 months", 90, 1),
        ("en", "1 year", 365, 2),
        ("es", "1 año", 365, 2),
        ("fr", "3 mois", 90, 1),
        ("pt", "um ano", 365, 2),
        ("sw", "miezi 3", 90, 1),
        ("sw", "mwaka mmoja", 365, 2),
        ("ar", "سنة", 365, 2),
        ("ar", "٣ أشهر", 90, 1),
        ("hi", "3 महीने", 90, 1),
        ("hi", "1 साल", 365, 2),
        ("en", "30", 30, 0),
    ],
)
async def test_her_typed_choice_sets_how_long_her_record_is_kept(
    client: TestClient, engine: Engine, gateway_redis: Redis, conversation_id: str,
    lang: str, answer: str, days: int, choice: int,
) -> None:  # fmt: skip
    await say(client, conversation_id, LANGUAGES[lang]["hello"], lang)
    saved = (await write_entry(client, conversation_id, lang))[-1]
    assert [r["text"] for r in saved] == [
        said(engine, "record_saved", lang, number=1),
        said(engine, "record_keep_ask", lang),
    ]
    titles = [b["title"] for b in saved[-1]["buttons"]]
    assert 29 * DAY < await record_ttl(gateway_redis) <= 30 * DAY  # until she chooses
    replies = await say(client, conversation_id, answer, lang)
    assert [r["text"] for r in replies] == kept_for(engine, lang, titles[choice])
    assert days * DAY - 60 < await record_ttl(gateway_redis) <= days * DAY
    assert len(await client.app[GATEWAY].records.entries(f"rest:{conversation_id}")) == 1


async def test_a_pressed_choice_is_kept_she_is_asked_only_once_and_erase_still_erases(
    client: TestClient, engine: Engine, gateway_redis: Redis, conversation_id: str
) -> None:
    saved = (await write_entry(client, conversation_id, "en"))[-1]
    year = saved[-1]["buttons"][2]
    assert year["title"] == "1 year"
    assert [r["text"] for r in await say(client, conversation_id, year["payload"], "en")] == kept_for(
        engine, "en", "1 year"
    )
    assert 364 * DAY < await record_ttl(gateway_redis) <= 365 * DAY
    # Her second entry: not asked again, and still kept a year (from this entry).
    again = (await write_entry(client, conversation_id, "en"))[-1]
    assert [r["text"] for r in again] == [said(engine, "record_saved", "en", number=2)]
    assert 364 * DAY < await record_ttl(gateway_redis) <= 365 * DAY
    # A year she chose, and "delete my data" still erases it at once.
    confirm = await say(client, conversation_id, "delete my data", "en")
    await say(client, conversation_id, confirm[0]["buttons"][0]["payload"], "en")
    assert await record_keys(gateway_redis) == []


@pytest.mark.parametrize("answer", ["ok", "how do I block someone on instagram"])
async def test_ok_or_anything_else_keeps_30_days_and_moves_on(
    client: TestClient, engine: Engine, gateway_redis: Redis, conversation_id: str, answer: str
) -> None:
    await write_entry(client, conversation_id, "en")
    replies = [r["text"] for r in await say(client, conversation_id, answer, "en")]
    if answer == "ok":
        assert replies == kept_for(engine, "en", "30 days")
    else:  # answered as itself, and not asked again
        assert replies and said(engine, "record_keep_ask", "en") not in replies
        assert not any(text.startswith("Okay, I'll keep your record") for text in replies)
    assert 29 * DAY < await record_ttl(gateway_redis) <= 30 * DAY
    # "1 year" later answers nothing: the question was asked once.
    later = [r["text"] for r in await say(client, conversation_id, "1 year", "en")]
    assert kept_for(engine, "en", "1 year")[0] not in later
    assert 29 * DAY < await record_ttl(gateway_redis) <= 30 * DAY
    again = (await write_entry(client, conversation_id, "en"))[-1]
    assert [r["text"] for r in again] == [said(engine, "record_saved", "en", number=2)]


async def test_choices_above_evidence_max_days_are_not_offered(
    aiohttp_client: Any, settings: Settings, engine: Engine, gateway_redis: Redis, conversation_id: str
) -> None:
    client = await aiohttp_client(create_app(replace(settings, evidence_max_days=90), engine, gateway_redis))
    saved = (await write_entry(client, conversation_id, "en"))[-1]
    assert [b["title"] for b in saved[-1]["buttons"]] == ["30 days", "3 months"]
    replies = [r["text"] for r in await say(client, conversation_id, "1 year", "en")]
    assert kept_for(engine, "en", "1 year")[0] not in replies
    assert 29 * DAY < await record_ttl(gateway_redis) <= 30 * DAY


async def test_a_minor_is_never_asked_whether_she_kept_screenshots(
    client: TestClient, engine: Engine, conversation_id: str
) -> None:
    """Under 18, evidence is never an image she keeps: the entry ends after the links."""
    await say(client, conversation_id, "/intimate_images", "en")
    await say(client, conversation_id, "im 15", "en")
    words = LANGUAGES["en"]
    replies = []
    for text in (
        words["start"],
        words["when"][0],
        words["where"],
        words["who"],
        words["what"],
        words["links"],
    ):
        replies += await say(client, conversation_id, text, "en")
    texts = [r["text"] for r in replies]
    assert said(engine, "record_ask_screenshots", "en") not in texts
    assert any(text.startswith(said(engine, "record_saved", "en", number=1)[:20]) for text in texts)
