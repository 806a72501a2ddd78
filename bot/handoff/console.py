"""The helpline staff console at /console: sign-in, the page, and the desk's live events.

Staff read survivors' words here, so the console is locked down: a strict Content-Security-Policy
(no inline code, nothing from elsewhere) on every response, session cookies scripts cannot read and
other sites cannot send, CSRF tokens on every change, and no caching. Live updates are Server-Sent
Events fed by the desk's Redis pub/sub, so a console hears about changes made on any replica; they
carry ticket ids only, and the page refetches what its user may see.

The sign-in form works without JavaScript. Its CSRF token is a double submit bound to a short-lived
pre-session cookie; slowing down repeated failures is the StaffStore's.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import secrets
import string
import time
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from babel import Locale
from babel.dates import format_timedelta
from redis.exceptions import RedisError

from bot.handoff import console_api
from bot.handoff.console_auth import (
    CONSOLE,
    PATH,
    SESSION_COOKIE,
    Caller,
    Console,
    Stream,
    caller_of,
    cookie,
    staff_only,
)
from bot.handoff.console_texts import chosen_language
from bot.handoff.desk import Desk
from bot.handoff.sessions import ENDED, SessionStore
from bot.handoff.staff import LoginRefused, StaffStore
from bot.language.i18n import N_, Catalogs
from bot.ops.request_body import read_form

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
LOGIN_PAGE = string.Template((STATIC / "login.html").read_text(encoding="utf-8"))
LOGIN_COOKIE = "console_login"
LOGIN_FORM_SECONDS = 900
MAX_LOGIN_FIELD = 1024  # longer is never a real password; argon2 need not hash megabytes
EVENT_FIELDS = ("type", "ticket", "staff", "at")
MAX_BACKLOG = 1000  # events a browser has not read yet; past that it reconnects and refetches
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def _in_console(request: web.Request) -> bool:
    return request.path == PATH or request.path.startswith(f"{PATH}/")


async def _secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    if not _in_console(request):
        return
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if not request.path.startswith(f"{PATH}/static/"):
        response.headers["Cache-Control"] = "no-store"


# The sign-in page's texts, in the language her browser asks for (nobody is known before signing in).
LOGIN_TEXTS = {
    "title": N_("Sign in — SafeSpaces console"),
    "heading": N_("SafeSpaces console"),
    "hint": N_("For helpline staff. Sign out when you leave this computer."),
    "name_label": N_("Name"),
    "password_label": N_("Password"),
    "sign_in": N_("Sign in"),
}
MISSING = N_("Enter your name and password.")
EXPIRED = N_("This sign-in form has expired. Please sign in again.")
WRONG = N_("Wrong name or password.")
TOO_MANY = N_("Too many failed attempts: try again in {wait}.")


def _language_of(request: web.Request) -> str:
    return chosen_language(request.app[CONSOLE].catalogs, None, request.headers.get("Accept-Language", ""))


def _login_page(request: web.Request, message: str = "", status: int = 200, **params: str) -> web.Response:
    """The sign-in form in the browser's language, with a fresh double-submit token (in the form and
    in a pre-session cookie)."""
    console = request.app[CONSOLE]
    language = _language_of(request)
    texts = {key: html.escape(console.catalogs.gettext(language, text)) for key, text in LOGIN_TEXTS.items()}
    said = console.catalogs.gettext(language, message).format(**params) if message else ""
    token = secrets.token_urlsafe(32)
    body = LOGIN_PAGE.substitute(
        csrf=token,
        message=html.escape(said),
        lang=language,
        dir=Locale.parse(language).text_direction,
        **texts,
    )
    response = web.Response(text=body, content_type="text/html", status=status)
    console.set_cookie(response, LOGIN_COOKIE, token, max_age=LOGIN_FORM_SECONDS)
    return response


async def page(request: web.Request) -> web.StreamResponse:
    if await caller_of(request) is None:
        return _login_page(request)
    return web.FileResponse(STATIC / "console.html")


async def to_page(request: web.Request) -> web.Response:
    return web.Response(status=303, headers={"Location": PATH})


async def login(request: web.Request) -> web.Response:
    console = request.app[CONSOLE]
    try:
        form = await read_form(request)
    except ValueError:
        return _login_page(request, MISSING, status=400)
    token, sent = cookie(request, LOGIN_COOKIE) or "", form.get("csrf", "")
    # As bytes: the cookie may hold any byte (aiohttp decodes it with surrogateescape).
    if not token or not secrets.compare_digest(token.encode(errors="surrogateescape"), sent.encode()):
        return _login_page(request, EXPIRED, status=403)
    name, password = form.get("name"), form.get("password")
    if not name or not password:
        return _login_page(request, MISSING, status=400)
    if len(name) > MAX_LOGIN_FIELD or len(password) > MAX_LOGIN_FIELD:
        return _login_page(request, WRONG, status=401)
    try:
        staff = await console.staff.authenticate(name, password, request.remote or "unknown")
    except LoginRefused as refusal:
        if refusal.reason == "invalid":
            return _login_page(request, WRONG, status=401)
        wait = format_timedelta(timedelta(seconds=refusal.retry_after), locale=_language_of(request))
        refused = _login_page(request, TOO_MANY, status=429, wait=wait)
        refused.headers["Retry-After"] = str(refusal.retry_after)
        return refused
    previous = cookie(request, SESSION_COOKIE)
    if previous:
        await console.sessions.end(previous)
    session = await console.sessions.create(staff.name)
    await console.desk.audit.record(staff, "sign_in", None)
    response = web.Response(status=303, headers={"Location": PATH})
    console.set_cookie(response, SESSION_COOKIE, session.id)
    response.del_cookie(LOGIN_COOKIE, path=PATH)
    return response


@staff_only()
async def logout(request: web.Request, caller: Caller) -> web.Response:
    console = request.app[CONSOLE]
    await console.sessions.end(caller.session.id)
    await console.desk.presence.gone(caller.staff.name)
    await console.desk.audit.record(caller.staff, "sign_out", None)
    response = web.json_response({})
    response.del_cookie(SESSION_COOKIE, path=PATH)
    return response


async def _pump(console: Console, session_id: str, stream: Stream) -> None:
    """Copy the desk's events (only their public fields) into one console's stream, then end it: when
    its session ends (sign-out, staff removal), at once, whichever replica ended it."""
    ended = (ENDED, SessionStore.key(session_id).encode())

    async def alive() -> bool:
        return await console.sessions.get(session_id) is not None

    try:
        async for event in console.desk.events.stream(until=ended, alive=alive):
            stream.put_nowait({name: event.get(name) for name in EVENT_FIELDS})
    except RedisError as problem:  # the browser reconnects, and resubscribes, by itself
        log.warning("console event stream lost Redis: %s", type(problem).__name__)
    finally:
        stream.put_nowait(None)


@staff_only()
async def events(request: web.Request, caller: Caller) -> web.StreamResponse:
    """Server-Sent Events: one `data:` line per desk event, a comment as heartbeat. Ends when the
    session ends (at once on sign-out and staff removal; an idle or too old session is noticed at the
    next heartbeat), the browser goes away or falls behind, the server shuts down or Redis is lost.
    While it is open, its staff member counts as present (bot/handoff/presence.py)."""
    console = request.app[CONSOLE]
    presence = console.desk.presence
    stream: Stream = asyncio.Queue()
    console.streams.add(stream)
    pump = asyncio.create_task(_pump(console, caller.session.id, stream))
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"})
    try:
        await response.prepare(request)
        await response.write(b"retry: 3000\n\n")
        await presence.seen(caller.staff.name)
        marked = time.monotonic()
        while True:
            if time.monotonic() - marked >= console.heartbeat_seconds:
                await presence.seen(caller.staff.name)
                marked = time.monotonic()
            try:
                event = await asyncio.wait_for(stream.get(), console.heartbeat_seconds)
            except TimeoutError:
                if await console.sessions.get(caller.session.id) is None:
                    break
                await response.write(b": heartbeat\n\n")
                continue
            if event is None or stream.qsize() > MAX_BACKLOG:  # ended, or the browser stopped reading
                break
            await response.write(f"data: {json.dumps(event)}\n\n".encode())
    except ConnectionResetError:  # the browser went away; nothing to tell it
        pass
    finally:
        console.streams.discard(stream)
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
    return response


async def _end_streams(app: web.Application) -> None:
    for stream in app[CONSOLE].streams:
        stream.put_nowait(None)


def setup_console(
    app: web.Application,
    *,
    desk: Desk,
    staff: StaffStore,
    sessions: SessionStore,
    cookie_secure: bool,
    heartbeat_seconds: float = 15.0,
    undo_seconds: float = 5.0,
    long_wait_seconds: float = 600.0,
    catalogs: Catalogs | None = None,
) -> None:
    """Mount the console at /console on `app` (before it starts)."""
    app[CONSOLE] = Console(
        catalogs=catalogs or Catalogs(),
        desk=desk,
        staff=staff,
        sessions=sessions,
        cookie_secure=cookie_secure,
        heartbeat_seconds=heartbeat_seconds,
        undo_seconds=undo_seconds,
        long_wait_seconds=long_wait_seconds,
    )
    app.router.add_routes(
        [
            web.get(PATH, page),
            web.get(f"{PATH}/login", to_page),
            web.post(f"{PATH}/login", login),
            web.post(f"{PATH}/logout", logout),
            web.get(f"{PATH}/events", events),
            *console_api.routes(),
            web.static(f"{PATH}/static", STATIC),
        ]
    )
    # aiohttp 3.9 annotates its signals for aiosignal < 1.4, whose Signal took one type argument.
    app.on_response_prepare.append(_secure_headers)  # type: ignore[arg-type]
    app.on_shutdown.append(_end_streams)  # type: ignore[arg-type]
