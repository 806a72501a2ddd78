"""The staff console over HTTP: sign-in, sessions, CSRF, who may see and do what, live events.

A real Desk, StaffStore and SessionStore on Redis db 9, the console mounted on an aiohttp app on a
real port, and plain aiohttp clients (one per staff member, each with its own session).
"""

from __future__ import annotations

import asyncio
import calendar
import csv
import io
import ipaddress
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import ClientResponse, ClientSession, CookieJar, DummyCookieJar
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.handoff.console import CSP
from bot.handoff.console_api import REPORT_COLUMNS
from bot.handoff.console_auth import SESSION_COOKIE
from bot.handoff.desk import Desk
from bot.handoff.model import OUTCOMES, Author, Case, Risk, Summary, TicketState
from bot.handoff.sessions import Session, SessionStore
from bot.handoff.staff import Staff, StaffStore
from bot.ops.hardening import setup_hardening
from bot.ops.settings import Settings
from tests.console_support import PASSWORD, SUMMARY, Outbox, console_app, reply
from tests.support.events import subscribers, until_subscribers

pytest_plugins = ["tests.console_support"]  # its fixtures: redis (db 9), desk, outbox, staff, server…


class StaffClient:
    """One staff member's browser, reduced to HTTP: their own connection, session cookie and CSRF token."""

    def __init__(self, http: ClientSession, server: TestServer, session: Session) -> None:
        self.http = http
        self.server = server
        self.session = session

    def headers(self, csrf: str | None) -> dict[str, str]:
        headers = {"Cookie": f"{SESSION_COOKIE}={self.session.id}"}
        if csrf is not None:
            headers["X-CSRF-Token"] = csrf
        return headers

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.http.get(self.server.make_url(path), headers=self.headers(None)) as response:
            return response.status, await response.json()

    async def post(self, path: str, body: Any = None, *, csrf: str | None = "session") -> tuple[int, Any]:
        token = self.session.csrf if csrf == "session" else csrf
        async with self.http.post(
            self.server.make_url(path), json=body, headers=self.headers(token)
        ) as response:
            return response.status, await response.json()


SignIn = Callable[[str], Awaitable[StaffClient]]


@pytest.fixture
async def sign_in(
    server: TestServer, sessions: SessionStore, staff: dict[str, Staff]
) -> AsyncIterator[SignIn]:
    opened: list[ClientSession] = []

    async def open_as(name: str) -> StaffClient:
        http = ClientSession(cookie_jar=DummyCookieJar())
        opened.append(http)
        return StaffClient(http, server, await sessions.create(name))

    yield open_as
    for http in opened:
        await http.close()


@pytest.fixture
async def browserless() -> AsyncIterator[ClientSession]:
    """A client that keeps cookies like a browser (IP hosts allowed), for the sign-in form."""
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
        yield http


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the sign-in form has no CSRF token"
    return found.group(1)


async def submit_login(http: ClientSession, server: TestServer, name: str, password: str) -> ClientResponse:
    async with http.get(server.make_url("/console")) as page:
        token = form_token(await page.text())
    form = {"csrf": token, "name": name, "password": password}
    response = await http.post(server.make_url("/console/login"), data=form, allow_redirects=False)
    await response.read()
    return response


async def enqueue(desk: Desk, person: str = "telegram:111", summary: Summary = SUMMARY) -> str:
    ticket = await desk.enqueue(person, summary, [(Author.PERSON, "he posted my address")])
    return ticket.id


# --- sign-in, sessions, headers ---


def concrete(path: str) -> str:
    return path.replace("{ticket}", "0123456789ab").replace("{block}", "p-0123456789abcdef")


async def test_every_api_route_and_the_event_stream_refuse_without_a_session(
    server: TestServer, staff: dict[str, Staff]
) -> None:
    routes = [
        (route.method, concrete(route.resource.canonical))
        for route in server.app.router.routes()
        if route.resource is not None
        and route.method != "HEAD"
        and route.resource.canonical.startswith(("/console/api/", "/console/events", "/console/logout"))
    ]
    assert len(routes) >= 18
    async with ClientSession(cookie_jar=DummyCookieJar()) as http:
        for method, path in routes:
            for cookie in ({}, {"Cookie": f"{SESSION_COOKIE}=not-a-session"}):
                async with http.request(method, server.make_url(path), headers=cookie) as response:
                    assert response.status == 401, (method, path)
                    assert "error" in await response.json()
                    assert response.headers["Cache-Control"] == "no-store"


async def test_without_a_session_the_console_page_is_the_sign_in_form(server: TestServer) -> None:
    async with ClientSession(cookie_jar=DummyCookieJar()) as http:
        async with http.get(server.make_url("/console")) as page:
            assert page.status == 200
            html = await page.text()
            pre_session = page.cookies["console_login"]
        async with http.get(server.make_url("/console/login"), allow_redirects=False) as login:
            assert login.status == 303 and login.headers["Location"] == "/console"
    assert 'action="/console/login"' in html and form_token(html) == pre_session.value
    assert (
        pre_session["httponly"] and pre_session["samesite"] == "Strict" and pre_session["path"] == "/console"
    )
    assert "<script" not in html and "style=" not in html


