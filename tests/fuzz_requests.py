"""Generated requests for each webhook endpoint: garbage and near-valid, forged and correctly signed.

The near-valid ones start from the recorded payloads in tests/payloads/<channel>/, with fresh ids (so
each is a new message, not a re-delivery) and a few edits. A signed request carries a valid signature
or secret over exactly the body sent, edits and all, so that the parser behind verification is what
gets fuzzed; a forged one carries none, a near miss, or anything else.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from bot.channels.rest import MAX_SENDER_LENGTH
from bot.channels.telegram import SECRET_HEADER as TELEGRAM_SECRET_HEADER
from bot.channels.telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.channels.twilio import SIGNATURE_HEADER as TWILIO_SIGNATURE
from bot.channels.whatsapp import SIGNATURE_HEADER as WHATSAPP_SIGNATURE
from bot.channels.whatsapp import WEBHOOK_PATH as WHATSAPP_PATH

from .fuzz_strategies import (
    GARBAGE_BODIES,
    HEADER_VALUES,
    JSON_VALUES,
    MAX_BODY,
    PRINTABLE,
    TEXT,
    as_json,
    body_headers,
    differs,
    edited,
    garbage,
    json_bodies,
    keys_of,
    known_keys,
    set_everywhere,
)
from .fuzz_target import OTHER_CSRF, SESSION, TICKET, Headers, Request
from .support.webhooks import (
    APP_SECRET,
    AUTH_TOKEN,
    TELEGRAM_SECRET,
    VERIFY_TOKEN,
)

STAFF_NAME, STAFF_PASSWORD = "fuzz", "a long fuzzing staff password"


def too_large(body: bytes) -> set[int]:
    """413 for a body at aiohttp's limit or past it: every body is read (within the read timeout,
    bot/ops/hardening.py) before a handler checks a secret or a session. Found by `make fuzz`."""
    return {413} if len(body) >= MAX_BODY else set()


REST_PATH, WEB_PATH = "/webhooks/rest/webhook", "/chat/messages"
PREVIEW_PATH, LOGIN_PATH = "/webchat/preview", "/console/login"
CONSOLE_POSTS = (
    "/console/logout",
    *(f"/console/api/tickets/{{ticket}}/{action}"
      for action in ("claim", "messages", "notes", "transfer", "close", "hand-back", "block")),
    "/console/api/blocked/p-{ticket}/unblock",
)  # fmt: skip
JSON_TYPE = (b"Content-Type", b"application/json")
FORM_TYPE = (b"Content-Type", b"application/x-www-form-urlencoded")
PAYLOADS = Path(__file__).parent / "payloads"


def _load(channel: str, prefix: str = "") -> list[Any]:
    return [json.loads(p.read_text()) for p in sorted((PAYLOADS / channel).glob(f"{prefix}*.json"))]


TELEGRAM_UPDATES = _load("telegram")
WHATSAPP_WEBHOOKS = _load("whatsapp")
TWILIO_MESSAGES = _load("twilio", "incoming") + _load("twilio", "whatsapp")
TWILIO_STATUSES = _load("twilio", "status")
IDS = st.integers(1, 2**40)


def post(
    path: str,
    *headers: tuple[bytes, bytes],
    body: bytes = b"",
    signed: bool = False,
    expect: Collection[int] | None = None,
) -> Request:
    allowed = frozenset(expect) if expect is not None else None
    return Request("POST", path.encode(), headers, body, signed=signed, expect=allowed)


# --- Telegram: the secret token header


@st.composite
def telegram_updates(draw: st.DrawFn) -> Any:
    update = copy.deepcopy(draw(st.sampled_from(TELEGRAM_UPDATES)))
    update["update_id"] = draw(IDS)
    set_everywhere(update, "chat", "id", draw(IDS))
    return draw(edited(update, known_keys(TELEGRAM_UPDATES)))


@st.composite
def telegram_requests(draw: st.DrawFn) -> Request:
    content_type, body = draw(json_bodies(telegram_updates()))
    secret = TELEGRAM_SECRET.encode()
    if signed := draw(st.booleans()):
        name = draw(st.sampled_from([TELEGRAM_SECRET_HEADER, TELEGRAM_SECRET_HEADER.lower()]))
        headers: Headers = ((name.encode(), secret),)
    else:
        near_misses = [b"", secret[:-1], secret + b"x", secret.upper(), b"Bearer " + secret]
        forged = (st.sampled_from(near_misses) | HEADER_VALUES).filter(differs(secret))
        headers = draw(st.sampled_from([(), ((TELEGRAM_SECRET_HEADER.encode(), draw(forged)),)]))
    headers += body_headers(content_type)
    expect = {200, 400, 413} if signed else {401, 403} | too_large(body)
    return post(TELEGRAM_PATH, *headers, body=body, signed=signed, expect=expect)


# --- WhatsApp: X-Hub-Signature-256 on POST, the verify token on GET


def hub_signature(body: bytes, secret: str = APP_SECRET, prefix: str = "sha256=") -> bytes:
    return (prefix + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()).encode()


@st.composite
def whatsapp_webhooks(draw: st.DrawFn) -> Any:
    webhook = copy.deepcopy(draw(st.sampled_from(WHATSAPP_WEBHOOKS)))
    for message in webhook["entry"][0]["changes"][0]["value"].get("messages", ()):
        message["id"] = f"wamid.FUZZ{draw(IDS)}"
        message["from"] = str(draw(st.integers(10**9, 10**13)))
        message["timestamp"] = str(int(time.time()))  # inside the 24-hour window: replies are sent
    return draw(edited(webhook, known_keys(WHATSAPP_WEBHOOKS)))


@st.composite
def whatsapp_requests(draw: st.DrawFn) -> Request:
    content_type, body = draw(json_bodies(whatsapp_webhooks()))
    valid = hub_signature(body)
    if signed := draw(st.booleans()):
        headers: Headers = ((WHATSAPP_SIGNATURE.encode(), valid),)
    else:
        near_misses = [
            b"", hub_signature(body, "wrong-secret"), hub_signature(body + b" "), valid.upper(),
            valid.removeprefix(b"sha256="), valid[:-1], hub_signature(body, prefix="sha1="),
        ]  # fmt: skip
        forged = (st.sampled_from(near_misses) | HEADER_VALUES).filter(differs(valid))
        headers = draw(st.sampled_from([(), ((WHATSAPP_SIGNATURE.encode(), draw(forged)),)]))
    headers += body_headers(content_type)
    expect = {200, 400, 413} if signed else {401, 403, 413}
    return post(WHATSAPP_PATH, *headers, body=body, signed=signed, expect=expect)


@st.composite
def verification_requests(draw: st.DrawFn) -> Request:
    """Meta's subscription check: 200 with the challenge only for mode=subscribe and the verify token."""
    if draw(st.booleans()):  # a raw query string, any bytes a request line can carry
        raw = draw(st.binary(max_size=120)).translate(None, b" \r\n\t\x00#")
        return Request("GET", WHATSAPP_PATH.encode() + b"?" + raw, expect=frozenset({200, 400, 403}))
    modes = (
        st.just("subscribe") | st.sampled_from(["Subscribe", "unsubscribe", ""]) | st.text(TEXT, max_size=12)
    )
    near_misses = [VERIFY_TOKEN[:-1], VERIFY_TOKEN + "x", VERIFY_TOKEN.upper(), ""]
    tokens = st.just(VERIFY_TOKEN) | st.sampled_from(near_misses) | st.text(TEXT, max_size=30)
    params = [
        ("hub.mode", draw(modes)),
        ("hub.verify_token", draw(tokens)),
        ("hub.challenge", draw(st.text(TEXT, max_size=60))),
    ]
    params = [p for p in params if draw(st.integers(0, 9))]  # now and then one is missing
    given = dict(params)
    ok = given.get("hub.mode") == "subscribe" and given.get("hub.verify_token") == VERIFY_TOKEN
    query = urllib.parse.urlencode(params).encode()
    return Request("GET", WHATSAPP_PATH.encode() + b"?" + query, expect=frozenset({200} if ok else {403}))


