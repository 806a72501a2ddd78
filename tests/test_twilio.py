"""Twilio (SMS, WhatsApp via Twilio) end to end: twilio-python against a local fake REST API.

Webhooks are signed with twilio's own RequestValidator and the test auth token, over the public URL
the app is configured with (the test server's own address).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bot.channels.base import TransientSendError
from bot.channels.gsm7 import plain, segments
from bot.channels.twilio import STATUS_PATH, WEBHOOK_PATH, TwilioChannel
from bot.channels.twilio.parse import KEYWORDS, Keyword, parse_form
from bot.channels.twilio.render import BODY_LIMIT, MAX_SEGMENTS, TwilioMessage, render
from bot.ops.app import GATEWAY
from bot.ops.settings import TwilioSettings
from bot.pipeline.delivery import DeliveryStatuses
from bot.pipeline.messages import Choice, InboundKind, OutboundMessage
from bot.storage.keys import FAILURES

from .conftest import free_port
from .fakes.twilio import FakeTwilio, invalid_number, server_error, too_many_requests, unsubscribed
from .support.settle import settled
from .support.webhooks import post_twilio as post
from .support.webhooks import twilio_form as payload
from .support.webhooks import twilio_signature as signature
from .test_delivery import PSEUDONYM
from .twilio_support import ACCOUNT_SID, AUTH_TOKEN, SMS_FROM, Client

WHATSAPP_FROM = "whatsapp:+14155238886"
FIRST_QUESTION = "Are you safe right now?"
pytest_plugins = ["tests.twilio_support"]  # its fixtures: fake, make_client, client, phone


async def say(client: TestClient, sender: str, body: str) -> int:
    return await post(client, payload("incoming_sms", sender, Body=body))


async def turn(fake: FakeTwilio, before: int = 0) -> list[dict[str, str]]:
    """The messages sent after the first `before`: waits for one, then for the turn's other bodies."""
    await fake.wait_for(before + 1)
    return (await fake.settled())[before:]


def opt_out_key(client: TestClient, phone: str) -> str:
    channel = client.app[GATEWAY].channels["twilio"]
    assert isinstance(channel, TwilioChannel)
    return channel.opt_out_key(phone)


async def traces(redis: Redis, form: dict[str, str]) -> list[bytes]:
    """Keys naming this message's sender or id: what storing it, or a keyword, would leave."""
    return [*await redis.keys(f"*{form['From']}*"), *await redis.keys(f"*{form['MessageSid']}*")]


async def failures(redis: Redis, reason: str, count: int = 1) -> list[dict[str, Any]]:
    """Twilio's delivery failures for `reason` (other test runs may share this Redis)."""
    for _ in range(200):
        records = [json.loads(raw) for raw in await redis.lrange(FAILURES, 0, -1)]
        found = [r for r in records if r["channel"] == "twilio" and reason in r["reason"]]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(found)} failures for {reason!r}, wanted {count}")


async def test_a_text_is_answered_through_the_rest_api_with_numbered_choices(
    client: TestClient, fake: FakeTwilio, phone: str
) -> None:
    form = payload("incoming_sms", phone, Body="Hello")
    headers = {"X-Twilio-Signature": signature(client, WEBHOOK_PATH, form)}
    response = await client.post(WEBHOOK_PATH, data=form, headers=headers)
    assert response.status == 200
    assert response.content_type == "text/xml"
    assert (await response.text()).endswith("<Response/>")  # replies never go out as TwiML
    sent = await turn(fake)
    assert {(m["To"], m["From"]) for m in sent} == {(phone, SMS_FROM)}
    assert sent[0]["StatusCallback"] == str(client.make_url(STATUS_PATH))
    assert sent[-1]["Body"].endswith(f"{FIRST_QUESTION}\n\n1 Yes, I'm safe\n2 No, I need help now")
    # The welcome's curly apostrophes were made plain: GSM-7, within the segment limit.
    assert all(segments(m["Body"])[0] == "GSM-7" for m in sent)
    assert all(segments(m["Body"])[1] <= MAX_SEGMENTS for m in sent)


