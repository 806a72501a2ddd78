"""Every webhook endpoint fed generated bodies and headers (hypothesis), garbage and near-valid.

One app for the module, with Telegram, WhatsApp and Twilio configured against the fake provider
servers, on Redis db 6 and the real engine. The properties each example keeps are in
tests/fuzz_target.py; the requests come from tests/fuzz_requests.py. After the fuzzing, every channel
must still answer a valid message.

FUZZ_EXAMPLES sets the examples per endpoint: a few in `make test`, 10,000 in `make fuzz`, which also
prints, per endpoint, the examples run, the time taken and the statuses answered. `make test` draws the
same examples on every run (hypothesis derandomised: seeded by each test's own source), so a failure
there repeats; `make fuzz` sets FUZZ_RANDOM=1 and draws new ones each run (a failure prints the blob
that reproduces it).
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import tempfile
import time
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, example, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from redis.asyncio import Redis

from bot.channels.telegram import SECRET_HEADER as TELEGRAM_SECRET_HEADER
from bot.channels.telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.channels.twilio import STATUS_PATH
from bot.channels.twilio import WEBHOOK_PATH as TWILIO_PATH
from bot.channels.whatsapp import SIGNATURE_HEADER as WHATSAPP_SIGNATURE
from bot.channels.whatsapp import WEBHOOK_PATH as WHATSAPP_PATH
from bot.handoff.model import Summary
from bot.handoff.sessions import SessionStore
from bot.handoff.staff import Role, StaffStore
from bot.ops.app import GATEWAY, create_app
from bot.ops.settings import Settings
from bot.rasa.engine import Engine

from .conftest import free_port
from .fakes import serving
from .fakes.telegram import FakeTelegram
from .fakes.twilio import FakeTwilio
from .fakes.whatsapp import FakeGraph
from .fuzz_requests import (
    FORM_TYPE,
    JSON_TYPE,
    LOGIN_PATH,
    PAYLOADS,
    PREVIEW_PATH,
    REST_PATH,
    STAFF_NAME,
    STAFF_PASSWORD,
    TWILIO_MESSAGES,
    TWILIO_STATUSES,
    TwilioSpec,
    console_api_requests,
    hub_signature,
    login_requests,
    post,
    preview_requests,
    rest_requests,
    telegram_requests,
    twilio_specs,
    verification_requests,
    web_chat_requests,
    whatsapp_requests,
)
from .fuzz_strategies import MULTIPART_TYPE, as_json, multipart
from .fuzz_target import CSRF, OTHER_CSRF, SESSION, TICKET, ErrorLog, Request, Target
from .support.redis_dbs import empty, leave, redis_url
from .support.webhooks import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PHONE_NUMBER_ID,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    WHATSAPP_TOKEN,
    telegram_settings,
    twilio_settings,
    whatsapp_settings,
)

REDIS_URL = redis_url("fuzz")
# No example database, and hypothesis's caches go to /tmp: no .hypothesis directory in the repo.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "safespaces-hypothesis")
RANDOM = os.environ.get("FUZZ_RANDOM", "") == "1"  # `make fuzz`: new examples every run
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)


@dataclass(frozen=True)
class Fakes:
    telegram: FakeTelegram
    graph: FakeGraph
    twilio: FakeTwilio


@pytest.fixture(scope="module")
async def fakes() -> AsyncIterator[Fakes]:
    async with (
        serving(FakeTelegram(token=TELEGRAM_TOKEN), access_log=None) as telegram,
        serving(FakeGraph(token=WHATSAPP_TOKEN, phone_number_id=PHONE_NUMBER_ID), access_log=None) as graph,
        serving(FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN), access_log=None) as twilio,
    ):
        yield Fakes(telegram, graph, twilio)


def configured(settings: Settings, fakes: Fakes, port: int) -> Settings:
    return replace(
        settings,
        telegram=telegram_settings(fakes.telegram.url),
        whatsapp=whatsapp_settings(fakes.graph.url),
        twilio=twilio_settings(fakes.twilio.url),
        public_url=f"http://127.0.0.1:{port}",
        # Thousands of examples start conversations from 127.0.0.1: the limit on new conversations per
        # address (tests/test_rest_channel.py tests it) would refuse the last check's new conversation.
        limits=replace(settings.limits, new_conversations_per_address=1_000_000),
    )


@pytest.fixture(scope="module")
async def fuzz(
    request: pytest.FixtureRequest, settings: Settings, engine: Engine, fakes: Fakes
) -> AsyncIterator[Target]:
    probe = Redis.from_url(REDIS_URL)
    await empty(probe, REDIS_URL)
    await StaffStore(probe).add(STAFF_NAME, STAFF_PASSWORD, Role.SUPERVISOR)  # so, no demo login either
    sessions = SessionStore(probe)
    session, other = await sessions.create(STAFF_NAME), await sessions.create(STAFF_NAME)
    port = free_port()
    app = create_app(configured(settings, fakes, port), engine, Redis.from_url(REDIS_URL))
    gateway = app[GATEWAY]
    for channel in gateway.channels.values():  # fuzz the pipeline, not the providers' pacing
        channel.overall_rate = channel.per_recipient_rate = 0.0
    ticket = await gateway.desk.enqueue("rest:fuzz-ticket", Summary(channel="rest"))
    server = TestServer(app, port=port)
    await server.start_server()
    placeholders = {SESSION: session.id, CSRF: session.csrf, OTHER_CSRF: other.csrf, TICKET: ticket.id}
    with ErrorLog().attached() as errors:
        target = Target(server, probe, errors, {k: v.encode() for k, v in placeholders.items()})
        try:
            yield target
        finally:
            await server.close()
            await leave(probe)
            await probe.close()
    _report(request.config, target)


def _report(config: pytest.Config, target: Target) -> None:
    """Examples, time and statuses per endpoint, on the terminal (unless -q)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or config.get_verbosity() < 0:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for line in target.tally.lines():
            reporter.write_line(line)