# --- Twilio: X-Twilio-Signature over the public URL and the form


FORM_VALUES = st.one_of(
    st.text(TEXT, max_size=60),
    st.sampled_from([
        "", "0", "1", "-1", "10", "99", "1e3", "１", "²", "٢", "2.", "STOP", "stop", "Arrêt", "START",
        "HELP", "STOP ", "+15555550100", "whatsapp:+15555550100", "/greet", "/quick_exit", "image/jpeg",
        "video/", "/", "x" * 2000, "delivered", "un delivered", "NaN", "\x00",
    ]),
)  # fmt: skip


@st.composite
def twilio_forms(draw: st.DrawFn, payloads: list[dict[str, str]]) -> tuple[tuple[str, str], ...]:
    """A recorded form with a fresh sid and sender, then 0-3 edits (a repeated field among them)."""
    form = dict(draw(st.sampled_from(payloads)))
    form["MessageSid"] = form["SmsSid"] = f"SM{draw(IDS):032x}"
    if "Body" in form:
        form["From"] = f"+1555{draw(st.integers(0, 10**7 - 1)):07d}"
    items = list(form.items())
    names = st.sampled_from(sorted(keys_of(payloads))) | st.text(TEXT, max_size=12)
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(st.sampled_from(["drop", "replace", "add"]))
        if edit == "add" or not items:
            items.insert(draw(st.integers(0, len(items))), (draw(names), draw(FORM_VALUES)))
            continue
        index = draw(st.integers(0, len(items) - 1))
        if edit == "drop":
            del items[index]
        else:
            items[index] = (items[index][0], draw(FORM_VALUES))
    return tuple(items)


