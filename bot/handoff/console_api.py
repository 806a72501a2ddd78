"""The console's JSON API under /console/api: what the page fetches and the actions staff take.

Reading follows need-to-know: a waiting ticket's summary is open to every staff member (to decide
whom to take), and so is a message left for follow-up (the helpline reads it to decide when and whether
it is safe to reply); a live conversation, and the person's earlier contacts, only to the staff member
holding it and to supervisors. Every read of a conversation is audited (collapsed to one entry per
person and ticket per window, because the page re-reads the log on every live update). The desk
enforces the same rules for actions.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from aiohttp import web

from bot.handoff import reports, safe_time
from bot.handoff.console_auth import CONSOLE, Caller, staff_only
from bot.handoff.console_texts import ConsoleLanguage, console_texts
from bot.handoff.directory import resources_json
from bot.handoff.errors import DeskError, NotAllowed, NotFound, OutsideSafeTime
from bot.handoff.model import OUTCOMES, Case, LogEntry, Risk, Ticket, TicketState
from bot.handoff.presence import Presence
from bot.handoff.staff import Staff
from bot.handoff.tickets import PastContact
from bot.language.i18n import N_
from bot.ops.request_body import read_json
from bot.storage.keys import PREFIX
from content.texts import load_texts

API = "/console/api"
TICKET = f"{API}/tickets/{{ticket:[0-9a-f]{{1,64}}}}"
CANNED = ("greeting", "safe_now", "evidence", "report", "follow_up", "goodbye")  # content/responses.yml
GLOSS_LANGUAGE = "en"  # canned replies in another language come with this gloss for staff
MAX_TEXT = 4096
MAX_QUERY = 100
OPEN_AUDIT_SECONDS = 600  # one "open" audit entry per staff member and ticket in this window
AUDIT_SHOWN = 200
MAX_TAGS = 10
CATEGORY = re.compile(r"[\w .&'/-]{1,48}")  # a situation, platform or tag: a short label, never a message
REPORT_DAYS = 400  # the longest period one export covers
CASE_FILTERS = ("category", "outcome", "staff", "language", "country")
CASES_SHOWN = 200
REPORT_COLUMNS = (
    "id",
    "opened",
    "taken",
    "closed",
    "wait_seconds",
    "outcome",
    "categories",
    "risks",
    "language",
    "country",
    "channel",
    "staff",
)


def safe_contact_json(ticket: Ticket, language: ConsoleLanguage) -> dict[str, Any] | None:
    """How her safe-contact words were read, and whether now is inside that time (in staff's language)."""
    window = safe_time.parse(ticket.summary.safe_contact, ticket.summary.country, ticket.summary.language)
    if window is None:
        return None
    now = datetime.now(UTC)
    return {
        "reading": window.describe(language.translate, language.code),
        "safe_now": window.allows(now),
        "her_time": window.local_now(now, language.translate, language.code),
    }


def ticket_json(ticket: Ticket, language: ConsoleLanguage) -> dict[str, Any]:
    case = ticket.case
    return {
        "id": ticket.id,
        "state": ticket.state.value,
        "origin": ticket.origin.value,
        "staff": ticket.staff,
        "created_at": ticket.created_at,
        "claimed_at": ticket.claimed_at,
        "closed_at": ticket.closed_at,
        "outcome": ticket.outcome,
        "case": None if case is None else {**asdict(case), "risks": [risk.value for risk in case.risks]},
        "contacted": ticket.contacted,
        "follow_up_of": ticket.follow_up_of,
        "left": ticket.left,
        "waiting": {
            "count": ticket.waiting_messages,
            "latest": None if ticket.latest is None else entry_json(ticket.latest),
        },
        "erased": ticket.erased,
        "blocked": ticket.blocked,
        "summary": {**asdict(ticket.summary), "risks": [risk.value for risk in ticket.summary.risks]},
        "safe_contact": None if ticket.erased else safe_contact_json(ticket, language),
    }


def past_json(past: PastContact, language: ConsoleLanguage) -> dict[str, Any]:
    return {**ticket_json(past.ticket, language), "notes": [entry_json(note) for note in past.notes]}


def entry_json(entry: LogEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "author": entry.author.value,
        "text": entry.text,
        "staff": entry.staff,
        "to": entry.to,
    }


def staff_json(staff: Staff, presence: Presence | None = None) -> dict[str, Any]:
    shown = {
        "name": staff.name,
        "display_name": staff.display_name,
        "role": staff.role.value,
        "languages": list(staff.languages),
    }
    return shown if presence is None else {**shown, "presence": asdict(presence)}


async def json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await read_json(request)
    except ValueError as problem:
        raise DeskError(N_("The request was not valid JSON.")) from problem
    return body if isinstance(body, dict) else {}


async def text_field(request: web.Request, name: str, *, required: bool = True) -> str:
    """One string field of a JSON body; a DeskError (400) says what is wrong with it."""
    value = (await json_body(request)).get(name, None if required else "")
    if not isinstance(value, str):
        raise DeskError(N_("The request needs a text field '{name}'."), name=name)
    if len(value) > MAX_TEXT:
        raise DeskError(N_("That is too long: at most {count} characters."), count=MAX_TEXT)
    return value


def _label(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not CATEGORY.fullmatch(value.strip()):
        raise DeskError(N_("Situations, platforms and tags are short labels of at most 48 characters."))
    return value.strip().lower()


def case_of(body: dict[str, Any]) -> Case | None:
    """The case form: categories and tags, checked to be labels (reports count them)."""
    raw = body.get("case")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise DeskError(N_("The case must be an object."))
    risks, tags = raw.get("risks") or [], raw.get("tags") or []
    if not isinstance(risks, list) or not all(r in {risk.value for risk in Risk} for r in risks):
        raise DeskError(N_("Risks are among: {risks}."), risks=", ".join(risk.value for risk in Risk))
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        raise DeskError(N_("At most {count} tags."), count=MAX_TAGS)
    labels = [_label(tag) for tag in tags]
    return Case(
        situation=_label(raw.get("situation")),
        platform=_label(raw.get("platform")),
        risks=tuple(Risk(r) for r in dict.fromkeys(risks)),
        tags=tuple(dict.fromkeys(label for label in labels if label)),
    )


async def readable(request: web.Request, caller: Caller) -> tuple[Ticket, bool]:
    """The ticket in the URL, and whether the caller may read its conversation (raises if not even
    its summary: a colleague's conversation is theirs and their supervisors')."""
    ticket = await request.app[CONSOLE].desk.tickets.get(request.match_info["ticket"])
    if ticket is None:
        raise NotFound(N_("This conversation no longer exists (it expired or was erased)."))
    if ticket.staff == caller.staff.name or caller.supervisor or ticket.state is TicketState.FOLLOW_UP:
        return ticket, True
    if ticket.state is TicketState.QUEUED or (ticket.left is not None and ticket.claimed_at is None):
        return ticket, False  # waiting, or she left before anyone took it: the summary only
    raise NotAllowed(N_("This conversation is with a colleague."))


async def held(request: web.Request, caller: Caller) -> Ticket:
    ticket, full = await readable(request, caller)
    if not full:
        raise NotAllowed(N_("Take this conversation first."))
    return ticket


@staff_only()
async def me(request: web.Request, caller: Caller) -> web.Response:
    console = request.app[CONSOLE]
    return web.json_response(
        {
            **staff_json(caller.staff),
            "csrf": caller.session.csrf,
            "outcomes": OUTCOMES,
            "risks": [risk.value for risk in Risk],
            "undo_seconds": console.undo_seconds,
            "away": await console.desk.presence.is_away(caller.staff.name),
            "long_wait_seconds": console.long_wait_seconds,
            "console_language": caller.staff.console_language,
        }
    )


@staff_only()
async def texts(request: web.Request, caller: Caller) -> web.Response:
    """The console's texts in this staff member's language: the one they chose, else their browser's."""
    return web.json_response(console_texts(request.app[CONSOLE].catalogs, caller.language.code))


@staff_only()
async def set_console_language(request: web.Request, caller: Caller) -> web.Response:
    """Keep this staff member's choice of language for the console (on every computer they use)."""
    console = request.app[CONSOLE]
    language = await text_field(request, "language")
    if language not in console.catalogs.languages:
        raise DeskError(N_("Choose one of: {languages}."), languages=", ".join(console.catalogs.languages))
    await console.staff.set_console_language(caller.staff.name, language)
    return web.json_response(console_texts(console.catalogs, language))


@staff_only()
async def board(request: web.Request, caller: Caller) -> web.Response:
    """The left panel: who is waiting, my conversations, follow-ups; for supervisors, everyone's."""
    desk = request.app[CONSOLE].desk
    queue, active, follow_ups = await asyncio.gather(
        desk.tickets.queue(), desk.tickets.active(), desk.tickets.follow_ups()
    )
    mine = [t for t in active if t.staff == caller.staff.name]
    unread = await desk.reads.unread(caller.staff, mine)
    return web.json_response(
        {
            "now": time.time(),
            "queue": [ticket_json(t, caller.language) for t in queue],
            "mine": [{**ticket_json(t, caller.language), "unread": unread[t.id]} for t in mine],
            "follow_ups": [ticket_json(t, caller.language) for t in follow_ups],
            "everyone": [ticket_json(t, caller.language) for t in active] if caller.supervisor else None,
        }
    )


@staff_only()
async def staff_list(request: web.Request, caller: Caller) -> web.Response:
    """Every colleague, with whether they are at the console (online, busy with n conversations, away)."""
    console = request.app[CONSOLE]
    members, active = await asyncio.gather(console.staff.all(), console.desk.tickets.active())
    holding = Counter(ticket.staff for ticket in active if ticket.staff)
    presence = await console.desk.presence.of([s.name for s in members], holding)
    return web.json_response([staff_json(s, presence[s.name]) for s in members])


@staff_only()
async def set_presence(request: web.Request, caller: Caller) -> web.Response:
    """Mark oneself away (a break, a long call) or back: away staff count as absent for the wait
    people are told and in the transfer list."""
    away = (await json_body(request)).get("away")
    if not isinstance(away, bool):
        raise DeskError(N_("The request needs 'away': true or false."))
    await request.app[CONSOLE].desk.presence.set_away(caller.staff.name, away)
    return web.json_response({"away": away})


@staff_only()
async def ticket_view(request: web.Request, caller: Caller) -> web.Response:
    """A ticket; with its conversation and the person's earlier contacts (`previous`) for those who
    may read them. For the holder it also says whether writing now needs a safe-time override."""
    ticket, full = await readable(request, caller)
    desk = request.app[CONSOLE].desk
    log = previous = None
    if full:
        log = [entry_json(entry) for entry in await desk.tickets.log(ticket.id)]
        first_read = f"{PREFIX}:console:opened:{caller.staff.name}:{ticket.id}"
        if await desk.redis.set(first_read, 1, nx=True, ex=OPEN_AUDIT_SECONDS):
            await desk.audit.record(caller.staff, "open", ticket.id)
        if ticket.state is not TicketState.FOLLOW_UP or caller.supervisor:
            previous = [past_json(past, caller.language) for past in await desk.tickets.previous(ticket)]
    can_act = full and ticket.state is TicketState.WITH_STAFF
    unsafe = await desk.unsafe_window(ticket) if can_act else None
    if ticket.staff == caller.staff.name:
        await desk.reads.mark_read(caller.staff, ticket)
    return web.json_response(
        {
            "now": time.time(),
            "ticket": ticket_json(ticket, caller.language),
            "log": log,
            "previous": previous,
            "can_act": can_act,
            "can_record": full and desk.recordable(ticket),
            # A supervisor in a colleague's conversation watches it read-only unless she joins it
            # (the desk refuses what would reach the person until then).
            "monitoring": can_act
            and ticket.staff != caller.staff.name
            and caller.staff.name not in ticket.joined,
            "needs_override": None
            if unsafe is None
            else unsafe.describe(caller.language.translate, caller.language.code),
        }
    )


# The record's labels (content/responses.yml `labels.record`, as in her PDF) the console shows.
RECORD_LABELS = (
    "entry", "written", "when", "where", "who", "what", "links", "screenshots", "files",
    "yes", "no", "image", "video", "document",
)  # fmt: skip


@staff_only()
async def shared_record(request: web.Request, caller: Caller) -> web.Response:
    """Her record, read-only, for those who may read the conversation, and only if she shared it (the
    desk refuses otherwise); each entry with the time she wrote it. Reads are audited like opening it."""
    ticket = await held(request, caller)
    desk = request.app[CONSOLE].desk
    entries = await desk.shared_record(ticket)
    first_read = f"{PREFIX}:console:record:{caller.staff.name}:{ticket.id}"
    if await desk.redis.set(first_read, 1, nx=True, ex=OPEN_AUDIT_SECONDS):
        await desk.audit.record(caller.staff, "read_record", ticket.id)
    label, translate = load_texts().label, caller.language.translate

    def platform(name: str | None) -> str | None:
        return name and translate(label("platforms", name))

    return web.json_response(
        {
            "labels": {name: translate(label("record", name)) for name in RECORD_LABELS},
            "entries": [{**asdict(entry), "platform": platform(entry.platform)} for entry in entries],
        }
    )


@staff_only()
async def canned(request: web.Request, caller: Caller) -> web.Response:
    """Each canned reply as the person will read it, in their language, to check before sending, with
    an English gloss when hers is another (staff may not read it)."""
    ticket = await held(request, caller)
    desk = request.app[CONSOLE].desk
    english = ticket.summary.language == GLOSS_LANGUAGE
    return web.json_response(
        [
            {
                "key": key,
                "language": ticket.summary.language,
                "text": desk.canned(key, ticket),
                "gloss": None if english else desk.canned(key, ticket, language=GLOSS_LANGUAGE),
            }
            for key in CANNED
        ]
    )


@staff_only()
async def resources(request: web.Request, caller: Caller) -> web.Response:
    """The referral directory for the person's country: checked resources with source and date."""
    ticket = await held(request, caller)
    query = request.query.get("q", "")[:MAX_QUERY]
    return web.json_response(
        {"country": ticket.summary.country, "resources": resources_json(ticket.summary.country, query)}
    )


@staff_only()
async def claim(request: web.Request, caller: Caller) -> web.Response:
    ticket = await request.app[CONSOLE].desk.claim(request.match_info["ticket"], caller.staff)
    return web.json_response({"ticket": ticket_json(ticket, caller.language)})


@staff_only()
async def take_next(request: web.Request, caller: Caller) -> web.Response:
    ticket = await request.app[CONSOLE].desk.take_next(caller.staff)
    return web.json_response({"ticket": ticket_json(ticket, caller.language)})


@staff_only()
async def send(request: web.Request, caller: Caller) -> web.Response:
    text = await text_field(request, "text")
    override = (await json_body(request)).get("override") is True
    try:
        await request.app[CONSOLE].desk.send(
            request.match_info["ticket"], caller.staff, text, override=override
        )
    except OutsideSafeTime as problem:
        error = problem.translated(caller.language.translate, caller.language.code)
        return web.json_response({"error": error, "needs_override": True}, status=409)
    return web.json_response({})


@staff_only()
async def note(request: web.Request, caller: Caller) -> web.Response:
    text = await text_field(request, "text")
    await request.app[CONSOLE].desk.note(request.match_info["ticket"], caller.staff, text)
    return web.json_response({})


@staff_only(supervisor=True)
async def whisper(request: web.Request, caller: Caller) -> web.Response:
    text = await text_field(request, "text")
    await request.app[CONSOLE].desk.whisper(request.match_info["ticket"], caller.staff, text)
    return web.json_response({})


@staff_only(supervisor=True)
async def join(request: web.Request, caller: Caller) -> web.Response:
    await request.app[CONSOLE].desk.join(request.match_info["ticket"], caller.staff)
    return web.json_response({})


@staff_only()
async def transfer(request: web.Request, caller: Caller) -> web.Response:
    console = request.app[CONSOLE]
    to = await console.staff.get(await text_field(request, "to"))
    if to is None:
        raise NotFound(N_("There is no such staff member."))
    await console.desk.transfer(request.match_info["ticket"], caller.staff, to)
    return web.json_response({})


@staff_only()
async def close(request: web.Request, caller: Caller) -> web.Response:
    """Close with the case form: a required outcome, the categories, tags and a closing note."""
    return await _case_form(request, caller, request.app[CONSOLE].desk.close)


@staff_only()
async def record(request: web.Request, caller: Caller) -> web.Response:
    """The case form for a conversation she ended herself (a quick exit): outcome, categories, note."""
    return await _case_form(request, caller, request.app[CONSOLE].desk.record)


class _FileCase(Protocol):
    """Desk.close or Desk.record: the case form written to a ticket, maybe leaving a follow-up."""

    def __call__(
        self, ticket_id: str, staff: Staff, outcome: str, *, case: Case | None, note: str
    ) -> Awaitable[Ticket | None]: ...


async def _case_form(request: web.Request, caller: Caller, file_case: _FileCase) -> web.Response:
    outcome = await text_field(request, "outcome")
    body = await json_body(request)
    note = await text_field(request, "note", required=False)
    follow_up = await file_case(
        request.match_info["ticket"], caller.staff, outcome, case=case_of(body), note=note
    )
    return web.json_response({"follow_up": None if follow_up is None else follow_up.id})


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
    return web.json_response(asdict(await request.app[CONSOLE].desk.stats.current()))


def _day(request: web.Request, name: str) -> date:
    try:
        return date.fromisoformat(request.query.get(name, ""))
    except ValueError:
        raise DeskError(N_("Give {name}=YYYY-MM-DD."), name=name) from None


def _iso(at: float | None) -> str:
    return "" if at is None else datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def report_row(ticket: Ticket) -> list[str]:
    """One ticket for a report: times, outcome and categories, never her address, name or words."""
    case, summary = ticket.case, ticket.summary
    situation = case.situation if case else summary.situation
    platform = case.platform if case else summary.platform
    risks = case.risks if case else summary.risks
    ended = ticket.claimed_at or ticket.closed_at
    categories = ";".join(
        f"{name}={value}" for name, value in (("situation", situation), ("platform", platform)) if value
    )
    row = [
        ticket.id,
        _iso(ticket.created_at),
        _iso(ticket.claimed_at),
        _iso(ticket.closed_at),
        "" if ended is None else str(round(ended - ticket.created_at)),
        ticket.outcome or "",
        "" if ticket.erased else categories,
        "" if ticket.erased else ";".join(risk.value for risk in risks),
        "" if ticket.erased else summary.language,
        "" if ticket.erased else summary.country or "",
        "" if ticket.erased else summary.channel,
        ticket.staff or "",
    ]
    # Staff typed the categories: nothing a spreadsheet would run as a formula.
    return [f"'{cell}" if cell[:1] in {"=", "+", "-", "@"} else cell for cell in row]


def _period(request: web.Request) -> tuple[date, date, float, float]:
    """The days `from` and `to` (UTC, both included) and the timestamps they span."""
    first, last = _day(request, "from"), _day(request, "to")
    if last < first or (last - first).days > REPORT_DAYS:
        raise DeskError(N_("Choose a period from one day to {count} days, 'from' first."), count=REPORT_DAYS)
    start = datetime.combine(first, datetime.min.time(), UTC).timestamp()
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC).timestamp()
    return first, last, start, end


def categories(ticket: Ticket) -> set[str]:
    """What a closed case is about, as staff recorded it (else as the summary said): situation,
    platform, risks and tags."""
    case, summary = ticket.case, ticket.summary
    if case is not None:
        labels = [case.situation, case.platform, *(r.value for r in case.risks), *case.tags]
    else:
        labels = [summary.situation, summary.platform, *(r.value for r in summary.risks)]
    return {label.lower() for label in labels if label}


def matches(ticket: Ticket, query: dict[str, str]) -> bool:
    """A closed case that fits every filter given (empty ones are ignored)."""
    if ticket.state is not TicketState.CLOSED or ticket.erased:
        return False
    checks = {
        "outcome": ticket.outcome or "",
        "staff": ticket.staff or "",
        "language": ticket.summary.language,
        "country": (ticket.summary.country or "").lower(),
    }
    if any(query.get(name) and query[name].lower() != value for name, value in checks.items()):
        return False
    wanted = query.get("category", "").strip().lower().replace(" ", "_")
    return not wanted or wanted in categories(ticket)


@staff_only(supervisor=True)
async def cases(request: web.Request, caller: Caller) -> web.Response:
    """Closed cases opened in a period (within retention: older ones are gone), for supervisors, by
    category (situation, platform, risk or tag), outcome, staff, language and country; newest first."""
    first, last, start, end = _period(request)
    query = {name: request.query.get(name, "") for name in CASE_FILTERS}
    desk = request.app[CONSOLE].desk
    found = [t for t in await desk.tickets.opened_between(start, end) if matches(t, query)]
    found.sort(key=lambda t: t.created_at, reverse=True)
    await desk.audit.record(caller.staff, f"search:{first}..{last}", None)
    return web.json_response(
        {"cases": [ticket_json(t, caller.language) for t in found[:CASES_SHOWN]], "total": len(found)}
    )


@staff_only(supervisor=True)
async def report(request: web.Request, caller: Caller) -> web.Response:
    """A period's tickets counted for the report charts (bot/handoff/reports.py), for supervisors."""
    first, last, start, end = _period(request)
    desk = request.app[CONSOLE].desk
    counted = reports.summary(await desk.tickets.opened_between(start, end), first, last)
    await desk.audit.record(caller.staff, f"report:{first}..{last}", None)
    return web.json_response(counted)


@staff_only(supervisor=True)
async def report_csv(request: web.Request, caller: Caller) -> web.Response:
    """Every ticket opened from `from` to `to` (UTC dates, both included) as CSV, for supervisors."""
    first, last, start, end = _period(request)
    desk = request.app[CONSOLE].desk
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    writer.writerows(report_row(ticket) for ticket in await desk.tickets.opened_between(start, end))
    await desk.audit.record(caller.staff, f"export:{first}..{last}", None)
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="safespaces-{first}-{last}.csv"'},
    )