@pytest.mark.parametrize("path", ["/console", "/console/api/me", "/console/static/console/main.js"])
async def test_every_console_response_carries_the_security_headers(server: TestServer, path: str) -> None:
    async with ClientSession() as http, http.get(server.make_url(path)) as response:
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "unsafe-inline" not in CSP and "default-src 'none'" in CSP and "frame-ancestors 'none'" in CSP


async def test_sign_in_opens_the_console_and_sign_out_ends_the_session(
    server: TestServer, staff: dict[str, Staff], browserless: ClientSession, desk: Desk
) -> None:
    response = await submit_login(browserless, server, "alice", PASSWORD)
    assert response.status == 303 and response.headers["Location"] == "/console"
    async with browserless.get(server.make_url("/console")) as page:
        assert 'src="/console/static/console/main.js"' in await page.text()
    async with browserless.get(server.make_url("/console/api/me")) as me_response:
        me = await me_response.json()
    assert me["name"] == "alice" and me["display_name"] == "Alice" and me["role"] == "agent"
    assert me["outcomes"] == list(OUTCOMES)

    # Sign-out is a state change: without the token it is refused and the session lives on.
    async with browserless.post(server.make_url("/console/logout")) as refused:
        assert refused.status == 403
    async with browserless.post(
        server.make_url("/console/logout"), headers={"X-CSRF-Token": me["csrf"]}
    ) as out:
        assert out.status == 200
    async with browserless.get(server.make_url("/console/api/me")) as after:
        assert after.status == 401
    assert [entry.action for entry in await desk.audit.entries()] == ["sign_out", "sign_in"]


async def test_a_wrong_password_is_refused_with_the_form_again(
    server: TestServer, staff: dict[str, Staff], browserless: ClientSession
) -> None:
    response = await submit_login(browserless, server, "alice", "not the password")
    assert response.status == 401
    assert "Wrong name or password." in await response.text()
    async with browserless.get(server.make_url("/console/api/me")) as me:
        assert me.status == 401


async def test_the_sign_in_page_speaks_the_browsers_language(
    server: TestServer, staff: dict[str, Staff], browserless: ClientSession
) -> None:
    """Nobody is known before signing in: the page, and what it says back, follow Accept-Language."""
    arabic = {"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"}
    async with browserless.get(server.make_url("/console"), headers=arabic) as page:
        text = await page.text()
    assert '<html lang="ar" dir="rtl">' in text and "تسجيل الدخول" in text and "Password" not in text
    french = {"Accept-Language": "fr-CA,fr;q=0.9"}
    async with browserless.get(server.make_url("/console"), headers=french) as page:
        token = form_token(await page.text())
    form = {"csrf": token, "name": "alice", "password": "pas le bon"}
    async with browserless.post(server.make_url("/console/login"), data=form, headers=french) as wrong:
        assert wrong.status == 401 and "Nom ou mot de passe incorrect." in await wrong.text()


async def test_sign_in_needs_the_forms_token_and_its_cookie(
    server: TestServer, staff: dict[str, Staff], browserless: ClientSession
) -> None:
    async with browserless.get(server.make_url("/console")) as page:
        token = form_token(await page.text())
    forged = {"csrf": "forged", "name": "alice", "password": PASSWORD}
    async with browserless.post(
        server.make_url("/console/login"), data=forged, allow_redirects=False
    ) as wrong:
        assert wrong.status == 403 and "expired" in await wrong.text()
    browserless.cookie_jar.clear()  # a cross-site form has the token's text at best, never our cookie
    form = {"csrf": token, "name": "alice", "password": PASSWORD}
    async with browserless.post(
        server.make_url("/console/login"), data=form, allow_redirects=False
    ) as no_cookie:
        assert no_cookie.status == 403
        assert SESSION_COOKIE not in no_cookie.cookies


async def test_repeated_wrong_passwords_slow_the_name_down_with_429(
    server: TestServer, staff: dict[str, Staff], browserless: ClientSession
) -> None:
    for _ in range(4):  # three free failures, then a wait
        assert (await submit_login(browserless, server, "alice", "wrong password")).status == 401
    slowed = await submit_login(browserless, server, "alice", PASSWORD)  # even the right one, for now
    assert slowed.status == 429
    assert 0 < int(slowed.headers["Retry-After"]) <= 60
    assert "Too many failed attempts: try again in 1 minute." in await slowed.text()
    assert SESSION_COOKIE not in slowed.cookies