@dataclass(frozen=True)
class TwilioSpec:
    """A Twilio request before the public URL (which its signature covers) is known."""

    path: str
    query: str
    items: tuple[tuple[str, str], ...]  # the form; ignored when `body` is given
    content_type: bytes | None
    body: bytes | None
    signature: str  # valid | missing | empty | wrong-token | other-url | other-form | raw:<header value>

    def request(self, public_url: str) -> Request:
        target = self.path + (f"?{self.query}" if self.query else "")
        url = public_url + target
        body = self.body if self.body is not None else urllib.parse.urlencode(self.items).encode()
        params = MultiDict(self.items if self.body is None else ())  # what the app reads as the form
        sign = RequestValidator(AUTH_TOKEN).compute_signature
        match self.signature:
            case "valid":
                value: str | None = sign(url, params)
            case "missing":
                value = None
            case "empty":
                value = ""
            case "wrong-token":
                value = RequestValidator("wrong-token").compute_signature(url, params)
            case "other-url":
                value = sign(url.replace("http:", "https:"), params)
            case "other-form":
                value = sign(url, MultiDict([*params.items(), ("x", "y")]))
            case raw:
                value = raw.removeprefix("raw:")
        headers = body_headers(self.content_type)
        if value is not None:
            headers += ((TWILIO_SIGNATURE.encode(), value.encode()),)
        signed = self.signature == "valid"
        expect = {200, 400, 413} if signed else {400, 401, 403, 413}
        return Request("POST", target.encode(), headers, body, signed=signed, expect=frozenset(expect))


