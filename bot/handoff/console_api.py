"""The console's JSON API under /console/api: what the page fetches and the actions staff take.

Reading follows need-to-know: a waiting ticket's summary is open to every staff member (to decide
whom to take), its conversation only to the staff member holding it and to supervisors, and every
read of a conversation is audited (collapsed to one entry per person and ticket per window, because
the page re-reads the log on every live update). The desk enforces the same rules for actions.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from typing import Any

from aiohttp import web

from bot.handoff.console_auth import CONSOLE, Caller, staff_only
from bot.handoff.desk import DeskError, NotAllowed, NotFound
from bot.handoff.model import OUTCOMES, LogEntry, Ticket, TicketState
from bot.handoff.staff import Staff
from bot.ops.request_body import read_json
from bot.pipeline.conversations import PREFIX

API = "/console/api"
TICKET = f"{API}/tickets/{{ticket:[0-9a-f]{{1,64}}}}"
CANNED = ("greeting", "safe_now", "evidence", "report", "follow_up", "goodbye")  # content/responses.yml
MAX_TEXT = 4096
OPEN_AUDIT_SECONDS = 600  # one "open" audit entry per staff member and ticket in this window
AUDIT_SHOWN = 200


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "state": ticket.state.value,
        "staff": ticket.staff,
        "created_at": ticket.created_at,
        "claimed_at": ticket.claimed_at,
        "closed_at": ticket.closed_at,
        "outcome": ticket.outcome,
        "erased": ticket.erased,
        "blocked": ticket.blocked,
        "summary": {**asdict(ticket.summary), "risks": [risk.value for risk in ticket.summary.risks]},
    }


def entry_json(entry: LogEntry) -> dict[str, Any]:
    return {"at": entry.at, "author": entry.author.value, "text": entry.text, "staff": entry.staff}


def staff_json(staff: Staff) -> dict[str, Any]:
    return {"name": staff.name, "display_name": staff.display_name, "role": staff.role.value}


async def text_field(request: web.Request, name: str) -> str:
    """One string field of a JSON body; a DeskError (400) says what is wrong with it."""
    try:
        body = await read_json(request)
    except ValueError as problem:
        raise DeskError("The request was not valid JSON.") from problem
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, str):
        raise DeskError(f"The request needs a text field {name!r}.")
    if len(value) > MAX_TEXT:
        raise DeskError(f"That is too long: at most {MAX_TEXT} characters.")
    return value


async def readable(request: web.Request, caller: Caller) -> tuple[Ticket, bool]:
    """The ticket in the URL, and whether the caller may read its conversation (raises if not even
    its summary: a colleague's conversation is theirs and their supervisors')."""
    ticket = await request.app[CONSOLE].desk.ticket(request.match_info["ticket"])
    if ticket is None:
        raise NotFound("This conversation no longer exists (it expired or was erased).")
    if ticket.staff == caller.staff.name or caller.supervisor:
        return ticket, True
    if ticket.state in {TicketState.QUEUED, TicketState.FOLLOW_UP}:
        return ticket, False
    raise NotAllowed("This conversation is with a colleague.")


async def held(request: web.Request, caller: Caller) -> Ticket:
    ticket, full = await readable(request, caller)
    if not full:
        raise NotAllowed("Take this conversation first.")
    return ticket


@staff_only()
async def me(request: web.Request, caller: Caller) -> web.Response:
    return web.json_response({**staff_json(caller.staff), "csrf": caller.session.csrf, "outcomes": OUTCOMES})


@staff_only()
async def board(request: web.Request, caller: Caller) -> web.Response:
    """The left panel: who is waiting, my conversations, follow-ups; for supervisors, everyone's."""
    desk = request.app[CONSOLE].desk
    queue, active, follow_ups = await asyncio.gather(desk.queue(), desk.active(), desk.follow_ups())
    return web.json_response(
        {
            "now": time.time(),
            "queue": [ticket_json(t) for t in queue],
            "mine": [ticket_json(t) for t in active if t.staff == caller.staff.name],
            "follow_ups": [ticket_json(t) for t in follow_ups],
            "everyone": [ticket_json(t) for t in active] if caller.supervisor else None,
        }
    )


@staff_only()
async def staff_list(request: web.Request, caller: Caller) -> web.Response:
    return web.json_response([staff_json(s) for s in await request.app[CONSOLE].staff.all()])