async def test_behind_a_trusted_proxy_one_clients_failures_never_slow_another(
    desk: Desk, staff_store: StaffStore, sessions: SessionStore, staff: dict[str, Staff]
) -> None:
    """The review: behind the shipped nginx, 21 bad sign-ins locked out every staff member (the limit
    saw nginx's address), and anyone could keep a known name locked."""
    app = console_app(desk, staff_store, sessions)
    setup_hardening(app, Settings(trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),)))
    server = TestServer(app)
    await server.start_server()

    async def sign_in_from(address: str, password: str) -> int:
        async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
            forwarded = {"X-Forwarded-For": address}
            async with http.get(server.make_url("/console"), headers=forwarded) as page:
                token = form_token(await page.text())
            form = {"csrf": token, "name": "alice", "password": password}
            url = server.make_url("/console/login")
            async with http.post(url, data=form, headers=forwarded, allow_redirects=False) as response:
                return response.status

    attacker = [await sign_in_from("198.51.100.66", "wrong password") for _ in range(25)]
    assert attacker[:4] == [401] * 4 and set(attacker[4:]) == {429}
    assert await sign_in_from("203.0.113.5", PASSWORD) == 303  # alice, from her own address
    await server.close()


async def test_session_cookies_are_httponly_strict_console_only_and_secure_when_asked(
    desk: Desk, staff_store: StaffStore, sessions: SessionStore, staff: dict[str, Staff]
) -> None:
    secure = TestServer(console_app(desk, staff_store, sessions, cookie_secure=True))
    await secure.start_server()
    try:
        async with ClientSession(cookie_jar=DummyCookieJar()) as http:
            async with http.get(secure.make_url("/console")) as page:
                token = form_token(await page.text())
                pre_session = page.cookies["console_login"]
            form = {"csrf": token, "name": "alice", "password": PASSWORD}
            headers = {"Cookie": f"console_login={pre_session.value}"}
            async with http.post(
                secure.make_url("/console/login"), data=form, headers=headers, allow_redirects=False
            ) as response:
                assert response.status == 303
                cookie = response.cookies[SESSION_COOKIE]
    finally:
        await secure.close()
    assert pre_session["secure"]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Strict"
    assert cookie["path"] == "/console" and not cookie["max-age"]
    assert await sessions.get(cookie.value) is not None


# --- CSRF and authorisation ---


async def test_a_change_without_the_sessions_csrf_token_is_refused_and_changes_nothing(
    sign_in: SignIn, desk: Desk
) -> None:
    ticket = await enqueue(desk)
    alice, bob = await sign_in("alice"), await sign_in("bob")
    for token in (None, "", "wrong", bob.session.csrf):
        status, body = await alice.post(f"/console/api/tickets/{ticket}/claim", csrf=token)
        assert status == 403 and "error" in body
    claimed = await desk.tickets.get(ticket)
    assert claimed is not None and claimed.state is TicketState.QUEUED
    assert [t.id for t in await desk.tickets.queue()] == [ticket]


async def test_a_waiting_tickets_summary_is_open_to_all_its_conversation_only_to_the_holder(
    sign_in: SignIn, desk: Desk
) -> None:
    ticket = await enqueue(desk)
    alice, bob, sue = await sign_in("alice"), await sign_in("bob"), await sign_in("sue")

    status, view = await bob.get(f"/console/api/tickets/{ticket}")
    assert status == 200 and view["log"] is None and view["can_act"] is False
    assert view["ticket"]["summary"]["situation"] == "hacked_account"
    assert view["ticket"]["summary"]["risks"] == ["ncii", "danger"]
    assert (await bob.get(f"/console/api/tickets/{ticket}/canned"))[0] == 403

    assert (await alice.post(f"/console/api/tickets/{ticket}/claim"))[0] == 200
    status, view = await alice.get(f"/console/api/tickets/{ticket}")
    assert status == 200 and view["can_act"] is True
    assert [(e["author"], e["text"]) for e in view["log"]] == [
        ("person", "he posted my address"),
        ("system", "claimed"),
    ]

    for path in (f"/console/api/tickets/{ticket}", f"/console/api/tickets/{ticket}/canned"):
        status, body = await bob.get(path)
        assert status == 403 and body == {"error": "This conversation is with a colleague."}
    for action, body in [
        ("messages", {"text": "hi"}),
        ("notes", {"text": "x"}),
        ("transfer", {"to": "bob"}),
        ("close", {"outcome": "resolved"}),
        ("hand-back", None),
        ("block", None),
        ("claim", None),
    ]:
        assert (await bob.post(f"/console/api/tickets/{ticket}/{action}", body))[0] in {403, 409}, action
    assert len(await desk.tickets.log(ticket)) == 2  # nothing bob tried reached the conversation

    status, view = await sue.get(f"/console/api/tickets/{ticket}")  # supervisors see every conversation
    assert status == 200 and len(view["log"]) == 2
    assert (await alice.get(f"/console/api/tickets/{ticket}"))[0] == 200  # read again: audited once
    opened = [(e.staff, e.action) for e in await desk.audit.entries() if e.action == "open"]
    assert sorted(opened) == [("alice", "open"), ("sue", "open")]