@st.composite
def twilio_specs(draw: st.DrawFn, path: str, payloads: list[dict[str, str]]) -> TwilioSpec:
    query = ""
    if draw(st.integers(0, 4)) == 0:  # a webhook URL may carry a query, which the signature covers
        names = st.sampled_from(["bodySHA256", "x", "MessageSid"]) | st.text(TEXT, max_size=8)
        query = urllib.parse.urlencode(
            draw(st.lists(st.tuples(names, st.text(TEXT, max_size=20)), max_size=3))
        )
    signature = draw(
        st.sampled_from(["valid", "valid", "missing", "empty", "wrong-token", "other-url", "other-form"])
        | st.text(PRINTABLE, min_size=1, max_size=40).map(lambda value: f"raw:{value}")
    )
    if draw(st.integers(0, 3)) == 0:  # not a urlencoded form of Twilio's fields
        if signature == "valid":  # signed, but not a form: refused before its signature is checked
            content_type = draw(st.sampled_from([b"application/json", b"text/plain"]))
            return TwilioSpec(path, query, (), content_type, draw(GARBAGE_BODIES), signature)
        content_type, body = draw(garbage())
        return TwilioSpec(path, query, (), content_type, body, signature)
    content_type = draw(st.sampled_from([FORM_TYPE[1], FORM_TYPE[1] + b"; charset=UTF-8"]))
    return TwilioSpec(path, query, draw(twilio_forms(payloads)), content_type, None, signature)


# --- REST and web chat: unauthenticated by design


def is_text(value: Any) -> bool:
    """No unpaired surrogate anywhere: I-JSON (RFC 7493), which every JSON endpoint requires."""
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return False
    return True


def rest_well_formed(body: Any) -> bool:
    """The REST channel's documented body: {"sender", "message", "metadata"?}, both strings not blank."""
    if not isinstance(body, dict) or not is_text(body):
        return False
    sender, message, metadata = body.get("sender"), body.get("message"), body.get("metadata")
    return (
        isinstance(sender, str)
        and bool(sender.strip())
        and len(sender) <= MAX_SENDER_LENGTH
        and isinstance(message, str)
        and bool(message.strip())
        and (metadata is None or isinstance(metadata, dict))
    )


MESSAGES = st.text(max_size=80) | st.sampled_from([
    "hello", "my insta got hacked", "/greet", "/menu", "/quick_exit", "/erase_data", "/language",
    "stop", "yes", "🙂", "/step_done", '/inform_platform{"platform": 5}',
])  # fmt: skip
REST_BODIES = st.fixed_dictionaries(
    {"sender": st.text(min_size=1, max_size=MAX_SENDER_LENGTH + 2), "message": MESSAGES},
    optional={
        "metadata": st.fixed_dictionaries({}, optional={"language": JSON_VALUES, "country": JSON_VALUES})
    },
)


@st.composite
def rest_requests(draw: st.DrawFn, path: str) -> Request:
    """A well-formed message is answered (200) and may change state; anything else is a 400 that doesn't."""
    if draw(st.booleans()):
        content_type, body = draw(garbage())
        return post(path, *body_headers(content_type), body=body, expect={400, 413})
    value = draw(edited(draw(REST_BODIES), st.sampled_from(["sender", "message", "metadata"])))
    well_formed = rest_well_formed(value)
    expect = {200} if well_formed else {400}
    return post(path, JSON_TYPE, body=as_json(value), signed=well_formed, expect=expect)


@st.composite
def web_chat_requests(draw: st.DrawFn) -> Request:
    """The web chat's messages, with no chat cookie: whatever the body, a 401 that stores nothing."""
    request = draw(rest_requests(WEB_PATH))
    return dataclasses.replace(request, signed=False, expect=frozenset({401, 413}))


BUTTON_PAYLOADS = st.text(max_size=30) | st.sampled_from(
    ["/affirm", "/step_done", '/inform_platform{"platform":"instagram"}', "/x{}", "/"]
)
PREVIEW_BODIES = st.fixed_dictionaries({
    "replies": st.lists(
        st.fixed_dictionaries(
            {"text": st.text(max_size=300)},
            optional={"buttons": st.lists(
                st.fixed_dictionaries({"title": st.text(max_size=30), "payload": BUTTON_PAYLOADS}),
                max_size=12,
            )},
        ),
        max_size=4,
    )
})  # fmt: skip


