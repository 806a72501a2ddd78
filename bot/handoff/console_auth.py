"""Who is asking the console: the staff member behind the session cookie, and what they may do.

Every console endpoint is wrapped in `staff_only`, so authorisation never depends on which buttons the
page shows: no session is 401, a state-changing request without the session's CSRF token is 403, and
supervisor-only views are 403 for agents. Desk errors carry messages written for staff, so they are
returned translated into the caller's console language, with the HTTP status of their kind.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.cookies import CookieError
from typing import Any

from aiohttp import web

from bot.handoff.console_texts import ConsoleLanguage, console_language
from bot.handoff.desk import Desk
from bot.handoff.errors import Conflict, DeskError, NotAllowed, NotFound
from bot.handoff.sessions import Session, SessionStore, csrf_matches
from bot.handoff.staff import Role, Staff, StaffStore
from bot.language.i18n import N_, Catalogs

PATH = "/console"
SESSION_COOKIE = "console_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# What a live stream carries: a desk event, or None when the stream must end (shutdown, overflow).
Event = dict[str, Any]
Stream = asyncio.Queue["Event | None"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Console:
    """Everything the console's handlers share, stored once on the application."""

    desk: Desk
    staff: StaffStore
    sessions: SessionStore
    cookie_secure: bool
    heartbeat_seconds: float
    undo_seconds: float  # how long a staff message waits in the page before it leaves, to be undone
    long_wait_seconds: float  # a person waiting longer than this is brought to staff's attention
    catalogs: Catalogs  # the console's own texts, in each staff member's language
    streams: set[Stream] = field(default_factory=set)  # open live streams, ended on shutdown

    def set_cookie(
        self, response: web.StreamResponse, name: str, value: str, max_age: int | None = None
    ) -> None:
        """Console cookies: never readable by scripts, never sent cross-site, never outside /console."""
        response.set_cookie(
            name,
            value,
            path=PATH,
            max_age=max_age,
            httponly=True,
            samesite="Strict",
            secure=self.cookie_secure,
        )


CONSOLE = web.AppKey("console", Console)


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    staff: Staff
    session: Session
    language: ConsoleLanguage  # what the server tells them is in it

    @property
    def supervisor(self) -> bool:
        return self.staff.role is Role.SUPERVISOR


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CallerHandler = Callable[[web.Request, Caller], Awaitable[web.StreamResponse]]


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def status_of(problem: DeskError) -> int:
    match problem:
        case NotFound():
            return 404
        case NotAllowed():
            return 403
        case Conflict():
            return 409
        case _:
            return 400


def cookie(request: web.Request, name: str) -> str | None:
    """A cookie's value; None too when the Cookie header cannot be parsed (aiohttp 3.9 raises for an
    illegal cookie name such as "/", where a browser would skip that one cookie)."""
    try:
        return request.cookies.get(name)
    except CookieError:
        return None


async def caller_of(request: web.Request) -> Caller | None:
    """The signed-in staff member, or None (no cookie, an ended session, or a removed account)."""
    session_id = cookie(request, SESSION_COOKIE)
    if not session_id:
        return None
    console = request.app[CONSOLE]
    session = await console.sessions.get(session_id)
    if session is None:
        return None
    staff = await console.staff.get(session.staff)
    if staff is None:
        return None
    accept = request.headers.get("Accept-Language", "")
    language = console_language(console.catalogs, staff.console_language, accept)
    return Caller(staff=staff, session=session, language=language)


def staff_only(*, supervisor: bool = False) -> Callable[[CallerHandler], Handler]:
    """Require a session (and the CSRF token for anything that changes state, and optionally the
    supervisor role); map desk errors to their HTTP status."""

    def decorate(handler: CallerHandler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            caller = await caller_of(request)
            if caller is None:
                accept = request.headers.get("Accept-Language", "")
                translate = console_language(request.app[CONSOLE].catalogs, None, accept).translate
                return error(401, translate(N_("You are signed out. Sign in again.")))
            translate = caller.language.translate
            if request.method not in SAFE_METHODS and not csrf_matches(
                caller.session, request.headers.get(CSRF_HEADER)
            ):
                return error(
                    403, translate(N_("This request did not come from the console page. Reload the page."))
                )
            if supervisor and not caller.supervisor:
                return error(403, translate(N_("Only a supervisor can do this.")))
            try:
                return await handler(request, caller)
            except DeskError as problem:
                return error(status_of(problem), problem.translated(translate, caller.language.code))

        return checked

    return decorate