@pytest.mark.parametrize("path", ["/console/api/stats", "/console/api/audit", "/console/api/blocked"])
async def test_team_views_are_for_supervisors_only(sign_in: SignIn, path: str) -> None:
    alice, sue = await sign_in("alice"), await sign_in("sue")
    status, body = await alice.get(path)
    assert status == 403 and body == {"error": "Only a supervisor can do this."}
    assert (await sue.get(path))[0] == 200


async def test_the_board_shows_the_queue_by_risk_and_each_their_own_conversations(
    sign_in: SignIn, desk: Desk
) -> None:
    plain = await enqueue(desk, "sms:1", Summary(situation="fake_profile", channel="twilio"))
    urgent = await enqueue(
        desk, "sms:2", Summary(situation="threats", risks=(Risk.DANGER,), channel="twilio")
    )
    left = await desk.leave_message("sms:3", Summary(safe_contact="after 6pm"), "call me later")
    alice, sue = await sign_in("alice"), await sign_in("sue")
    assert (await alice.post(f"/console/api/tickets/{plain}/claim"))[0] == 200

    _, board = await alice.get("/console/api/board")
    assert [t["id"] for t in board["queue"]] == [urgent]
    assert [t["id"] for t in board["mine"]] == [plain]
    assert [t["summary"]["safe_contact"] for t in board["follow_ups"]] == ["after 6pm"]
    assert board["everyone"] is None
    _, board = await sue.get("/console/api/board")
    assert board["mine"] == [] and [(t["id"], t["staff"]) for t in board["everyone"]] == [(plain, "alice")]
    _, stats = await sue.get("/console/api/stats")
    assert (stats["waiting"], stats["with_staff"], stats["follow_ups"]) == (1, 1, 1)

    assert (await sue.post(f"/console/api/tickets/{left.id}/claim"))[0] == 200  # follow-ups are taken too
    status, view = await sue.get(f"/console/api/tickets/{left.id}")
    assert status == 200 and view["log"][0]["text"] == "call me later"


# --- actions ---


async def test_two_staff_claiming_at_once_exactly_one_wins(sign_in: SignIn, desk: Desk) -> None:
    ticket = await enqueue(desk)
    alice, bob = await sign_in("alice"), await sign_in("bob")
    results = await asyncio.gather(
        alice.post(f"/console/api/tickets/{ticket}/claim"), bob.post(f"/console/api/tickets/{ticket}/claim")
    )
    assert sorted(status for status, _ in results) == [200, 409]
    (_, loser) = next(result for result in results if result[0] == 409)
    assert "already taken" in loser["error"]
    winner = "alice" if results[0][0] == 200 else "bob"
    claimed = await desk.tickets.get(ticket)
    assert claimed is not None and claimed.staff == winner


async def test_messages_notes_and_canned_replies(sign_in: SignIn, desk: Desk, outbox: Outbox) -> None:
    ticket = await enqueue(desk, "telegram:42")
    alice = await sign_in("alice")
    await alice.post(f"/console/api/tickets/{ticket}/claim")

    status, canned = await alice.get(f"/console/api/tickets/{ticket}/canned")
    assert status == 200
    assert [c["key"] for c in canned] == [
        "greeting",
        "safe_now",
        "evidence",
        "report",
        "follow_up",
        "goodbye",
    ]
    assert canned[0]["text"] == reply("canned_greeting")  # in the person's language, not the console's
    assert canned[0]["gloss"] == reply("canned_greeting", "en") != canned[0]["text"]

    assert (await alice.post(f"/console/api/tickets/{ticket}/messages", {"text": canned[0]["text"]}))[
        0
    ] == 200
    assert (await alice.post(f"/console/api/tickets/{ticket}/notes", {"text": "seems safe for now"}))[
        0
    ] == 200
    assert outbox.keys("telegram:42") == ["handoff_joined", "staff_message"]
    assert outbox.texts("telegram:42")[1] == reply(
        "staff_message", staff_name="Alice", text=canned[0]["text"]
    )

    for body, error in [
        ({"text": "   "}, "Write a message first."),
        ({"text": "x" * 4097}, "That is too long: at most 4096 characters."),
        ({"message": "hi"}, "The request needs a text field 'text'."),
        ("not an object", "The request needs a text field 'text'."),
    ]:
        assert await alice.post(f"/console/api/tickets/{ticket}/messages", body) == (400, {"error": error})
    log = await desk.tickets.log(ticket)
    assert [(e.author, e.text) for e in log[2:]] == [
        (Author.STAFF, reply("canned_greeting")),
        (Author.NOTE, "seems safe for now"),
    ]


