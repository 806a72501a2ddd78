"""The insights in the console, for supervisors: a period's suppressed tables as JSON for the page's
charts, and as CSV or JSON files to publish. The same report as `python -m bot insights report`:
nothing the console shows is finer than what may be published."""

from __future__ import annotations

import re

from aiohttp import web

from bot.handoff.console_auth import CONSOLE, Caller, staff_only
from bot.handoff.errors import DeskError
from bot.insights.counts import InsightCounts
from bot.insights.report import Report, build, months, render
from bot.language.i18n import N_

API = "/console/api/insights"
MIN_COUNT = web.AppKey("insights_min_count", int)
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
LONGEST = 36  # months in one report


def setup_insights(app: web.Application, *, min_count: int) -> None:
    """Mount the insights API next to the console (after setup_console)."""
    app[MIN_COUNT] = min_count
    app.router.add_routes(
        [web.get(API, insights), web.get(f"{API}.csv", export), web.get(f"{API}.json", export)]
    )


async def _report(request: web.Request, caller: Caller) -> Report:
    first, last = request.query.get("from", ""), request.query.get("to", "")
    if not (MONTH.fullmatch(first) and MONTH.fullmatch(last)) or not 1 <= len(months(first, last)) <= LONGEST:
        raise DeskError(
            N_("Choose months (YYYY-MM), 'from' first, at most {longest} months."), longest=LONGEST
        )
    desk = request.app[CONSOLE].desk
    await desk.audit.record(caller.staff, f"insights:{first}..{last}", None)
    return await build(InsightCounts(desk.redis), first, last, request.app[MIN_COUNT])


@staff_only(supervisor=True)
async def insights(request: web.Request, caller: Caller) -> web.Response:
    return web.json_response((await _report(request, caller)).to_json())


@staff_only(supervisor=True)
async def export(request: web.Request, caller: Caller) -> web.Response:
    report = await _report(request, caller)
    form = request.path.rsplit(".", 1)[1]
    return web.Response(
        text=render(report, form),
        content_type="text/csv" if form == "csv" else "application/json",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="insights-{report.first}-{report.last}.{form}"'
        },
    )