async def test_answering_the_first_question_with_a_number_walks_on(
    client: TestClient, fake: FakeTwilio, phone: str
) -> None:
    assert await say(client, phone, "Hello") == 200
    first = await turn(fake)
    assert first[-1]["Body"].endswith("1 Yes, I'm safe\n2 No, I need help now")
    assert await say(client, phone, " 1 ") == 200
    second = await turn(fake, len(first))
    assert second[0]["Body"].startswith("I'm glad you're safe right now.")
    assert "\n1 Blackmail\n2 " in second[-1]["Body"]  # the menu: numbered again
    assert await say(client, phone, "5") == 200
    third = await turn(fake, len(first) + len(second))
    assert "1/" in third[0]["Body"]  # the stalking playbook's first step, not the number "5"


@pytest.mark.parametrize(("signed", "status"), [("", 401), ("bm90IHRoZSByaWdodCBzaWduYXR1cmU=", 403)])
async def test_an_unsigned_or_forged_webhook_is_refused_and_changes_nothing(
    client: TestClient,
    fake: FakeTwilio,
    gateway_redis: Redis,
    phone: str,
    signed: str,
    status: int,
) -> None:
    form = payload("incoming_sms", phone, Body="PARAR")
    response = await client.post(WEBHOOK_PATH, data=form, headers={"X-Twilio-Signature": signed})
    assert response.status == status
    for path in (WEBHOOK_PATH, STATUS_PATH):
        assert (await client.post(path, data=form)).status == 401  # no header at all
    await settled(client.app[GATEWAY])
    assert fake.sent() == []
    assert await traces(gateway_redis, form) == []


async def test_a_tampered_parameter_is_refused_and_nothing_is_stored_or_sent(
    client: TestClient, fake: FakeTwilio, gateway_redis: Redis, phone: str
) -> None:
    form = payload("incoming_sms", phone, Body="Hello")
    genuine = signature(client, WEBHOOK_PATH, form)
    tampered = {**form, "From": "+15555550999"}
    assert await post(client, tampered, signed=genuine) == 403
    assert await post(client, form, signed=signature(client, WEBHOOK_PATH, form, "other")) == 403
    await settled(client.app[GATEWAY])
    assert fake.sent() == []
    assert await traces(gateway_redis, form) == await traces(gateway_redis, tampered) == []


async def test_stop_in_spanish_opts_out_until_start(
    client: TestClient, fake: FakeTwilio, gateway_redis: Redis, phone: str
) -> None:
    await say(client, phone, "Hello")
    before = len(await turn(fake))
    assert await say(client, phone, "PARAR") == 200
    assert await gateway_redis.exists(opt_out_key(client, phone))
    await say(client, phone, "/stalking")
    records = await failures(gateway_redis, "opted out", 2)  # the quick-exit reply, the playbook
    assert len(fake.sent()) == before
    assert phone not in json.dumps(records)

    assert await say(client, phone, "INICIAR") == 200
    assert not await gateway_redis.exists(opt_out_key(client, phone))
    sent = await fake.wait_for(before + 1)  # greeted again ("welcome back", offering to resume)
    assert sent[-1]["To"] == phone


async def test_a_stop_is_kept_under_a_pseudonym_for_the_retention_period(
    client: TestClient, gateway_redis: Redis, phone: str
) -> None:
    """The review: STOP kept the phone number for a year in a plaintext key name."""
    assert await say(client, phone, "STOP") == 200
    key = opt_out_key(client, phone)
    assert phone[1:] not in key
    assert await gateway_redis.keys(f"safespaces:twilio:*{phone[1:]}*") == []  # nor her numbered choices
    retention = client.app[GATEWAY].store.retention_seconds
    assert retention - 60 < await gateway_redis.ttl(key) <= retention