async def test_transfer_moves_the_conversation_and_its_access(sign_in: SignIn, desk: Desk) -> None:
    ticket = await enqueue(desk)
    alice, bob = await sign_in("alice"), await sign_in("bob")
    await alice.post(f"/console/api/tickets/{ticket}/claim")
    assert await alice.post(f"/console/api/tickets/{ticket}/transfer", {"to": "nobody"}) == (
        404,
        {"error": "There is no such staff member."},
    )
    assert (await alice.post(f"/console/api/tickets/{ticket}/transfer", {"to": "bob"}))[0] == 200
    assert (await alice.get(f"/console/api/tickets/{ticket}"))[0] == 403
    assert (await bob.post(f"/console/api/tickets/{ticket}/messages", {"text": "Hi, I'm Bob"}))[0] == 200
    _, staff_list = await bob.get("/console/api/staff")
    assert [(s["name"], s["display_name"], s["role"]) for s in staff_list] == [
        ("alice", "Alice", "agent"),
        ("bob", "Bob", "agent"),
        ("sue", "Sue", "supervisor"),
    ]


async def test_a_monitoring_supervisor_reaches_the_person_only_after_joining(
    sign_in: SignIn, desk: Desk, outbox: Outbox
) -> None:
    ticket = await enqueue(desk, "telegram:43")
    alice, bob, sue = await sign_in("alice"), await sign_in("bob"), await sign_in("sue")
    await alice.post(f"/console/api/tickets/{ticket}/claim")
    _, view = await sue.get(f"/console/api/tickets/{ticket}")
    assert view["monitoring"] is True

    refused = "You are monitoring this conversation (read-only): join it first to act in it."
    for path, body in [
        ("messages", {"text": "Hello, I am a supervisor"}),
        ("transfer", {"to": "bob"}),
        ("close", {"outcome": "resolved"}),
        ("hand-back", None),
        ("block", None),
    ]:
        assert await sue.post(f"/console/api/tickets/{ticket}/{path}", body) == (403, {"error": refused})
    whisper = {"text": "Ask whether he can see her screen."}
    assert (await sue.post(f"/console/api/tickets/{ticket}/whisper", whisper))[0] == 200
    held = await desk.tickets.get(ticket)
    assert held is not None and (held.state, held.staff) == (TicketState.WITH_STAFF, "alice")
    assert outbox.keys("telegram:43") == ["handoff_joined"]  # nothing of hers reached the person

    assert (await alice.post(f"/console/api/tickets/{ticket}/join"))[0] == 403  # agents cannot join
    assert (await bob.get(f"/console/api/tickets/{ticket}"))[0] == 403
    assert (await sue.post(f"/console/api/tickets/{ticket}/join", csrf=None))[0] == 403
    assert (await sue.post(f"/console/api/tickets/{ticket}/join"))[0] == 200
    _, view = await sue.get(f"/console/api/tickets/{ticket}")
    assert view["monitoring"] is False and view["can_act"] is True
    assert (await sue.post(f"/console/api/tickets/{ticket}/messages", {"text": "I am here too"}))[0] == 200
    assert outbox.keys("telegram:43") == ["handoff_joined", "staff_message"]
    assert "Sue" in outbox.texts("telegram:43")[1]
    _, audit = await sue.get("/console/api/audit")
    assert [(a["action"], a["staff"]) for a in audit][:1] == [("join", "sue")]


async def test_the_console_language_is_the_staff_members_choice_else_the_browsers(
    sign_in: SignIn, staff_store: StaffStore
) -> None:
    alice = await sign_in("alice")
    async with alice.http.get(
        alice.server.make_url("/console/api/texts"),
        headers={**alice.headers(None), "Accept-Language": "sw-KE,en;q=0.5"},
    ) as response:
        page = await response.json()
    assert (page["language"], page["dir"]) == ("sw", "ltr")
    assert page["texts"]["My conversations"] == "Mazungumzo yangu"
    assert {"code": "ar", "name": "العربية"} in page["languages"]

    assert await alice.post("/console/api/me/language", {"language": "xx"}) == (
        400,
        {"error": "Choose one of: en, ar, es, fr, hi, pt, sw."},
    )
    assert (await alice.post("/console/api/me/language", {"language": "ar"}, csrf=None))[0] == 403
    status, chosen = await alice.post("/console/api/me/language", {"language": "ar"})
    assert status == 200 and (chosen["language"], chosen["dir"]) == ("ar", "rtl")
    _, page = await alice.get("/console/api/texts")  # whatever the browser says now
    assert page["language"] == "ar" and page["texts"]["Take next"] == "استلام التالي"
    _, me = await alice.get("/console/api/me")
    assert me["console_language"] == "ar"
    stored = await staff_store.get("alice")
    assert stored is not None and stored.console_language == "ar"