@st.composite
def preview_requests(draw: st.DrawFn) -> Request:
    """The web chat's preview renders the replies it is given, for each channel; it changes nothing."""
    if draw(st.booleans()):
        content_type, body = draw(garbage())
        return post(PREVIEW_PATH, *body_headers(content_type), body=body, expect={400, 413})
    keys = st.sampled_from(["replies", "text", "buttons", "title", "payload"])
    value = draw(edited(draw(PREVIEW_BODIES), keys))
    return post(PREVIEW_PATH, JSON_TYPE, body=as_json(value), expect={200, 400})


# --- The staff console: sign-in (double-submit CSRF), and its API without a session


@st.composite
def login_requests(draw: st.DrawFn) -> Request:
    """Sign-in forms whose password is never right; without a matching CSRF token and cookie, a 403.
    Nothing but login throttling may change, and no session cookie may be set."""
    token = draw(st.text(PRINTABLE.filter(lambda c: c not in ';"\\ '), min_size=1, max_size=40))
    cookie = token if draw(st.booleans()) else draw(st.sampled_from(["", token + "x"]) | st.text(PRINTABLE))
    names = st.sampled_from([STAFF_NAME, STAFF_NAME.upper(), f" {STAFF_NAME} ", ""]) | st.text(
        TEXT, max_size=40
    )
    passwords = st.sampled_from(["", STAFF_PASSWORD[:-1]]) | st.text(TEXT, max_size=80)
    fields = [("csrf", token), ("name", draw(names)), ("password", draw(passwords))]
    fields = [f for f in fields if draw(st.integers(0, 9))]  # now and then one is missing
    headers: Headers = ()
    if draw(st.integers(0, 5)):
        headers = ((b"Cookie", b"console_login=" + cookie.encode()),)
    elif draw(st.booleans()):
        headers = ((b"Cookie", draw(HEADER_VALUES)),)
    if draw(st.integers(0, 3)):
        headers, body = (*headers, FORM_TYPE), urllib.parse.urlencode(fields).encode()
    else:
        content_type, body = draw(garbage())
        headers += body_headers(content_type)
    return post(LOGIN_PATH, *headers, body=body, expect={400, 401, 403, 413, 429})


@st.composite
def console_api_requests(draw: st.DrawFn) -> Request:
    """State-changing console calls without a session (401), or with a real one but without its CSRF
    token (403); TICKET is a real queued ticket."""
    ticket = draw(st.just(TICKET.decode()) | st.from_regex(r"[0-9a-f]{1,64}", fullmatch=True))
    path = draw(st.sampled_from(CONSOLE_POSTS)).format(ticket=ticket)
    session = draw(st.sampled_from(["none", "garbage", "raw", "real"]))
    headers: Headers = ()
    match session:
        case "garbage":
            headers += ((b"Cookie", b"console_session=" + draw(HEADER_VALUES).replace(b";", b"")),)
        case "raw":
            headers += ((b"Cookie", draw(HEADER_VALUES)),)
        case "real":
            headers += ((b"Cookie", b"console_session=" + SESSION),)
    csrf = draw(st.sampled_from([None, OTHER_CSRF, b""]) | HEADER_VALUES)
    if csrf is not None:
        headers += ((b"X-CSRF-Token", csrf),)
    if draw(st.booleans()):
        field = draw(st.sampled_from(["text", "to", "outcome"]))
        headers, body = (*headers, JSON_TYPE), as_json({field: draw(JSON_VALUES | st.just(STAFF_NAME))})
    else:
        content_type, body = draw(garbage())
        headers += body_headers(content_type)
    return post(path, *headers, body=body, expect=({403} if session == "real" else {401}) | too_large(body))