@staff_only(supervisor=True)
async def audit(request: web.Request, caller: Caller) -> web.Response:
    entries = await request.app[CONSOLE].desk.audit.entries(AUDIT_SHOWN)
    return web.json_response([asdict(entry) for entry in entries])


@staff_only(supervisor=True)
async def blocked(request: web.Request, caller: Caller) -> web.Response:
    return web.json_response([asdict(record) for record in await request.app[CONSOLE].desk.blocks.all()])


@staff_only(supervisor=True)
async def unblock(request: web.Request, caller: Caller) -> web.Response:
    await request.app[CONSOLE].desk.unblock(request.match_info["block"], caller.staff)
    return web.json_response({})


def routes() -> list[web.RouteDef]:
    return [
        web.get(f"{API}/me", me),
        web.get(f"{API}/texts", texts),
        web.post(f"{API}/me/language", set_console_language),
        web.get(f"{API}/board", board),
        web.get(f"{API}/staff", staff_list),
        web.post(f"{API}/presence", set_presence),
        web.get(TICKET, ticket_view),
        web.get(f"{TICKET}/shared-record", shared_record),
        web.get(f"{TICKET}/canned", canned),
        web.get(f"{TICKET}/resources", resources),
        web.post(f"{TICKET}/claim", claim),
        web.post(f"{API}/take-next", take_next),
        web.post(f"{TICKET}/messages", send),
        web.post(f"{TICKET}/notes", note),
        web.post(f"{TICKET}/whisper", whisper),
        web.post(f"{TICKET}/join", join),
        web.post(f"{TICKET}/transfer", transfer),
        web.post(f"{TICKET}/close", close),
        web.post(f"{TICKET}/record", record),
        web.post(f"{TICKET}/hand-back", hand_back),
        web.post(f"{TICKET}/block", block),
        web.get(f"{API}/stats", stats),
        web.get(f"{API}/audit", audit),
        web.get(f"{API}/reports.csv", report_csv),
        web.get(f"{API}/reports", report),
        web.get(f"{API}/cases", cases),
        web.get(f"{API}/blocked", blocked),
        web.post(f"{API}/blocked/{{block:p-[0-9a-f]{{1,64}}}}/unblock", unblock),
    ]