async def test_after_stop_delete_my_data_erases_at_once_and_sends_nothing(
    client: TestClient, fake: FakeTwilio, gateway_redis: Redis, phone: str
) -> None:
    """The review: after STOP an erase could not complete, its confirmation question never reached her."""
    gateway = client.app[GATEWAY]
    await say(client, phone, "Hello")
    before = len(await turn(fake))
    assert await say(client, phone, "STOP") == 200
    await failures(gateway_redis, "opted out")  # the quick exit's neutral line could not go out
    pseudonym = gateway.desk.tickets.open_key(f"twilio:{phone}").rsplit(":", 1)[1]
    assert pseudonym in json.dumps([json.loads(raw) for raw in await gateway_redis.lrange(FAILURES, 0, -1)])

    assert await say(client, phone, "delete my data") == 200
    await settled(gateway)

    assert len(fake.sent()) == before  # neither the question nor the confirmation was sent
    kept = [json.loads(raw) for raw in await gateway_redis.lrange(FAILURES, 0, -1)]
    assert pseudonym not in json.dumps(kept)  # erased: even the records of what could not be sent
    assert await gateway_redis.exists(opt_out_key(client, phone))  # and she stays opted out


async def test_twilio_opt_out_type_is_honoured_whatever_the_word(
    client: TestClient, gateway_redis: Redis, phone: str
) -> None:
    # A keyword configured in Twilio's Advanced Opt-Out, unknown to us, arrives with OptOutType.
    form = payload("incoming_sms", phone, Body="BASTA", OptOutType="STOP")
    assert await post(client, form) == 200
    assert await gateway_redis.exists(opt_out_key(client, phone))


async def test_delivery_statuses_are_recorded(client: TestClient, gateway_redis: Redis) -> None:
    delivered, undelivered = payload("status_delivered"), payload("status_undelivered")
    assert await post(client, delivered, STATUS_PATH) == 200
    assert await post(client, undelivered, STATUS_PATH) == 200
    statuses = DeliveryStatuses(gateway_redis)
    assert (await statuses.get("twilio", delivered["MessageSid"]))["status"] == "delivered"
    recorded = await statuses.get("twilio", undelivered["MessageSid"])
    assert (recorded["status"], recorded["error"]) == ("undelivered", "30003")
    forged = payload("status_delivered")
    assert await post(client, forged, STATUS_PATH, signed="Zm9yZ2Vk") == 403
    assert await statuses.get("twilio", forged["MessageSid"]) == {}


async def test_rate_limits_and_server_errors_are_retried(
    client: TestClient, fake: FakeTwilio, phone: str
) -> None:
    fake.send_failures += [too_many_requests(), server_error()]
    await say(client, phone, "/sextortion")
    sent = await fake.wait_for(3, timeout=20)  # two failed attempts, then the delivery
    assert sent[0]["Body"] == sent[1]["Body"] == sent[2]["Body"]


@pytest.mark.parametrize(
    ("failure", "reason"),
    [(lambda _: unsubscribed(), "code 21610"), (invalid_number, "code 21211")],
)
async def test_a_refusal_is_recorded_as_permanent_without_the_number(
    client: TestClient,
    fake: FakeTwilio,
    gateway_redis: Redis,
    phone: str,
    failure: Callable[[str], tuple[int, dict[str, Any]]],
    reason: str,
) -> None:
    fake.send_failures.append(failure(phone))  # Twilio's message for 21211 quotes the number
    await say(client, phone, "/impersonation")
    [record] = await failures(gateway_redis, reason)
    assert phone not in json.dumps(record)
    await settled(client.app[GATEWAY])
    bodies = [m["Body"] for m in fake.sent()]
    assert len(set(bodies)) == len(bodies)  # the refused body was not tried again


async def test_an_empty_message_is_answered_kindly(client: TestClient, fake: FakeTwilio, phone: str) -> None:
    await say(client, phone, "")
    sent = await fake.wait_for(1)
    assert sent[0]["Body"].startswith("I can only read words")