# Regressions: each of these answered 500, or made the app log an error, before the fixes in bot/.
BOGUS_CHARSET = (b"Content-Type", b"application/json; charset=bogus")  # LookupError in aiohttp
UTF16_FORM = (b"Content-Type", b"application/x-www-form-urlencoded; charset=utf-16")
TOO_DEEP = b"[" * 100_000  # RecursionError in json.loads
SECRET = (TELEGRAM_SECRET_HEADER.encode(), TELEGRAM_SECRET.encode())
NOT_ASCII_SECRET = (TELEGRAM_SECRET_HEADER.encode(), b"\xc2\x80")  # compare_digest refuses non-ASCII text
NOT_UTF8_SIGNATURE = (WHATSAPP_SIGNATURE.encode(), b"\x80")  # decoded with surrogateescape
TOO_DEEP_SIGNED = (WHATSAPP_SIGNATURE.encode(), hub_signature(TOO_DEEP))
WEBHOOK = json.loads((PAYLOADS / "whatsapp" / "text.json").read_text())
SURROGATE_SENDER = as_json(WEBHOOK).replace(b'"from": "16505551234"', b'"from": "\\ud800"')
SURROGATE_SIGNED = (WHATSAPP_SIGNATURE.encode(), hub_signature(SURROGATE_SENDER))
UPDATE = json.loads((PAYLOADS / "telegram" / "text_message.json").read_text())
CHAT_ID_OBJECT = as_json({**UPDATE, "message": {**UPDATE["message"], "chat": {"id": {}, "type": "private"}}})
PERSON = {**UPDATE["message"]["from"], "language_code": []}
DATE_OUT_OF_RANGE = as_json({**UPDATE, "message": {**UPDATE["message"], "date": 6.77680361916768e16}})
NEGATIVE_DATE = as_json({**UPDATE, "message": {**UPDATE["message"], "date": -(2**63)}})  # OSError
LANGUAGE_LIST = as_json({**UPDATE, "message": {**UPDATE["message"], "from": PERSON}})
NOT_UTF8_FIELD = multipart([("x", b"\x80", False)])
FILE_FIELD = multipart([("x", b"1", True)])
NAMELESS_FIELD = multipart([(";", b"", False)])  # aiohttp asserts that a part has a name
SURROGATE = b'{"sender": "a", "message": "\\ud800"}'  # unpaired: can't be stored (UnicodeEncodeError)
FOREIGN_BUTTON = as_json({"replies": [{"text": "", "buttons": [{"title": "", "payload": ""}]}]})
BUTTONS_NOT_A_LIST = as_json({"replies": [{"text": "", "buttons": True}]})
CLAIM = f"/console/api/tickets/{TICKET.decode()}/claim"
REFUSED_COOKIE = (b"Cookie", b"/=")  # an illegal cookie name: http.cookies raises CookieError
REAL_SESSION = (b"Cookie", b"console_session=" + SESSION)