async def test_close_with_an_outcome_and_hand_back_to_the_bot(
    sign_in: SignIn, desk: Desk, outbox: Outbox
) -> None:
    first, second = await enqueue(desk, "web:1"), await enqueue(desk, "web:2")
    alice = await sign_in("alice")
    for ticket in (first, second):
        await alice.post(f"/console/api/tickets/{ticket}/claim")

    status, body = await alice.post(f"/console/api/tickets/{first}/close", {"outcome": "made up"})
    assert status == 400 and body["error"].startswith("Choose an outcome")
    assert (await alice.post(f"/console/api/tickets/{first}/close", {"outcome": "referred"}))[0] == 200
    assert (await alice.post(f"/console/api/tickets/{second}/hand-back"))[0] == 200
    closed, handed_back = await desk.tickets.get(first), await desk.tickets.get(second)
    assert closed is not None and (closed.state, closed.outcome) == (TicketState.CLOSED, "referred")
    assert handed_back is not None and handed_back.outcome == "handed_back"
    assert outbox.keys("web:1")[-1] == "handoff_closed" and outbox.keys("web:2")[-1] == "handoff_back_to_bot"
    status, body = await alice.post(f"/console/api/tickets/{first}/messages", {"text": "still there?"})
    assert status == 409
    _, view = await alice.get(f"/console/api/tickets/{first}")  # the holder can still read it, not act
    assert view["can_act"] is False and view["log"][-1]["text"] == "closed:referred"


async def test_block_by_the_holder_unblock_by_a_supervisor_only(sign_in: SignIn, desk: Desk) -> None:
    ticket = await enqueue(desk, "whatsapp:666")
    alice, sue = await sign_in("alice"), await sign_in("sue")
    await alice.post(f"/console/api/tickets/{ticket}/claim")
    assert (await alice.post(f"/console/api/tickets/{ticket}/block"))[0] == 200
    assert await desk.blocks.is_blocked("whatsapp:666")

    _, blocked = await sue.get("/console/api/blocked")
    assert [(b["ticket"], b["by"]) for b in blocked] == [(ticket, "alice")]
    block_id = blocked[0]["id"]
    assert "666" not in block_id  # a pseudonym, never the address
    assert (await alice.post(f"/console/api/blocked/{block_id}/unblock"))[0] == 403
    assert await desk.blocks.is_blocked("whatsapp:666")
    assert (await sue.post(f"/console/api/blocked/{block_id}/unblock", csrf=None))[0] == 403
    assert (await sue.post(f"/console/api/blocked/{block_id}/unblock"))[0] == 200
    assert not await desk.blocks.is_blocked("whatsapp:666")
    assert await sue.post(f"/console/api/blocked/{block_id}/unblock") == (404, {"error": "No such block."})
    _, audit = await sue.get("/console/api/audit")
    assert [a["action"] for a in audit][:2] == [f"unblock:{block_id}", "block"]


# --- live events ---


async def next_line(response: ClientResponse, prefix: str) -> str:
    while True:
        line = (await asyncio.wait_for(response.content.readline(), 5)).decode()
        assert line, "the stream ended"
        if line.startswith(prefix):
            return line.rstrip("\n")


async def test_events_carry_only_ids_and_heartbeats_and_stop_when_the_browser_goes(
    sign_in: SignIn, desk: Desk, redis: Redis
) -> None:
    alice = await sign_in("alice")
    response = await alice.http.get(alice.server.make_url("/console/events"), headers=alice.headers(None))
    assert response.status == 200 and response.headers["Content-Type"] == "text/event-stream"
    await until_subscribers(redis, 1)
    ticket = await enqueue(desk)
    event = json.loads((await next_line(response, "data: "))[len("data: ") :])
    assert set(event) == {"type", "ticket", "staff", "at"}
    assert (event["type"], event["ticket"], event["staff"]) == ("queued", ticket, None)
    assert await next_line(response, ":") == ": heartbeat"
    response.close()  # the browser goes away: the next write fails and the subscription ends
    await until_subscribers(redis, 0)


async def test_the_event_stream_ends_with_the_session(
    sign_in: SignIn, sessions: SessionStore, redis: Redis
) -> None:
    alice = await sign_in("alice")
    async with alice.http.get(
        alice.server.make_url("/console/events"), headers=alice.headers(None)
    ) as response:
        await until_subscribers(redis, 1)
        await sessions.end(alice.session.id)
        rest = await asyncio.wait_for(response.content.read(), 5)
    assert b"data:" not in rest
    await until_subscribers(redis, 0)


async def test_shutdown_ends_open_event_streams_cleanly(
    sign_in: SignIn, server: TestServer, redis: Redis
) -> None:
    alice = await sign_in("alice")
    async with alice.http.get(server.make_url("/console/events"), headers=alice.headers(None)) as response:
        await until_subscribers(redis, 1)
        await asyncio.wait_for(server.close(), 5)  # does not wait out the streams
        await asyncio.wait_for(response.content.read(), 5)
    assert await subscribers(redis) == 0


