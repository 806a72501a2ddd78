"""The supervisors' insights page, in Chromium: a period's published tables as bars, filtered by
breakdown and country, withheld counts shown as withheld, exported as CSV and JSON, in the console's
language; agents cannot read it.

The desk is real (Redis db 9): tickets close through it, which is what adds to the counts; the
conversations' counts (situations started) are added as the turn does (bot/pipeline/stages/counting.py).
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from playwright.async_api import Page, expect

from bot.handoff.desk import Desk
from bot.handoff.staff import Staff
from bot.insights.counts import CONVERSATIONS, InsightCounts
from bot.insights.counts import Facts as CountedFacts
from tests.console_support import SUMMARY
from tests.test_console import browser, new_page, open_console
from tests.test_console_shift import screenshot

pytest_plugins = ["tests.console_support"]
__all__ = ["browser", "new_page", "open_console"]  # fixtures used by name below

OpenConsole = Callable[..., Awaitable[Page]]


async def _close_tickets(desk: Desk, staff: dict[str, Staff]) -> None:
    """12 Spanish speakers in Mexico helped, 11 Swahili speakers in Kenya referred, and 3 Swahili
    speakers in Mexico who gave up waiting: 3 is below k = 10, and so is what would reveal it."""
    for n, (language, country, outcome) in enumerate(
        [("es", "MX", "resolved")] * 12 + [("sw", "KE", "referred")] * 11 + [("sw", "MX", "cancelled")] * 3
    ):
        conversation = f"telegram:{500 + n}"
        ticket = await desk.enqueue(conversation, replace(SUMMARY, language=language, country=country))
        if outcome == "cancelled":
            await desk.cancel(conversation, "cancelled")
        else:
            await desk.claim(ticket.id, staff["alice"])
            await desk.close(ticket.id, staff["alice"], outcome)


async def _start_situations(desk: Desk) -> None:
    """14 conversations in Kenya: 12 started the stalking steps, 2 got the help in danger."""
    for situation in ["stalking"] * 12 + ["danger"] * 2:
        facts = CountedFacts.started(
            situation, platform=None, risks=set(), language="sw", channel="sms", country="KE", at=time.time()
        )
        await InsightCounts(desk.redis).add(facts)


def bars(page: Page, dimension: str, unit: str = "tickets") -> tuple[object, object]:
    block = page.locator(f"#insights-bars .bar-list[data-unit='{unit}'][data-dimension='{dimension}']")
    return block.locator(".bar-label"), block.locator(".bar-value")


async def test_supervisors_see_insights_with_small_counts_withheld_filter_them_and_export_them(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff]
) -> None:
    await _close_tickets(desk, staff)
    await _start_situations(desk)
    page = await open_console("sue")
    await page.click("#insights-show")
    await expect(page.locator("#insights-view")).to_be_visible()
    await expect(page.locator("#insights-method")).to_contain_text("Counts below 10 are withheld")
    labels, values = bars(page, "language")
    await expect(labels).to_have_text(["Spanish", "Swahili", "Total"])
    # Swahili alone would be 14 - 11 = 3 in Mexico: both languages' totals are withheld, the total is not.
    await expect(values).to_have_text(["withheld", "withheld", "26"])
    labels, values = bars(page, "outcome")
    await expect(labels).to_have_text(["Cancelled", "Referred", "Resolved", "Total"])
    await expect(values).to_have_text(["withheld", "11", "withheld", "26"])
    await expect(page.locator("#insights-bars .bar-list")).to_have_count(11 + 7)  # both units' breakdowns
    labels, values = bars(page, "situation", CONVERSATIONS)
    await expect(labels).to_have_text(["Danger", "Stalking", "Total"])
    await expect(values).to_have_text(["withheld", "withheld", "14"])  # 2 is below 10, and 14 - 12 = 2
    await screenshot(page, "insights")

    await page.select_option("#insights-country", "KE")
    labels, values = bars(page, "language")
    await expect(values).to_have_text(["0", "11", "11"])
    await page.select_option("#insights-dimension", "tickets:reached_person")
    await expect(page.locator("#insights-bars .bar-list")).to_have_count(1)
    labels, values = bars(page, "reached_person")
    await expect(labels).to_have_text(["No", "Yes", "Total"])
    await expect(values).to_have_text(["0", "11", "11"])

    month = time.strftime("%Y-%m", time.gmtime())
    href = await page.locator("#insights-csv").get_attribute("href")
    assert href == f"/console/api/insights.csv?from={month[:4]}-01&to={month}"
    text = await page.evaluate("(url) => fetch(url).then((r) => r.text())", href)
    rows = list(csv.DictReader(io.StringIO(text)))
    tickets = [r for r in rows if r["unit"] == "tickets"]
    language = {(r["value"], r["country"]): r["count"] for r in tickets if r["dimension"] == "language"}
    assert language[("sw", "MX")] == "" and language[("all", "all")] == "26"
    started = {
        (r["value"], r["country"]): r["count"]
        for r in rows
        if r["unit"] == CONVERSATIONS and r["dimension"] == "situation"
    }
    assert started[("stalking", "KE")] == "" and started[("all", "all")] == "14"
    assert all(r["count"] == "" or int(r["count"]) == 0 or int(r["count"]) >= 10 for r in rows)
    href = await page.locator("#insights-json").get_attribute("href")
    exported = await page.evaluate("(url) => fetch(url).then((r) => r.json())", href)
    assert exported["min_count"] == 10 and exported["period"] == {"from": f"{month[:4]}-01", "to": month}


async def test_the_insights_page_speaks_the_console_language_and_agents_cannot_read_it(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff]
) -> None:
    await _close_tickets(desk, staff)
    await _start_situations(desk)
    page = await open_console("sue", locale="ar-EG")
    await page.click("#insights-show")
    await expect(page.locator("#insights-title")).to_contain_text("إحصاءات مجهولة الهوية")
    situations = "#insights-bars .bar-list[data-unit='conversations'][data-dimension='situation']"
    heading = page.locator(f"{situations} h3")
    await expect(heading).to_have_text("المحادثات، حسب الوضع الذي بدأ: الوضع")
    labels, values = bars(page, "situation", CONVERSATIONS)
    await expect(labels.first).to_have_text("خطر")
    labels, values = bars(page, "language")
    await expect(values).to_have_text(["محجوب", "محجوب", "26"])
    await expect(labels.last).to_have_text("المجموع")

    agent = await open_console("alice")
    await expect(page.locator("#insights-show")).to_be_visible()
    await expect(agent.locator("#supervisor")).to_be_hidden()
    month = time.strftime("%Y-%m", time.gmtime())
    for path in ("insights", "insights.csv", "insights.json"):
        status = await agent.evaluate(
            "(url) => fetch(url).then((r) => r.status)", f"/console/api/{path}?from={month}&to={month}"
        )
        assert status == 403, path