@FUZZ
@example(request=post(TELEGRAM_PATH, NOT_ASCII_SECRET, expect={403}))  # present, wrong: 403
@example(request=post(TELEGRAM_PATH, SECRET, body=CHAT_ID_OBJECT, signed=True, expect={400}))
@example(request=post(TELEGRAM_PATH, SECRET, body=LANGUAGE_LIST, signed=True, expect={200}))
@example(request=post(TELEGRAM_PATH, SECRET, body=TOO_DEEP, signed=True, expect={400}))
@example(request=post(TELEGRAM_PATH, SECRET, body=DATE_OUT_OF_RANGE, signed=True, expect={400}))
@example(request=post(TELEGRAM_PATH, SECRET, body=NEGATIVE_DATE, signed=True, expect={400}))
@given(request=telegram_requests())
async def test_telegram_webhook(fuzz: Target, request: Request) -> None:
    await fuzz.check("telegram webhook", request)


@FUZZ
@given(request=verification_requests())
async def test_whatsapp_verification(fuzz: Target, request: Request) -> None:
    answer = await fuzz.check("whatsapp verification (GET)", request)
    if request.expect == {200}:
        query = urllib.parse.parse_qs(request.target.partition(b"?")[2].decode(), keep_blank_values=True)
        assert answer.body.decode() == query.get("hub.challenge", [""])[0]


@FUZZ
@example(request=post(WHATSAPP_PATH, NOT_UTF8_SIGNATURE, expect={403}))
@example(request=post(WHATSAPP_PATH, TOO_DEEP_SIGNED, body=TOO_DEEP, signed=True, expect={400}))
@example(request=post(WHATSAPP_PATH, SURROGATE_SIGNED, body=SURROGATE_SENDER, signed=True, expect={400}))
@given(request=whatsapp_requests())
async def test_whatsapp_webhook(fuzz: Target, request: Request) -> None:
    await fuzz.check("whatsapp webhook", request)


@FUZZ
@given(spec=twilio_specs(TWILIO_PATH, TWILIO_MESSAGES))
async def test_twilio_webhook(fuzz: Target, spec: TwilioSpec) -> None:
    await fuzz.check("twilio webhook", spec.request(fuzz.public_url))


@FUZZ
@example(spec=TwilioSpec(STATUS_PATH, "", (), MULTIPART_TYPE, NOT_UTF8_FIELD, "raw:forged"))
@example(spec=TwilioSpec(STATUS_PATH, "", (), MULTIPART_TYPE, FILE_FIELD, "raw:forged"))
@example(spec=TwilioSpec(STATUS_PATH, "", (), MULTIPART_TYPE, NAMELESS_FIELD, "raw:forged"))
@given(spec=twilio_specs(STATUS_PATH, TWILIO_STATUSES))
async def test_twilio_status_callback(fuzz: Target, spec: TwilioSpec) -> None:
    await fuzz.check("twilio status callback", spec.request(fuzz.public_url))


@FUZZ
@example(request=post(REST_PATH, BOGUS_CHARSET, body=b"{}", expect={400}))
@example(request=post(REST_PATH, JSON_TYPE, body=TOO_DEEP, expect={400}))
@example(request=post(REST_PATH, JSON_TYPE, body=SURROGATE, expect={400}))
@given(request=rest_requests(REST_PATH))
async def test_rest_webhook(fuzz: Target, request: Request) -> None:
    answer = await fuzz.check("rest webhook", request)
    if answer.status == 200:
        assert isinstance(json.loads(answer.body), list)


@FUZZ
@given(request=web_chat_requests())
async def test_web_chat_messages_without_a_chat_cookie(fuzz: Target, request: Request) -> None:
    await fuzz.check("web chat messages", request)