async def test_sign_out_and_staff_removal_end_the_event_stream_at_once(
    desk: Desk, staff_store: StaffStore, sessions: SessionStore, staff: dict[str, Staff], redis: Redis
) -> None:
    """With the production heartbeat (15 s), not at the next heartbeat: the review's removed staff
    member kept a feed of ticket ids and activity for as long as the stream stayed quiet."""
    server = TestServer(console_app(desk, staff_store, sessions, heartbeat_seconds=15.0))
    await server.start_server()
    async with ClientSession(cookie_jar=DummyCookieJar()) as http:
        alice = StaffClient(http, server, await sessions.create("alice"))
        bob = StaffClient(http, server, await sessions.create("bob"))
        streams = [
            await http.get(server.make_url("/console/events"), headers=member.headers(None))
            for member in (alice, bob)
        ]
        await until_subscribers(redis, 2)
        assert await alice.post("/console/logout") == (200, {})
        assert b"data:" not in await asyncio.wait_for(streams[0].content.read(), 2)
        assert await staff_store.remove("bob")
        assert b"data:" not in await asyncio.wait_for(streams[1].content.read(), 2)
        await until_subscribers(redis, 0)
    await server.close()


# --- the counsellor's workplace: case record, follow-ups, take next, reports ---


async def test_a_ticket_view_carries_the_person_s_earlier_tickets_for_those_who_may_read(
    sign_in: SignIn, desk: Desk, staff: dict[str, Staff]
) -> None:
    first = await enqueue(desk, "telegram:5")
    await desk.claim(first, staff["alice"])
    await desk.note(first, staff["alice"], "she is staying with a friend")
    await desk.close(first, staff["alice"], "referred")
    again = await enqueue(desk, "telegram:5")
    alice, bob = await sign_in("alice"), await sign_in("bob")

    _, view = await bob.get(f"/console/api/tickets/{again}")
    assert view["previous"] is None  # waiting: its summary only, not her history
    assert (await alice.post(f"/console/api/tickets/{again}/claim"))[0] == 200
    _, view = await alice.get(f"/console/api/tickets/{again}")
    [past] = view["previous"]
    assert (past["id"], past["outcome"], past["staff"]) == (first, "referred", "alice")
    assert past["created_at"] < view["ticket"]["created_at"] and past["closed_at"] is not None
    assert [(n["staff"], n["text"]) for n in past["notes"]] == [("alice", "she is staying with a friend")]


async def test_closing_needs_an_outcome_and_takes_the_case_form(
    sign_in: SignIn, desk: Desk, outbox: Outbox
) -> None:
    ticket = await enqueue(desk, "web:7")
    alice = await sign_in("alice")
    await alice.post(f"/console/api/tickets/{ticket}/claim")
    path = f"/console/api/tickets/{ticket}/close"
    assert (await alice.post(path, {"case": {}}))[0] == 400  # no outcome
    for bad in ({"risks": ["bored"]}, {"tags": ["=HYPERLINK()"]}, {"situation": "x" * 49}, {"tags": "a"}):
        assert (await alice.post(path, {"outcome": "resolved", "case": bad}))[0] == 400, bad
    case = {
        "situation": "Sextortion",
        "platform": "snapchat",
        "risks": ["minor"],
        "tags": ["school", "school"],
    }
    status, body = await alice.post(
        path, {"outcome": "follow_up_needed", "case": case, "note": "call Friday"}
    )
    assert status == 200 and body["follow_up"]
    _, view = await alice.get(f"/console/api/tickets/{ticket}")
    assert view["ticket"]["outcome"] == "follow_up_needed"
    assert view["ticket"]["case"] == {
        "situation": "sextortion",
        "platform": "snapchat",
        "risks": ["minor"],
        "tags": ["school"],
    }
    assert view["log"][-2]["author"] == "note" and view["log"][-2]["text"] == "call Friday"
    _, board = await alice.get("/console/api/board")
    [follow_up] = board["follow_ups"]
    assert follow_up["id"] == body["follow_up"] and follow_up["follow_up_of"] == ticket
    assert follow_up["summary"]["situation"] == "sextortion"


async def test_any_staff_reads_a_left_message_without_taking_it_and_taking_it_is_silent(
    sign_in: SignIn, desk: Desk, outbox: Outbox
) -> None:
    left = await desk.leave_message(
        "telegram:8", Summary(country="KE", safe_contact="weekdays after 6pm"), "please write, not call"
    )
    alice, bob = await sign_in("alice"), await sign_in("bob")
    status, view = await bob.get(f"/console/api/tickets/{left.id}")
    assert status == 200 and view["can_act"] is False
    assert view["log"][-1]["text"] == "please write, not call"
    assert view["ticket"]["safe_contact"]["reading"] == "Mon–Fri, 18:00–24:00 (Africa/Nairobi)"
    assert ("bob", "open") in [(e.staff, e.action) for e in await desk.audit.entries()]
    assert (await alice.post(f"/console/api/tickets/{left.id}/claim"))[0] == 200
    assert outbox.sent == []  # she is not contacted by the taking