async def test_whatsapp_through_twilio_answers_whatsapp_addresses_and_buttons(
    make_client: Client, fake: FakeTwilio
) -> None:
    client = await make_client(WHATSAPP_FROM)
    person = "whatsapp:+15555550101"
    assert await post(client, payload("whatsapp_text", person)) == 200
    first = await turn(fake)
    assert {(m["To"], m["From"]) for m in first} == {(person, WHATSAPP_FROM)}
    assert await post(client, payload("whatsapp_button", person)) == 200  # ButtonPayload "/affirm"
    second = await turn(fake, len(first))
    assert second[0]["Body"].startswith("I'm glad you're safe right now.")


async def test_a_messaging_service_sends_as_the_service_and_returns_the_sid(
    fake: FakeTwilio, gateway_redis: Redis
) -> None:
    service = "MG" + "0" * 32
    settings = TwilioSettings(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sender=service, api_url=fake.url
    )
    channel = TwilioChannel(
        settings, "https://safespaces.example.org", gateway_redis, pseudonym=PSEUDONYM, retention_seconds=3600
    )
    await channel.start()
    try:
        sid = await channel.send("+15555550100", TwilioMessage(body="Hi"), "SM0")
    finally:
        await channel.stop()
    [sent] = fake.sent()
    assert (sent["MessagingServiceSid"], "From" in sent) == (service, False)
    assert sent["StatusCallback"] == "https://safespaces.example.org/webhooks/twilio/status"
    assert sid is not None and sid.startswith("SM")


async def test_an_unreachable_api_is_a_transient_failure(gateway_redis: Redis) -> None:
    settings = TwilioSettings(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        sender=SMS_FROM,
        api_url=f"http://127.0.0.1:{free_port()}",
    )
    channel = TwilioChannel(
        settings, "https://safespaces.example.org", gateway_redis, pseudonym=PSEUDONYM, retention_seconds=3600
    )
    await channel.start()
    try:
        with pytest.raises(TransientSendError, match="unreachable"):
            await channel.send("+15555550100", TwilioMessage(body="Hi"), "SM0")
    finally:
        await channel.stop()


# Pure parts: parsing, GSM-7 and segments, rendering.


def test_every_keyword_is_whole_message_only_and_in_one_table() -> None:
    for word in ["PARAR", "Arrêt", "arret!", "SIMAMA", "रोको", "توقف"]:
        assert parse_form(payload("incoming_sms", Body=word))[1] is Keyword.STOP
    for word in ["ANZA", "Começar"]:
        assert parse_form(payload("incoming_sms", Body=word))[1] is Keyword.START
    message, found = parse_form(payload("incoming_sms", Body="مساعده"))  # folded like مساعدة
    assert (found, message.kind, message.text) == (Keyword.HELP, InboundKind.CHOICE, "/menu")
    message, found = parse_form(payload("incoming_sms", Body="please stop calling me"))
    assert (found, message.kind) == (None, InboundKind.TEXT)
    assert set(KEYWORDS) == set(Keyword)


def test_a_bare_number_in_any_digits_maps_to_the_last_choices() -> None:
    choices = ("/affirm", "/immediate_danger")
    for body, expected in [("2", "/immediate_danger"), ("1.", "/affirm"), ("١", "/affirm"),
                           ("२", "/immediate_danger")]:  # fmt: skip
        message, _ = parse_form(payload("incoming_sms", Body=body), choices)
        assert (message.kind, message.text) == (InboundKind.CHOICE, expected)
    for body in ["3", "0", "12 years"]:
        message, _ = parse_form(payload("incoming_sms", Body=body), choices)
        assert (message.kind, message.text) == (InboundKind.TEXT, body)


def test_the_form_becomes_a_channel_neutral_message() -> None:
    message, _ = parse_form(payload("incoming_sms", "+15555550123", Body="hi"))
    assert (message.channel, message.sender, message.country_hint) == ("twilio", "+15555550123", "US")
    assert message.conversation_id == "twilio:+15555550123"
    kinds = {name: parse_form(payload(name))[0].kind for name in
             ["incoming_mms", "whatsapp_voice", "whatsapp_location", "whatsapp_button"]}  # fmt: skip
    assert kinds == {
        "incoming_mms": InboundKind.IMAGE,
        "whatsapp_voice": InboundKind.AUDIO,
        "whatsapp_location": InboundKind.LOCATION,
        "whatsapp_button": InboundKind.CHOICE,
    }
    pdf = payload("incoming_mms", MediaContentType0="application/pdf")
    assert parse_form(pdf)[0].kind is InboundKind.DOCUMENT
    with pytest.raises(ValueError, match="MessageSid"):
        parse_form({"Body": "hi"})


