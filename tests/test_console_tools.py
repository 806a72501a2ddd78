"""The console's remaining tools, in Chromium: transfers that tell the person and show who is at the
console, canned replies chosen with the keyboard and glossed in English, the file of a conversation she
ended with a quick exit, the supervisors' search of closed cases, read-only monitoring with a private
message to the colleague, and the referral directory.

The desk, staff, sessions and presence are real (Redis db 9); people speak through the Desk as the
gateway does, and what would reach them is what the Outbox port records.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from playwright.async_api import Page, expect

from bot.handoff.desk import Desk
from bot.handoff.model import Case, Risk, Ticket
from bot.handoff.staff import Staff
from tests.console_support import SUMMARY, Outbox, reply
from tests.test_console import browser, new_page, open_console
from tests.test_console_shift import screenshot

pytest_plugins = ["tests.console_support"]
__all__ = ["browser", "new_page", "open_console"]  # fixtures used by name below

OpenConsole = Callable[..., Awaitable[Page]]


async def take(page: Page, ticket_id: str) -> None:
    await page.click(f"#queue li[data-ticket='{ticket_id}'] button.take")
    await expect(page.locator("#composer")).to_be_visible()


async def taking(open_console: OpenConsole, desk: Desk, conversation: str) -> tuple[Page, Ticket]:
    """Alice signed in, having taken the conversation of someone who just arrived."""
    ticket = await desk.enqueue(conversation, SUMMARY)
    page = await open_console("alice")
    await take(page, ticket.id)
    return page, ticket


async def test_a_transfer_tells_the_person_who_is_with_her_and_lists_who_is_at_the_console(
    open_console: OpenConsole, desk: Desk, outbox: Outbox
) -> None:
    ticket = await desk.enqueue("telegram:81", SUMMARY)
    bob = await open_console("bob")  # at the console; sue is not
    alice = await open_console("alice")
    await take(alice, ticket.id)
    options = alice.locator("#transfer-to option")
    await expect(options).to_have_text(["Bob (bob) · online", "Sue (sue, supervisor) · away"])

    await alice.select_option("#transfer-to", "bob")
    await alice.click("#transfer")
    await expect(bob.locator(f"#mine li[data-ticket='{ticket.id}']")).to_be_visible()
    assert outbox.texts("telegram:81") == [
        reply("handoff_joined", staff_name="Alice"),
        reply("handoff_transferred", staff_name="Bob"),
    ]
    assert "Bob," in outbox.texts("telegram:81")[1]  # who is with her now, by display name

    other = await desk.enqueue("telegram:82", SUMMARY)  # bob now holds one: busy 1 in alice's list
    await take(alice, other.id)
    await expect(alice.locator("#transfer-to option[value='bob']")).to_have_text("Bob (bob) · busy 1")


async def test_arrow_keys_choose_a_canned_reply_without_inserting_it_and_show_an_english_gloss(
    open_console: OpenConsole, desk: Desk
) -> None:
    page, _ = await taking(open_console, desk, "telegram:83")
    await expect(page.locator("#canned option")).to_have_count(7)  # loaded
    await page.focus("#canned")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await expect(page.locator("#canned")).to_have_value("safe_now")
    await expect(page.locator("#text")).to_have_value("")  # nothing inserted by moving
    await expect(page.locator("#canned-language")).to_have_text("Spanish:")
    spanish, english = reply("canned_safe_now"), reply("canned_safe_now", "en")
    assert spanish != english
    await expect(page.locator("#canned-text")).to_have_text(spanish)
    await expect(page.locator("#canned-gloss")).to_have_text(f"In English: {english}")
    await screenshot(page, "canned")
    await page.keyboard.press("Enter")
    await expect(page.locator("#text")).to_have_value(spanish)
    await expect(page.locator("#pending li")).to_have_count(0)  # inserted, not sent


async def test_after_a_quick_exit_notes_and_the_outcome_can_still_be_recorded(
    open_console: OpenConsole, desk: Desk, outbox: Outbox
) -> None:
    page, ticket = await taking(open_console, desk, "telegram:84")
    await desk.cancel("telegram:84", "quick_exit")  # she left in a hurry
    await expect(page.locator("#ticket-state")).to_contain_text("Closed (quick exit)")
    await expect(page.locator("#mode-reply")).to_be_hidden()  # nothing can reach her now
    await expect(page.locator("#composer")).to_have_class(re.compile(r"\bnote-mode\b"))
    await expect(page.locator("#composer")).to_have_class(re.compile(r"\brecording\b"))
    await expect(page.locator("#transfer-row")).to_be_hidden()

    await page.fill("#text", "She left suddenly, said he was coming in.")
    await page.press("#text", "Enter")
    await expect(page.locator("#log li.note .text")).to_have_text("She left suddenly, said he was coming in.")
    await page.click("#close")
    await expect(page.locator("#close-title")).to_contain_text("Record the outcome")
    await page.select_option("#outcome", "follow_up_needed")
    await page.fill("#case-tags", "interrupted")
    await page.click("#close-confirm")
    await expect(page.locator("#ticket-state")).to_contain_text(
        "Closed (follow up needed)", use_inner_text=True
    )
    await expect(page.locator("#ticket-state")).to_contain_text("she ended it: quick exit")
    await expect(page.locator("#notice-text")).to_contain_text("A follow-up task was created")
    recorded = await desk.tickets.get(ticket.id)
    assert recorded is not None and recorded.outcome == "follow_up_needed" and recorded.left == "quick_exit"
    assert recorded.case is not None and recorded.case.tags == ("interrupted",)
    assert outbox.keys("telegram:84") == ["handoff_joined"]  # nothing after she left
    assert len(await desk.tickets.follow_ups()) == 1


async def test_supervisors_search_closed_cases_by_category_outcome_staff_language_and_country(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff]
) -> None:
    async def closed(conversation: str, who: str, outcome: str, case: Case, language: str) -> str:
        ticket = await desk.enqueue(conversation, replace(SUMMARY, language=language))
        await desk.claim(ticket.id, staff[who])
        await desk.close(ticket.id, staff[who], outcome, case=case)
        return ticket.id

    doxxing = await closed(
        "telegram:91", "alice", "resolved", Case(situation="doxxing", tags=("school",)), "sw"
    )
    images = await closed(
        "telegram:92", "bob", "referred", Case(situation="intimate_images", risks=(Risk.NCII,)), "es"
    )
    open_one = await desk.enqueue("telegram:93", SUMMARY)  # not closed: never a search result

    page = await open_console("sue")
    results = page.locator("#cases li")
    await page.click("#cases-search")
    await expect(results).to_have_count(2)
    await expect(page.locator("#cases-count")).to_have_text("2 cases")
    await page.fill("#cases-category", "school")
    await page.click("#cases-search")
    await expect(results).to_have_count(1)
    await expect(results.first).to_have_attribute("data-ticket", doxxing)
    await page.fill("#cases-category", "ncii")
    await page.select_option("#cases-outcome", "referred")
    await page.fill("#cases-staff", "bob")
    await page.fill("#cases-language", "es")
    await page.fill("#cases-country", "MX")
    await page.click("#cases-search")
    await expect(results).to_have_count(1)
    await expect(results.first).to_have_attribute("data-ticket", images)
    await page.fill("#cases-country", "KE")
    await page.click("#cases-search")
    await expect(results).to_have_count(0)
    await expect(page.locator("#cases-empty")).to_be_visible()
    assert open_one.id not in await page.locator("#cases").inner_html()

    alice = await open_console("alice")  # agents cannot search
    response = await alice.request.get("/console/api/cases?from=2020-01-01&to=2020-01-02")
    assert response.status == 403


async def test_monitoring_a_colleagues_chat_is_read_only_with_a_private_message_to_them(
    open_console: OpenConsole, desk: Desk, outbox: Outbox
) -> None:
    alice, ticket = await taking(open_console, desk, "telegram:94")
    sue = await open_console("sue")
    await sue.click(f"#everyone li[data-ticket='{ticket.id}'] button.open")
    await expect(sue.locator("#monitor-text")).to_have_text(
        "Monitoring Alice (alice)'s conversation: read-only. The person does not see you."
    )
    await expect(sue.locator("#composer")).to_be_hidden()
    await expect(sue.locator("#tools")).to_be_hidden()

    await sue.fill("#whisper-text", "Ask her whether he can see her screen.")
    await sue.click("#whisper-send")
    entry = alice.locator("#log li.whisper")
    await expect(entry.locator(".text")).to_have_text("Ask her whether he can see her screen.")
    await expect(entry.locator(".who")).to_contain_text("Private message from Sue (sue) to you (not sent)")
    await screenshot(sue, "monitoring")
    assert outbox.keys("telegram:94") == ["handoff_joined"]  # the whisper never reaches her

    sue.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await sue.click("#join")
    await expect(sue.locator("#composer")).to_be_visible()
    await expect(sue.locator("#monitor")).to_be_hidden()


async def test_the_referral_directory_lists_checked_resources_for_her_country_to_insert(
    open_console: OpenConsole, desk: Desk
) -> None:
    page, _ = await taking(open_console, desk, "telegram:95")  # in Mexico
    await page.click("#directory summary")
    await expect(page.locator("#directory-country")).to_contain_text("Mexico")
    items = page.locator("#directory-list li")
    await expect(items.first).to_have_attribute("data-resource", "mx_911")
    for text in await items.locator(".meta:has(a)").all_inner_texts():
        assert text.startswith("Checked 20")  # every one with its check date and source
    assert await items.locator("a").first.get_attribute("href") == (
        "https://www.gob.mx/policiafederal/articulos/088-911-responder-ante-cualquier-llamado?idiom=es"
    )

    await page.fill("#directory-query", "911")
    await expect(items).to_have_count(2)  # the emergency line, and Línea de la Vida (800 911 2000)
    await page.fill("#directory-query", "vida")
    await expect(items).to_have_count(1)
    await screenshot(page, "directory")
    await items.first.locator("button.insert-resource").click()
    await expect(page.locator("#text")).to_have_value("Línea de la Vida (800 911 2000): 800 911 2000")
    await expect(page.locator("#pending li")).to_have_count(0)  # inserted, not sent


async def test_supervisors_see_a_periods_report_as_charts_drawn_by_the_local_chart_library(
    open_console: OpenConsole, desk: Desk, staff: dict[str, Staff]
) -> None:
    resolved = await desk.enqueue("telegram:96", SUMMARY)
    await desk.claim(resolved.id, staff["alice"])
    await desk.close(resolved.id, staff["alice"], "resolved", case=Case(situation="doxxing"))
    referred = await desk.enqueue("telegram:97", replace(SUMMARY, language="sw"))
    await desk.claim(referred.id, staff["bob"])
    await desk.close(referred.id, staff["bob"], "referred")
    await desk.enqueue("telegram:98", SUMMARY)
    await desk.cancel("telegram:98", "cancelled")  # she gave up waiting

    page = await open_console("sue")
    await page.click("#report-show")
    numbers = page.locator("#charts-numbers")
    await expect(numbers.locator("dd").nth(0)).to_have_text("3")
    await expect(numbers.locator("dd").nth(2)).to_have_text("1 (33 %)")  # left before anyone took them
    await expect(page.locator("#charts .uplot canvas")).to_have_count(2)  # by day, by hour
    outcomes = page.locator("#chart-bars .bar-list").first
    await expect(outcomes.locator(".bar-label")).to_have_text(["Resolved", "Referred", "Cancelled"])
    languages = page.locator("#chart-bars .bar-list").nth(3)
    await expect(languages.locator(".bar-label")).to_have_text(["Spanish", "Swahili"])
    await expect(languages.locator(".bar-value")).to_have_text(["2", "1"])
    await screenshot(page, "report")

    report = await page.evaluate(
        "(q) => fetch('/console/api/reports?' + q).then((r) => r.json())",
        f"from={(today := time.strftime('%Y-%m-%d', time.gmtime()))}&to={today}",
    )
    waits = sorted(
        t.claimed_at - t.created_at for t in await desk.tickets.opened_between(0, 2e9) if t.claimed_at
    )
    assert report["waits"]["taken"] == 2 and report["waits"]["p90_seconds"] == waits[-1]
    assert report["staff"] == {"alice": 1, "bob": 1}
    assert report["days"][-1] == {"day": today, "opened": 3, "left": 1}