async def test_outside_her_safe_time_a_message_needs_an_explicit_override(
    sign_in: SignIn, desk: Desk, outbox: Outbox
) -> None:
    other_day = calendar.day_name[(datetime.now(UTC).weekday() + 3) % 7]
    left = await desk.leave_message("telegram:9", Summary(country="GB", safe_contact=f"{other_day}s"), "hi")
    alice = await sign_in("alice")
    await alice.post(f"/console/api/tickets/{left.id}/claim")
    _, view = await alice.get(f"/console/api/tickets/{left.id}")
    assert view["needs_override"] == f"{other_day[:3].title()} (Europe/London)"
    path = f"/console/api/tickets/{left.id}/messages"
    status, body = await alice.post(path, {"text": "Hello"})
    assert status == 409 and body["needs_override"] is True and "Override" in body["error"]
    assert (await alice.post(path, {"text": "Hello", "override": "yes"}))[0] == 409  # only a true override
    assert outbox.sent == []
    assert (await alice.post(path, {"text": "Hello", "override": True}))[0] == 200
    assert outbox.keys("telegram:9") == ["staff_message"]


async def test_take_next_claims_the_next_person_preferring_my_languages(
    sign_in: SignIn, desk: Desk, staff_store: StaffStore
) -> None:
    await staff_store.set_languages("bob", ["sw", "en"])
    older = await enqueue(desk, "sms:1", Summary(language="pt"))
    swahili = await enqueue(desk, "sms:2", Summary(language="sw"))
    bob, alice = await sign_in("bob"), await sign_in("alice")
    _, me = await bob.get("/console/api/me")
    assert me["languages"] == ["sw", "en"]
    status, taken = await bob.post("/console/api/take-next")
    assert status == 200 and taken["ticket"]["id"] == swahili and taken["ticket"]["staff"] == "bob"
    assert (await alice.post("/console/api/take-next"))[1]["ticket"]["id"] == older
    assert await alice.post("/console/api/take-next") == (404, {"error": "Nobody is waiting."})


def report(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_the_csv_report_has_one_row_per_ticket_and_nothing_that_names_her(
    sign_in: SignIn, desk: Desk, staff: dict[str, Staff]
) -> None:
    summary = Summary(
        situation="doxxing",
        platform="x",
        risks=(Risk.DANGER,),
        language="sw",
        channel="whatsapp",
        country="KE",
    )
    closed = await desk.enqueue("whatsapp:+254700123456", summary, [(Author.PERSON, "my name is Wanjiru")])
    await desk.claim(closed.id, staff["alice"])
    await desk.close(
        closed.id,
        staff["alice"],
        "referred",
        case=Case(situation="threats", platform="x", risks=(Risk.DANGER,)),
    )
    left = await desk.enqueue("telegram:2", Summary(channel="telegram"))
    await desk.cancel("telegram:2", "cancelled")
    erased = await desk.enqueue("web:3", Summary(situation="stalking", channel="web"))
    await desk.erase("web:3")
    waiting = await desk.enqueue("sms:4", Summary(channel="twilio", language="fr"))
    alice, sue = await sign_in("alice"), await sign_in("sue")
    today = datetime.now(UTC).date().isoformat()
    path = f"/console/api/reports.csv?from={today}&to={today}"

    assert (await alice.get(path))[0] == 403
    async with sue.http.get(sue.server.make_url(path), headers=sue.headers(None)) as response:
        assert response.status == 200 and response.content_type == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
        text = await response.text()
    rows = {row["id"]: row for row in report(text)}
    assert list(report(text)[0]) == list(REPORT_COLUMNS)
    assert set(rows) == {closed.id, left.id, erased.id, waiting.id}
    row = rows[closed.id]
    ticket = await desk.tickets.get(closed.id)
    assert ticket is not None and ticket.claimed_at is not None
    assert row["wait_seconds"] == str(round(ticket.claimed_at - ticket.created_at))
    assert (row["outcome"], row["categories"], row["risks"]) == (
        "referred",
        "situation=threats;platform=x",
        "danger",
    )
    assert (row["language"], row["country"], row["channel"], row["staff"]) == (
        "sw",
        "KE",
        "whatsapp",
        "alice",
    )
    assert row["opened"].startswith(today) and row["taken"] and row["closed"]
    assert (rows[left.id]["outcome"], rows[left.id]["taken"], rows[left.id]["staff"]) == ("cancelled", "", "")
    assert rows[erased.id]["categories"] == "" and rows[erased.id]["channel"] == ""
    assert (rows[waiting.id]["closed"], rows[waiting.id]["wait_seconds"]) == ("", "")
    for trace in ("254700123456", "Wanjiru", "whatsapp:", "telegram:2"):
        assert trace not in text
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    async with sue.http.get(
        sue.server.make_url(f"/console/api/reports.csv?from={yesterday}&to={yesterday}"),
        headers=sue.headers(None),
    ) as response:
        assert report(await response.text()) == []
    for query in ("", f"?from={today}", f"?from={today}&to={yesterday}", "?from=2026-13-01&to=2026-13-02"):
        assert (await sue.get(f"/console/api/reports.csv{query}"))[0] == 400, query
    assert "export:" in (await desk.audit.entries())[0].action