@FUZZ
@example(request=post(PREVIEW_PATH, BOGUS_CHARSET, body=b"\x00", expect={400}))
@example(request=post(PREVIEW_PATH, JSON_TYPE, body=FOREIGN_BUTTON, expect={400}))
@example(request=post(PREVIEW_PATH, JSON_TYPE, body=BUTTONS_NOT_A_LIST, expect={400}))
@given(request=preview_requests())
async def test_web_chat_preview(fuzz: Target, request: Request) -> None:
    await fuzz.check("web chat preview", request)


@FUZZ
@example(request=post(LOGIN_PATH, UTF16_FORM, body=b"\x00" * 7, expect={400}))
@example(request=post(LOGIN_PATH, REFUSED_COOKIE, FORM_TYPE, body=b"csrf=x", expect={403}))
@example(request=post(LOGIN_PATH, (b"Content-Type", MULTIPART_TYPE), body=NAMELESS_FIELD, expect={400}))
@example(
    request=post(LOGIN_PATH, (b"Cookie", b'console_login="\x80"'), FORM_TYPE, body=b"csrf=x", expect={403})
)
@given(request=login_requests())
async def test_console_login(fuzz: Target, request: Request) -> None:
    answer = await fuzz.check("console login", request)
    assert b"console_session=" not in answer.headers


@FUZZ
@example(request=post(CLAIM, REFUSED_COOKIE, expect={401}))
@example(request=post(CLAIM, REAL_SESSION, (b"X-CSRF-Token", b"\x80"), expect={403}))
@given(request=console_api_requests())
async def test_console_api_without_a_session(fuzz: Target, request: Request) -> None:
    await fuzz.check("console api (POST)", request)


_fresh = itertools.count(1)


async def test_every_channel_still_answers_after_fuzzing(fuzz: Target, fakes: Fakes) -> None:
    """Whatever the fuzzing did, the workers are alive: a valid message on each channel is answered."""
    n = next(_fresh)
    chat, wa_id, phone = 9_000_000_000 + n, f"4477009{n:05d}", f"+1555999{n:04d}"
    text = {**UPDATE["message"], "chat": {"id": chat, "type": "private"}}
    update = {**UPDATE, "update_id": 2**41 + n, "message": text}
    webhook = copy.deepcopy(WEBHOOK)
    message = webhook["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update({"id": f"wamid.ALIVE{n}", "from": wa_id, "timestamp": str(int(time.time()))})
    body = as_json(webhook)
    form = {**TWILIO_MESSAGES[0], "MessageSid": f"SM{2**60 + n:032x}", "From": phone, "Body": "hello"}
    sms = TwilioSpec(TWILIO_PATH, "", tuple(form.items()), FORM_TYPE[1], None, "valid")
    ok = {200}
    signature = (WHATSAPP_SIGNATURE.encode(), hub_signature(body))
    for request in (
        post(TELEGRAM_PATH, SECRET, body=as_json(update), signed=True, expect=ok),
        post(WHATSAPP_PATH, signature, body=body, signed=True, expect=ok),
        sms.request(fuzz.public_url),
    ):
        await fuzz.check("valid, after fuzzing", request)
    rest = as_json({"sender": f"alive-{n}", "message": "hello"})
    answer = await fuzz.check(
        "valid, after fuzzing", post(REST_PATH, JSON_TYPE, body=rest, signed=True, expect=ok)
    )
    assert json.loads(answer.body)[-1]["text"] == "Are you safe right now?"  # the first contact's last line
    assert any(sent["chat_id"] == str(chat) for sent in fakes.telegram.sent())
    assert any(sent["to"] == wa_id for sent in fakes.graph.sent())
    assert any(sent["To"] == phone for sent in fakes.twilio.sent())


@pytest.mark.skipif(RANDOM, reason="FUZZ_RANDOM=1 (make fuzz) draws new examples on purpose")
def test_the_fuzzing_of_make_test_draws_the_same_requests_on_every_run() -> None:
    """Run twice with this module's settings, a fuzz test sees the same requests in the same order."""

    def drawn() -> list[str]:
        seen: list[str] = []

        @FUZZ
        @given(request=telegram_requests())
        def record(request: Request) -> None:
            seen.append(repr(request.target) + repr(request.headers) + repr(request.body))

        record()
        return seen

    first = drawn()
    assert len(set(first)) > 1 and drawn() == first