@staff_only()
async def ticket_view(request: web.Request, caller: Caller) -> web.Response:
    ticket, full = await readable(request, caller)
    desk = request.app[CONSOLE].desk
    log = None
    if full:
        log = [entry_json(entry) for entry in await desk.log(ticket.id)]
        first_read = f"{PREFIX}:console:opened:{caller.staff.name}:{ticket.id}"
        if await desk.redis.set(first_read, 1, nx=True, ex=OPEN_AUDIT_SECONDS):
            await desk.audit(caller.staff, "open", ticket.id)
    can_act = full and ticket.state is TicketState.WITH_STAFF
    return web.json_response(
        {"now": time.time(), "ticket": ticket_json(ticket), "log": log, "can_act": can_act}
    )


@staff_only()
async def canned(request: web.Request, caller: Caller) -> web.Response:
    """Each canned reply as the person will read it, in their language, to check before sending."""
    ticket = await held(request, caller)
    desk = request.app[CONSOLE].desk
    return web.json_response([{"key": key, "text": desk.canned(key, ticket, caller.staff)} for key in CANNED])


@staff_only()
async def claim(request: web.Request, caller: Caller) -> web.Response:
    ticket = await request.app[CONSOLE].desk.claim(request.match_info["ticket"], caller.staff)
    return web.json_response({"ticket": ticket_json(ticket)})


@staff_only()
async def send(request: web.Request, caller: Caller) -> web.Response:
    text = await text_field(request, "text")
    await request.app[CONSOLE].desk.send(request.match_info["ticket"], caller.staff, text)
    return web.json_response({})


@staff_only()
async def note(request: web.Request, caller: Caller) -> web.Response:
    text = await text_field(request, "text")
    await request.app[CONSOLE].desk.note(request.match_info["ticket"], caller.staff, text)
    return web.json_response({})


@staff_only()
async def transfer(request: web.Request, caller: Caller) -> web.Response:
    console = request.app[CONSOLE]
    to = await console.staff.get(await text_field(request, "to"))
    if to is None:
        raise NotFound("There is no such staff member.")
    await console.desk.transfer(request.match_info["ticket"], caller.staff, to)
    return web.json_response({})


@staff_only()
async def close(request: web.Request, caller: Caller) -> web.Response:
    outcome = await text_field(request, "outcome")
    await request.app[CONSOLE].desk.close(request.match_info["ticket"], caller.staff, outcome)
    return web.json_response({})


@staff_only()
async def hand_back(request: web.Request, caller: Caller) -> web.Response:
    await request.app[CONSOLE].desk.hand_back(request.match_info["ticket"], caller.staff)
    return web.json_response({})


@staff_only()
async def block(request: web.Request, caller: Caller) -> web.Response:
    await request.app[CONSOLE].desk.block(request.match_info["ticket"], caller.staff)
    return web.json_response({})


@staff_only(supervisor=True)
async def stats(request: web.Request, caller: Caller) -> web.Response:
    return web.json_response(asdict(await request.app[CONSOLE].desk.stats()))


@staff_only(supervisor=True)
async def audit(request: web.Request, caller: Caller) -> web.Response:
    entries = await request.app[CONSOLE].desk.audit_log(AUDIT_SHOWN)
    return web.json_response([asdict(entry) for entry in entries])


@staff_only(supervisor=True)
async def blocked(request: web.Request, caller: Caller) -> web.Response:
    return web.json_response([asdict(record) for record in await request.app[CONSOLE].desk.blocked()])


@staff_only(supervisor=True)
async def unblock(request: web.Request, caller: Caller) -> web.Response:
    await request.app[CONSOLE].desk.unblock(request.match_info["block"], caller.staff)
    return web.json_response({})


def routes() -> list[web.RouteDef]:
    return [
        web.get(f"{API}/me", me),
        web.get(f"{API}/board", board),
        web.get(f"{API}/staff", staff_list),
        web.get(TICKET, ticket_view),
        web.get(f"{TICKET}/canned", canned),
        web.post(f"{TICKET}/claim", claim),
        web.post(f"{TICKET}/messages", send),
        web.post(f"{TICKET}/notes", note),
        web.post(f"{TICKET}/transfer", transfer),
        web.post(f"{TICKET}/close", close),
        web.post(f"{TICKET}/hand-back", hand_back),
        web.post(f"{TICKET}/block", block),
        web.get(f"{API}/stats", stats),
        web.get(f"{API}/audit", audit),
        web.get(f"{API}/blocked", blocked),
        web.post(f"{API}/blocked/{{block:p-[0-9a-f]{{1,64}}}}/unblock", unblock),
    ]