def test_typography_alone_does_not_make_a_message_ucs2() -> None:
    text = "It\u2019s \u201csafe\u201d \u2014 really\u2026 \u2022 yes\u00a0now"
    assert segments(text)[0] == "UCS-2"
    assert plain(text) == 'It\'s "safe" - really... - yes now'
    assert segments(plain(text)) == ("GSM-7", 1)


def test_real_letters_outside_gsm7_are_kept_as_written() -> None:
    for text in ["Vous \u00eates \u201cen s\u00e9curit\u00e9\u201d", "क्या आप सुरक्षित हैं?", "هل أنت بأمان؟"]:
        assert plain(text) == text
        assert segments(text)[0] == "UCS-2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("GSM-7", 0)),
        ("a" * 160, ("GSM-7", 1)),
        ("a" * 161, ("GSM-7", 2)),
        ("a" * 306, ("GSM-7", 2)),
        ("a" * 307, ("GSM-7", 3)),
        ("€" * 80, ("GSM-7", 1)),  # extension characters count two septets
        ("€" * 81, ("GSM-7", 2)),
        ("a" * 152 + "€" + "a" * 151, ("GSM-7", 2)),
        ("a" * 152 + "€" + "a" * 152, ("GSM-7", 3)),  # ESC + € are never split between parts
        ("न" * 70, ("UCS-2", 1)),
        ("न" * 71, ("UCS-2", 2)),
        ("न" * 134, ("UCS-2", 2)),
        ("न" * 135, ("UCS-2", 3)),
        ("😀" * 35, ("UCS-2", 1)),  # two UTF-16 code units each
        ("😀" * 36, ("UCS-2", 2)),
    ],
)
def test_segments_are_counted_as_concatenated_sms_are_built(text: str, expected: tuple[str, int]) -> None:
    assert segments(text) == expected


def test_choices_become_numbered_lines_with_their_payloads() -> None:
    choices = (Choice(title="Ndiyo", payload="/affirm"), Choice(title="Hapana", payload="/deny"))
    [message] = render([OutboundMessage(text="Uko salama?", choices=choices)])
    assert message.body == "Uko salama?\n\n1 Ndiyo\n2 Hapana"
    assert message.choices == ("/affirm", "/deny")


@pytest.mark.parametrize("sentence", ["This is one sentence of advice. ", "यह सलाह का एक वाक्य है। "])
def test_long_replies_split_at_sentence_ends_within_the_segment_limit(sentence: str) -> None:
    text = sentence * 60
    choices = (Choice(title="OK", payload="/step_done"),)
    messages = render([OutboundMessage(text="Hi."), OutboundMessage(text=text, choices=choices)])
    assert len(messages) > 1
    for message in messages:
        assert segments(message.body)[1] <= MAX_SEGMENTS
    assert all(m.body.endswith(sentence.strip()) for m in messages[1:-1])
    assert [m.choices for m in messages] == [()] * (len(messages) - 1) + [("/step_done",)]
    joined = " ".join(m.body for m in messages).replace("\n", " ")
    assert joined.split() == f"Hi. {text} 1 OK".split()


def test_whatsapp_bodies_are_split_only_at_twilios_limit() -> None:
    sentence = "This is one sentence of advice \u2014 no SMS here. "
    [message] = render([OutboundMessage(text=sentence * 30)], sms=False)
    assert message.body == (sentence * 30).strip()  # one body, typography kept
    messages = render([OutboundMessage(text=sentence * 60)], sms=False)
    assert len(messages) == 2
    assert all(len(m.body) <= BODY_LIMIT for m in messages)
